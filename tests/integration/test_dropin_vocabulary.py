"""Documents written for the original service render with nothing lost, with real TeX, in every template.

The samples under tests/data/original/ use every field of the original vocabulary (and the aliases
people use): each is typeset, read back with pdftotext, and every string of the input must be on the
page (dates as they are printed; a link with a ``*_display`` text shows that text), and every address
must be a link target of the PDF.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pdf_links import link_targets

from docpipe import catalog
from docpipe.dates import is_iso, parse_partial_date
from docpipe.latex import display_url
from docpipe.validation import validate_request

ORIGINAL = Path(__file__).resolve().parents[1] / "data" / "original"
DATE_KEYS = {"startDate", "endDate", "date", "graduationDate"}
URL_KEYS = {"website", "linkedin", "github", "twitter", "x", "url"}

# The vocabulary the samples must use, all of it: (where, key).
VOCABULARY = {
    "personalInfo": {"name", "email", "phone", "location", "website", "linkedin", "github", "twitter", "x", "title",
                     "website_display", "linkedin_display", "github_display", "twitter_display", "x_display"},
    "resume": {"personalInfo", "professionalSummary", "experience", "education", "projects", "technologiesAndSkills",
               "certifications", "achievements", "articlesAndPublications", "awardsAndHonors", "languages",
               "volunteering", "publications", "interests", "summary", "skills"},
    "experience": {"title", "company", "location", "url", "startDate", "endDate", "achievements", "description",
                   "highlights"},
    "education": {"degree", "institution", "location", "url", "startDate", "endDate", "focus", "notableCourseWorks",
                  "projects", "school", "graduationDate", "gpa", "honors"},
    "projects": {"name", "url", "description", "tools", "achievements", "technologies"},
    "certifications": {"name", "url", "date", "issuer"},
    "articlesAndPublications": {"title", "date", "url"},
    "cover_letter": {"personalInfo", "recipient", "date", "salutation", "body", "closing", "jobTitle", "content"},
    "recipient": {"name", "title", "company", "department", "address"},
    "content": {"opening", "body", "closing"},
}  # fmt: skip


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ORIGINAL / name).read_text(encoding="utf-8"))
    return loaded


def _cases() -> list[Any]:
    return [
        pytest.param(path.name, template, id=f"{path.stem}-{template}")
        for path in sorted(ORIGINAL.glob("*.json"))
        for template in catalog.template_names(_load(path.name)["document_type"])
    ]


# --------------------------------------------------------------------------- what must be on the page


def _shown_date(value: str, kind: str) -> str:
    if kind == "cover_letter":
        return parse_partial_date(value).long() if is_iso(value) else value.strip()
    return parse_partial_date(value).short()


def _address_is_text(where: str, parent: dict[str, Any], key: str) -> bool:
    """Personal links without display text and projects show their address; other links sit on a name."""
    if where == "personalInfo":
        return f"{key}_display" not in parent
    return where == "projects" or (where == "experience" and "company" not in parent)


class Expected:
    def __init__(self, data: dict[str, Any], kind: str) -> None:
        self.kind = kind
        self.texts: list[str] = []
        self.links: list[str] = []
        self.hidden: list[str] = []  # addresses replaced by their display text
        self._walk(data, kind, kind, {})

    def _walk(self, value: Any, key: str, where: str, parent: dict[str, Any]) -> None:
        if isinstance(value, dict):
            if key == "skills":
                self.texts.extend(value)  # the alias's object form: its keys are the categories
            for child_key, child in value.items():
                self._walk(child, child_key, key, value)
        elif isinstance(value, list):
            for item in value:
                self._walk(item, key, where, parent)
        elif key in DATE_KEYS:
            self.texts.append(_shown_date(value, self.kind))
        elif key in URL_KEYS:
            self.links.append(value)
            shown = _address_is_text(where, parent, key)
            (self.texts if shown else self.hidden if where == "personalInfo" else []).append(
                display_url(value)
            )
        else:
            self.texts.append(str(value))


def _absolute(address: str) -> str:
    return unquote(
        address if address.startswith(("http://", "https://", "mailto:")) else "https://" + address
    )


# --------------------------------------------------------------------------- the tests


def _used(value: Any, where: str, found: set[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            found.add((where, key))
            _used(child, key, found)
    elif isinstance(value, list):
        for item in value:
            _used(item, where, found)


def test_the_samples_use_the_whole_vocabulary() -> None:
    found: set[tuple[str, str]] = set()
    for path in ORIGINAL.glob("*.json"):
        document = _load(path.name)
        _used(document["data"], document["document_type"], found)
    missing = {(where, key) for where, keys in VOCABULARY.items() for key in keys} - found
    assert missing == set()


@pytest.mark.parametrize(("name", "template"), _cases())
def test_every_string_of_the_input_is_on_the_page(
    renderer: Any, pdf_text: Any, name: str, template: str
) -> None:
    envelope = _load(name) | {"template": template}
    result = renderer.render(validate_request(copy.deepcopy(envelope)))
    text = pdf_text(result.pdf)
    expected = Expected(envelope["data"], envelope["document_type"])
    assert len(expected.texts) > 15  # the walk found the document
    missing = [phrase for phrase in expected.texts if not text.contains(phrase)]
    assert missing == [], f"not on the page: {missing}"
    targets = {unquote(t) for t in link_targets(result.pdf)}
    assert [a for a in expected.links if _absolute(a) not in targets] == [], targets
    # A display text replaces its address: the address itself is not printed as a contact item.
    words = set(text.raw.split())
    assert [a for a in expected.hidden if a in words] == []
