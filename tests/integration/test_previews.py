"""PNG previews (``format: "png"``): drawn by the real pdftoppm from the PDF the real renderer makes, as
wide as asked and shaped like the PDF's page; every page in a zip; the same bytes for the same input."""

from __future__ import annotations

import copy
import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
import test_templates
from pypdf import PdfReader

from docpipe import catalog, jobs, outputs, previews
from docpipe.envelope import PreviewOptions
from docpipe.errors import InvalidDocument, RenderFailed
from docpipe.renderer import Renderer
from docpipe.validation import DocumentRequestT, validate_request

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "docpipe" / "samples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEMPLATES = [(kind, name) for kind in ("resume", "cover_letter") for name in catalog.template_names(kind)]


def sample(document_type: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / f"{document_type}.json").read_text(encoding="utf-8"))
    return loaded


def png_request(
    envelope: dict[str, Any], width: int, pages: str = "first", **options: str
) -> DocumentRequestT:
    made = copy.deepcopy(envelope)
    made["format"] = "png"
    made["options"] = made.get("options", {}) | options | {"preview": {"width": width, "pages": pages}}
    return validate_request(made)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's header (its IHDR chunk comes first)."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, kind) == (13, b"IHDR")
    return width, height


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points (the media box, which pdftoppm draws)."""
    return [
        (float(page.mediabox.width), float(page.mediabox.height)) for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def assert_shaped_like(png: bytes, width: int, page: tuple[float, float]) -> None:
    got_width, got_height = png_size(png)
    assert got_width == width
    assert abs(got_height - round(width * page[1] / page[0])) <= 1, (got_width, got_height, page)


def long_resume() -> dict[str, Any]:
    """The sample résumé with 8 jobs of 6 two-line bullets (test_templates'): two pages or more."""
    envelope = sample("resume")
    envelope["data"] = test_templates.long_resume()
    return envelope


@pytest.mark.parametrize(("document_type", "template"), TEMPLATES)
def test_the_first_page_is_as_wide_as_asked_and_shaped_like_the_pdfs_page(
    renderer: Renderer, document_type: str, template: str
) -> None:
    request = png_request(sample(document_type) | {"template": template}, 300)
    output = outputs.produce(request, renderer)
    pdf = renderer.render(request).pdf  # the PDF the preview is drawn from
    assert (output.media_type, outputs.extension(request), output.pages) == (
        "image/png",
        "png",
        len(page_sizes(pdf)),
    )
    assert_shaped_like(output.data, 300, page_sizes(pdf)[0])


def test_every_page_comes_in_a_zip_one_png_per_page_in_order(renderer: Renderer) -> None:
    request = png_request(long_resume(), 200, pages="all")
    output = outputs.produce(request, renderer)
    pages = page_sizes(renderer.render(request).pdf)
    assert len(pages) >= 2
    assert (output.media_type, outputs.extension(request), output.pages) == (
        "application/zip",
        "zip",
        len(pages),
    )
    with zipfile.ZipFile(io.BytesIO(output.data)) as archive:
        assert archive.namelist() == [f"page-{n}.png" for n in range(1, len(pages) + 1)]
        for number, page in enumerate(pages, start=1):
            assert_shaped_like(archive.read(f"page-{number}.png"), 200, page)
    # Stored and downloaded as what it is: a zip.
    assert outputs.extension(request) == "zip"
    assert jobs.download_filename(request).endswith("_Resume.zip")


def test_a4_and_letter_previews_have_their_papers_shapes(renderer: Renderer) -> None:
    heights = {}
    for paper in ("letter", "a4"):
        request = png_request(sample("resume"), 600, paper=paper)
        page = page_sizes(renderer.render(request).pdf)[0]
        data = outputs.produce(request, renderer).data
        assert_shaped_like(data, 600, page)
        heights[paper] = png_size(data)[1]
    # 600 px wide: letter (8.5 x 11 in) is 777 px tall, A4 (210 x 297 mm) 849 px.
    assert abs(heights["letter"] - 776.5) <= 1
    assert abs(heights["a4"] - 848.5) <= 1


@pytest.mark.parametrize("width", [63, 3001, "800", 800.5, True, None])
def test_a_width_out_of_bounds_or_not_a_whole_number_is_refused_at_its_path(width: Any) -> None:
    envelope = sample("resume") | {"format": "png", "options": {"preview": {"width": width}}}
    with pytest.raises(InvalidDocument) as refused:
        validate_request(envelope)
    assert [detail.path for detail in refused.value.details] == ["options.preview.width"]


@pytest.mark.parametrize("width", [64, 3000])
def test_the_bounds_themselves_are_accepted(width: int) -> None:
    assert png_request(sample("resume"), width).options.preview.width == width


def test_the_same_pdf_and_options_give_the_same_bytes(renderer: Renderer) -> None:
    pdf = renderer.render(png_request(long_resume(), 120)).pdf
    first, every = PreviewOptions(width=120, pages="first"), PreviewOptions(width=120, pages="all")
    assert previews.preview(pdf, first) == previews.preview(pdf, first)
    zipped = previews.preview(pdf, every)
    assert previews.preview(pdf, every) == zipped
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {previews.ZIP_DATE}
        assert archive.read("page-1.png") == previews.preview(pdf, first)


def test_each_width_and_page_choice_is_its_own_cache_entry() -> None:
    keys = {
        jobs.content_key(png_request(sample("resume"), width, pages), "tenant")
        for width in (300, 301)
        for pages in ("first", "all")
    }
    assert len(keys) == 4


def test_what_pdftoppm_cannot_draw_is_a_render_failure_that_says_so() -> None:
    with pytest.raises(RenderFailed, match="the preview could not be drawn: pdftoppm"):
        previews.preview(b"%PDF-1.5 but nothing more", PreviewOptions())


def test_without_pdftoppm_the_failure_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no pdftoppm on the way
    with pytest.raises(RenderFailed, match="poppler-utils"):
        previews.preview(b"%PDF-", PreviewOptions())


def test_every_page_stops_at_the_twentieth(renderer: Renderer) -> None:
    """A preview is for thumbnails: a PDF of more pages gives its first twenty (bounded work)."""
    envelope = long_resume()
    envelope["data"]["experience"] *= 9  # 72 jobs of 6 two-line bullets: over twenty pages
    request = png_request(envelope, 64, pages="all")
    output = outputs.produce(request, renderer)
    assert output.pages is not None
    assert output.pages > previews.MAX_PAGES
    with zipfile.ZipFile(io.BytesIO(output.data)) as archive:
        assert archive.namelist() == [f"page-{n}.png" for n in range(1, previews.MAX_PAGES + 1)]
