"""A validated request to the bytes of its output format: the one place that knows which format is
made how, for the render function, the local workers and the CLI alike.

PDF goes through TeX (renderer.py); DOCX and plain text are written from the same reading-order
outline (outline.py), not converted from LaTeX; ``tex`` is the LaTeX source itself; ``png`` is drawn
from the PDF (previews.py). The writers are imported on first use: a process that only ever makes PDFs
never loads python-docx.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from docpipe import contract

if TYPE_CHECKING:
    from docpipe.fitting import Found
    from docpipe.renderer import RenderResult
    from docpipe.validation import DocumentRequestT


class PdfRenderer(Protocol):
    """What making a PDF needs (:class:`docpipe.renderer.Renderer` in production)."""

    @property
    def timeout(self) -> float:
        """Seconds a render may take (a preview gets what the PDF left of it)."""

    def render(self, request: DocumentRequestT) -> RenderResult: ...

    def prepare_next(self) -> None:
        """Get ready for the next document, now that the last one's answer is out (standby.py)."""

    def search_fit(self, request: DocumentRequestT, max_pages: int) -> Found:
        """The fit-to-pages search (fitting.py), for the layout analysis."""


@dataclass(frozen=True)
class Output:
    """One document's bytes and what is worth knowing about how they were made."""

    data: bytes
    media_type: str
    pages: int | None = None  # the PDF's, also for its PNG preview; DOCX and text paginate themselves
    elapsed_ms: float = 0.0
    used_format: bool = False  # whether TeX started from a precompiled format
    layout: dict[str, object] | None = None  # how it was fitted to options.layout.maxPages (fitting.py)


def extension(request: DocumentRequestT) -> str:
    """The extension of the request's file, in its S3 key and its download name: its format's, but a
    PNG of every page is a zip. The one place that decides it."""
    if request.format == "png" and request.options.preview.pages == "all":
        return "zip"
    return contract.FORMAT_EXTENSIONS[request.format]


def media_type_of(request: DocumentRequestT) -> str:
    """The media type of the request's file (what its extension says)."""
    return contract.EXTENSION_MEDIA_TYPES[extension(request)]


def produce(request: DocumentRequestT, renderer: PdfRenderer, today: dt.date | None = None) -> Output:
    """The request's document in its ``format``. ``today`` dates a DOCX (its creation date); the
    render day in UTC by default."""
    media_type = media_type_of(request)
    if request.format == "pdf":
        result = renderer.render(request)
        return Output(
            result.pdf, media_type, result.pages, result.elapsed_ms, result.used_format, result.layout
        )
    if request.format == "tex":
        from docpipe.templates import render_source

        return Output(render_source(request).text.encode(), media_type)
    if request.format == "png":
        return _preview(request, renderer, media_type)
    if request.format == "analysis":
        from docpipe.analysis import analyze

        started = time.perf_counter()
        report = analyze(request, renderer)
        elapsed = (time.perf_counter() - started) * 1000
        return Output(report.model_dump_json(by_alias=True).encode(), media_type, elapsed_ms=elapsed)
    return _from_outline(request, media_type, today or dt.datetime.now(dt.UTC).date())


def _preview(request: DocumentRequestT, renderer: PdfRenderer, media_type: str) -> Output:
    """The PDF, then its pages drawn as PNG (previews.py) with what is left of the render time, but
    never less than ``previews.MIN_SECONDS``: a PDF that took its time still gets its preview."""
    from docpipe import previews

    started = time.perf_counter()
    result = renderer.render(request)
    left = renderer.timeout - (time.perf_counter() - started)
    data = previews.preview(result.pdf, request.options.preview, timeout=max(left, previews.MIN_SECONDS))
    elapsed = (time.perf_counter() - started) * 1000
    return Output(data, media_type, result.pages, elapsed, result.used_format, result.layout)


def _from_outline(request: DocumentRequestT, media_type: str, today: dt.date) -> Output:
    from docpipe import outline

    started = time.perf_counter()
    document = outline.build(request)
    if request.format == "txt":
        from docpipe.plaintext import render_text

        data = render_text(document).encode()
    else:
        from docpipe.wordfile import render_docx

        data = render_docx(
            document, paper=request.options.paper, spacing=request.options.spacing, created=today
        )
    return Output(data, media_type, elapsed_ms=(time.perf_counter() - started) * 1000)
