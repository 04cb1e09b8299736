"""`docpipe validate` and `docpipe render` with fields docpipe does not know: warnings on stderr, and
``--strict`` (or ``options.strict``) refusing the document with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}
DOCUMENT = {
    "document_type": "resume",
    "data": {
        "personalInfo": PERSON,
        "experience": [{"title": "Engineer", "team": "Payments"}],
        "openSourceContributions": [{"name": "docpipe", "role": "Maintainer"}],
        "meta": {"exportedBy": "OldService"},
    },
}
WARNINGS = [
    "warning: data.experience[0].team: is not a known field; it is left out of the document (see `docpipe schema`)",
    "warning: data.meta: is not a known field; it is left out of the document (see `docpipe schema`)",
    'warning: data.openSourceContributions: is not a known field; it is shown as an extra section titled "Open Source Contributions"',
]
STRICT_ERRORS = [
    "data.experience[0].team: is not a known field; it is left out of the document (see `docpipe schema`) (not allowed in strict mode)",
    "data.meta: is not a known field; it is left out of the document (see `docpipe schema`) (not allowed in strict mode)",
    'data.openSourceContributions: is not a known field; it is shown as an extra section titled "Open Source Contributions" (not allowed in strict mode)',
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "resume.json"
    path.write_text(json.dumps(DOCUMENT))
    return path


def test_validate_prints_each_warning_to_stderr_and_succeeds(run: Any, source: Path) -> None:
    done = run("validate", source.name, cwd=source.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "ok: resume, template classic, format pdf\n"
    assert sorted(done.stderr.decode().splitlines()) == WARNINGS


def test_render_prints_the_warnings_and_renders_the_extra_section(
    run: Any, source: Path, pdf_text: Any
) -> None:
    done = run("render", source.name, "-o", "out.pdf", cwd=source.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.decode().splitlines()
    assert sorted(line for line in lines if line.startswith("warning: ")) == WARNINGS
    text = pdf_text((source.parent / "out.pdf").read_bytes())
    assert text.contains("Open Source Contributions")
    assert text.contains("docpipe")
    assert not text.contains("Payments")
    assert not text.contains("OldService")


@pytest.mark.parametrize("command", ["validate", "render"])
def test_strict_exits_2_listing_the_warnings_as_problems(run: Any, source: Path, command: str) -> None:
    output = ("-o", "out.pdf") if command == "render" else ()
    done = run(command, source.name, "--strict", *output, cwd=source.parent)
    assert done.returncode == 2
    assert done.stdout == b""
    assert sorted(done.stderr.decode().splitlines()) == STRICT_ERRORS
    assert not (source.parent / "out.pdf").exists()


def test_options_strict_in_the_document_does_the_same(run: Any, source: Path) -> None:
    source.write_text(json.dumps({**DOCUMENT, "options": {"strict": True}}))
    done = run("validate", source.name, cwd=source.parent)
    assert done.returncode == 2
    assert sorted(done.stderr.decode().splitlines()) == STRICT_ERRORS


def test_strict_accepts_a_document_without_warnings(run: Any, source: Path) -> None:
    data = {"personalInfo": PERSON, "extraSections": [{"title": "Talks", "items": ["A talk"]}]}
    source.write_text(json.dumps(data))
    done = run("validate", source.name, "--strict", cwd=source.parent)
    assert (done.returncode, done.stderr) == (0, b"")


def test_a_misspelled_field_stays_an_error_without_strict(run: Any, source: Path) -> None:
    source.write_text(json.dumps({"personalInfo": PERSON, "experiance": []}))
    done = run("validate", source.name, cwd=source.parent)
    assert done.returncode == 2
    assert done.stderr.decode() == "data.experiance: is not a known field; did you mean `experience`?\n"
