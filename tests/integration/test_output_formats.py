"""DOCX, plain text and PNG previews through the whole local pipeline: submit, queue, the real render
handler, S3, the presigned link (type and file name), the cache; and through the CLI."""

from __future__ import annotations

import concurrent.futures
import copy
import io
import json
import struct
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest

from docpipe.contract import MEDIA_TYPES
from docpipe_local.client import http_json
from docpipe_local.render_worker import RenderWorker
from docpipe_local.stack import DevStack


def fresh(document: dict[str, Any], output_format: str) -> dict[str, Any]:
    """A copy no earlier test has rendered (the cache keys on content), in ``output_format``."""
    made = copy.deepcopy(document)
    made["data"]["personalInfo"]["name"] = f"Format Person {uuid.uuid4().hex[:8]}"
    return made | {"format": output_format}


def post(stack: DevStack, document: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any], str]:
    """Status, JSON body (empty for a redirect) and Location, without following redirects."""
    request = urllib.request.Request(
        f"{stack.url}/v1/documents",
        data=json.dumps(document).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if body else {}, error.headers.get("Location", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def drain(worker: RenderWorker) -> None:
    while worker.poll_once():
        pass


def download(url: str) -> tuple[bytes, str, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), response.headers["Content-Type"], response.headers["Content-Disposition"]


def text_of(data: bytes, output_format: str) -> str:
    if output_format == "docx":
        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    return data.decode("utf-8")


@pytest.mark.parametrize("output_format", ["docx", "txt"])
def test_a_format_goes_through_the_pipeline_and_the_cache(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any], output_format: str
) -> None:
    document = fresh(sample_resume, output_format)
    code, queued, _ = post(stack, document)
    assert code == 202, queued
    drain(worker)
    code, status = http_json("GET", f"{stack.url}/v1/jobs/{queued['job_id']}")
    assert status["status"] == "succeeded", status
    assert status["format"] == output_format
    assert status["pages"] is None  # a word processor paginates these itself
    data, content_type, disposition = download(status["download_url"])
    assert content_type == MEDIA_TYPES[output_format]
    assert disposition.endswith(f'_Resume.{output_format}"')
    text = text_of(data, output_format)
    assert document["data"]["personalInfo"]["name"] in text
    assert document["data"]["experience"][0]["title"] in text

    code, hit, _ = post(stack, document)
    assert (code, hit["cached"], hit["job_id"]) == (200, True, queued["job_id"])
    assert worker.poll_once() == 0  # the hit queued nothing
    # The same document as a PDF is another document: its own job, not the DOCX's cache entry.
    code, as_pdf, _ = post(stack, document | {"format": "pdf"})
    assert code == 202
    assert as_pdf["job_id"] != queued["job_id"]
    drain(worker)


def test_accept_with_the_documents_own_type_redirects_to_it(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    document = fresh(sample_resume, "docx")
    post(stack, document)
    drain(worker)
    code, _, location = post(stack, document, Accept=MEDIA_TYPES["docx"])
    assert code == 303
    data, content_type, _ = download(location)
    assert content_type == MEDIA_TYPES["docx"]
    assert data.startswith(b"PK")
    # Asking for a PDF when the document is a DOCX gets JSON about it, not a DOCX in its place.
    code, body, _ = post(stack, document, Accept="application/pdf")
    assert (code, body["cached"]) == (200, True)


@pytest.mark.parametrize("output_format", ["docx", "txt"])
def test_the_cli_writes_the_format(run: Any, tmp_path: Path, output_format: str) -> None:
    source = Path(__file__).parents[2] / "src/docpipe/samples/resume.json"
    (tmp_path / "resume.json").write_bytes(source.read_bytes())
    done = run("render", "resume.json", "--format", output_format, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / f"resume.{output_format}"
    name = json.loads(source.read_text())["data"]["personalInfo"]["name"]
    assert name in text_of(written.read_bytes(), output_format)
    assert f"resume.{output_format}: " in done.stderr.decode()


def png_width(data: bytes) -> int:
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    width: int = struct.unpack(">I", data[16:20])[0]
    return width


def first_png(data: bytes, pages: str) -> bytes:
    """The first page's PNG: the download itself, or the zip's only entry (the sample is one page)."""
    if pages == "first":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["page-1.png"]
        return archive.read("page-1.png")


def preview(document: dict[str, Any], width: int, pages: str) -> dict[str, Any]:
    return document | {"options": document.get("options", {}) | {"preview": {"width": width, "pages": pages}}}


PREVIEWS = [("first", "png", "image/png"), ("all", "zip", "application/zip")]


@pytest.mark.parametrize(("pages", "extension", "media_type"), PREVIEWS)
def test_a_png_preview_goes_through_the_pipeline_and_the_cache(
    stack: DevStack,
    worker: RenderWorker,
    sample_resume: dict[str, Any],
    pages: str,
    extension: str,
    media_type: str,
) -> None:
    document = preview(fresh(sample_resume, "png"), 240, pages)
    code, queued, _ = post(stack, document)
    assert code == 202, queued
    drain(worker)
    code, status = http_json("GET", f"{stack.url}/v1/jobs/{queued['job_id']}")
    assert status["status"] == "succeeded", status
    assert (status["format"], status["pages"]) == ("png", 1)  # the PDF's pages
    data, content_type, disposition = download(status["download_url"])
    assert content_type == media_type
    assert disposition.endswith(f'_Resume.{extension}"')
    assert png_width(first_png(data, pages)) == 240

    code, hit, _ = post(stack, document)
    assert (code, hit["cached"], hit["job_id"]) == (200, True, queued["job_id"])
    assert worker.poll_once() == 0  # the hit queued nothing
    code, location_body, location = post(stack, document, Accept=media_type)
    assert code == 303, location_body
    assert download(location)[:2] == (data, media_type)
    # Another width is another document: its own job, not this one's cache entry.
    code, wider, _ = post(stack, preview(document, 320, pages))
    assert code == 202
    assert wider["job_id"] != queued["job_id"]
    drain(worker)


def test_a_zip_of_every_page_answers_accept_zip_with_the_zip_once_it_is_ready(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """Rendered while the request waits (``Prefer: wait``): the media type comes from the job."""
    document = preview(fresh(sample_resume, "png"), 100, "all")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(post, stack, document, Prefer="wait=20", Accept="application/zip")
        while not pending.done():
            worker.poll_once(wait_seconds=1)
        code, body, location = pending.result()
    assert code == 303, body
    data, content_type, _ = download(location)
    assert content_type == "application/zip"
    assert png_width(first_png(data, "all")) == 100
    # A PNG is not what this job made: JSON about it, not a redirect.
    code, body, _ = post(stack, document, Accept="image/png")
    assert (code, body["cached"]) == (200, True)


@pytest.mark.parametrize(("pages", "extension"), [("first", "png"), ("all", "zip")])
def test_the_cli_writes_a_png_or_a_zip(run: Any, tmp_path: Path, pages: str, extension: str) -> None:
    source = Path(__file__).parents[2] / "src/docpipe/samples/resume.json"
    (tmp_path / "resume.json").write_text(json.dumps(preview(json.loads(source.read_text()), 200, pages)))
    done = run("render", "resume.json", "--format", "png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / f"resume.{extension}"
    assert png_width(first_png(written.read_bytes(), pages)) == 200
    assert f"resume.{extension}: 1 page(s), " in done.stderr.decode()
