"""The fit search's bookkeeping (fitting.py) over lengths given as functions of the squeeze, so that
every shape of document can be tried: it never runs TeX more than four times, what it picks fits and
is the loosest it tried that did, and an overflow is reported with the tightest run's numbers.
(tests/integration/test_fitting.py runs the same search with real TeX.)"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from docpipe import fitting
from docpipe.layout import MAX_SQUEEZE, fit_for

LINE = 1 / 50  # a line's height as a share of the page


def measure(length_at: Callable[[float], float], made: list[float]) -> fitting.Measure:
    """A document whose length at each squeeze is ``length_at(squeeze)``; each run is recorded."""

    def run(squeeze: float) -> fitting.Run:
        made.append(squeeze)
        length = length_at(squeeze)
        pages = max(1, math.ceil(length - 1e-9))
        return fitting.Run(squeeze, pages, length, LINE, result=None)  # type: ignore[arg-type]

    return run


def shrinking(start: float, tightest_share: float) -> Callable[[float], float]:
    return lambda squeeze: start * (1 - (1 - tightest_share) * squeeze / MAX_SQUEEZE)


@pytest.mark.parametrize("start", [1.01, 1.05, 1.1, 1.15, 1.2, 1.24, 2.1, 2.3])
@pytest.mark.parametrize("tightest", [0.7, 0.76, 0.8])
@pytest.mark.parametrize("max_pages", [1, 2])
def test_at_most_four_runs_and_the_choice_fits(start: float, tightest: float, max_pages: int) -> None:
    made: list[float] = []
    length_at = shrinking(start * max_pages, tightest)
    found = fitting.search(measure(length_at, made), max_pages)
    assert len(made) == len(found.runs) <= fitting.MAX_RUNS
    if length_at(MAX_SQUEEZE) > max_pages:
        assert isinstance(found, fitting.Overflow)
        assert found.pages == pytest.approx(length_at(MAX_SQUEEZE) - max_pages)
        assert found.lines == round(found.pages / LINE)
        return
    assert isinstance(found, fitting.Fitted)
    assert found.chosen.pages <= max_pages
    assert found.fit == fit_for(found.chosen.squeeze)
    tried_and_fitting = [run.squeeze for run in found.runs if run.pages <= max_pages]
    assert found.chosen.squeeze == min(tried_and_fitting)


def test_a_document_that_fits_is_typeset_once() -> None:
    made: list[float] = []
    found = fitting.search(measure(lambda _: 0.9, made), 1)
    assert made == [0.0]
    assert isinstance(found, fitting.Fitted)
    assert found.fit == fit_for(0)


@pytest.mark.parametrize("start", [1.02, 1.06, 1.1, 1.15, 1.2])
def test_the_page_chosen_is_nearly_full(start: float) -> None:
    """For a document shrinking as its template's curve says: a looser squeeze than the one chosen
    could free at most 5 % of the page, in at most three runs."""
    curve = fitting.curve_for("resume", "classic")

    def length_at(squeeze: float) -> float:
        step = min(int(squeeze), len(curve) - 2)
        return start * (curve[step] + (squeeze - step) * (curve[step + 1] - curve[step]))

    made: list[float] = []
    found = fitting.search(measure(length_at, made), 1, curve=curve)
    assert isinstance(found, fitting.Fitted)
    assert 0.95 <= found.chosen.length <= 1
    assert len(made) <= 3
