"""Text is literal wherever a template puts it: at the start of a bullet, after a line break, at the
start of a macro argument, at the end of one.

``\\item [x]`` reads ``[x]`` as the bullet's label, ``\\\\*`` and ``\\\\[2pt]`` are syntax, and a
``[`` with no ``]`` after ``\\item`` fails the job. For each special character and each template,
one document has that character at the start, in the middle and at the end of every text field
(every field of test_hostile.py and test_hostile_vocabulary.py, see everywhere.py); every value
must come back literally in the PDF's text, the author (the name) in its metadata too.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

import pypdf
import pytest
from everywhere import FIELD_SETS, TEMPLATES, document

from docpipe.validation import validate_request

SPECIALS = "[]*{}\\%#&~^_$"
# The same characters where escaping and ligatures interact, and two more that look ahead.
EXTRA = "-'`<|"


class Values:
    """Hands out ``c`` at the start, middle and end of a value: ``[F07 x[y F07[``, each unique."""

    def __init__(self, char: str) -> None:
        self.char = char
        self.made: list[str] = []

    def __call__(self) -> str:
        n, c = len(self.made), self.char
        self.made.append(f"{c}F{n:02d} x{c}y F{n:02d}{c}")
        return self.made[-1]


def test_the_values_have_the_character_at_the_start_middle_and_end() -> None:
    value = Values("[")()
    assert value[0] == value[-1] == "["
    assert "[" in value[1:-1]


@pytest.mark.parametrize("field_set", ["original", "vocabulary"])
@pytest.mark.parametrize(("document_type", "template"), TEMPLATES, ids=str)
@pytest.mark.parametrize("char", list(SPECIALS + EXTRA))
def test_a_special_character_at_either_end_of_every_field_is_printed_literally(
    renderer: Any,
    pdf_text: Callable[[bytes], Any],
    char: str,
    document_type: str,
    template: str,
    field_set: str,
) -> None:
    values = Values(char)
    envelope = document(document_type, template, field_set, values)
    result = renderer.render(validate_request(envelope))  # no RenderFailed ("Paragraph ended ...")
    text = pdf_text(result.pdf)
    missing = [v for v in values.made if not text.contains(v)]
    assert missing == [], f"{len(missing)} of {len(values.made)} not printed literally, e.g. {missing[:3]}"
    assert len(values.made) >= 10  # the field set really was filled
    metadata: Mapping[str, Any] = pypdf.PdfReader(io.BytesIO(result.pdf)).metadata or {}
    name = envelope["data"]["personalInfo"]["name"]
    assert pdf_text.squash(str(metadata.get("/Author"))) == pdf_text.squash(name)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("document_type", "template"), TEMPLATES, ids=str)
def test_the_reported_bullets(
    renderer: Any, pdf_text: Callable[[bytes], Any], document_type: str, template: str
) -> None:
    """The cases of the review: a bracketed tag, a long bracketed prefix, an unterminated bracket."""
    lines = ["[VERIFIED] Led the team", "[" + "long prefix " * 12 + "] and text", "[unterminated", "*starred"]
    data: dict[str, Any] = {"personalInfo": {"name": "Ada Lovelace", "email": "ada@example.com"}}
    if document_type == "resume":
        data["experience"] = [{"title": "Engineer", "achievements": lines}]
        data["achievements"] = lines
    else:
        data["body"] = lines
        data["closing"] = "\n".join(lines)
    result = renderer.render(
        validate_request({"document_type": document_type, "template": template, "data": data})
    )
    text = pdf_text(result.pdf)
    for line in lines:
        assert text.count(line) >= 2, line  # each line is in two fields


def test_every_field_set_is_exercised() -> None:
    assert {name for sets in FIELD_SETS.values() for name in sets} == {"original", "vocabulary"}
    assert len(TEMPLATES) == 4
