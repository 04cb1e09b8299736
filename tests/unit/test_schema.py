"""The request models: what is accepted, what is refused, and how each refusal reads."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from envelopes import PERSON, letter, problems, resume

from docpipe import cli
from docpipe.dates import FORMS, PartialDate
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import InvalidDocument, UnknownTemplate
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_STRING_CHARS
from docpipe.validation import validate_request

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "docpipe" / "samples"


# --- every problem at once, with paths a person can follow --------------------------------------


def test_all_errors_are_reported_at_once_with_paths() -> None:
    found = problems(
        {
            "document_type": "resume",
            "data": {
                "personalInfo": {"email": "not-an-email"},
                "experience": [
                    {"title": "Engineer", "startDate": "2021-13"},
                    {"company": "No title", "endDate": "2021-02-30"},
                ],
                "education": [{"institution": "", "startDate": "sometime"}],
            },
        }
    )
    assert found == {
        "data.personalInfo.name": "is required",
        "data.personalInfo.email": "is not an email address (expected name@example.com)",
        "data.experience[0].startDate": "month must be between 01 and 12",
        "data.experience[1].title": "is required",
        "data.experience[1].endDate": "is not a real calendar day",
        "data.education[0].institution": "must not be empty",
        "data.education[0].startDate": f"must be a date as {FORMS}",
    }


def test_error_details_print_as_path_colon_message() -> None:
    with pytest.raises(InvalidDocument) as info:
        validate_request(resume(experience=[{"title": "x", "startDate": "2021-00"}]))
    assert [str(d) for d in info.value.details] == [
        "data.experience[0].startDate: month must be between 01 and 12"
    ]
    assert info.value.message == "1 problem(s) in the request"


@pytest.mark.parametrize(
    ("document", "path", "name"),
    [
        (resume(experiance=[{"title": "x"}]), "data.experiance", "experience"),
        (resume(experience=[{"title": "x", "titel": "typo"}]), "data.experience[0].titel", "title"),
        ({**resume(), "formt": "pdf"}, "formt", "format"),
        (resume(personalInfo={**PERSON, "emial": "a@b.co"}), "data.personalInfo.emial", "email"),
        ({**resume(), "options": {"paper": "a4", "spacng": "compact"}}, "options.spacng", "spacing"),
        (
            resume(technologiesAndSkills=[{"category": "Tools", "skills": ["git"], "skils": ["x"]}]),
            "data.technologiesAndSkills[0].skils",
            "skills",
        ),
        (letter(recipient={"name": "Bob", "compnay": "Acme"}), "data.recipient.compnay", "company"),
    ],
)
def test_misspelled_fields_are_errors_naming_their_path(
    document: dict[str, Any], path: str, name: str
) -> None:
    # Other unknown fields are accepted with a warning (tests/unit/test_extras.py); a near-miss of a
    # field at the same level is a typo, and leaving it out would lose the user's text quietly.
    found = problems(document)
    assert found.pop(path) == f"is not a known field; did you mean `{name}`?"
    assert set(found) <= {"data.experience[0].title"}  # "titel" also leaves "title" missing


def test_snake_case_field_names_are_not_silently_accepted() -> None:
    # The wire format is camelCase; the Python attribute name must not work as an alias.
    found = problems(resume(professional_summary="x"))
    assert "data.professional_summary" in found


def test_wrong_types_say_what_was_expected() -> None:
    found = problems(
        {
            "document_type": "resume",
            "data": {
                "personalInfo": {"name": 42, "email": ["ada@example.com"]},
                "experience": {"title": "not a list"},
                "achievements": "also not a list",
                "technologiesAndSkills": [7],
                "education": ["a string, not an object"],
            },
        }
    )
    assert found == {
        "data.personalInfo.name": "must be text",
        "data.personalInfo.email": "must be text",
        "data.experience": "must be a list",
        "data.achievements": "must be a list",
        "data.technologiesAndSkills[0]": "must be text or an object",
        "data.education[0]": "must be an object",
    }


def test_the_envelope_is_checked_too() -> None:
    found = problems({"data": {"personalInfo": PERSON}})
    assert found == {"document_type": "is required (one of resume, cover_letter)"}
    found = problems({**resume(), "document_type": "cv"})
    assert found == {"document_type": "must be one of 'resume', 'cover_letter'"}
    found = problems({**resume(), "format": "odt", "options": {"paper": "a3", "spacing": "tight"}})
    assert found == {
        "format": "must be one of 'pdf', 'docx', 'txt', 'tex', 'png' or 'analysis'",
        "options.paper": "must be one of 'letter' or 'a4'",
        "options.spacing": "must be one of 'normal', 'compact' or 'ultra-compact'",
    }


def test_an_unknown_template_is_its_own_error_listing_the_choices() -> None:
    with pytest.raises(UnknownTemplate) as info:
        validate_request({**resume(), "template": "fancy"})
    (detail,) = info.value.details
    assert detail.path == "template"
    assert "unknown template 'fancy' for resume; choose one of: classic" in detail.message


def test_a_template_of_the_wrong_type_is_invalid_not_unknown() -> None:
    with pytest.raises(InvalidDocument) as info:
        validate_request({**resume(), "template": 7})
    assert not isinstance(info.value, UnknownTemplate)
    assert [str(d) for d in info.value.details] == ["template: must be text"]


def test_an_unknown_template_among_other_errors_is_just_invalid() -> None:
    with pytest.raises(InvalidDocument) as info:
        validate_request({**resume(), "template": "fancy", "format": "odt"})
    assert not isinstance(info.value, UnknownTemplate)
    assert {d.path for d in info.value.details} == {"template", "format"}


def test_the_request_must_be_an_object() -> None:
    value: object
    for value in ([], "resume", 3, None):
        with pytest.raises(InvalidDocument, match="must be a JSON object"):
            validate_request(value)


# --- the discriminated union -----------------------------------------------------------------------


def test_a_cover_letter_stays_a_cover_letter_and_keeps_its_body() -> None:
    request = validate_request(letter(body=["First paragraph.", "Second paragraph."]))
    assert isinstance(request, CoverLetterRequest)
    assert request.data.body == ["First paragraph.", "Second paragraph."]


def test_a_cover_letter_is_never_coerced_into_a_resume() -> None:
    # Same personal info, so a lax union could pick the résumé and drop the body (or show it as an
    # extra section): it must not.
    found = problems({"document_type": "resume", "data": letter()["data"]})
    assert found == {"data.body": "is a cover-letter field, not a résumé field (check `document_type`)"}


def test_a_resume_under_the_cover_letter_tag_is_not_accepted_either() -> None:
    found = problems({"document_type": "cover_letter", "data": resume(professionalSummary="x")["data"]})
    assert found["data.body"] == "is required"
    assert "data.professionalSummary" in found


def test_errors_name_only_the_branch_the_input_took() -> None:
    # A skills item that is an object is checked as a group, not also as text.
    found = problems(resume(technologiesAndSkills=["Python", {"category": "Tools"}]))
    assert found == {"data.technologiesAndSkills[1].skills": "is required"}


def test_text_or_object_lists_accept_both() -> None:
    request = validate_request(
        resume(
            technologiesAndSkills=["Python", {"category": "Cloud", "skills": ["AWS", "GCP"]}],
            certifications=["CKA", {"name": "AWS SAP", "url": "https://aws.example.com", "date": "2022"}],
            volunteering=["Mentor", {"organization": "Code Club", "role": "Tutor"}],
        )
    )
    assert isinstance(request, ResumeRequest)
    skills = request.data.technologies_and_skills
    assert skills[0] == "Python"
    assert not isinstance(skills[1], str)
    assert skills[1].skills == ["AWS", "GCP"]


# --- size limits -------------------------------------------------------------------------------------


def test_a_too_long_string_is_a_clear_error() -> None:
    found = problems(resume(professionalSummary="x" * (MAX_STRING_CHARS + 1)))
    assert found == {"data.professionalSummary": f"is too long (at most {MAX_STRING_CHARS} characters)"}
    found = problems(resume(personalInfo={**PERSON, "name": "n" * (MAX_NAME_CHARS + 1)}))
    assert found == {"data.personalInfo.name": f"is too long (at most {MAX_NAME_CHARS} characters)"}


def test_strings_at_the_limit_are_fine() -> None:
    validate_request(resume(professionalSummary="x" * MAX_STRING_CHARS))


def test_a_ten_thousand_item_list_is_one_clear_error() -> None:
    found = problems(resume(achievements=["win"] * 10_000))
    assert found == {"data.achievements": f"has too many items (at most {MAX_LIST_ITEMS})"}


def test_list_limits_apply_to_nested_lists() -> None:
    found = problems(resume(experience=[{"title": "x", "achievements": ["a"] * (MAX_LIST_ITEMS + 1)}]))
    assert found == {"data.experience[0].achievements": f"has too many items (at most {MAX_LIST_ITEMS})"}


def test_a_letter_needs_a_body() -> None:
    assert problems(letter(body=[])) == {"data.body": "needs at least 1 item(s)"}
    assert problems(letter(body="   \n\n  ")) == {"data.body": "needs at least 1 item(s)"}


# --- characters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("nul\x00byte", "U+0000"),
        ("bell\x07", "U+0007"),
        ("escape\x1b[31m", "U+001B"),
        ("delete\x7f", "U+007F"),
        ("c1\x85control", "U+0085"),
        ("right-to-left \u202eoverride", "U+202E"),
        ("left-to-right \u202dembedding", "U+202D"),
        ("isolate \u2067x\u2069", "U+2067, U+2069"),
    ],
)
def test_control_characters_and_bidi_overrides_are_rejected(text: str, named: str) -> None:
    found = problems(resume(professionalSummary=text))
    assert found == {
        "data.professionalSummary": f"contains control characters that cannot be printed ({named})"
    }


def test_an_unpaired_surrogate_is_rejected_in_words() -> None:
    found = problems(
        json.loads(
            '{"document_type": "resume", "data": {"personalInfo": {"name": "a\\ud800",'
            ' "email": "ada@example.com"}}}'
        )
    )
    assert found == {
        "data.personalInfo.name": "is not valid Unicode text (it contains an unpaired surrogate)"
    }


def test_control_characters_are_rejected_in_every_kind_of_field() -> None:
    bad = "x\x00"
    found = problems(
        resume(
            personalInfo={**PERSON, "phone": bad, "website": "https://ex.com/\x00"},
            experience=[{"title": bad, "achievements": [bad]}],
        )
    )
    assert set(found) == {
        "data.personalInfo.phone",
        "data.personalInfo.website",
        "data.experience[0].title",
        "data.experience[0].achievements[0]",
    }


def test_tabs_and_newlines_are_ordinary_whitespace() -> None:
    request = validate_request(resume(professionalSummary="one\ttwo\r\nthree\n\nfour"))
    assert isinstance(request, ResumeRequest)
    assert request.data.professional_summary == "one\ttwo\r\nthree\n\nfour"


def test_surrounding_whitespace_is_stripped_and_blank_required_text_is_refused() -> None:
    request = validate_request(resume(personalInfo={**PERSON, "name": "  Ada  "}))
    assert request.data.personal_info.name == "Ada"
    assert problems(resume(personalInfo={**PERSON, "name": "   "})) == {
        "data.personalInfo.name": "must not be empty"
    }


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "ftp://example.com", "JAVASCRIPT:x"],
)
def test_only_web_and_mailto_links_are_accepted(url: str) -> None:
    found = problems(resume(personalInfo={**PERSON, "website": url}))
    assert found == {"data.personalInfo.website": "must be a web address (http or https) or a mailto: link"}


def test_links_may_not_contain_spaces() -> None:
    found = problems(resume(projects=[{"name": "p", "url": "https://example.com/a b"}]))
    assert found == {"data.projects[0].url": "must not contain spaces"}


@pytest.mark.parametrize(
    "url", ["https://example.com", "http://x.org/a?b=c#d", "example.com/x", "mailto:a@b.co"]
)
def test_ordinary_links_are_accepted(url: str) -> None:
    validate_request(resume(personalInfo={**PERSON, "website": url}))


# --- dates ------------------------------------------------------------------------------------------------


def test_dates_are_parsed_into_partial_dates() -> None:
    request = validate_request(
        resume(
            experience=[
                {"title": "a", "startDate": "2019", "endDate": "2020-02"},
                {"title": "b", "startDate": "2020-02-29", "endDate": "Present"},
            ]
        )
    )
    assert isinstance(request, ResumeRequest)
    first, second = request.data.experience
    assert first.start_date == PartialDate(2019)
    assert first.end_date == PartialDate(2020, 2)
    assert second.start_date == PartialDate(2020, 2, 29)
    assert second.end_date is not None
    assert second.end_date.is_present
    dumped = request.model_dump(mode="json")["data"]["experience"]
    assert [(e["startDate"], e["endDate"]) for e in dumped] == [
        ("2019", "2020-02"),
        ("2020-02-29", "Present"),
    ]


def test_a_date_must_be_a_string() -> None:
    found = problems(resume(experience=[{"title": "a", "startDate": 2020}]))
    assert found == {
        "data.experience[0].startDate": "must be a date string such as 2021, 2021-03, 2021-03-09, Mar 2021"
        " or 'Present'"
    }


# --- the cover letter's date ----------------------------------------------------------------------------


def test_a_cover_letter_without_a_date_is_dated_today_in_the_model() -> None:
    before = dt.datetime.now(dt.UTC).date()
    request = validate_request(letter())
    after = dt.datetime.now(dt.UTC).date()
    assert isinstance(request, CoverLetterRequest)
    date = request.data.date
    assert isinstance(date, PartialDate)
    assert date.day is not None
    assert date.month is not None
    assert before <= dt.date(date.year, date.month, date.day) <= after
    # It is part of the serialised request, so a cache key made from the request includes it.
    for dumped in (
        request.model_dump(mode="json", exclude_none=True),
        request.model_dump(mode="json", exclude_unset=True),
    ):
        assert dumped["data"]["date"] == date.iso()


def test_an_explicit_letter_date_is_kept() -> None:
    request = validate_request(letter(date="2026-11-02"))
    assert isinstance(request, CoverLetterRequest)
    assert request.data.date == PartialDate(2026, 11, 2)


def test_a_letter_body_given_as_one_string_is_split_into_paragraphs() -> None:
    request = validate_request(letter(body="First line\nstill first.\n\n  \nSecond.\n\n\nThird."))
    assert isinstance(request, CoverLetterRequest)
    assert request.data.body == ["First line\nstill first.", "Second.", "Third."]


def test_defaults_are_filled_in() -> None:
    request = validate_request(letter())
    assert (request.template, request.format) == ("classic", "pdf")
    assert (request.options.paper, request.options.spacing) == ("letter", "normal")
    assert isinstance(request, CoverLetterRequest)
    assert (request.data.salutation, request.data.closing) == ("Dear Hiring Manager,", "Sincerely,")


def test_requests_are_immutable() -> None:
    request = validate_request(resume())
    with pytest.raises(ValueError, match="frozen"):
        request.data.personal_info.name = "Mallory"  # type: ignore[misc]


# --- `docpipe schema` ------------------------------------------------------------------------------------


def _schema(document_type: str) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["schema", document_type]) == 0
    return dict(json.loads(out.getvalue()))


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names |= set(value)
            names |= _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _property_names(item)
    return names


@pytest.mark.parametrize("document_type", ["resume", "cover_letter"])
def test_schema_is_valid_json_schema_that_accepts_the_samples(document_type: str) -> None:
    schema = _schema(document_type)
    jsonschema.Draft202012Validator.check_schema(schema)
    sample = json.loads((SAMPLES / f"{document_type}.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(sample)
    # ... and like the models it refuses unknown fields.
    sample["data"]["nickname"] = "x"
    assert not jsonschema.Draft202012Validator(schema).is_valid(sample)


def test_schema_accepts_the_one_string_forms_that_validation_accepts() -> None:
    schema = _schema("cover_letter")
    validator = jsonschema.Draft202012Validator(schema)
    document = letter(body="One.\n\nTwo.", recipient={"address": "1 Main St"})
    validate_request(document)
    validator.validate(document)


@pytest.mark.parametrize("document_type", ["resume", "cover_letter"])
def test_schema_properties_are_camel_case(document_type: str) -> None:
    schema = _schema(document_type)
    data_names = _property_names(schema.get("$defs", {}))
    assert {"personalInfo", "startDate", "endDate"} & data_names
    snake = {name for name in data_names if not re.fullmatch(r"[a-z][A-Za-z0-9]*", name)}
    # ... except the link texts, which the original service spelled in snake_case.
    assert snake == {f"{link}_display" for link in ("website", "linkedin", "github", "twitter", "x")}
    # The envelope keeps its snake_case keys (compatible with the original service).
    assert {"document_type", "data", "template", "format", "options"} <= set(schema["properties"])
    assert schema["properties"]["document_type"].get("const") == document_type or schema["properties"][
        "document_type"
    ].get("enum") == [document_type]
