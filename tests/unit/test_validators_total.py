"""Validation is total: whatever JSON value stands in any field of any input form, the answer is a
valid request or docpipe's own error listing problems at the path the user wrote, never a crash.

Each form (docpipe's résumé and cover letter, JSON Resume, and all three as YAML text) starts from a
complete seed document; hypothesis puts an arbitrary JSON value at one of the seed's paths. The errors
must then all lie under that path (the user's own: ``data.work[0].position`` for JSON Resume, never
docpipe's ``data.experience[0].title``), and no string may come back split into its characters.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docpipe.errors import DocumentTooLarge, InvalidDocument, UnknownTemplate
from docpipe.validation import Checked, check_request, envelope_from, parse_bytes

Path = tuple[str | int, ...]

RESUME: dict[str, Any] = {
    "personalInfo": {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "location": "London",
        "website": "https://ada.example",
        "linkedin": "https://www.linkedin.com/in/ada",
        "github": "github.com/ada",
        "title": "Analyst",
        "website_display": "ada.example",
    },
    "professionalSummary": "Wrote the first program.",
    "experience": [
        {
            "title": "Analyst",
            "company": "Babbage & Co",
            "location": "London",
            "url": "https://babbage.example/engine",
            "startDate": "1842-01",
            "endDate": "Present",
            "description": ["Notes on the Analytical Engine."],
            "achievements": ["Bernoulli numbers", "Loops"],
        }
    ],
    "education": [
        {
            "degree": "Private tuition",
            "institution": "Home",
            "startDate": "1830",
            "endDate": "1835",
            "gpa": 4.0,
            "honors": ["First"],
            "notableCourseWorks": ["Mathematics"],
            "projects": ["Flying machine", {"name": "Flyology", "tools": ["paper"]}],
        }
    ],
    "projects": [{"name": "Notes", "url": "https://notes.example", "tools": ["ink"], "achievements": ["x"]}],
    "technologiesAndSkills": ["Mathematics", {"category": "Languages", "skills": ["English", "French"]}],
    "certifications": ["Royal Society", {"name": "Fellow", "issuer": "RS", "date": "1843"}],
    "achievements": ["First algorithm"],
    "articlesAndPublications": [{"title": "Sketch of the Analytical Engine", "date": "1843"}],
    "awardsAndHonors": ["Remembered"],
    "languages": ["English"],
    "volunteering": [{"role": "Tutor", "organization": "School", "description": "Taught."}],
    "publications": ["Notes", {"title": "Letters", "url": "https://letters.example"}],
    "interests": ["Horses"],
    "talks": [{"title": "On engines", "date": "1843", "url": "https://talks.example"}],
}

LETTER: dict[str, Any] = {
    "personalInfo": {"name": "Ada Lovelace", "email": "ada@example.com", "location": "London"},
    "recipient": {"name": "Charles", "title": "Prof", "company": "Engines", "address": ["1 Road", "London"]},
    "date": "1843-07-10",
    "jobTitle": "Translator",
    "salutation": "Dear Charles,",
    "body": ["I have finished the notes.", "They are long."],
    "closing": "Yours,",
}

JSON_RESUME: dict[str, Any] = {
    "$schema": "https://jsonresume.org/schema",
    "basics": {
        "name": "Ada Lovelace",
        "label": "Analyst",
        "image": "https://ada.example/a.jpg",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "url": "https://ada.example",
        "summary": "Wrote the first program.",
        "location": {
            "address": "St James's Square",
            "city": "London",
            "region": "England",
            "countryCode": "GB",
        },
        "profiles": [
            {"network": "Twitter", "url": "https://twitter.example/ada"},
            {"network": "LinkedIn", "url": "https://www.linkedin.com/in/ada"},
            {"network": "GitHub", "url": "https://github.com/ada"},
        ],
    },
    "work": [
        {
            "name": "Babbage & Co",
            "position": "Analyst",
            "location": "London",
            "url": "https://babbage.example",
            "startDate": "1842-01",
            "endDate": "",
            "summary": "Notes on the engine.",
            "highlights": ["Bernoulli numbers", "Loops"],
        }
    ],
    "volunteer": [
        {
            "organization": "School",
            "position": "Tutor",
            "startDate": "1840",
            "summary": "Taught mathematics.",
            "highlights": ["Wrote exercises"],
        }
    ],
    "education": [
        {
            "institution": "Home",
            "area": "Mathematics",
            "studyType": "Tuition",
            "startDate": "1830",
            "endDate": "1835",
            "score": "4.0",
            "courses": ["Algebra", "Geometry"],
        }
    ],
    "awards": [{"title": "Remembered", "date": "1843", "awarder": "Everyone"}],
    "certificates": [{"name": "Fellow", "date": "1843", "url": "https://rs.example"}],
    "publications": [{"name": "Sketch", "releaseDate": "1843-09", "url": "https://sketch.example"}],
    "skills": [
        {"name": "Mathematics", "keywords": ["Algebra", "Calculus"]},
        {"name": "Poetry", "keywords": []},
    ],
    "languages": [{"language": "English", "fluency": "Native"}, {"language": "French"}],
    "interests": [{"name": "Horses"}, {"name": "Engines"}],
    "references": [{"name": "Charles", "reference": "Good."}],
    "projects": [
        {
            "name": "Notes",
            "description": "Notes on the engine.",
            "highlights": ["Note G"],
            "keywords": ["ink"],
            "url": "https://notes.example",
        }
    ],
    "meta": {"version": "v1.0.0"},
    "talks": [{"name": "On engines", "date": "1843"}],
}

# A JSON Resume value printed as one part of a text joined from several (city, region and country
# make one location line): a problem with the whole line is reported at the object it is joined in.
_JOINED = re.compile(
    r"^(data\.basics\.location)\.(city|region|countryCode)"
    r"|^(data\.(education|awards|languages|volunteer)\[\d+\])\.(studyType|area|title|awarder|date"
    r"|language|fluency|summary|highlights)"
)


def _paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path in ``value``: each object member and list item, containers included."""
    if path:
        yield path
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        yield from _paths(child, (*path, key))


def _put(document: Any, path: Path, value: Any) -> Any:
    copied = copy.deepcopy(document)
    target = copied
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copied


def user_path(path: Path) -> str:
    return "data" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[")


def _related(path: str, field: str) -> bool:
    return _under(path, field) or _under(field, path)


_TEXT = st.sampled_from(
    [
        "",
        " ",
        "abc",
        "ab",
        "x" * 400,
        "\x00",
        "a\x07b",
        "\u202eevil",
        "a\nb",
        "2021-03",
        "Present",
        "https://x.org/a",
        "a@b.co",
        "\ue000",
        "中文",
        "{}\\%$",
        "3.9",
    ]
) | st.text(max_size=12)
_NUMBERS = st.integers() | st.integers(min_value=-(10**40), max_value=10**40) | st.floats()
_SCALARS = st.none() | st.booleans() | _NUMBERS | _TEXT
_KEYS = st.sampled_from(["name", "title", "position", "highlights", "url", "network", "city", "keywords"])
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(_KEYS | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=8,
)

_FORMS: dict[str, tuple[str, dict[str, Any]]] = {
    "resume": ("resume", RESUME),
    "cover_letter": ("cover_letter", LETTER),
    "json_resume": ("resume", JSON_RESUME),
}
_PATHS = {form: list(_paths(seed)) for form, (_, seed) in _FORMS.items()}
# What the seeds are told as they are (JSON Resume's talks are an extra section, say).
_SEED_WARNINGS = {
    form: set(check_request(envelope_from(seed, document_type=kind)).warnings)
    for form, (kind, seed) in _FORMS.items()
}


def _envelope(form: str, path: Path, value: Any) -> dict[str, Any]:
    document_type, seed = _FORMS[form]
    data = _put(seed, path, value)
    if form == "json_resume":
        return envelope_from(data)  # bare JSON Resume, as users send it
    return {"document_type": document_type, "data": data}


def _character_lists(value: Any) -> Iterator[str]:
    """Every list of one-character strings in ``value``, joined."""
    if isinstance(value, dict):
        for child in value.values():
            yield from _character_lists(child)
    elif isinstance(value, list):
        if len(value) > 1 and all(isinstance(v, str) and len(v) == 1 for v in value):
            yield "".join(value)
        for child in value:
            yield from _character_lists(child)


def _accepted(path: Path) -> list[str]:
    """Where problems with the value at ``path`` may be reported."""
    field = user_path(path)
    joined = _JOINED.match(field)
    return [field, joined.group(1) or joined.group(3)] if joined else [field]


def _validated(envelope_or_raw: dict[str, Any] | bytes) -> Checked | InvalidDocument:
    """The checked request, or docpipe's error; any other exception fails the test."""
    try:
        if isinstance(envelope_or_raw, bytes):
            envelope_or_raw = parse_bytes(envelope_or_raw, yaml_ok=True)
        return check_request(envelope_or_raw)
    except (InvalidDocument, UnknownTemplate, DocumentTooLarge) as exc:
        return exc


def check(envelope_or_raw: dict[str, Any] | bytes, form: str, path: Path, value: Any) -> None:
    """Validate; any error must be docpipe's, with problems only at the user's path for ``path``."""
    places = _accepted(path)
    checked = _validated(envelope_or_raw)
    if isinstance(checked, InvalidDocument):
        assert checked.details, checked
        for detail in checked.details:
            assert any(_under(detail.path, place) for place in places), (places, str(detail))
        return
    for warning in set(checked.warnings) - _SEED_WARNINGS[form]:
        assert any(_related(warning.path, place) for place in places), (places, str(warning))
    if isinstance(value, str) and len(value.strip()) > 1:
        dump = checked.request.data.model_dump(mode="json")
        assert value.strip() not in set(_character_lists(dump)), "a string was split into characters"


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("form", list(_FORMS))
@_SETTINGS
@given(data=st.data(), value=JSON_VALUES)
def test_any_value_in_any_field_is_valid_or_reported_at_its_path(form: str, data: Any, value: Any) -> None:
    path = data.draw(st.sampled_from(_PATHS[form]), label="path")
    check(_envelope(form, path, value), form, path, value)


def _yaml_safe(value: Any) -> bool:
    # NaN is no value YAML round-trips as equal to itself; everything else is compared as loaded.
    return not (isinstance(value, float) and math.isnan(value))


@pytest.mark.parametrize("form", list(_FORMS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=JSON_VALUES)
def test_the_same_as_yaml_text(form: str, data: Any, value: Any) -> None:
    path = data.draw(st.sampled_from(_PATHS[form]), label="path")
    envelope = _envelope(form, path, value)
    raw = yaml.safe_dump(envelope, allow_unicode=True).encode()
    check(raw, form, path, value if _yaml_safe(value) else None)


# --- the cases the review found ---------------------------------------------------------------------------

BASICS = {"name": "Ada", "email": "ada@example.com"}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidDocument) as info:
        check_request(envelope_from(data))
    return [str(d) for d in info.value.details]


def test_json_resume_highlights_that_are_not_a_list_are_reported() -> None:
    assert problems({"basics": BASICS, "work": [{"position": "x", "highlights": 5}]}) == [
        "data.work[0].highlights: must be a list"
    ]
    assert problems({"basics": BASICS, "work": [{"highlights": 5}]}) == [
        "data.work[0].position: is required",
        "data.work[0].highlights: must be a list",
    ]
    assert problems({"basics": BASICS, "volunteer": [{"organization": "x", "highlights": 7}]}) == [
        "data.volunteer[0].highlights: must be a list"
    ]


def test_a_string_is_never_split_into_characters() -> None:
    assert problems({"basics": BASICS, "work": [{"position": "x", "highlights": "abc"}]}) == [
        "data.work[0].highlights: must be a list"
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"basics": {"email": "ada@example.com"}}, "data.basics.name: is required"),
        ({"basics": BASICS | {"email": "nope"}}, "data.basics.email: is not an email address"),
        ({"basics": BASICS, "work": [{"name": "x"}]}, "data.work[0].position: is required"),
        (
            {"basics": BASICS, "work": [{"position": "x", "startDate": 2020}]},
            "data.work[0].startDate: must be",
        ),
        ({"basics": BASICS | {"label": 5}}, "data.basics.label: must be text"),
        ({"basics": BASICS | {"url": "javascript:x"}}, "data.basics.url: must be a web address"),
        (
            {"basics": BASICS, "education": [{"institution": "x", "courses": "abc"}]},
            "data.education[0].courses:",
        ),
        (
            {"basics": BASICS, "skills": [{"name": "x", "keywords": 5}]},
            "data.skills[0].keywords: must be a list",
        ),
        ({"basics": BASICS, "skills": 5}, "data.skills: must be a list"),
        ({"basics": BASICS, "interests": [{"name": 5}]}, "data.interests[0].name: must be text"),
        ({"basics": BASICS, "awards": [{"title": {"x": 1}}]}, "data.awards[0].title: must be text"),
        ({"basics": BASICS, "languages": [{"fluency": "Native"}]}, "data.languages[0].language: is required"),
        ({"basics": BASICS | {"profiles": {"network": "github"}}}, "data.basics.profiles: must be a list"),
        ({"basics": BASICS | {"location": {"city": ["x"]}}}, "data.basics.location.city: must be text"),
        ({"basics": BASICS, "work": [{"position": "x", "summary": 5}]}, "data.work[0].summary: must be text"),
        (
            {"basics": BASICS, "work": [{"position": "x", "highlights": [1]}]},
            "data.work[0].highlights[0]: must",
        ),
        ({"basics": "Ada"}, "data.basics: must be an object"),
        ({"basics": BASICS, "education": [{"institution": "x", "score": True}]}, "data.education[0].score:"),
    ],
)
def test_json_resume_errors_name_the_users_own_path(data: dict[str, Any], expected: str) -> None:
    found = problems(data)
    assert any(p.startswith(expected) for p in found), found


def test_an_achievement_after_a_summary_is_reported_at_its_highlight() -> None:
    data = {"basics": BASICS, "work": [{"position": "x", "summary": "s", "highlights": ["ok", "a\x00"]}]}
    assert problems(data) == [
        "data.work[0].highlights[1]: contains control characters that cannot be printed (U+0000)"
    ]


def test_json_resume_warnings_and_extra_sections_name_the_users_path() -> None:
    checked = check_request(envelope_from({"basics": BASICS, "talks": ["On engines"], "hobbies": {"a": 1}}))
    assert [str(w) for w in checked.warnings] == [
        "data.hobbies: is not a known field; it is left out of the document (see `docpipe schema`)",
        'data.talks: is not a known field; it is shown as an extra section titled "Talks"',
    ]


def test_a_misspelt_json_resume_section_is_an_error_naming_the_json_resume_field() -> None:
    assert problems({"basics": BASICS, "wrok": [{"position": "x"}]}) == [
        "data.wrok: is not a known field; did you mean `work`?"
    ]


def test_docpipe_names_for_json_resume_sections_are_refused_in_a_json_resume_document() -> None:
    found = problems({"basics": BASICS, "work": [{"position": "x"}], "experience": [{"title": "y"}]})
    assert len(found) == 1, found
    assert found[0].startswith("data.experience: is docpipe's name for `work`"), found


def test_json_and_yaml_answers_match_for_json_resume() -> None:
    data = {"basics": BASICS, "work": [{"highlights": 5}]}
    with pytest.raises(InvalidDocument) as from_json:
        check_request(envelope_from(parse_bytes(json.dumps(data).encode())))
    with pytest.raises(InvalidDocument) as from_yaml:
        check_request(envelope_from(parse_bytes(yaml.safe_dump(data).encode(), yaml_ok=True)))
    assert from_json.value.details == from_yaml.value.details
