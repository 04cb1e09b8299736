"""The original service's vocabulary: the fields docpipe took over (link texts, twitter/x, GPA, honours,
school projects, free-text letter dates, ``jobTitle`` ...), how each is checked, how each reaches the
LaTeX source, and a bounded fuzz over the new shapes."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from envelopes import PERSON, letter, problems, resume
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docpipe import latex
from docpipe.dates import PartialDate
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import InvalidDocument
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS
from docpipe.templates import render_source
from docpipe.validation import validate_request

LINKS = ("website", "linkedin", "github", "twitter", "x")


def source(document: dict[str, Any], template: str = "classic") -> str:
    return render_source(validate_request({**document, "template": template})).document


TEMPLATES = ["classic", "two_column"]


# --- personal links and their display texts ---------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("kind", ["resume", "cover_letter"])
def test_each_link_shows_its_display_text_and_points_at_its_address(kind: str, template: str) -> None:
    info = {**PERSON} | {k: f"https://{k}.example.com/ada" for k in LINKS}
    info |= {f"{k}_display": f"{k.upper()} & co" for k in LINKS}
    document = (resume if kind == "resume" else letter)(personalInfo=info)
    tex = source(document, template)
    for link in LINKS:
        assert rf"\href{{https://{link}.example.com/ada}}{{{link.upper()} \& co}}" in tex
        assert f"{link}.example.com/ada}}{{{link}.example.com" not in tex  # the address is not the text


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_link_without_display_text_shows_its_address_and_a_display_text_alone_is_text(
    template: str,
) -> None:
    info = PERSON | {"twitter": "https://twitter.com/ada", "x_display": "X: @ada_l"}
    tex = source(resume(personalInfo=info), template)
    assert r"\href{https://twitter.com/ada}{twitter.com/ada}" in tex
    assert "X: @ada\\_l" in tex


@pytest.mark.parametrize("template", TEMPLATES)
def test_an_empty_link_text_never_makes_an_invisible_link(template: str) -> None:
    info = PERSON | {"github": "https://github.com/ada", "github_display": ""}
    jobs = [{"title": "Dev", "company": "", "url": "https://acme.example"}]
    tex = source(resume(personalInfo=info, experience=jobs), template)
    assert r"\href{https://github.com/ada}{github.com/ada}" in tex
    assert r"\href{https://acme.example}{acme.example}" in tex
    assert not re.search(r"\\href\{[^}]*\}\{\}", tex)


def test_display_texts_are_snake_case_on_the_wire_only() -> None:
    request = validate_request(
        resume(personalInfo=PERSON | {"website": "https://a.co", "website_display": "A"})
    )
    assert request.data.personal_info.website_display == "A"
    dumped = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["data"]["personalInfo"]["website_display"] == "A"


@pytest.mark.parametrize("link", ["twitter", "x"])
def test_twitter_and_x_are_checked_like_every_link(link: str) -> None:
    assert problems(resume(personalInfo=PERSON | {link: "javascript:alert(1)"})) == {
        f"data.personalInfo.{link}": "must be a web address (http or https) or a mailto: link"
    }


def test_display_texts_have_the_short_text_limit() -> None:
    found = problems(resume(personalInfo=PERSON | {"github_display": "g" * (MAX_NAME_CHARS + 1)}))
    assert found == {"data.personalInfo.github_display": f"is too long (at most {MAX_NAME_CHARS} characters)"}


# --- education: GPA, honours, url, projects -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"), [(3.8, "3.8"), (4, "4"), ("3.80 / 4.00", "3.80 / 4.00"), (1.3, "1.3")]
)
def test_a_gpa_is_a_number_or_text_and_is_printed_as_given(given: Any, kept: str) -> None:
    request = validate_request(resume(education=[{"institution": "MIT", "gpa": given}]))
    assert isinstance(request, ResumeRequest)
    assert request.data.education[0].gpa == kept


@pytest.mark.parametrize(("given", "message"), [(True, "must be text"), (math.nan, "must be a number or text"),
                                                (math.inf, "must be a number or text"), ([3.8], "must be text")])  # fmt: skip
def test_a_gpa_that_is_neither_number_nor_text_is_refused(given: Any, message: str) -> None:
    assert problems(resume(education=[{"institution": "MIT", "gpa": given}])) == {
        "data.education[0].gpa": message
    }


def test_new_lists_have_the_list_limit() -> None:
    found = problems(
        resume(
            interests=["x"] * (MAX_LIST_ITEMS + 1), education=[{"institution": "a", "honors": ["h"] * 101}]
        )
    )
    assert found == {
        "data.interests": f"has too many items (at most {MAX_LIST_ITEMS})",
        "data.education[0].honors": f"has too many items (at most {MAX_LIST_ITEMS})",
    }


@pytest.mark.parametrize("template", TEMPLATES)
def test_education_details_reach_the_page(template: str) -> None:
    school = {
        "institution": "Uni",
        "url": "https://uni.example.edu",
        "gpa": 3.9,
        "honors": ["Summa cum laude", "Dean's List"],
        "projects": ["Thesis on queues", {"name": "Compiler", "tools": ["OCaml"], "achievements": ["Fast."]}],
    }
    tex = source(resume(education=[school]), template)
    for text in ("GPA:", "3.9", "Summa cum laude", latex.escape("Dean's List"), "Thesis on queues",
                 "Compiler", "OCaml", "Fast.", r"\href{https://uni.example.edu}{Uni}"):  # fmt: skip
        assert text in tex, text


# --- experience, certifications, publications, interests ---------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_other_new_resume_fields_reach_the_page(template: str) -> None:
    tex = source(
        resume(
            experience=[
                {
                    "title": "Dev",
                    "company": "Acme",
                    "url": "https://acme.example",
                    "description": "Owned billing.",
                },
                {"title": "Intern", "url": "https://beta.example/jobs"},
            ],
            certifications=[{"name": "CKA", "issuer": "CNCF", "date": "2022-05"}],
            publications=["A plain citation", {"title": "A paper", "date": "2020"}],
            articlesAndPublications=[{"title": "An article"}],
            interests=["Chess", "Sailing"],
        ),
        template,
    )
    for text in (r"\href{https://acme.example}{Acme}", "Owned billing.", r"\href{https://beta.example/jobs}{beta.example/jobs}",
                 "CNCF", "A plain citation", "A paper", "An article", "Interests", "Chess", "Sailing"):  # fmt: skip
        assert text in tex, text


# --- the cover letter ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept", "printed"),
    [
        ("2024-03-15", PartialDate(2024, 3, 15), "March 15, 2024"),
        ("2024-03", PartialDate(2024, 3), "March 2024"),
        ("March 15, 2024", "March 15, 2024", "March 15, 2024"),
        ("  15 March 2024 ", "15 March 2024", "15 March 2024"),
        ("03/15/2024", "03/15/2024", "03/15/2024"),
        ("Spring 2024 & beyond", "Spring 2024 & beyond", r"Spring 2024 \& beyond"),
    ],
)
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_letter_date_is_iso_or_printed_exactly_as_given(
    given: str, kept: Any, printed: str, template: str
) -> None:
    request = validate_request(letter(date=given))
    assert isinstance(request, CoverLetterRequest)
    assert request.data.date == kept
    assert printed in source(letter(date=given), template)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("2024-02-30", "is not a real calendar day"),
        ("2024-13", "month must be between 01 and 12"),
        ("   ", "must not be empty"),
        ("x" * (MAX_NAME_CHARS + 1), f"is too long (at most {MAX_NAME_CHARS} characters)"),
        ("May\x00 1", "contains control characters that cannot be printed (U+0000)"),
        (20240315, "must be a date (2021-03-09) or the date as text (March 9, 2021)"),
    ],
)
def test_a_letter_date_that_is_neither_is_refused(given: Any, message: str) -> None:
    assert problems(letter(date=given)) == {"data.date": message}


def test_a_free_text_date_is_part_of_the_request_and_survives_a_round_trip() -> None:
    request = validate_request(letter(date="March 15, 2024"))
    dumped = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["data"]["date"] == "March 15, 2024"
    assert validate_request(json.loads(json.dumps(dumped))).model_dump(mode="json") == request.model_dump(
        mode="json"
    )


@pytest.mark.parametrize("template", TEMPLATES)
def test_job_title_department_and_a_closing_on_two_lines(template: str) -> None:
    tex = source(
        letter(
            jobTitle="Staff Engineer #42",
            recipient={"company": "Acme", "department": "R&D"},
            closing="Best regards,\n\n  \\input{x}\nAda",
        ),
        template,
    )
    assert r"Re: Staff Engineer \#42" in tex
    assert r"R\&D" in tex
    assert r"Best regards,\newline \textbackslash{}input\{x\}\newline Ada" in tex


# --- a bounded fuzz over the new shapes ---------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from("aZ 09-,.&%$#_{}~^\\\n/:@é中"), max_size=12)
_TEXTS = st.lists(_TEXT, max_size=3)
_DATE = st.sampled_from(
    ["2020", "2020-02", "2020-02-30", "02-2020", "02-29-2020", "Sept 2020", "now", "soon", ""]
)
_URL = st.sampled_from(["https://a.example/x", "example.org/~a?b=1#c&d=%7B{}", "mailto:a@b.co"])
_JUNK = st.recursive(
    st.one_of(_TEXT, st.integers(-5, 5), st.floats(allow_nan=True), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _object(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    # Mostly well-typed values, so that many documents validate and get typeset; some junk anywhere.
    def rarely_junk(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.integers(0, 9).flatmap(lambda n: _JUNK if n == 0 else good)

    return st.fixed_dictionaries(required, optional={k: rarely_junk(v) for k, v in optional.items()})


_NAME = st.text(alphabet=st.sampled_from("aZ &%#_{}~^\\é"), min_size=1, max_size=8)
_PROJECT = _object(
    {"name": _NAME}, {"url": _URL, "description": _TEXT | _TEXTS, "tools": _TEXTS, "technologies": _TEXTS}
)
_PERSON = _object({}, {"twitter": _URL, "x": _URL} | {f"{k}_display": _TEXT for k in LINKS}).map(
    lambda d: PERSON | d
)
_SCHOOL = _object(
    {"school": _NAME},
    {"institution": _NAME, "graduationDate": _DATE, "endDate": _DATE, "url": _URL, "honors": _TEXTS,
     "gpa": _TEXT | st.floats() | st.integers(), "projects": st.lists(_TEXT | _PROJECT, max_size=2)},
)  # fmt: skip
_JOB = _object({"title": _NAME}, {"description": _TEXT | _TEXTS, "highlights": _TEXTS, "achievements": _TEXTS,
                                  "url": _URL, "startDate": _DATE})  # fmt: skip
_RESUMES = _object(
    {"personalInfo": _PERSON},
    {"summary": _TEXT, "professionalSummary": _TEXT, "interests": _TEXTS, "technologiesAndSkills": _TEXTS,
     "skills": st.dictionaries(_NAME, _TEXTS, max_size=3) | _TEXTS, "education": st.lists(_SCHOOL, max_size=2),
     "experience": st.lists(_JOB, max_size=2), "projects": st.lists(_PROJECT, max_size=2),
     "publications": st.lists(_TEXT | _object({"title": _NAME}, {"date": _DATE, "url": _URL}), max_size=2)},
).map(lambda data: {"document_type": "resume", "data": data})  # fmt: skip
_LETTER = {"date": _DATE | _TEXT, "jobTitle": _TEXT, "closing": _TEXT, "salutation": _TEXT,
           "recipient": _object({}, {"department": _TEXT, "address": _TEXT | _TEXTS})}  # fmt: skip
_BODY = _NAME | st.lists(_NAME, min_size=1, max_size=3)
_CONTENT = _object({"body": _BODY}, {"opening": _TEXT, "closing": _TEXT})
_LETTERS = st.one_of(
    _object({"personalInfo": _PERSON, "body": _BODY}, _LETTER | {"content": _CONTENT}),
    _object({"personalInfo": _PERSON, "content": _CONTENT}, _LETTER | {"body": _BODY}),
).map(lambda data: {"document_type": "cover_letter", "data": data})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.one_of(_RESUMES, _LETTERS), template=st.sampled_from(TEMPLATES))
def test_new_shapes_are_either_refused_cleanly_or_typeset(document: dict[str, Any], template: str) -> None:
    try:
        request = validate_request({**document, "template": template})
    except InvalidDocument as exc:  # the only way to refuse: a 422 listing what is wrong
        refusal: InvalidDocument | None = exc
    else:
        refusal = None
        source_text = render_source(request).text  # never raises for a valid request
        assert "\\end{document}" in source_text
    assert refusal is None or refusal.details
