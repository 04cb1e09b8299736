"""The reading-order outline (docpipe.outline): everything the classic template prints, in its order,
as the user's text, with dates, links and labels as the PDF prints them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from envelopes import letter, resume
from pydantic import BaseModel

from docpipe import addresses, catalog, outline
from docpipe.dates import PartialDate
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.validation import validate_request

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "src" / "docpipe" / "samples").glob("*.json")) + sorted(
    (ROOT / "tests" / "data" / "original").glob("*.json")
)
CLASSIC_RESUME = ROOT / "src" / "docpipe" / "templates" / "resume" / "classic" / "document.tex.j2"
URL_FIELDS = {"website", "linkedin", "github", "twitter", "x", "url"}

Request = ResumeRequest | CoverLetterRequest


def _load(path: Path) -> Request:
    return validate_request(json.loads(path.read_text(encoding="utf-8")))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, str | PartialDate]]:
    """(field name, value) of every text and date in validated data."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _leaves(getattr(value, name), name)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    elif isinstance(value, str | PartialDate):
        yield key, value


def _section(built: outline.Outline, heading: str) -> outline.Section:
    return next(section for section in built.sections if section.heading == heading)


def _targets(built: outline.Outline) -> set[str]:
    links = {c.target for c in built.contact if c.target}
    return links | {target for s in built.sections for _, target in s.links}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_text_and_link_of_a_sample_is_in_its_outline(path: Path) -> None:
    request = _load(path)
    built = outline.build(request)
    text, targets = _squash("".join(built.texts())), _targets(built)
    missing = []
    for key, value in _leaves(request.data):
        if key in URL_FIELDS:
            found = addresses.link_target(value) in targets if isinstance(value, str) else False
        elif isinstance(value, PartialDate):
            shown = value.long() if request.document_type == "cover_letter" else value.short()
            found = _squash(shown) in text
        else:
            found = _squash(value) in text
        if not found:
            missing.append((key, value))
    assert missing == []
    assert len(built.texts()) > 10


def test_sections_come_in_the_classic_templates_order() -> None:
    # The order of \section* in the classic template, its loop over two list sections spelled out.
    source = CLASSIC_RESUME.read_text(encoding="utf-8")
    order = [h for h in re.findall(r"\\section\*\{([^}]+)\}", source) if h != "<< heading >>"]
    order[order.index("Publications") + 1 : order.index("Publications") + 1] = [
        "Achievements",
        "Awards and Honors",
    ]
    built = outline.build(_load(ROOT / "tests" / "data" / "original" / "resume.json"))
    assert [s.heading for s in built.sections] == order


def test_every_template_gives_the_same_outline() -> None:
    for path in SAMPLES:
        envelope = json.loads(path.read_text(encoding="utf-8"))
        outlines = {
            outline.build(validate_request(envelope | {"template": name}))
            for name in catalog.template_names(envelope["document_type"])
        }
        assert len(outlines) == 1, path.name


def test_dates_are_printed_as_in_the_pdf() -> None:
    data = {
        "experience": [
            {"title": "Dev", "startDate": "2021-03"},
            {"title": "Old", "startDate": "2019", "endDate": "2019"},
        ],
        "education": [{"institution": "MIT", "startDate": "2015-09"}],
        "volunteering": [{"organization": "Red Cross", "startDate": "Jan 2020", "endDate": "Present"}],
        "certifications": [{"name": "CKA", "date": "2022-05-01"}],
    }
    built = outline.build(validate_request(resume(**data)))
    # A job without an end is ongoing; a school without one is not (the templates' open_ended rule).
    assert [e.dates for e in built.entries()] == [
        "Mar 2021 – Present",
        "2019",
        "Sep 2015",
        "Jan 2020 – Present",
    ]
    assert _section(built, "Certifications").items == ("CKA (May 2022)",)
    for date, shown in [("2024-03-09", "March 9, 2024"), ("2024", "2024"), ("Spring 2024", "Spring 2024")]:
        letter_outline = outline.build(validate_request(letter(date=date)))
        assert letter_outline.sections[0].paragraphs == (shown,)


def test_contact_line_shows_display_texts_and_links_every_address() -> None:
    person = {
        "name": "Ada",
        "email": "ada@example.com",
        "phone": "+44 1",
        "location": "London",
        "website": "https://www.ada.example/",
        "linkedin": "linkedin.com/in/ada",
        "linkedin_display": "LinkedIn",
        "github": "https://github.com/ada",
        "github_display": "",
        "x_display": "@ada",
    }
    built = outline.build(validate_request({"document_type": "resume", "data": {"personalInfo": person}}))
    assert built.contact == (
        outline.Contact("London", None),
        outline.Contact("+44 1", None),
        outline.Contact("ada@example.com", "mailto:ada@example.com"),
        outline.Contact("ada.example", "https://www.ada.example/"),
        outline.Contact("LinkedIn", "https://linkedin.com/in/ada"),
        # An empty display text shows the address; a display text without an address is text.
        outline.Contact("github.com/ada", "https://github.com/ada"),
        outline.Contact("@ada", None),
    )


def test_entries_hold_their_parts_and_their_links() -> None:
    data = {
        "experience": [
            {"title": "Dev", "company": "Acme", "url": "acme.example", "location": "Paris", "description": "Did\n things",
             "achievements": ["Shipped  it"]},
            {"title": "Freelance", "url": "https://me.example/work"},
        ],
        "education": [
            {"degree": "BSc", "institution": "MIT", "url": "mit.example", "gpa": 3.9, "honors": ["A", "B"],
             "notableCourseWorks": ["X", "Y"], "projects": ["Thesis", {"name": "Bot", "url": "bot.example", "tools": ["Go"]}]},
        ],
    }  # fmt: skip
    built = outline.build(validate_request(resume(**data)))
    job, freelance, school, thesis, bot = built.entries()
    assert job.parts() == ("Dev", "Acme", "Paris", "Did things", "Shipped it")
    assert (job.subtitle, job.link, job.paragraphs, job.bullets) == (
        "Acme", "https://acme.example", ("Did things",), ("Shipped it",)
    )  # fmt: skip
    # Without a company the address is shown in its place, and carries the link.
    assert (freelance.subtitle, freelance.link) == ("me.example/work", "https://me.example/work")
    assert school.details == ("GPA: 3.9", "Honors: A; B", "Coursework: X, Y")
    assert school.children == (thesis, bot)
    assert thesis == outline.Entry("", paragraphs=("Thesis",))
    assert (bot.title, bot.subtitle, bot.details) == ("Bot", "bot.example", ("Tools: Go",))
    assert school.parts()[-4:] == ("Thesis", "Bot", "bot.example", "Tools: Go")
    experience, education = built.sections
    assert experience.links == (
        ("Acme", "https://acme.example"),
        ("me.example/work", "https://me.example/work"),
    )
    assert education.links == (("MIT", "https://mit.example"), ("bot.example", "https://bot.example"))


def test_list_sections_say_where_their_links_are() -> None:
    data = {
        "certifications": ["AWS", {"name": "AWS", "issuer": "Amazon", "url": "aws.example", "date": "2023"}],
        "publications": [{"title": "On X", "url": "x.example/p", "date": "2020-01"}, "Some paper"],
        "technologiesAndSkills": [{"category": "Languages", "skills": ["Python", "Go"]}, "Public speaking"],
        "languages": ["English", "French"],
    }
    built = outline.build(validate_request(resume(**data)))
    certifications, publications, skills, languages = (
        _section(built, heading) for heading in ("Certifications", "Publications", "Skills", "Languages")
    )
    assert certifications.items == ("AWS", "AWS — Amazon (2023)")
    # The second item holds the link, though the first has the same text.
    assert certifications.item_links == ((1, "AWS", "https://aws.example"),)
    assert certifications.links == (("AWS", "https://aws.example"),)
    assert publications.items == ("On X (Jan 2020)", "Some paper")
    assert skills.items == ("Languages: Python, Go", "Public speaking")
    assert not skills.bulleted
    assert languages.paragraphs == ("English · French",)


def test_extra_sections_as_the_template_prints_them() -> None:
    data = {
        "motto": "Ship it.",
        "hobbies": ["Chess", "Go"],
        "talks": [
            {"title": "Fast PDFs", "event": "PyCon", "year": 2023, "url": "https://talks.example/pdf"},
            "A lightning talk",
        ],
    }
    built = outline.build(validate_request(resume(**data)))
    motto, hobbies, talks = built.sections
    assert (motto.heading, motto.paragraphs) == ("Motto", ("Ship it.",))
    assert (hobbies.items, hobbies.bulleted) == (("Chess", "Go"), True)
    talk, lightning = talks.entries
    assert (talk.title, talk.subtitle, talk.link) == (
        "Fast PDFs",
        "talks.example/pdf",
        "https://talks.example/pdf",
    )
    assert talk.details == ("PyCon · Year: 2023",)
    assert lightning == outline.Entry("", paragraphs=("A lightning talk",))


def test_a_letter_reads_date_recipient_subject_salutation_body_closing_name() -> None:
    data = {
        "recipient": {
            "name": "Jo",
            "company": "Acme",
            "department": "R&D",
            "address": ["1 Main St", "Springfield"],
        },
        "date": "2024-03-09",
        "jobTitle": "Engineer",
        "body": "First  paragraph\nstill first.\n\nSecond.",
        "closing": "Best regards,\nAda",
    }
    built = outline.build(validate_request(letter(**data)))
    assert [(s.kind, s.heading) for s in built.sections] == [
        (kind, "") for kind in ("date", "recipient", "subject", "salutation", "body", "closing", "signature")
    ]
    assert built.texts()[1:] == [
        "ada@example.com", "March 9, 2024", "Jo", "Acme", "R&D", "1 Main St", "Springfield", "Re: Engineer",
        "Dear Hiring Manager,", "First paragraph still first.", "Second.", "Best regards,", "Ada", "Ada Lovelace",
    ]  # fmt: skip
    assert built.keywords == ("Engineer", "Acme")
    assert built.title == "Ada Lovelace — Cover Letter"


def test_text_is_the_users_own_with_whitespace_as_printed() -> None:
    tricky = "a\u00a0b  \\input{x} <w:t> & \u200b\t\nend"
    built = outline.build(validate_request(resume(professionalSummary=tricky, achievements=[" ", "x"])))
    summary, achievements = built.sections
    assert summary.paragraphs == ("a\u00a0b \\input{x} <w:t> & \u200b end",)
    assert achievements.items == ("x",)  # blank items are left out, as the PDF has nothing to show


def test_keywords_are_the_skills() -> None:
    data = {"technologiesAndSkills": [{"category": "Languages", "skills": ["Python", "Go"]}, "SQL"]}
    assert outline.build(validate_request(resume(**data))).keywords == ("Python", "Go", "SQL")
