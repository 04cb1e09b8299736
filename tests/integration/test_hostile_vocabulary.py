"""The hostile corpus of test_hostile.py, put into every field and alias the original vocabulary added
(link texts, GPA, honours, school projects, experience descriptions, certificate issuers, publications,
interests, a letter's free-text date, job title, department, ``content`` and a closing on several lines),
typeset with real TeX: every copy comes back literally, nothing runs, nothing outside TeX's tree is read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pdf_links import link_targets
from test_hostile import MARKER, PAYLOADS, URLS, _check_no_leak, _Marked

from docpipe import catalog
from docpipe.latex import display_url
from docpipe.validation import validate_request


def _person(m: _Marked) -> dict[str, Any]:
    # Display texts with an address (a link's text) and without one (plain text).
    return {
        "name": m(),
        "email": "ada@example.com",
        "website": "https://site.example",
        "website_display": m(),
        "linkedin": "https://linkedin.example/in/ada",
        "linkedin_display": m(),
        "github": "https://github.example/ada",
        "github_display": m(),
        "twitter_display": m(),
        "x_display": m(),
    }


def _resume_fields(payload: str) -> tuple[dict[str, Any], list[str]]:
    m = _Marked(payload)
    data = {
        "personalInfo": _person(m),
        "summary": m(),
        "skills": {m(): [m(), m()]},
        "experience": [{"title": m(), "description": m(), "highlights": [m()]}],
        "education": [
            {
                "school": m(),
                "url": "https://school.example",
                "gpa": m(),
                "honors": [m(), m()],
                "projects": [
                    m(),
                    {"name": m(), "description": [m()], "technologies": [m()], "achievements": [m()]},
                ],
            }
        ],
        "projects": [{"name": m(), "technologies": [m()]}],
        "certifications": [{"name": m(), "issuer": m()}],
        "publications": [m(), {"title": m()}],
        "interests": [m(), m()],
    }
    return data, m.copies


def _letter_fields(payload: str) -> tuple[dict[str, Any], list[str]]:
    m = _Marked(payload)
    data = {
        "personalInfo": _person(m),
        "recipient": {"department": m(), "address": m()},
        "date": m(),
        "jobTitle": m(),
        "content": {"opening": m(), "body": [m(), m()], "closing": f"{m()}\n{m()}"},
    }
    return data, m.copies


_TEMPLATES = [(kind, name) for kind in ("resume", "cover_letter") for name in catalog.template_names(kind)]


@pytest.fixture(autouse=True)
def _no_marker() -> None:
    Path(MARKER).unlink(missing_ok=True)


@pytest.mark.parametrize(("document_type", "template"), _TEMPLATES, ids=str)
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_payload_in_every_new_field_is_printed_literally(
    renderer: Any, pdf_text: Callable[[bytes], Any], document_type: str, template: str, payload: str
) -> None:
    data, marked = (_resume_fields if document_type == "resume" else _letter_fields)(payload)
    request = validate_request({"document_type": document_type, "template": template, "data": data})
    result = renderer.render(request)
    text = pdf_text(result.pdf)
    _check_no_leak(renderer, text)
    missing = [copy for copy in marked if not text.contains(copy)]
    assert missing == [], f"not printed literally: {missing[:3]}"


@pytest.mark.parametrize("template", catalog.template_names("resume"))
@pytest.mark.parametrize("address", list(URLS.values()), ids=list(URLS))
def test_hostile_addresses_in_the_new_link_fields_are_inert(
    renderer: Any, pdf_text: Callable[[bytes], Any], template: str, address: str
) -> None:
    data, _ = _resume_fields("x")
    data["personalInfo"] |= {"twitter": address, "x": address}  # under their display texts
    data["education"][0]["url"] = address
    data["experience"][0]["url"] = address  # no company: the address is printed
    request = validate_request({"document_type": "resume", "template": template, "data": data})
    result = renderer.render(request)
    text = pdf_text(result.pdf)
    _check_no_leak(renderer, text)
    assert text.count(display_url(address)) >= 1
    expected = address if address.startswith("https://") else "https://" + address
    targets = [t for t in link_targets(result.pdf) if unquote(t) == unquote(expected)]
    assert targets, "the links must stay clickable"
    for target in targets:
        assert not set(target) & set('\\{} "<>^`|'), target
