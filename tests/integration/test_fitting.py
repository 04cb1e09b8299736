"""Fitting a résumé to N pages with real TeX (layout.py, fitting.py, base/fit.tex.j2): a document a tenth
too long for one page fits on one with ``fit: "shrink"`` and keeps every word; one 60 % too long is
refused with the overflow said; the squeeze is the loosest found, within four TeX runs."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from docpipe import fitting
from docpipe.errors import DoesNotFit, InvalidDocument
from docpipe.layout import fit_for
from docpipe.renderer import Renderer
from docpipe.templates import render_source
from docpipe.validation import validate_request
from loadtest.bench_fit import longer_resume

SAMPLE = Path(__file__).parents[2] / "src" / "docpipe" / "samples" / "resume.json"
TEMPLATES = ("classic", "two_column")


def prose(value: Any, key: str = "") -> list[str]:
    """Every text of the data that is printed as typed (dates and addresses are formatted)."""
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in prose(v, k)]
    if isinstance(value, list):
        return [text for v in value for text in prose(v, key)]
    shown_otherwise = "date" in key.lower() or key in {
        "url",
        "email",
        "phone",
        "linkedin",
        "github",
        "website",
    }
    return [value] if isinstance(value, str) and not shown_otherwise else []


def plain_length(renderer: Renderer, document: dict[str, Any]) -> float:
    """How many pages the document takes as it is: ``pages - 1`` plus the last page's fill."""
    found = renderer.search_fit(validate_request(document), 99)
    return found.runs[0].length


@cache
def too_long_by(renderer: Renderer, template: str, share: float) -> str:
    """The first document (by number of added bullets) at least ``share`` too long for one page."""
    for bullets in range(0, 80):
        document = longer_resume(bullets, template)
        if plain_length(renderer, document) >= 1 + share:
            return json.dumps(document)
    raise AssertionError(f"no document {share:.0%} too long for one page")


def shrink(document: dict[str, Any], max_pages: int = 1) -> dict[str, Any]:
    return copy.deepcopy(document) | {"options": {"layout": {"maxPages": max_pages, "fit": "shrink"}}}


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_tenth_too_long_fits_on_one_page_with_every_word(
    renderer: Renderer, pdf_text: Any, template: str
) -> None:
    document = json.loads(too_long_by(renderer, template, 0.10))
    assert plain_length(renderer, document) < 1.25  # a tenth (a page break may waste a little more)
    result = renderer.render(validate_request(shrink(document)))
    assert result.pages == 1
    assert result.layout is not None
    assert 0 < result.layout["squeeze"] <= fitting.MAX_SQUEEZE  # type: ignore[operator]
    assert result.layout["texRuns"] <= fitting.MAX_RUNS  # type: ignore[operator]
    text = pdf_text(result.pdf)
    missing = [piece for piece in prose(document["data"]) if not text.contains(piece)]
    assert not missing


@pytest.mark.parametrize("template", TEMPLATES)
def test_sixty_percent_too_long_is_refused_with_the_overflow(renderer: Renderer, template: str) -> None:
    document = json.loads(too_long_by(renderer, template, 0.60))
    with pytest.raises(DoesNotFit) as refused:
        renderer.render(validate_request(shrink(document)))
    assert refused.value.code == "does_not_fit"
    assert "runs over by" in refused.value.message
    assert "lines" in refused.value.message
    assert [detail.path for detail in refused.value.details] == ["options.layout.maxPages"]


def test_the_loosest_squeeze_tried_that_fits_is_chosen(renderer: Renderer) -> None:
    document = json.loads(too_long_by(renderer, "classic", 0.10))
    found = renderer.search_fit(validate_request(document), 1)
    assert isinstance(found, fitting.Fitted)
    assert 2 <= len(found.runs) <= fitting.MAX_RUNS
    fitting_runs = [run for run in found.runs if run.pages == 1]
    assert found.chosen == min(fitting_runs, key=lambda run: run.squeeze)
    assert all(run.pages > 1 for run in found.runs if run.squeeze < found.chosen.squeeze)


def test_a_document_that_fits_is_left_as_it_is(renderer: Renderer) -> None:
    document = json.loads(SAMPLE.read_text())
    plain = renderer.render(validate_request(document))
    fitted = renderer.render(validate_request(shrink(document, max_pages=2)))
    assert fitted.layout is not None
    assert fitted.layout["squeeze"] == 0.0
    assert fitted.layout["texRuns"] == 1
    assert fitted.pages == plain.pages


def test_shrink_needs_a_page_count() -> None:
    document = json.loads(SAMPLE.read_text()) | {"options": {"layout": {"fit": "shrink"}}}
    with pytest.raises(InvalidDocument) as refused:
        validate_request(document)
    [detail] = refused.value.details
    assert detail.path == "options.layout"
    assert "needs maxPages" in detail.message


@pytest.mark.parametrize("spacing", ["normal", "compact", "ultra-compact"])
@pytest.mark.parametrize("kind", ["resume", "cover_letter"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_and_spacing_mode_typesets_at_every_stage(
    renderer: Renderer, kind: str, template: str, spacing: str
) -> None:
    """Each stage's factors apply in every mode, including margins already below the floor
    (ultra-compact's), and each tightens the document."""
    document = json.loads((SAMPLE.parent / f"{kind}.json").read_text())
    document |= {"template": template, "options": {"spacing": spacing}}
    source = render_source(validate_request(document))
    lengths = []
    for squeeze in (0, 1, 2, 3, fitting.MAX_SQUEEZE):
        result = renderer.compile(source.with_fit(fit_for(squeeze)))
        assert result.fill is not None
        lengths.append(result.fill.length(result.pages))
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[-1] < lengths[0]
