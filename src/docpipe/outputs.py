"""A validated request to the bytes of its output format: the one place that knows which format is
made how, for the render function, the local workers and the CLI alike.

PDF goes through TeX (renderer.py); DOCX and plain text are written from the same reading-order
outline (outline.py), not converted from LaTeX; ``tex`` is the LaTeX source itself. The writers are
imported on first use: a process that only ever makes PDFs never loads python-docx.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from docpipe import contract

if TYPE_CHECKING:
    from docpipe.renderer import RenderResult
    from docpipe.validation import DocumentRequestT


class PdfRenderer(Protocol):
    """What making a PDF needs (:class:`docpipe.renderer.Renderer` in production)."""

    def render(self, request: DocumentRequestT) -> RenderResult: ...

    def prepare_next(self) -> None:
        """Get ready for the next document, now that the last one's answer is out (standby.py)."""


@dataclass(frozen=True)
class Output:
    """One document's bytes and what is worth knowing about how they were made."""

    data: bytes
    media_type: str
    pages: int | None = None  # known for PDFs only: a word processor paginates DOCX and text itself
    elapsed_ms: float = 0.0
    used_format: bool = False  # whether TeX started from a precompiled format


def produce(request: DocumentRequestT, renderer: PdfRenderer, today: dt.date | None = None) -> Output:
    """The request's document in its ``format``. ``today`` dates a DOCX (its creation date); the
    render day in UTC by default."""
    media_type = contract.MEDIA_TYPES[request.format]
    if request.format == "pdf":
        result = renderer.render(request)
        return Output(result.pdf, media_type, result.pages, result.elapsed_ms, result.used_format)
    if request.format == "tex":
        from docpipe.templates import render_source

        return Output(render_source(request).text.encode(), media_type)
    return _from_outline(request, media_type, today or dt.datetime.now(dt.UTC).date())


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
