"""Raw bytes to a request: size, encoding, JSON/YAML, nesting, envelopes, unprintable characters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from docpipe import validation
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import DocumentTooLarge, InvalidDocument
from docpipe.limits import MAX_NESTING, MAX_REQUEST_BYTES
from docpipe.schema import Resume
from docpipe.validation import envelope_from, infer_document_type, parse_bytes, validate_request

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}


def only_message(exc: InvalidDocument) -> str:
    (detail,) = exc.details
    return str(detail)


# --- parse_bytes -----------------------------------------------------------------------------------------


def test_json_and_a_utf8_bom_are_accepted() -> None:
    body = json.dumps({"a": "Zoë"}).encode()
    assert parse_bytes(body) == {"a": "Zoë"}
    assert parse_bytes(b"\xef\xbb\xbf" + body) == {"a": "Zoë"}


def test_a_request_over_256_kib_is_refused_before_parsing() -> None:
    assert MAX_REQUEST_BYTES == 256 * 1024
    body = json.dumps({"x": "a" * MAX_REQUEST_BYTES}).encode()
    with pytest.raises(DocumentTooLarge) as info:
        parse_bytes(body)
    assert only_message(info.value) == f"the request is {len(body):,} bytes; the limit is 262,144 bytes"
    assert info.value.code == "too_large"


def test_a_request_of_exactly_the_limit_is_parsed() -> None:
    body = b'"' + b"a" * (MAX_REQUEST_BYTES - 2) + b'"'
    assert len(body) == MAX_REQUEST_BYTES
    assert parse_bytes(body) == "a" * (MAX_REQUEST_BYTES - 2)


@pytest.mark.parametrize(
    ("raw", "where"),
    [(b'{"name": "caf\xe9"}', 13), (b"\xff\xfe{}", 0), (b'{"a": "\xc3"}', 7), (b'{"a": "\xed\xa0\x80"}', 7)],
)
def test_bytes_that_are_not_utf8_are_refused(raw: bytes, where: int) -> None:
    with pytest.raises(InvalidDocument) as info:
        parse_bytes(raw)
    assert only_message(info.value) == f"the request is not valid UTF-8 (byte {where})"


@pytest.mark.parametrize("raw", [b"", b"{", b'{"a": 1,}', b"{'a': 1}", b"[1, 2", b"NaNa", b'{"a": 1} x'])
def test_invalid_json_is_refused_with_the_parser_reason(raw: bytes) -> None:
    with pytest.raises(InvalidDocument) as info:
        parse_bytes(raw)
    assert only_message(info.value).startswith("the request is not valid JSON: ")
    assert "line 1 column" in only_message(info.value)


def test_yaml_is_accepted_where_allowed() -> None:
    raw = b"document_type: resume\ndata:\n  personalInfo:\n    name: Ada\n    email: ada@example.com\n"
    assert parse_bytes(raw, yaml_ok=True)["data"]["personalInfo"]["name"] == "Ada"
    with pytest.raises(InvalidDocument, match="not valid JSON"):
        parse_bytes(raw)


def test_unquoted_yaml_dates_stay_text_as_in_json() -> None:
    """YAML 1.1 reads 2021-03-09 as a date object; the same résumé must validate as YAML and JSON."""
    raw = b"""document_type: resume
data:
  personalInfo: {name: Ada, email: ada@example.com}
  experience:
    - {title: Engineer, startDate: 2021-03-09, endDate: 2022-01-31}
"""
    value = parse_bytes(raw, yaml_ok=True)
    assert value["data"]["experience"][0]["startDate"] == "2021-03-09"
    data = validate_request(value).data
    assert isinstance(data, Resume)
    job = data.experience[0]
    assert job.start_date is not None
    assert job.end_date is not None
    assert (job.start_date.iso(), job.end_date.iso()) == ("2021-03-09", "2022-01-31")


def test_invalid_yaml_is_refused() -> None:
    with pytest.raises(InvalidDocument) as info:
        parse_bytes(b"a: [1, 2\nb: {", yaml_ok=True)
    assert only_message(info.value).startswith("the request is not valid YAML: ")


@pytest.mark.parametrize(
    "raw",
    [
        b"a: &anchor [1, 2]\nb: *anchor\n",
        # The "billion laughs": a few hundred bytes that would expand to gigabytes.
        b'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
    ],
)
def test_yaml_aliases_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidDocument) as info:
        parse_bytes(raw, yaml_ok=True)
    assert only_message(info.value) == "YAML aliases are not supported"


def test_yaml_tags_that_build_python_objects_are_refused() -> None:
    with pytest.raises(InvalidDocument, match="not valid YAML"):
        parse_bytes(b"a: !!python/object/apply:os.system ['true']\n", yaml_ok=True)


def _nested(depth: int) -> bytes:
    return b'{"a": ' * (depth - 1) + b"1" + b"}" * (depth - 1)


def test_nesting_up_to_the_limit_is_fine() -> None:
    value = parse_bytes(_nested(MAX_NESTING))
    assert isinstance(value, dict)


@pytest.mark.parametrize(
    ("raw", "yaml_ok"),
    [
        (_nested(MAX_NESTING + 2), False),
        (b"[" * 100 + b"]" * 100, False),
        (b"[" * 100_000 + b"]" * 100_000, False),  # deeper than Python's recursion limit
        (b"[" * 100 + b"]" * 100, True),
        (b"[" * 50_000 + b"]" * 50_000, True),
    ],
)
def test_deep_nesting_is_refused_without_crashing(raw: bytes, yaml_ok: bool) -> None:
    with pytest.raises(InvalidDocument) as info:
        parse_bytes(raw, yaml_ok=yaml_ok)
    assert only_message(info.value) == f"the request is nested more than {MAX_NESTING} levels deep"


# --- envelopes and bare data -------------------------------------------------------------------------------


def test_bare_data_is_wrapped_and_its_type_inferred() -> None:
    letter = {"personalInfo": PERSON, "body": ["Hello."]}
    assert infer_document_type(letter) == "cover_letter"
    assert infer_document_type({"personalInfo": PERSON}) == "resume"
    assert infer_document_type({"basics": {"name": "Ada"}}) == "resume"
    request = validate_request(envelope_from(letter))
    assert isinstance(request, CoverLetterRequest)
    assert request.data.body == ["Hello."]


def test_flags_fill_in_and_override_the_envelope() -> None:
    envelope = envelope_from(
        {"document_type": "resume", "data": {"personalInfo": PERSON}, "template": "x"},
        template="classic",
        output_format="tex",
    )
    request = validate_request(envelope)
    assert (request.document_type, request.template, request.format) == ("resume", "classic", "tex")
    forced = envelope_from({"personalInfo": PERSON}, document_type="cover_letter")
    assert forced["document_type"] == "cover_letter"
    with pytest.raises(InvalidDocument) as info:
        validate_request(forced)
    assert {d.path for d in info.value.details} == {"data.body"}


def test_json_resume_is_recognised_as_bare_data() -> None:
    request = validate_request(envelope_from({"basics": {"name": "Ada", "email": "ada@example.com"}}))
    assert isinstance(request, ResumeRequest)
    assert request.data.personal_info.name == "Ada"


# --- characters no font can print -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("private \ue000 use", "U+E000 unnamed character"),
        ("last \U0010ffff plane", "U+10FFFF unnamed character"),
        ("unassigned \U000e0080", "U+E0080 unnamed character"),
        # Only Noto Sans Tamil Supplement has it, and that font cannot be used (it has no space).
        ("tamil fraction \U00011fc0", "U+11FC0 TAMIL FRACTION ONE THREE-HUNDRED-AND-TWENTIETH"),
    ],
)
def test_a_character_no_font_has_is_a_validation_error_naming_it(text: str, named: str) -> None:
    document = {
        "document_type": "resume",
        "data": {"personalInfo": PERSON, "experience": [{"title": "Engineer", "achievements": ["ok", text]}]},
    }
    with pytest.raises(InvalidDocument) as info:
        validate_request(document)
    assert [str(d) for d in info.value.details] == [
        f"data.experience[0].achievements[1]: contains characters no available font can print: {named}"
    ]


def test_many_unprintable_characters_are_summarised() -> None:
    text = "".join(chr(0xE000 + i) for i in range(7))
    with pytest.raises(InvalidDocument) as info:
        validate_request(
            {"document_type": "resume", "data": {"personalInfo": PERSON, "professionalSummary": text}}
        )
    message = only_message(info.value)
    assert message.startswith("data.professionalSummary: contains characters no available font can print: ")
    assert message.count("U+E0") == 5
    assert message.endswith(" ...")


@pytest.mark.parametrize(
    "text", ["Ελληνικά", "Русский", "中文", "العربية", "עברית", "한국어", "ไทย", "😀", "∑ ≤ ∞"]
)
def test_scripts_with_a_font_pass_validation(text: str) -> None:
    validate_request({"document_type": "resume", "data": {"personalInfo": {**PERSON, "name": text}}})


def test_error_paths_quote_keys_that_are_not_identifiers() -> None:
    with pytest.raises(InvalidDocument) as info:
        validate_request({"document_type": "resume", "data": {"personalInfo": PERSON, "odd key.x": "\x07"}})
    assert [d.path for d in info.value.details] == ['data["odd key.x"]']
    checked = validation.check_request(
        {"document_type": "resume", "data": {"personalInfo": PERSON, "odd key.x": 1, "": 2, "a]b": 3}}
    )
    assert [w.path for w in checked.warnings] == ['data["odd key.x"]', 'data[""]', 'data["a]b"]']


def test_validation_is_usable_directly_from_parsed_bytes() -> None:
    raw = json.dumps(
        {"document_type": "resume", "data": {"personalInfo": PERSON, "experience": [{"title": "x"}]}}
    ).encode()
    request: Any = validation.validate_request(validation.parse_bytes(raw))
    assert request.data.experience[0].title == "x"
