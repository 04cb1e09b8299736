"""Other names for our fields (``summary``, ``skills``, ``highlights`` ...) and the letter's ``content``
form: each maps onto its field, giving both is an error at the alias's path, and the published JSON
Schema accepts every alias that validation accepts."""

from __future__ import annotations

import copy
import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from docpipe import aliases, cli
from docpipe.dates import PartialDate
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import InvalidDocument
from docpipe.schema import CoverLetter, Education, Experience, Project, Resume
from docpipe.validation import validate_request

ORIGINAL = Path(__file__).resolve().parents[1] / "data" / "original"
PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}


def resume(**data: Any) -> dict[str, Any]:
    return {"document_type": "resume", "data": {"personalInfo": dict(PERSON), **data}}


def letter(**data: Any) -> dict[str, Any]:
    return {"document_type": "cover_letter", "data": {"personalInfo": dict(PERSON), **data}}


def resume_data(**data: Any) -> Resume:
    request = validate_request(resume(**data))
    assert isinstance(request, ResumeRequest)
    return request.data


def letter_data(**data: Any) -> CoverLetter:
    request = validate_request(letter(**data))
    assert isinstance(request, CoverLetterRequest)
    return request.data


def problems(value: Any) -> dict[str, str]:
    with pytest.raises(InvalidDocument) as info:
        validate_request(value)
    return {d.path: d.message for d in info.value.details}


def twice(target: str) -> str:
    return f"means the same as {target}, which is given too: keep one of them"


# --- each alias lands on its field --------------------------------------------------------------------


def test_summary_is_the_professional_summary() -> None:
    assert resume_data(summary="Builds things.").professional_summary == "Builds things."


def test_skills_as_an_object_become_skill_groups_in_order() -> None:
    data = resume_data(skills={"Languages": ["Python", "Go"], "Cloud": ["AWS"]})
    groups = [(g.category, g.skills) for g in data.technologies_and_skills if not isinstance(g, str)]
    assert groups == [("Languages", ["Python", "Go"]), ("Cloud", ["AWS"])]


def test_skills_as_a_list_are_the_skills_list() -> None:
    data = resume_data(skills=["Python", {"category": "Cloud", "skills": ["AWS"]}])
    assert data.technologies_and_skills[0] == "Python"
    assert len(data.technologies_and_skills) == 2


def test_experience_highlights_are_achievements_and_description_is_kept() -> None:
    data = resume_data(
        experience=[{"title": "Dev", "highlights": ["Shipped it."], "description": "Did work."}]
    )
    (job,) = data.experience
    assert (job.achievements, job.description) == (["Shipped it."], ["Did work."])


def test_education_school_and_graduation_date() -> None:
    data = resume_data(education=[{"school": "MIT", "graduationDate": "May 2019", "gpa": 3.9}])
    (school,) = data.education
    assert (school.institution, school.end_date, school.gpa) == ("MIT", PartialDate(2019, 5), "3.9")


def test_project_technologies_are_tools_at_the_top_and_under_a_school() -> None:
    project = {"name": "p", "technologies": ["Rust"]}
    data = resume_data(projects=[project], education=[{"institution": "MIT", "projects": [project, "plain"]}])
    assert data.projects[0].tools == ["Rust"]
    nested = data.education[0].projects[0]
    assert not isinstance(nested, str)
    assert nested.tools == ["Rust"]
    assert data.education[0].projects[1] == "plain"


def test_an_alias_and_its_field_are_the_same_document() -> None:
    # Same canonical request, so the same cache key and the same PDF.
    by_alias = validate_request(resume(summary="x", skills={"A": ["b"]}, education=[{"school": "MIT"}]))
    by_name = validate_request(
        resume(
            professionalSummary="x",
            technologiesAndSkills=[{"category": "A", "skills": ["b"]}],
            education=[{"institution": "MIT"}],
        )
    )
    assert by_alias.model_dump(mode="json") == by_name.model_dump(mode="json")


def test_a_validated_request_dumps_to_itself_again() -> None:
    # The render worker validates the stored (dumped) request once more: it must come back the same.
    for path in sorted(ORIGINAL.glob("*.json")):
        first = validate_request(json.loads(path.read_text(encoding="utf-8")))
        dumped = first.model_dump(mode="json", by_alias=True, exclude_none=True)
        again = validate_request(copy.deepcopy(dumped))
        assert again.model_dump(mode="json", by_alias=True, exclude_none=True) == dumped, path.name


# --- both names given: an error at the alias's path ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "target"),
    [
        ({"summary": "a", "professionalSummary": "b"}, "data.summary", "professionalSummary"),
        ({"skills": {"A": ["b"]}, "technologiesAndSkills": ["c"]}, "data.skills", "technologiesAndSkills"),
        ({"skills": ["a"], "technologiesAndSkills": []}, "data.skills", "technologiesAndSkills"),
        (
            {"experience": [{"title": "t", "achievements": ["a"], "highlights": ["b"]}]},
            "data.experience[0].highlights",
            "achievements",
        ),
        ({"education": [{"institution": "a", "school": "b"}]}, "data.education[0].school", "institution"),
        (
            {"education": [{"institution": "a", "endDate": "2020", "graduationDate": "2021"}]},
            "data.education[0].graduationDate",
            "endDate",
        ),
        (
            {"projects": [{"name": "p", "tools": [], "technologies": ["x"]}]},
            "data.projects[0].technologies",
            "tools",
        ),
        (
            {
                "education": [
                    {"institution": "a", "projects": [{"name": "p", "tools": ["x"], "technologies": []}]}
                ]
            },
            "data.education[0].projects[0].technologies",
            "tools",
        ),
    ],
)
def test_a_field_given_under_both_names_is_an_error_at_the_alias(
    data: dict[str, Any], path: str, target: str
) -> None:
    assert problems(resume(**data)) == {path: twice(target)}


def test_every_conflict_is_reported_at_once() -> None:
    found = problems(
        resume(summary="a", professionalSummary="b", education=[{"school": "x", "institution": "y"}])
    )
    assert set(found) == {"data.summary", "data.education[0].school"}


def test_an_alias_with_a_wrong_value_is_reported_at_its_field() -> None:
    # The alias is renamed before validation, so its problems name docpipe's field.
    assert problems(resume(education=[{"school": ""}])) == {
        "data.education[0].institution": "must not be empty"
    }
    assert problems(resume(skills={"Tools": []})) == {
        "data.technologiesAndSkills[0].skills": "needs at least 1 item(s)"
    }


# --- the letter's structured form: content{opening, body, closing} ---------------------------------------


def test_content_is_spread_onto_salutation_body_and_closing() -> None:
    data = letter_data(content={"opening": "Hi Bob,", "body": "One.\n\nTwo.", "closing": "Cheers,\nAda"})
    assert (data.salutation, data.body, data.closing) == ("Hi Bob,", ["One.", "Two."], "Cheers,\nAda")


def test_content_may_give_part_of_the_letter() -> None:
    data = letter_data(content={"body": ["Only the body."]}, closing="Yours,")
    assert (data.salutation, data.body, data.closing) == (
        "Dear Hiring Manager,",
        ["Only the body."],
        "Yours,",
    )


def test_content_and_the_same_top_level_field_is_an_error_at_content() -> None:
    found = problems(letter(content={"opening": "Hi,", "body": ["a"]}, body=["b"], salutation="Yo,"))
    assert found == {
        "data.content.opening": "is also given as salutation outside content: keep one of them",
        "data.content.body": "is also given as body outside content: keep one of them",
    }


def test_a_letter_needs_a_body_in_one_of_the_two_places() -> None:
    assert problems(letter(content={"opening": "Hi,"})) == {"data.body": "is required"}
    assert problems(letter(content="Hello")) == {
        "data.content": "must be an object",
        "data.body": "is required",
    }


def test_unknown_keys_in_content_are_not_dropped_unseen() -> None:
    with pytest.raises(ValidationError) as info:
        CoverLetter.model_validate({"personalInfo": PERSON, "content": {"body": "x", "signature": "Ada"}})
    assert [e["loc"] for e in info.value.errors()] == [("content", "signature")]


# --- the aliases table and the models agree ----------------------------------------------------------------


def _alias_fields(model: type[BaseModel]) -> dict[str, str]:
    return {
        field.alias or name: meta.target
        for name, field in model.model_fields.items()
        for meta in field.metadata
        if isinstance(meta, aliases.AliasOf)
    }


@pytest.mark.parametrize(
    ("model", "table"),
    [
        (Resume, aliases.RESUME),
        (Experience, aliases.EXPERIENCE),
        (Education, aliases.EDUCATION),
        (Project, aliases.PROJECT),
    ],
)
def test_every_renamed_alias_is_a_declared_alias_field(model: type[BaseModel], table: dict[str, str]) -> None:
    assert _alias_fields(model) == table
    wire_names = {field.alias or name for name, field in model.model_fields.items()}
    assert set(table.values()) <= wire_names


# --- the published schema -----------------------------------------------------------------------------------


def _schema(document_type: str) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["schema", document_type]) == 0
    return dict(json.loads(out.getvalue()))


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.Draft202012Validator]:
    return {kind: jsonschema.Draft202012Validator(_schema(kind)) for kind in ("resume", "cover_letter")}


def test_every_alias_is_published_as_an_alias(validators: dict[str, Any]) -> None:
    defs = validators["resume"].schema["$defs"]
    for model, table in ((Resume, aliases.RESUME), (Experience, aliases.EXPERIENCE),
                         (Education, aliases.EDUCATION), (Project, aliases.PROJECT)):  # fmt: skip
        properties = defs[model.__name__]["properties"]
        for alias, target in table.items():
            assert properties[alias]["description"] == f"alias of {target}"


ACCEPTED = [
    resume(summary="x"),
    resume(skills={"Languages": ["Python"], "Cloud": ["AWS", "GCP"]}),
    resume(skills=["Python", {"category": "Cloud", "skills": ["AWS"]}]),
    resume(experience=[{"title": "t", "highlights": ["a"], "description": "d"}]),
    resume(experience=[{"title": "t", "description": ["d", "e"]}]),
    resume(education=[{"school": "MIT", "graduationDate": "Jun 2019", "gpa": 3.7, "honors": ["cum laude"]}]),
    resume(education=[{"institution": "MIT", "gpa": "3.7/4.0", "projects": ["x", {"name": "p"}]}]),
    resume(projects=[{"name": "p", "technologies": ["Rust"]}]),
    letter(content={"opening": "Hi,", "body": "One.\n\nTwo.", "closing": "Bye,\nAda"}),
    letter(content={"body": ["One."]}, salutation="Hi,", closing="Bye,"),
    letter(body="x", content=None),
    letter(body=["x"], date="March 15, 2024", jobTitle="Engineer"),
]
REFUSED = [
    resume(summary="a", professionalSummary="b"),
    resume(skills=["a"], technologiesAndSkills=["b"]),
    resume(skills={"Tools": []}),
    resume(experience=[{"title": "t", "highlights": ["a"], "achievements": ["b"]}]),
    resume(education=[{"school": "a", "institution": "b"}]),
    resume(education=[{"degree": "BSc"}]),
    resume(education=[{"institution": "a", "graduationDate": "2020", "endDate": "2020"}]),
    resume(projects=[{"name": "p", "technologies": ["a"], "tools": ["b"]}]),
    letter(content={"body": ["a"]}, body=["b"]),
    letter(content={"opening": "a", "body": ["b"]}, salutation="c"),
    letter(content={"closing": "a", "body": ["b"]}, closing="c"),
    letter(content={"opening": "a"}),
    letter(content=None),
    letter(),
]


def _keys(document: dict[str, Any]) -> str:
    return "-".join(key for key in document["data"] if key != "personalInfo") or "bare"


@pytest.mark.parametrize("document", ACCEPTED, ids=_keys)
def test_the_schema_accepts_what_validation_accepts(
    validators: dict[str, Any], document: dict[str, Any]
) -> None:
    validate_request(copy.deepcopy(document))
    validators[document["document_type"]].validate(document)


@pytest.mark.parametrize("document", REFUSED, ids=_keys)
def test_the_schema_refuses_what_validation_refuses(
    validators: dict[str, Any], document: dict[str, Any]
) -> None:
    with pytest.raises(InvalidDocument):
        validate_request(copy.deepcopy(document))
    assert not validators[document["document_type"]].is_valid(document)


@pytest.mark.parametrize("path", sorted(ORIGINAL.glob("*.json")), ids=lambda p: p.name)
def test_the_schema_accepts_the_original_services_samples(validators: dict[str, Any], path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    validate_request(copy.deepcopy(document))
    validators[document["document_type"]].validate(document)
