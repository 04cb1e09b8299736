"""JSON Resume (jsonresume.org schema v1) input: mapped onto docpipe's fields, then validated as usual."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from docpipe import jsonresume
from docpipe.dates import PRESENT, PartialDate
from docpipe.envelope import ResumeRequest
from docpipe.errors import InvalidDocument
from docpipe.schema import SkillGroup
from docpipe.validation import check_request, envelope_from, validate_request

# Close to the schema's own example (https://jsonresume.org/schema), every section filled in.
JSON_RESUME: dict[str, Any] = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "basics": {
        "name": "Richard Hendriks",
        "label": "Programmer",
        "image": "https://example.com/photo.jpg",
        "email": "richard.hendriks@example.com",
        "phone": "(912) 555-4321",
        "url": "https://richardhendricks.example.com",
        "summary": "Richard hails from Tulsa.",
        "location": {
            "address": "2712 Broadway St",
            "postalCode": "CA 94115",
            "city": "San Francisco",
            "countryCode": "US",
            "region": "California",
        },
        "profiles": [
            {"network": "Twitter", "username": "neutralthoughts", "url": "https://twitter.com/x"},
            {"network": "LinkedIn", "username": "rh", "url": "https://www.linkedin.com/in/rh"},
            {"network": "github", "username": "rh", "url": "https://github.com/rh"},
        ],
    },
    "work": [
        {
            "name": "Pied Piper",
            "location": "Palo Alto, CA",
            "description": "Awesome compression company",
            "position": "CEO/President",
            "url": "https://piedpiper.example.com",
            "startDate": "2013-12-01",
            "endDate": "",
            "summary": "Pied Piper is a multi-platform technology.",
            "highlights": ["Build an algorithm", "Successfully won Techcrunch Disrupt"],
        },
        {"name": "Hooli", "position": "Engineer", "startDate": "2011-06", "endDate": "2013"},
    ],
    "volunteer": [
        {
            "organization": "CoderDojo",
            "position": "Teacher",
            "url": "https://coderdojo.example.com",
            "startDate": "2012-01-01",
            "endDate": "2013-01-01",
            "summary": "Global movement of free coding clubs.",
            "highlights": ["Awarded 'Teacher of the Month'"],
        }
    ],
    "education": [
        {
            "institution": "University of Oklahoma",
            "url": "https://www.ou.edu",
            "area": "Information Technology",
            "studyType": "Bachelor",
            "startDate": "2011-06-01",
            "endDate": "2014-01-01",
            "score": "4.0",
            "courses": ["DB1101 - Basic SQL", "CS2011 - Java Introduction"],
        }
    ],
    "awards": [{"title": "Digital Compression Pioneer Award", "date": "2014-11-01", "awarder": "Techcrunch"}],
    "certificates": [{"name": "Certified Kubernetes Administrator", "date": "2021-11-07", "issuer": "CNCF"}],
    "publications": [
        {
            "name": "Video compression for 3d media",
            "publisher": "Hooli",
            "releaseDate": "2014-10-01",
            "url": "https://en.wikipedia.org/wiki/Silicon_Valley_(TV_series)",
            "summary": "Innovative middle-out compression algorithm.",
        }
    ],
    "skills": [
        {"name": "Web Development", "level": "Master", "keywords": ["HTML", "CSS", "JavaScript"]},
        {"name": "Compression", "level": "Master", "keywords": []},
    ],
    "languages": [{"language": "English", "fluency": "Native speaker"}, {"language": "Klingon"}],
    "interests": [{"name": "Wildlife", "keywords": ["Ferrets", "Unicorns"]}],
    "references": [{"name": "Erlich Bachman", "reference": "It is my pleasure to recommend Richard."}],
    "projects": [
        {
            "name": "Miss Direction",
            "description": "A mapping engine that misguides you",
            "highlights": ["Won award at AIHacks 2016"],
            "keywords": ["GoogleMaps", "Chrome Extension"],
            "startDate": "2016-08-24",
            "endDate": "2016-08-24",
            "url": "https://missdirection.example.com",
            "roles": ["Team Lead"],
            "entity": "Smoogle",
            "type": "application",
        }
    ],
    "meta": {"canonical": "https://example.com/resume.json", "version": "v1.0.0"},
}


def convert(document: dict[str, Any]) -> ResumeRequest:
    request = validate_request(envelope_from(document))
    assert isinstance(request, ResumeRequest)
    return request


def test_basics_map_onto_personal_info() -> None:
    info = convert(JSON_RESUME).data.personal_info
    assert info.name == "Richard Hendriks"
    assert info.title == "Programmer"
    assert info.email == "richard.hendriks@example.com"
    assert info.phone == "(912) 555-4321"
    assert info.website == "https://richardhendricks.example.com"
    assert info.location == "San Francisco, California, US"


def test_profiles_become_linkedin_github_and_twitter_whatever_their_case() -> None:
    info = convert(JSON_RESUME).data.personal_info
    assert info.linkedin == "https://www.linkedin.com/in/rh"
    assert info.github == "https://github.com/rh"
    assert info.twitter == "https://twitter.com/x"


def test_work_with_partial_dates_and_an_empty_end_date() -> None:
    data = convert(JSON_RESUME).data
    assert data.professional_summary == "Richard hails from Tulsa."
    first, second = data.experience
    assert (first.title, first.company, first.location) == ("CEO/President", "Pied Piper", "Palo Alto, CA")
    assert first.url == "https://piedpiper.example.com"
    assert first.start_date == PartialDate(2013, 12, 1)
    assert first.end_date is None  # "" means ongoing: the résumé prints "Present"
    assert first.achievements == [
        "Pied Piper is a multi-platform technology.",
        "Build an algorithm",
        "Successfully won Techcrunch Disrupt",
    ]
    assert (second.start_date, second.end_date) == (PartialDate(2011, 6), PartialDate(2013))
    assert second.achievements == []


def test_education_projects_and_volunteering() -> None:
    data = convert(JSON_RESUME).data
    (school,) = data.education
    assert school.degree == "Bachelor in Information Technology"
    assert school.institution == "University of Oklahoma"
    assert (school.gpa, school.focus) == ("4.0", None)  # score is the GPA docpipe prints
    assert school.url == "https://www.ou.edu"
    assert school.notable_course_works == ["DB1101 - Basic SQL", "CS2011 - Java Introduction"]
    (project,) = data.projects
    assert project.name == "Miss Direction"
    assert project.description == ["A mapping engine that misguides you"]
    assert project.tools == ["GoogleMaps", "Chrome Extension"]
    assert project.achievements == ["Won award at AIHacks 2016"]
    (role,) = data.volunteering
    assert not isinstance(role, str)
    assert (role.role, role.organization) == ("Teacher", "CoderDojo")
    assert role.description == "Global movement of free coding clubs. Awarded 'Teacher of the Month'"


def test_skill_keywords_become_groups_and_interests_a_group_of_their_own() -> None:
    skills = convert(JSON_RESUME).data.technologies_and_skills
    assert skills[0] == SkillGroup.model_validate(
        {"category": "Web Development", "skills": ["HTML", "CSS", "JavaScript"]}
    )
    assert skills[1] == "Compression"  # no keywords: the skill's name alone
    assert skills[2] == SkillGroup.model_validate({"category": "Interests", "skills": ["Wildlife"]})


def test_awards_certificates_publications_and_languages() -> None:
    data = convert(JSON_RESUME).data
    assert data.awards_and_honors == ["Digital Compression Pioneer Award — Techcrunch (2014-11-01)"]
    (cert,) = data.certifications
    assert not isinstance(cert, str)
    assert (cert.name, cert.date) == ("Certified Kubernetes Administrator", PartialDate(2021, 11, 7))
    assert cert.issuer == "CNCF"
    (publication,) = data.articles_and_publications
    assert publication.title == "Video compression for 3d media"
    assert publication.date == PartialDate(2014, 10, 1)
    assert data.languages == ["English — Native speaker", "Klingon"]


def test_a_minimal_json_resume() -> None:
    data = convert({"basics": {"name": "Ada", "email": "ada@example.com"}}).data
    assert data.personal_info.name == "Ada"
    assert data.experience == []


def test_unknown_json_resume_sections_are_read_like_docpipe_ones() -> None:
    """A simple section becomes an extra section, anything else a warning, a near miss an error that
    names JSON Resume's field (the one the user meant), all at the user's own path."""
    document = copy.deepcopy(JSON_RESUME) | {"hobbies": ["chess"], "settings": {"theme": "dark"}}
    checked = check_request(envelope_from(document))
    assert [str(w) for w in checked.warnings] == [
        "data.settings: is not a known field; it is left out of the document (see `docpipe schema`)",
        'data.hobbies: is not a known field; it is shown as an extra section titled "Hobbies"',
    ]
    assert isinstance(checked.request, ResumeRequest)
    assert [s.title for s in checked.request.data.extra_sections] == ["Hobbies"]
    with pytest.raises(InvalidDocument) as info:
        convert(copy.deepcopy(JSON_RESUME) | {"certificats": []})
    assert [str(d) for d in info.value.details] == [
        "data.certificats: is not a known field; did you mean `certificates`?"
    ]


def test_invalid_json_resume_values_are_reported_at_their_json_resume_paths() -> None:
    document = copy.deepcopy(JSON_RESUME)
    document["work"][1]["startDate"] = "2011-13"
    document["basics"]["email"] = "nope"
    with pytest.raises(InvalidDocument) as info:
        convert(document)
    assert {str(d) for d in info.value.details} == {
        "data.work[1].startDate: month must be between 01 and 12",
        "data.basics.email: is not an email address (expected name@example.com)",
    }


def test_a_section_that_is_not_a_list_is_reported_not_crashed_on() -> None:
    with pytest.raises(InvalidDocument) as info:
        convert({"basics": {"name": "Ada", "email": "ada@example.com"}, "work": {"name": "x"}})
    assert [str(d) for d in info.value.details] == ["data.work: must be a list"]


def test_present_and_empty_dates() -> None:
    assert jsonresume.to_docpipe({"basics": {}, "work": [{"position": "x", "startDate": "", "endDate": ""}]})[
        "experience"
    ] == [{"title": "x"}]
    data = convert(
        {"basics": {"name": "A", "email": "a@b.co"}, "work": [{"position": "x", "endDate": "Present"}]}
    ).data
    assert data.experience[0].end_date == PRESENT
