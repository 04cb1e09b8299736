"""Engine fixtures: one real Renderer (with its own format dir) for the session, and PDF text helpers.

Nothing here mocks TeX. ``renderer`` keeps the log of its last run (``renderer.last_log``) so tests
can look at what TeX did before the renderer deletes its working directory.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docpipe.renderer import Renderer, RenderResult, Typeset
from docpipe.templates import Source
from docpipe.validation import validate_request

# Bidi marks pdftotext adds around right-to-left runs, and characters TeX never prints.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad\u200b\ufeff"))


class RecordingRenderer(Renderer):
    """A real Renderer that keeps the TeX log of its last run."""

    last_log: str = ""

    def _typeset(self, source: Source, root: Path, format_path: Path | None) -> Typeset:
        self.last_log = ""
        try:
            return super()._typeset(source, root, format_path)
        finally:
            log = root / "document.log"
            self.last_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def squash(text: str) -> str:
    """Text as compared: compatibility forms folded (NFKC), whitespace and invisible marks removed."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return re.sub(r"\s+", "", text)


def literal_pattern(text: str) -> str:
    """A regex for ``text`` in squashed PDF text: TeX may hyphenate a word at a line end."""
    return "-?".join(re.escape(ch) for ch in squash(text))


class PdfText:
    """What pdftotext reads from a PDF (in content order, so a user's "-" at a line end survives)."""

    def __init__(self, pdf: bytes) -> None:
        assert pdf.startswith(b"%PDF-"), "not a PDF"
        self.raw = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode("utf-8")
        self.squashed = squash(self.raw)

    squash = staticmethod(squash)

    def contains(self, text: str) -> bool:
        return re.search(literal_pattern(text), self.squashed) is not None

    def count(self, text: str) -> int:
        return len(re.findall(literal_pattern(text), self.squashed))


@pytest.fixture(scope="session")
def format_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh format dir: the session's first pdfTeX render builds into it (never the user's cache)."""
    return tmp_path_factory.mktemp("formats")


@pytest.fixture(scope="session")
def renderer(format_dir: Path) -> RecordingRenderer:
    return RecordingRenderer(timeout=30, format_dir=format_dir)


@pytest.fixture(scope="session")
def render(renderer: RecordingRenderer) -> Callable[[dict[str, Any]], tuple[RenderResult, PdfText]]:
    """Validate an envelope, typeset it, and read the PDF's text back."""

    def run(envelope: dict[str, Any]) -> tuple[RenderResult, PdfText]:
        result = renderer.render(validate_request(envelope))
        return result, PdfText(result.pdf)

    return run


@pytest.fixture(scope="session")
def pdf_text() -> type[PdfText]:
    """``pdf_text(pdf)`` reads a PDF's text; ``pdf_text.squash(text)`` normalises text the same way."""
    return PdfText


@pytest.fixture(scope="session")
def docpipe_bin() -> Path:
    """The venv's console script (tests run it as a user would)."""
    import sys

    path = Path(sys.executable).parent / "docpipe"
    assert path.exists(), f"{path} is missing: run `make setup`"
    return path


@pytest.fixture(scope="session")
def run(docpipe_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run ``docpipe ARGS`` in a scratch directory with its own format cache, as a user runs it."""
    import os
    import subprocess

    env = {**os.environ, "DOCPIPE_FORMAT_DIR": str(tmp_path_factory.mktemp("cli-formats"))}

    def _run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(docpipe_bin), *args], cwd=cwd, env=env, input=stdin, capture_output=True, timeout=120
        )

    return _run


@pytest.fixture
def tenant(stack: Any) -> Iterator[Any]:
    """The real app (both routers) over the local stack's use cases, every request of it filed under
    one new tenant (a ``TestClient``)."""
    import uuid

    from fastapi.testclient import TestClient

    from docpipe.api import create_app, status_router, submit_router

    app = create_app(
        submit_router(),
        status_router(),
        pipeline_factory=lambda: stack.pipeline,
        local_tenant=f"tenant-{uuid.uuid4().hex[:12]}",
    )
    with TestClient(app) as client:
        yield client
