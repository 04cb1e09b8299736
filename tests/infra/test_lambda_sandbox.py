"""The render path as the render Lambda runs it: read-only image, only /tmp writable, uid 10001, what a
registry round trip does to mtimes. See lambda_sandbox.py for how the sandbox is built.

Each sandbox run renders with the Renderer the pipeline builds from the settings, under ``strace``
(``openat`` only), so a test can see which format TeX opened and whether fontconfig wrote a cache.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lambda_sandbox import (
    REPO,
    Bind,
    bake_font_cache,
    bake_formats,
    base_format_after_registry,
    image_environment,
    lambda_sandbox_command,
)

SAMPLES = REPO / "src" / "docpipe" / "samples"
LATIN, NON_LATIN = SAMPLES / "resume.json", SAMPLES / "resume_unicode.json"
# What the stack (infra) and Lambda add to the image's environment; no AWS call is made.
LAMBDA_ENV = {
    "AWS_REGION": "eu-west-1",
    "DOCPIPE_BUCKET": "docpipe-sandbox",
    "DOCPIPE_JOBS_TABLE": "docpipe-jobs",
    "DOCPIPE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/000000000000/docpipe-render",
    "POWERTOOLS_SERVICE_NAME": "docpipe-render",
}
# Renders each document named on the command line with the renderer the render Lambda uses, touching
# /tmp/.render-N first so that the strace log can be split per render.
RUNNER = """
import json, sys
from pathlib import Path
from docpipe.outputs import produce
from docpipe.pipeline import default_pipeline
from docpipe.validation import validate_request

renderer = default_pipeline().render.renderer
results = []
for index, name in enumerate(sys.argv[1:]):
    Path(f"/tmp/.render-{index}").touch()
    request = validate_request(json.loads(Path(name).read_text(encoding="utf-8")))
    if request.format == "pdf":
        result = renderer.render(request)
        data, facts = result.pdf, {"engine": result.engine, "used_format": result.used_format,
                                   "ms": result.elapsed_ms, "used_standby": result.used_standby}
    else:  # as the render use case makes every other format
        output = produce(request, renderer)
        data, facts = output.data, {"media_type": output.media_type, "pages": output.pages}
    renderer.prepare_next()  # as the render use case does once the job is answered
    Path(f"/tmp/render-{index}.pdf").write_bytes(data)
    results.append(facts | {"layout": getattr(result, "layout", None) if request.format == "pdf" else None,
                            "pages": result.pages if request.format == "pdf" else facts["pages"]})
Path("/tmp/results.json").write_text(json.dumps(results))
"""
_OPENAT = re.compile(r'^\d+\s+openat\(AT_FDCWD, "((?:[^"\\]|\\.)*)", ([A-Z_|]+)', re.MULTILINE)
_MARK = re.compile(r"^/tmp/\.render-(\d+)$")
_FONT_CACHE = re.compile(r"\.cache-\d+")


@dataclass
class SandboxRun:
    results: list[dict[str, Any]]
    opened: list[list[tuple[str, str]]]
    """Per render: every successful ``openat`` (path, flags) of every process, in order."""
    logs: str
    tmp: Path

    def font_caches_written(self, index: int) -> list[str]:
        return [path for path, flags in self.opened[index] if _FONT_CACHE.search(path) and "O_CREAT" in flags]

    def pdf_text(self, index: int) -> str:
        pdf = (self.tmp / f"render-{index}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-")
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()


def run_in_lambda(work: Path, documents: list[Path], *, format_dir: Path, binds: list[Bind]) -> SandboxRun:
    assert shutil.which("strace"), "strace is missing (Debian package strace; `make setup` installs it)"
    tmp = work / "tmp"
    argv = ["strace", "-f", "-qq", "-z", "--seccomp-bpf", "-e", "trace=openat", "-o", "/tmp/strace.log"]
    argv += ["python", "-c", RUNNER, *map(str, documents)]
    command = lambda_sandbox_command(
        argv, env=image_environment(**LAMBDA_ENV), format_dir=format_dir, tmp_dir=tmp, extra_ro_binds=binds
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    logs = done.stdout + done.stderr
    assert done.returncode == 0, logs[-3000:]
    opened: list[list[tuple[str, str]]] = [[]]
    for path, flags in _OPENAT.findall((tmp / "strace.log").read_text(encoding="utf-8", errors="replace")):
        if _MARK.match(path):
            opened.append([])
        opened[-1].append((path, flags))
    results = json.loads((tmp / "results.json").read_text())
    assert len(opened) == len(results) + 1  # opened[0]: the runner's start, before the first render
    return SandboxRun(results, opened[1:], logs, tmp)


@pytest.fixture(scope="module")
def baked_formats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As the image build does: `docpipe build-formats --dir`, outside the sandbox."""
    directory = tmp_path_factory.mktemp("formats")
    assert len(bake_formats(directory)) == 4
    return directory


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory, baked_formats: Path) -> SandboxRun:
    """One Lambda run on the image as the Dockerfile builds it: a Latin résumé, then a non-Latin one twice."""
    work = tmp_path_factory.mktemp("image")
    binds = [base_format_after_registry(work), *bake_font_cache(work / "fonts")]
    return run_in_lambda(work, [LATIN, NON_LATIN, NON_LATIN], format_dir=baked_formats, binds=binds)


def test_the_baked_format_is_loaded_after_a_registry_round_trip(
    image: SandboxRun, baked_formats: Path
) -> None:
    latin = image.results[0]
    assert (latin["engine"], latin["used_format"]) == ("pdftex", True)
    baked = {f"/opt/docpipe/formats/{p.name}" for p in baked_formats.glob("docpipe-resume-classic-*.fmt")}
    formats_opened = {path for path, _ in image.opened[0] if path.endswith(".fmt")}
    assert formats_opened & baked, f"TeX opened no baked format: {sorted(formats_opened)}"
    assert "Jordan Avery Lee" in image.pdf_text(0)
    assert "no precompiled TeX format" not in image.logs


def test_the_next_document_is_typeset_by_tex_started_ahead_in_the_sandbox(image: SandboxRun) -> None:
    # Read-only root, uid 10001, only /tmp writable: the pipe, prlimit and timeout all work there.
    assert [r["used_standby"] for r in image.results] == [False, False, True]
    assert "Ελένη Παπαδοπούλου" in image.pdf_text(2)


def test_a_fit_to_one_page_and_a_preview_are_made_in_the_sandbox(tmp_path: Path, baked_formats: Path) -> None:
    """Several TeX runs of one render (the fit search, each starting the next TeX ahead) and pdftoppm,
    as uid 10001 on the read-only image."""
    inside = tmp_path / "tmp"  # the sandbox's /tmp
    inside.mkdir()
    document = json.loads(LATIN.read_text())
    document["data"]["experience"][0]["achievements"] += [
        f"Shipped release {n} of the ledger." for n in range(8)
    ]
    layout = {"layout": {"maxPages": 1, "fit": "shrink"}}
    (inside / "fitted.json").write_text(json.dumps(document | {"options": layout}))
    preview = json.loads(LATIN.read_text()) | {"format": "png", "options": {"preview": {"width": 240}}}
    (inside / "preview.json").write_text(json.dumps(preview))
    documents = [LATIN, Path("/tmp/fitted.json"), Path("/tmp/preview.json")]
    run = run_in_lambda(tmp_path, documents, format_dir=baked_formats, binds=[])
    fit = run.results[1]
    assert run.results[0]["pages"] == 1
    assert fit["pages"] == 1
    assert fit["layout"] is not None, fit
    assert 2 <= fit["layout"]["texRuns"] <= 4, fit
    assert "Shipped release 7 of the ledger." in run.pdf_text(1)
    png = (run.tmp / "render-2.pdf").read_bytes()
    assert run.results[2]["media_type"] == "image/png"
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 240


def test_a_non_latin_document_renders_twice_without_rebuilding_the_font_cache(image: SandboxRun) -> None:
    for index in (1, 2):
        assert image.results[index]["engine"] == "xetex"
        assert "Ελένη Παπαδοπούλου" in image.pdf_text(index)
        # The cache the Dockerfile bakes is still valid after the registry: nothing is rescanned.
        assert image.font_caches_written(index) == [], f"render {index} rebuilt the font cache"


def test_a_stale_font_cache_is_rebuilt_once_per_container_not_per_render(
    tmp_path: Path, baked_formats: Path
) -> None:
    # Baked without the Dockerfile's whole-second mtimes: stale once the registry drops nanoseconds.
    binds = bake_font_cache(tmp_path / "fonts", run="fc-cache --force")
    run = run_in_lambda(tmp_path, [NON_LATIN, NON_LATIN], format_dir=baked_formats, binds=binds)
    assert run.font_caches_written(0), "the baked cache should have been stale (the test sees nothing)"
    assert all(path.startswith("/tmp/") for path in run.font_caches_written(0))
    assert run.font_caches_written(1) == [], "the second render rebuilt the font cache again"
    assert "Ελένη Παπαδοπούλου" in run.pdf_text(1)


def test_without_baked_formats_every_render_compiles_the_preamble_and_one_warning_says_so(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "no-formats"
    empty.mkdir()
    run = run_in_lambda(
        tmp_path, [LATIN, LATIN], format_dir=empty, binds=[base_format_after_registry(tmp_path)]
    )
    assert [r["used_format"] for r in run.results] == [False, False]
    assert "Jordan Avery Lee" in run.pdf_text(1)
    warnings = [line for line in run.logs.splitlines() if "no precompiled TeX format" in line]
    assert len(warnings) == 1, run.logs[-3000:]
    assert json.loads(warnings[0])["level"] == "WARNING"
    assert "Jordan" not in run.logs  # no résumé content in logs
    assert "Avery" not in run.logs
