"""How a document is tightened to fit N pages: one continuous "squeeze" mapped onto four factors that
the templates apply (base/fit.tex.j2), and what TeX reports about how full the last page is.

The squeeze runs from 0 (the spacing mode as it is) to :data:`MAX_SQUEEZE`; each whole step is one
stage, used up before the next begins, in this fixed order:

1. vertical gaps (between sections, entries, bullets, paragraphs) down to :data:`GAPS_FLOOR` of theirs;
2. leading (the line spread) down to :data:`LEADING_FLOOR`;
3. font size down to :data:`SIZE_FLOOR`, and never below 9 pt (text already smaller keeps its size);
4. margins down to :data:`MARGINS_FLOOR`, and never below 0.4 in (a margin already smaller stays).

Content is never dropped: only space, leading, size and margins change. The floors are what keeps the
tightest layout readable (docs/engine.md, "Fitting to N pages").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GAPS_FLOOR = 0.5
LEADING_FLOOR = 0.95
SIZE_FLOOR = 0.92
MARGINS_FLOOR = 0.85
STAGES = (("gaps", GAPS_FLOOR), ("leading", LEADING_FLOOR), ("size", SIZE_FLOOR), ("margins", MARGINS_FLOOR))
MAX_SQUEEZE = float(len(STAGES))


@dataclass(frozen=True)
class Fit:
    """The four factors, in permille (TeX scales lengths by integers): 1000 changes nothing."""

    gaps: int = 1000
    leading: int = 1000
    size: int = 1000
    margins: int = 1000

    @property
    def line(self) -> str:
        """The LaTeX that applies it (base/dynamic.tex.j2 prints it after the spacing mode)."""
        return f"\\docpipeFit{{{self.gaps}}}{{{self.leading}}}{{{self.size}}}{{{self.margins}}}"

    def describe(self) -> dict[str, float]:
        """As factors of the spacing mode's own values, for the job's result and the analysis."""
        return {name: getattr(self, name) / 1000 for name, _ in STAGES}


NO_FIT = Fit()


def fit_for(squeeze: float) -> Fit:
    """The factors for a squeeze between 0 and :data:`MAX_SQUEEZE` (clamped)."""
    squeeze = min(max(squeeze, 0.0), MAX_SQUEEZE)
    factors = {}
    for index, (name, floor) in enumerate(STAGES):
        used = min(max(squeeze - index, 0.0), 1.0)
        factors[name] = round(1000 * (1 - used * (1 - floor)))
    return Fit(**factors)


@dataclass(frozen=True)
class Fill:
    """Where the text ends on the last page, as TeX measured it (base/fit.tex.j2)."""

    last_page: float
    """How much of the last page's text area is used, 0 to 1."""
    line_height: float
    """The body's baseline skip as a fraction of the text area's height (to count lines)."""

    def length(self, pages: int) -> float:
        """The document's length in pages: ``2.25`` is two full pages and a quarter of a third."""
        return pages - 1 + self.last_page


_DIMEN = re.compile(r"^docpipe-fill: (-?\d+) (-?[\d.]+)pt ([\d.]+)pt ([\d.]+)pt", re.MULTILINE)
_SP_PER_PT = 65536


def fill_from_log(log: str) -> Fill | None:
    """The last ``docpipe-fill`` line of TeX's log; ``None`` when there is none (TeX stopped early)."""
    found = _DIMEN.findall(log)
    if not found:
        return None
    y_sp, top_pt, height_pt, skip_pt = found[-1]
    height = float(height_pt)
    if height <= 0:
        return None
    used = (float(top_pt) - int(y_sp) / _SP_PER_PT) / height
    return Fill(last_page=min(max(used, 0.0), 1.0), line_height=float(skip_pt) / height)
