"""Plain text (docpipe.plaintext): what an applicant tracking system should see, for pasting into forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from envelopes import letter, resume
from test_outline import SAMPLES, _load

from docpipe import outline
from docpipe.plaintext import render_text
from docpipe.validation import validate_request


def _text(envelope: dict[str, object]) -> str:
    return render_text(outline.build(validate_request(envelope)))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_sample_reads_in_outline_order_one_line_per_paragraph(path: Path) -> None:
    built = outline.build(_load(path))
    text = render_text(built)
    assert text == render_text(built)  # deterministic
    assert text.endswith("\n")
    assert "\r" not in text
    assert "\n\n\n" not in text
    text.encode("utf-8")  # no lone surrogate could make it unencodable
    # Without the addresses written after link texts, the text is the outline's, in its order.
    bare = text
    for target in {c.target for c in built.contact if c.target} | {
        t for s in built.sections for _, t in s.links
    }:
        bare = bare.replace(f" ({target})", "")
    at = 0
    for piece in built.texts():
        found = bare.find(piece, at)
        assert found >= 0, f"{piece!r} missing or out of order"
        at = found
    lines = set(text.splitlines())
    # No hard wraps: every paragraph and bullet is one whole line.
    for section in built.sections:
        assert set(section.paragraphs) <= lines
        for entry in section.entries:
            assert {f"• {bullet}" for bullet in entry.bullets} <= lines
            assert set(entry.paragraphs) <= lines


def test_a_resume_as_plain_text() -> None:
    data = {
        "personalInfo": {
            "name": "Ada Lovelace",
            "title": "Engineer",
            "email": "ada@example.com",
            "location": "London",
            "linkedin": "linkedin.com/in/ada",
            "linkedin_display": "LinkedIn",
            "github": "https://github.com/ada",
        },
        "professionalSummary": "Builds engines.",
        "experience": [
            {"title": "Analyst", "company": "Babbage & Co", "url": "https://babbage.example", "location": "London",
             "startDate": "1842-01", "endDate": "1843-09", "description": "Wrote the notes.",
             "achievements": ["First program", "Note G"]},
            {"title": "Tutor", "startDate": "1840"},
        ],
        "education": [{"institution": "Home", "projects": ["Flyology", {"name": "Engine", "url": "engine.example",
                                                                        "achievements": ["Bernoulli numbers"]}]}],
        "projects": [{"name": "Notes", "url": "https://notes.example/g", "tools": ["Pen"]}],
        "certifications": [{"name": "Royal Society", "issuer": "RS", "url": "rs.example", "date": "1843"}],
        "languages": ["English", "French"],
    }  # fmt: skip
    assert _text({"document_type": "resume", "data": data}) == (
        "Ada Lovelace\n"
        "Engineer\n"
        "London · ada@example.com · LinkedIn (https://linkedin.com/in/ada) · github.com/ada\n"
        "\n"
        "Summary\n"
        "-------\n"
        "Builds engines.\n"
        "\n"
        "Experience\n"
        "----------\n"
        "Analyst — Babbage & Co (https://babbage.example)\n"
        "Jan 1842 – Sep 1843 · London\n"
        "Wrote the notes.\n"
        "• First program\n"
        "• Note G\n"
        "\n"
        "Tutor\n"
        "1840 – Present\n"
        "\n"
        "Education\n"
        "---------\n"
        "Home\n"
        "• Flyology\n"
        "• Engine — engine.example\n"
        "  • Bernoulli numbers\n"
        "\n"
        "Projects\n"
        "--------\n"
        "Notes — notes.example/g\n"
        "Tools: Pen\n"
        "\n"
        "Certifications\n"
        "--------------\n"
        "• Royal Society (https://rs.example) — RS (1843)\n"
        "\n"
        "Languages\n"
        "---------\n"
        "English · French\n"
    )


def test_a_letter_as_plain_text() -> None:
    data = {
        "recipient": {"name": "Jo Bloggs", "company": "Acme", "address": "1 Main St"},
        "date": "2024-03-09",
        "jobTitle": "Engineer",
        "salutation": "Dear Jo,",
        "body": "I would like the job.\n\nThank you.",
        "closing": "Best regards,\nAda",
    }
    assert _text(letter(**data)) == (
        "Ada Lovelace\n"
        "ada@example.com\n"
        "\n"
        "March 9, 2024\n"
        "\n"
        "Jo Bloggs\nAcme\n1 Main St\n"
        "\n"
        "Re: Engineer\n"
        "\n"
        "Dear Jo,\n"
        "\n"
        "I would like the job.\n"
        "\n"
        "Thank you.\n"
        "\n"
        "Best regards,\nAda\n"
        "\n"
        "Ada Lovelace\n"
    )


def test_long_paragraphs_are_not_wrapped() -> None:
    summary = " ".join(["word"] * 800)
    assert f"\n{summary}\n" in _text(resume(professionalSummary=summary))


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("https://www.example.com/", "example.com"),  # the address as printed: no "(...)" after it
        ("http://example.com/a", "example.com/a"),
        ("https://straße.example/ü", "straße.example/ü"),  # its target is IDNA and percent-encoded
    ],
)
def test_an_address_shown_as_itself_is_not_repeated(address: str, shown: str) -> None:
    text = _text(resume(projects=[{"name": "P", "url": address}]))
    assert f"P — {shown}\n" in text


def test_user_text_is_literal() -> None:
    tricky = "<b>&amp;</b> \\input{x} • — (x) %s &#x0; {{x}}"
    text = _text(resume(achievements=[tricky], extraSections=[{"title": "Ünïcödé", "items": ["中文", "x"]}]))
    assert f"• {tricky}\n" in text
    assert "Ünïcödé\n-------\n• 中文\n• x\n" in text  # the heading as written, never upper-cased
