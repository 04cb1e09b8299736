"""The search for the smallest squeeze (layout.py) that fits a document in N pages: real TeX runs of
the one LaTeX source with only its fit line changed, at most :data:`MAX_RUNS` of them. The measure
(``Renderer._measurer``) typesets each under the render's one deadline.

1. The document as its spacing mode sets it. It fits: done, in one run.
2. A first guess from how long it is: the squeeze at which the template's curve
   (:data:`TYPICAL_LENGTH`, how much shorter each squeeze makes a document) reaches the target. The
   measured length also counts what page breaks wasted, so the guess errs on fitting.
3. If the guess does not fit, the tightest layout: if even that does not fit, an :class:`Overflow`
   says by how much.
4. One refinement towards a looser squeeze, unless the page that fitted is nearly full: the curve
   anchored at the run that fitted (whose length is exact) says where the document would just fit.

The loosest squeeze that fitted wins; its PDF is the one already made (no run is repeated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docpipe.errors import DoesNotFit, ErrorDetail
from docpipe.layout import MAX_SQUEEZE, Fit, fit_for

__all__ = ["MAX_SQUEEZE", "Found", "Overflow", "Run", "search"]

if TYPE_CHECKING:
    from docpipe.renderer import RenderResult

MAX_RUNS = 4
TARGET_SLACK = 0.01
"""The length aimed at is N pages less this (a page's last 1 % is where a rounding error breaks)."""
CLOSE_ENOUGH = 0.03
"""A fitting run whose last page is at least this full (1 - CLOSE_ENOUGH) is not refined further."""
Curve = tuple[float, float, float, float, float]
TYPICAL_LENGTH: dict[str, Curve] = {
    "resume/classic": (1.0, 0.93, 0.90, 0.80, 0.79),
    "resume/two_column": (1.0, 0.89, 0.86, 0.79, 0.78),
    "cover_letter/classic": (1.0, 0.864, 0.832, 0.756, 0.731),
    "cover_letter/two_column": (1.0, 0.826, 0.798, 0.75, 0.707),
}
"""A document's length at squeeze 0, 1, 2, 3 and 4, as a share of its length at none, measured on
the sample documents (pdfTeX and XeLaTeX alike): where the first guess and the refinement aim."""
GENERIC_LENGTH: Curve = (1.0, 0.93, 0.90, 0.82, 0.81)
"""For a template without a measured curve: the least-shrinking one's (the guess errs on fitting)."""


def curve_for(document_type: str, template: str) -> Curve:
    return TYPICAL_LENGTH.get(f"{document_type}/{template}", GENERIC_LENGTH)


@dataclass(frozen=True)
class Run:
    """One TeX run of the search: its squeeze and what came out."""

    squeeze: float
    pages: int
    length: float
    """Pages used: ``pages - 1`` plus the last page's fill."""
    line_height: float
    result: RenderResult = field(repr=False, compare=False)


@dataclass(frozen=True)
class Fitted:
    """The run chosen and every run made (the search's cost)."""

    chosen: Run
    runs: tuple[Run, ...]

    @property
    def fit(self) -> Fit:
        return fit_for(self.chosen.squeeze)

    def describe(self, max_pages: int) -> dict[str, object]:
        """What the job's result and the analysis say about the fit."""
        return {
            "maxPages": max_pages,
            "squeeze": round(self.chosen.squeeze, 3),
            "changes": self.fit.describe(),
            "texRuns": len(self.runs),
        }


Measure = Callable[[float], Run]
"""Typesets the document at a squeeze."""


@dataclass(frozen=True)
class Overflow:
    """Even the tightest layout allowed needs more than ``max_pages``: by ``pages`` of a page."""

    tightest: Run
    max_pages: int
    runs: tuple[Run, ...]

    @property
    def pages(self) -> float:
        return self.tightest.length - self.max_pages

    @property
    def lines(self) -> int:
        height = self.tightest.line_height
        return round(self.pages / height) if height > 0 else 0

    def error(self) -> DoesNotFit:
        allowed = "1 page" if self.max_pages == 1 else f"{self.max_pages} pages"
        message = (
            f"the document does not fit in {allowed} even at the tightest layout allowed: it runs "
            f"over by {self.pages:.0%} of a page (about {self.lines} lines); shorten it or allow "
            "more pages"
        )
        return DoesNotFit(message, [ErrorDetail("options.layout.maxPages", message)])


Found = Fitted | Overflow


def search(measure: Measure, max_pages: int, curve: Curve = GENERIC_LENGTH) -> Found:
    """The loosest squeeze found within :data:`MAX_RUNS` runs whose document has at most
    ``max_pages`` pages, or by how much the tightest allowed overflows them. ``curve``: how the
    template's documents shrink (:data:`TYPICAL_LENGTH`)."""
    runs = [measure(0.0)]
    if runs[0].pages <= max_pages:
        return Fitted(runs[0], tuple(runs))
    target = max_pages - TARGET_SLACK
    # Its length as measured also counts what a page break wasted: the guess errs on fitting.
    runs.append(measure(_squeeze_for(curve, target / runs[0].length)))
    if runs[-1].pages > max_pages and runs[-1].squeeze < MAX_SQUEEZE:
        runs.append(measure(MAX_SQUEEZE))
    if runs[-1].pages > max_pages:
        return Overflow(runs[-1], max_pages, tuple(runs))
    refined = _refinement(runs, max_pages, target, curve)
    if refined is not None:
        runs.append(measure(refined))
    best = min((run for run in runs if run.pages <= max_pages), key=lambda run: run.squeeze)
    return Fitted(best, tuple(runs))


def _refinement(runs: list[Run], max_pages: int, target: float, curve: Curve) -> float | None:
    """A looser squeeze worth one more run, or None: the run that fitted (``runs[-1]``) has a
    full last page, or no run is left. Its length is exact (no page break wasted anything), so the
    curve anchored there says where the document would just fit; never closer than a quarter of
    the way to the loosest squeeze that did not fit."""
    fitted = runs[-1]
    loose = max(run.squeeze for run in runs if run.pages > max_pages)
    if len(runs) >= MAX_RUNS or fitted.length >= max_pages - CLOSE_ENOUGH:
        return None
    aimed = _squeeze_for(curve, _share(curve, fitted.squeeze) * target / fitted.length)
    span = fitted.squeeze - loose
    return min(max(aimed, loose + 0.25 * span), fitted.squeeze - 0.1 * span)


def _share(curve: Curve, squeeze: float) -> float:
    """The curve at ``squeeze`` (linear between its points)."""
    step = min(int(squeeze), len(curve) - 2)
    return curve[step] + (squeeze - step) * (curve[step + 1] - curve[step])


def _squeeze_for(curve: Curve, share: float) -> float:
    """The squeeze at which the curve comes down to ``share`` (:data:`MAX_SQUEEZE` if never)."""
    for step in range(len(curve) - 1):
        high, low = curve[step], curve[step + 1]
        if low <= share:
            return step + (high - share) / (high - low) if high > share else float(step)
    return MAX_SQUEEZE
