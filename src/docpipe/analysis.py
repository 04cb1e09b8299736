"""Layout analysis (``format: "analysis"``, ``POST /v1/analyze``, ``docpipe analyze``): how the PDF
lays out and what fitting it to N pages would change, answered by the same renderer and the same
search as ``fit: "shrink"`` (real TeX runs, not a word count), without handing out a PDF.

N is ``options.layout.maxPages``, or one page when it is not given.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from docpipe import fitting
from docpipe.validation import DocumentRequestT

DEFAULT_MAX_PAGES = 1


class FitSearcher(Protocol):
    """What the analysis needs of a renderer (:class:`docpipe.renderer.Renderer`)."""

    def search_fit(self, request: DocumentRequestT, max_pages: int) -> fitting.Found: ...


class _Report(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True, frozen=True
    )


class Shrink(_Report):
    """What ``fit: "shrink"`` would do: the factors it would apply, or by how much it cannot fit."""

    fits: bool
    pages: int
    """Pages at the squeeze chosen, or at the tightest layout when nothing fits."""
    last_page_fill: float
    squeeze: float | None = None
    changes: dict[str, float] | None = None
    """Factors of the spacing mode's gaps, leading, size and margins (1.0: unchanged)."""
    overflow_pages: float | None = None
    """Share of a page that still does not fit at the tightest layout."""
    overflow_lines: int | None = None
    tex_runs: int


class Analysis(_Report):
    """The document as its options lay it out, and what fitting it would change."""

    document_type: str
    template: str
    engine: str
    pages: int
    last_page_fill: float
    """How much of the last page's text area is used, 0 to 1."""
    max_pages: int
    fits: bool
    shrink: Shrink | None = None
    """None when it fits already: fitting changes nothing."""


def analyze(request: DocumentRequestT, renderer: FitSearcher) -> Analysis:
    max_pages = request.options.layout.max_pages or DEFAULT_MAX_PAGES
    found = renderer.search_fit(request, max_pages)
    plain = found.runs[0]
    return Analysis(
        document_type=request.document_type,
        template=request.template,
        engine=plain.result.engine,
        pages=plain.pages,
        last_page_fill=_fill(plain),
        max_pages=max_pages,
        fits=plain.pages <= max_pages,
        shrink=None if plain.pages <= max_pages else _shrink(found),
    )


def _shrink(found: fitting.Found) -> Shrink:
    if isinstance(found, fitting.Overflow):
        return Shrink(
            fits=False,
            pages=found.tightest.pages,
            last_page_fill=_fill(found.tightest),
            overflow_pages=round(found.pages, 3),
            overflow_lines=found.lines,
            tex_runs=len(found.runs),
        )
    return Shrink(
        fits=True,
        pages=found.chosen.pages,
        last_page_fill=_fill(found.chosen),
        squeeze=round(found.chosen.squeeze, 3),
        changes=found.fit.describe(),
        tex_runs=len(found.runs),
    )


def _fill(run: fitting.Run) -> float:
    return round(run.length - (run.pages - 1), 3)


def summary(report: Analysis, name: str) -> str:
    """A few lines for a person (``docpipe analyze``)."""
    allowed = "1 page" if report.max_pages == 1 else f"{report.max_pages} pages"
    lines = [
        f"{name}: {report.pages} page(s), the last {report.last_page_fill:.0%} full "
        f"({report.document_type}, {report.template}, {report.engine})"
    ]
    shrink = report.shrink
    if shrink is None:
        lines.append(f"fits in {allowed} as it is")
    elif shrink.fits and shrink.changes is not None:
        changed = ", ".join(f"{name} x{factor:.2f}" for name, factor in shrink.changes.items() if factor < 1)
        lines.append(
            f'does not fit in {allowed}; with "fit": "shrink" it would: {changed} '
            f"(squeeze {shrink.squeeze} of {fitting.MAX_SQUEEZE:g}, {shrink.tex_runs} TeX runs)"
        )
    else:
        lines.append(
            f"does not fit in {allowed}, even at the tightest layout allowed: it runs over by "
            f"{shrink.overflow_pages or 0:.0%} of a page (about {shrink.overflow_lines} lines)"
        )
    return "\n".join(lines)
