"""The ATS check on real renders: every template × every sample document must read back clean, and
the check must see what a reordered source says about the same PDF.

The clean-everywhere test is the templates' contract with résumé parsers: on failure it names each
problem of each template and document (the check's own messages), so the list is the to-do.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import RecordingRenderer

from docpipe import atscheck, catalog, validation

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [*(ROOT / "src/docpipe/samples").glob("*.json"), *(ROOT / "tests/data/original").glob("*.json")]
)


def _envelope(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


CASES = [
    (template, path)
    for path in DOCUMENTS
    for template in catalog.template_names(_envelope(path)["document_type"])
]


@pytest.fixture(scope="module")
def typeset(renderer: RecordingRenderer) -> Callable[[dict[str, Any]], bytes]:
    """The PDF of an envelope, typeset once per module."""

    @cache
    def run(key: str) -> bytes:
        return renderer.render(validation.validate_request(json.loads(key))).pdf

    return lambda envelope: run(json.dumps(envelope, sort_keys=True))


@pytest.mark.parametrize(("template", "path"), CASES, ids=[f"{t}-{p.parent.name}/{p.stem}" for t, p in CASES])
def test_every_template_reads_back_clean(
    template: str, path: Path, typeset: Callable[[dict[str, Any]], bytes]
) -> None:
    envelope = _envelope(path) | {"template": template, "format": "pdf"}
    report = atscheck.check(typeset(envelope), validation.validate_request(copy.deepcopy(envelope)))
    assert report.clean, atscheck.summary(report, f"{template} × {path.parent.name}/{path.name}")


def _resume(**changes: Any) -> dict[str, Any]:
    envelope = _envelope(ROOT / "src/docpipe/samples/resume.json")
    envelope["data"] |= changes
    return envelope


def _codes(report: atscheck.CheckReport) -> set[str]:
    return {problem.code for problem in report.problems}


@pytest.mark.parametrize("template", catalog.template_names("resume"))
def test_entries_in_another_order_than_the_source_are_inversions(
    template: str, typeset: Callable[[dict[str, Any]], bytes]
) -> None:
    jobs = _envelope(ROOT / "src/docpipe/samples/resume.json")["data"]["experience"]
    pdf = typeset(_resume(experience=jobs) | {"template": template})
    swapped = validation.validate_request(_resume(experience=jobs[::-1]) | {"template": template})
    report = atscheck.check(pdf, swapped)
    assert "order_inverted" in _codes(report)
    assert report.extractions[0].entries_out_of_order == [2]  # the second job came out first
    assert report.extractions[0].text_found == 1.0  # the same words, only elsewhere


@pytest.mark.parametrize("template", catalog.template_names("resume"))
def test_an_entry_whose_bullet_lies_in_another_entry_comes_apart(
    template: str, typeset: Callable[[dict[str, Any]], bytes]
) -> None:
    jobs = _envelope(ROOT / "src/docpipe/samples/resume.json")["data"]["experience"]
    pdf = typeset(_resume(experience=jobs) | {"template": template})
    moved = copy.deepcopy(jobs)
    # The source says job 1's first bullet is job 2's: in the PDF, job 1's other bullets lie between.
    moved[1]["achievements"].append(moved[0]["achievements"].pop(0))
    report = atscheck.check(
        pdf, validation.validate_request(_resume(experience=moved) | {"template": template})
    )
    assert 2 in report.extractions[0].split_entries
    assert "entry_split" in _codes(report)
