"""What a PDF says about itself comes from the document and the render date (pdfinfo.py).

Title, author, subject and keywords are the document's; CreationDate and ModDate are the render day
(injected here: ``render_source(request, today)``), never 1970; the same request on the same day gives
the same bytes, and another day changes the dates and the trailer ID only. Read back with pypdf.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pypdf
import pytest
from everywhere import TEMPLATES

from docpipe import pdfinfo
from docpipe.renderer import Renderer
from docpipe.templates import render_source
from docpipe.validation import validate_request

TYPES = ("resume", "cover_letter")
DAY = dt.date(2024, 3, 15)
NEXT_DAY = dt.date(2024, 3, 16)
PERSON = {"name": "Ada O'Brien", "email": "ada@example.com", "title": "Analytical Engine “Programmer”"}
SKILLS = [{"category": "Languages", "skills": ["Python", "Go", "python"]}, "Difference Engines"]


def envelope(document_type: str, template: str = "classic", **data: Any) -> dict[str, Any]:
    if document_type == "resume":
        data = {"technologiesAndSkills": SKILLS, "professionalSummary": "Notes on the engine.", **data}
    else:
        data = {"recipient": {"company": "Babbage & Co."}, "jobTitle": "Engineer", "body": ["Hello."], **data}
    return {"document_type": document_type, "template": template, "data": {"personalInfo": PERSON, **data}}


def render(renderer: Renderer, env: dict[str, Any], day: dt.date = DAY) -> bytes:
    return renderer.compile(render_source(validate_request(env), day)).pdf


def info(pdf: bytes) -> dict[str, Any]:
    return dict(pypdf.PdfReader(io.BytesIO(pdf)).metadata or {})


EXPECTED = {
    "resume": {
        "/Title": "Ada O'Brien — Résumé",
        "/Subject": "Analytical Engine “Programmer”",
        "/Keywords": "Python, Go, Difference Engines",  # each skill once, in order
    },
    "cover_letter": {
        "/Title": "Ada O'Brien — Cover Letter",
        "/Subject": "Cover letter to Babbage & Co.",
        "/Keywords": "Engineer, Babbage & Co.",
    },
}


@pytest.mark.parametrize(("document_type", "template"), TEMPLATES, ids=str)
def test_title_author_subject_keywords_and_dates_come_from_the_document(
    renderer: Renderer, document_type: str, template: str
) -> None:
    found = info(render(renderer, envelope(document_type, template)))
    assert found["/Author"] == "Ada O'Brien"  # the ASCII apostrophe as typed
    for key, value in EXPECTED[document_type].items():
        assert found[key] == value, key
    assert found["/CreationDate"] == found["/ModDate"] == "D:20240315000000Z"


def test_a_document_beyond_latin_says_the_same_through_xelatex(renderer: Renderer) -> None:
    found = info(render(renderer, envelope("resume", professionalSummary="Ελληνικά")))
    assert "xdvipdfmx" in found["/Producer"]
    assert {key: found[key] for key in EXPECTED["resume"]} == EXPECTED["resume"]
    assert found["/CreationDate"] == found["/ModDate"] == "D:20240315000000Z"


def test_keywords_are_bounded_and_whole() -> None:
    many = [f"Skill number {i:03d} with a long name" for i in range(100)]
    request = validate_request(envelope("resume", technologiesAndSkills=many))
    keywords = pdfinfo.describe(request, DAY, "t").keywords
    assert 200 < len(keywords) <= pdfinfo.MAX_KEYWORDS
    assert keywords.split(", ") == many[: len(keywords.split(", "))]


@pytest.mark.parametrize(
    ("data", "subject"),
    [
        ({"recipient": {"company": "Acme"}}, "Cover letter to Acme"),
        ({"recipient": {"name": "A. Person"}, "jobTitle": "Engineer"}, "Cover letter for Engineer"),
        ({"recipient": None, "jobTitle": None}, "Cover letter"),
    ],
)
def test_a_letters_subject(data: dict[str, Any], subject: str) -> None:
    env = envelope("cover_letter", **data)
    env["data"] = {k: v for k, v in env["data"].items() if v is not None}
    assert pdfinfo.describe(validate_request(env), DAY, "t").subject == subject


def test_a_resume_without_a_headline_is_a_resume() -> None:
    env = envelope("resume")
    env["data"]["personalInfo"] = {"name": "Ada", "email": "ada@example.com"}
    assert pdfinfo.describe(validate_request(env), DAY, "t").subject == "Résumé"


def test_the_date_is_in_the_document_part_never_the_precompiled_preamble() -> None:
    source = render_source(validate_request(envelope("resume")), DAY)
    assert "D:20240315" in source.document
    assert "D:2024" not in source.preamble
    assert "pdfsubject" not in source.preamble
    assert "Programmer" not in source.preamble


def test_without_a_date_it_is_the_render_day_in_utc() -> None:
    before = pdfinfo.utc_today()
    source = render_source(validate_request(envelope("resume")))
    after = pdfinfo.utc_today()
    assert any(f"D:{day:%Y%m%d}000000Z" in source.document for day in (before, after))


@pytest.mark.parametrize("script", ["", "Ελληνικά"], ids=["pdftex", "xetex"])
def test_the_same_request_on_the_same_day_gives_the_same_bytes(renderer: Renderer, script: str) -> None:
    env = envelope("resume", professionalSummary=f"Notes {script}")
    assert render(renderer, env) == render(renderer, env)


def _masked(pdf: bytes) -> bytes:
    """The PDF with its dates and trailer ID blanked (each keeps its length, so offsets do not move)."""
    pdf = re.sub(rb"D:\d{14}Z", b"D:00000000000000Z", pdf)
    return re.sub(rb"/ID ?\[ ?<[0-9A-Fa-f]+> ?<[0-9A-Fa-f]+> ?\]", lambda m: b"#" * len(m.group()), pdf)


def test_another_day_changes_the_dates_and_the_id_only(renderer: Renderer) -> None:
    env = envelope("resume")
    first, second = render(renderer, env, DAY), render(renderer, env, NEXT_DAY)
    assert first != second
    assert _masked(first) == _masked(second)  # pdfTeX writes the info and trailer uncompressed
    readers = [pypdf.PdfReader(io.BytesIO(pdf)) for pdf in (first, second)]
    assert readers[0].trailer["/ID"] != readers[1].trailer["/ID"]
    assert info(second)["/CreationDate"] == "D:20240316000000Z"
    source = render_source(validate_request(env), DAY)
    assert re.search(r"\\def\\dpTrailerId\{[0-9a-f]{32}\}", source.document)  # no break points in it


def test_on_xelatex_another_day_changes_the_dates_and_the_id_but_not_the_pages(renderer: Renderer) -> None:
    env = envelope("resume", professionalSummary="Ελληνικά")
    readers = [pypdf.PdfReader(io.BytesIO(render(renderer, env, day))) for day in (DAY, NEXT_DAY)]
    # xdvipdfmx compresses its objects, so compare what they hold rather than bytes.
    pages = [[page.get_contents().get_data() for page in reader.pages] for reader in readers]  # type: ignore[union-attr]
    assert pages[0] == pages[1]
    metadata = [dict(reader.metadata or {}) for reader in readers]
    for found in metadata:
        found.pop("/CreationDate"), found.pop("/ModDate")
    assert metadata[0] == metadata[1]
    assert readers[0].trailer["/ID"] != readers[1].trailer["/ID"]


def test_different_documents_have_different_ids(renderer: Renderer) -> None:
    ids = [pypdf.PdfReader(io.BytesIO(render(renderer, envelope(kind)))).trailer["/ID"] for kind in TYPES]
    assert ids[0] != ids[1]
