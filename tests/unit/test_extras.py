"""Nothing silently dropped: unknown sections become extra sections, other unknown fields warnings,
misspellings errors, and ``strict`` turns every warning into an error."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from docpipe import extras, unknowns
from docpipe.entries import title_from_key
from docpipe.envelope import ResumeRequest
from docpipe.errors import ErrorDetail, InvalidDocument
from docpipe.extras import ExtraItem, ExtraSection
from docpipe.jobs import canonical_request, content_key
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_STRING_CHARS
from docpipe.validation import Checked, check_request, validate_request

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}


def resume(**data: Any) -> dict[str, Any]:
    return {"document_type": "resume", "data": {"personalInfo": dict(PERSON), **data}}


def letter(**data: Any) -> dict[str, Any]:
    return {"document_type": "cover_letter", "data": {"personalInfo": dict(PERSON), "body": ["Hi."], **data}}


def sections(envelope: dict[str, Any]) -> list[ExtraSection]:
    request = check_request(envelope).request
    assert isinstance(request, ResumeRequest)
    return request.data.extra_sections


def warnings(envelope: dict[str, Any]) -> dict[str, str]:
    return {w.path: w.message for w in check_request(envelope).warnings}


def problems(envelope: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    with pytest.raises(InvalidDocument) as info:
        check_request(envelope, **kwargs)
    return {d.path: d.message for d in info.value.details}


def shown(title: str) -> str:
    return unknowns.SHOWN.format(title=title)


# --- titles from keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "title"),
    [
        ("openSourceContributions", "Open Source Contributions"),
        ("open_source_contributions", "Open Source Contributions"),
        ("open-source contributions", "Open Source Contributions"),
        ("talks", "Talks"),
        ("HTMLParserTalks", "HTML Parser Talks"),
        ("top3Papers", "Top3 Papers"),
        ("ελληνικάΚείμενα", "Ελληνικά Κείμενα"),
        ("  spaced__out--key  ", "Spaced Out Key"),
        ("a\\b{c}", "A\\b{c}"),
        ("$%#&~^{}\\", "$%#&~^{}\\"),
    ],
)
def test_a_title_is_the_key_in_title_case_words(key: str, title: str) -> None:
    assert title_from_key(key) == title


# --- simple shapes become extra sections -------------------------------------------------------------


def test_text_a_list_of_texts_and_a_list_of_entries_become_sections_in_input_order() -> None:
    found = sections(
        resume(
            talks=[{"title": "Typesetting at scale", "event": "PyCon", "url": "https://pycon.example/t"}],
            experience=[{"title": "Engineer"}],
            objective="Build reliable pipelines.",
            hobbies=["Chess", "", "Climbing"],
        )
    )
    assert found == [
        ExtraSection(
            title="Talks",
            items=[ExtraItem(title="Typesetting at scale", details=["PyCon"], url="https://pycon.example/t")],
        ),
        ExtraSection(title="Objective", items=["Build reliable pipelines."]),
        ExtraSection(title="Hobbies", items=["Chess", "Climbing"]),  # an empty line holds nothing
    ]


def test_each_rendered_section_is_reported_so_the_user_knows_how_it_was_read() -> None:
    assert warnings(resume(objective="x", hobbies=["Chess"])) == {
        "data.objective": shown("Objective"),
        "data.hobbies": shown("Hobbies"),
    }


def test_an_entry_shows_its_title_then_its_other_values_in_input_order() -> None:
    entry = {
        "organization": "Code Club",
        "role": "Mentor",  # a role titles the entry before an organisation does
        "startDate": "2019-03",
        "city": "Leeds",
        "endDate": "present",
        "hours": 120,
        "rating": 4.5,
        "link": "www.codeclub.example",
        "note": None,
        "blank": "",
    }
    (section,) = sections(resume(mentoring=[entry]))
    assert section.items == [
        ExtraItem(
            title="Mentor",
            details=["Code Club", "Mar 2019 – Present", "Leeds", "Hours: 120", "Rating: 4.5"],
            url="www.codeclub.example",
        )
    ]


@pytest.mark.parametrize(
    ("entry", "details"),
    [
        ({"name": "A", "date": "2021-06"}, ["Jun 2021"]),
        ({"name": "A", "start_date": "2020"}, ["2020"]),
        ({"name": "A", "to": "2020-02"}, ["Feb 2020"]),
        ({"name": "A", "date": "last summer"}, ["last summer"]),  # not a date: shown as the text it is
        ({"name": "A", "from": "Bob"}, ["Bob"]),
    ],
)
def test_dates_in_an_entry_read_like_the_rest_of_the_resume(
    entry: dict[str, Any], details: list[str]
) -> None:
    (section,) = sections(resume(things=[entry]))
    assert section.items == [ExtraItem(title="A", details=details)]


def test_an_address_that_is_not_a_web_address_is_shown_as_text() -> None:
    (section,) = sections(resume(things=[{"name": "A", "url": "javascript:alert(1)"}]))
    assert section.items == [ExtraItem(title="A", details=["javascript:alert(1)"])]


def test_values_an_entry_cannot_show_are_reported_at_their_path_and_the_rest_is_shown() -> None:
    envelope = resume(talks=[{"name": "A", "tags": ["x"], "venue": {"city": "Oslo"}, "recorded": True}])
    (section,) = sections(envelope)
    assert section.items == [ExtraItem(title="A")]
    assert warnings(envelope) == {
        "data.talks": shown("Talks"),
        "data.talks[0].tags": unknowns.NOT_SHOWN,
        "data.talks[0].venue": unknowns.NOT_SHOWN,
        "data.talks[0].recorded": unknowns.NOT_SHOWN,
    }


def test_extra_sections_may_be_given_as_such_and_come_first() -> None:
    given = {"title": "Patents", "items": ["US 1", {"title": "US 2", "details": ["2020"]}]}
    envelope = resume(extraSections=[given], talks=["A talk"])
    assert [s.title for s in sections(envelope)] == ["Patents", "Talks"]
    assert warnings(envelope) == {"data.talks": shown("Talks")}


def test_the_stored_request_renders_the_same_sections_again_without_warnings() -> None:
    # The render worker validates the canonical request the submit stored.
    checked = check_request(resume(talks=[{"name": "A", "url": "https://a.example"}], objective="x"))
    again = check_request(canonical_request(checked.request))
    assert again.warnings == ()
    assert again.request == checked.request


def test_the_content_key_changes_with_an_extra_section() -> None:
    keys = {
        content_key(validate_request(resume(talks=talks)), "t")
        for talks in (["A"], ["B"], ["A", "B"], [{"name": "A"}])
    }
    assert len(keys) == 4


def test_a_resume_without_unknown_fields_has_no_warnings() -> None:
    checked = check_request(resume(experience=[{"title": "x"}]))
    assert isinstance(checked, Checked)
    assert checked.warnings == ()


# --- what cannot be placed is accepted, left out, and reported ----------------------------------------


@pytest.mark.parametrize(
    ("envelope", "path"),
    [
        (resume(meta={"version": 2}), "data.meta"),
        (resume(grid=[["a", "b"]]), "data.grid"),
        (resume(talks=[{"venue": "Oslo"}]), "data.talks"),  # no name or title: not an entry
        (resume(talks=["A", {"venue": "Oslo"}]), "data.talks"),  # never half of a list
        (resume(years=[2019, 2020]), "data.years"),
        (resume(age=42), "data.age"),
        (resume(remote=True), "data.remote"),
        (resume(notes=""), "data.notes"),
        (resume(notes=[]), "data.notes"),
        (resume(experience=[{"title": "x", "team": "Payments"}]), "data.experience[0].team"),
        (resume(personalInfo={**PERSON, "shoeSize": "42"}), "data.personalInfo.shoeSize"),
        (
            resume(technologiesAndSkills=[{"category": "Tools", "skills": ["git"], "level": 3}]),
            "data.technologiesAndSkills[0].level",
        ),
        ({**resume(), "colour": "blue"}, "colour"),
        ({**resume(), "options": {"paper": "a4", "margin": 1}}, "options.margin"),
        (letter(recipient={"name": "Bob", "fax": "1"}), "data.recipient.fax"),
        (letter(hobbies=["Chess"]), "data.hobbies"),  # a letter has no extra sections
    ],
)
def test_an_unknown_field_that_cannot_be_shown_is_a_warning_naming_its_path(
    envelope: dict[str, Any], path: str
) -> None:
    checked = check_request(copy.deepcopy(envelope))
    assert checked.warnings == (ErrorDetail(path, unknowns.LEFT_OUT),)
    if isinstance(checked.request, ResumeRequest):
        assert checked.request.data.extra_sections == []


def test_the_rest_of_the_document_is_kept_when_a_field_is_left_out() -> None:
    request = validate_request(resume(experience=[{"title": "Engineer", "team": "x", "company": "Acme"}]))
    assert isinstance(request, ResumeRequest)
    assert request.data.experience[0].company == "Acme"


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("", 'data[""]'),
        ("!!!", "data.!!!"),
        ("---", "data.---"),
        ("x" * (MAX_NAME_CHARS + 1), "data." + "x" * (MAX_NAME_CHARS + 1)),
        ("tab\x01key", 'data["tab\\u0001key"]'),
        ("bidi\u202eyek", 'data["bidi\\u202eyek"]'),
    ],
)
def test_a_key_that_cannot_title_a_section_is_left_out_with_a_warning(key: str, path: str) -> None:
    checked = check_request(resume(**{key: "some text"}))
    assert checked.warnings == (ErrorDetail(path, unknowns.LEFT_OUT),)


def test_a_key_of_odd_characters_titles_its_section_as_written() -> None:
    found = sections(resume(**{"a\\b{c}": "x", "50% & $5 #1 ~^": ["y"]}))
    assert [s.title for s in found] == ["A\\b{c}", "50% & $5 #1 ~^"]


def test_warnings_keep_input_text_out_beyond_the_keys() -> None:
    text = "private text 123"
    checked = check_request(
        resume(
            meta={"k": text},
            talks=[{"name": text, "tags": [text]}],
            experience=[{"title": "x", "team": text}],
        )
    )
    assert checked.warnings
    assert not any(text in str(w) for w in checked.warnings)


# --- misspellings and the other document's fields stay errors ----------------------------------------


@pytest.mark.parametrize(
    ("envelope", "path", "name"),
    [
        (resume(experiance=[{"title": "x"}]), "data.experiance", "experience"),
        (resume(projets=["x"]), "data.projets", "projects"),
        (resume(professional_summary="x"), "data.professional_summary", "professionalSummary"),
        (resume(extraSection=[]), "data.extraSection", "extraSections"),
        (resume(experience=[{"title": "x", "compnay": "Acme"}]), "data.experience[0].compnay", "company"),
        (resume(personalInfo={**PERSON, "emial": "a@b.co"}), "data.personalInfo.emial", "email"),
        ({**resume(), "templates": "classic"}, "templates", "template"),
        ({**resume(), "options": {"papper": "a4"}}, "options.papper", "paper"),
        (letter(recipient={"nmae": "Bob"}), "data.recipient.nmae", "name"),
    ],
)
def test_a_near_miss_of_a_field_is_an_error_that_names_the_field(
    envelope: dict[str, Any], path: str, name: str
) -> None:
    assert problems(envelope) == {path: unknowns.NEAR_MISS.format(name=name)}


def test_a_near_miss_is_never_shown_as_an_extra_section() -> None:
    found = problems(resume(experiance=[{"title": "Engineer", "company": "Acme"}], talks=["x"]))
    assert found == {"data.experiance": "is not a known field; did you mean `experience`?"}


def test_a_letter_sent_as_a_resume_is_refused_and_the_reverse_too() -> None:
    assert problems({"document_type": "resume", "data": letter()["data"]}) == {
        "data.body": unknowns.OTHER_TYPE["resume"]
    }
    assert problems(letter(experience=[{"title": "x"}])) == {
        "data.experience": unknowns.OTHER_TYPE["cover_letter"]
    }


def test_errors_are_reported_alone_and_warnings_wait_until_they_are_fixed() -> None:
    found = problems(resume(experience=[{"title": "x", "startDate": "2021-13", "team": "y"}], talks=["z"]))
    assert found == {"data.experience[0].startDate": "month must be between 01 and 12"}


# --- limits apply to extra sections, with the paths the user wrote ------------------------------------


def test_extra_section_text_has_the_same_limits_and_paths_the_user_wrote() -> None:
    found = problems(
        resume(
            hobbies=["ok", "x" * (MAX_STRING_CHARS + 1)],
            talks=[{"name": "y" * (MAX_NAME_CHARS + 1), "venue": "bad\x07bell", "link": "https://a b"}],
            objective="private \ue000 use",
        )
    )
    assert found == {
        "data.hobbies[1]": f"is too long (at most {MAX_STRING_CHARS} characters)",
        "data.talks[0].name": f"is too long (at most {MAX_NAME_CHARS} characters)",
        "data.talks[0].venue": "contains control characters that cannot be printed (U+0007)",
        "data.talks[0].link": "must not contain spaces",
    }
    unprintable = problems(resume(objective="private \ue000 use"))
    assert list(unprintable) == ["data.objective"]
    assert "no available font can print" in unprintable["data.objective"]


def test_extra_sections_count_against_the_list_limits() -> None:
    assert problems(resume(hobbies=["x"] * (MAX_LIST_ITEMS + 1))) == {
        "data.hobbies": f"has too many items (at most {MAX_LIST_ITEMS})"
    }
    many = {f"section{i}": "x" for i in range(MAX_LIST_ITEMS + 1)}
    assert problems(resume(**many)) == {
        "data.extraSections": f"has too many items (at most {MAX_LIST_ITEMS})"
    }
    detail_count = {"name": "A", **{f"d{i}": "x" for i in range(MAX_LIST_ITEMS + 1)}}
    assert problems(resume(talks=[detail_count])) == {
        "data.talks[0]": f"has too many items (at most {MAX_LIST_ITEMS})"
    }


def test_given_extra_sections_are_checked_like_any_field() -> None:
    found = problems(
        resume(extraSections=[{"title": "", "items": []}, {"title": "x", "items": [{"details": []}]}])
    )
    assert found == {
        "data.extraSections[0].title": "must not be empty",
        "data.extraSections[0].items": "needs at least 1 item(s)",
        "data.extraSections[1].items[0].title": "is required",
    }


# --- strict ------------------------------------------------------------------------------------------


def test_strict_turns_every_warning_into_an_error() -> None:
    envelope = resume(experience=[{"title": "x", "team": "y"}], talks=[{"name": "A", "tags": []}])
    expected = {
        "data.experience[0].team": unknowns.LEFT_OUT + unknowns.STRICT,
        "data.talks": shown("Talks") + unknowns.STRICT,
        "data.talks[0].tags": unknowns.NOT_SHOWN + unknowns.STRICT,
    }
    assert problems(envelope, strict=True) == expected
    assert problems({**envelope, "options": {"strict": True}}) == expected


def test_strict_accepts_a_document_without_warnings_and_does_not_change_its_key() -> None:
    plain = resume(extraSections=[{"title": "Talks", "items": ["A"]}])
    strict = {**plain, "options": {"strict": True}}
    assert check_request(strict, strict=True).warnings == ()
    assert "strict" not in canonical_request(validate_request(strict))["options"]
    assert content_key(validate_request(strict), "t") == content_key(validate_request(plain), "t")


def test_extra_sections_are_in_the_published_schema() -> None:
    schema = ResumeRequest.model_json_schema(by_alias=True)
    assert "extraSections" in schema["$defs"]["Resume"]["properties"]
    assert "strict" in schema["$defs"]["RenderOptions"]["properties"]
    assert extras.FIELD == "extraSections"
