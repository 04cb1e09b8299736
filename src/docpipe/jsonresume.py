"""Map a JSON Resume (jsonresume.org schema v1) document onto docpipe's résumé fields.

The result is plain camelCase data that the Resume model then validates like any other input, so
errors still carry paths. JSON Resume fields with no place on a printed résumé (``image``,
``references``, ``meta``, ``$schema``) are not shown; ``interests`` become a skills group.
"""

from __future__ import annotations

from typing import Any

_NOT_PRINTED = frozenset({"image", "references", "meta", "$schema", "_id"})


def _date(value: Any) -> Any:
    # JSON Resume allows "" for "no date" and for an ongoing end date.
    return value if value not in ("", None) else None


def _drop_empty(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "", [])}


def _location(loc: Any) -> Any:
    if not isinstance(loc, dict):
        return loc
    parts = [loc.get("city"), loc.get("region"), loc.get("countryCode")]
    return ", ".join(str(p) for p in parts if p) or None


def _profile_url(profiles: Any, network: str) -> Any:
    for profile in profiles if isinstance(profiles, list) else []:
        if isinstance(profile, dict) and str(profile.get("network", "")).lower() == network:
            return profile.get("url") or None
    return None


def _personal_info(basics: dict[str, Any]) -> dict[str, Any]:
    profiles = basics.get("profiles")
    return _drop_empty(
        {
            "name": basics.get("name"),
            "email": basics.get("email"),
            "phone": basics.get("phone"),
            "location": _location(basics.get("location")),
            "website": basics.get("url") or basics.get("website"),
            "linkedin": _profile_url(profiles, "linkedin"),
            "github": _profile_url(profiles, "github"),
            "title": basics.get("label"),
        }
    )


def _work(item: dict[str, Any]) -> dict[str, Any]:
    highlights = list(item.get("highlights") or [])
    summary = item.get("summary")
    return _drop_empty(
        {
            "title": item.get("position"),
            "company": item.get("name") or item.get("company"),
            "location": item.get("location"),
            "url": item.get("url"),
            "startDate": _date(item.get("startDate")),
            "endDate": _date(item.get("endDate")),
            "achievements": ([summary] if summary else []) + highlights,
        }
    )


def _education(item: dict[str, Any]) -> dict[str, Any]:
    degree = " in ".join(str(p) for p in (item.get("studyType"), item.get("area")) if p) or None
    score = item.get("score")
    return _drop_empty(
        {
            "degree": degree,
            "institution": item.get("institution"),
            "location": item.get("location"),
            "startDate": _date(item.get("startDate")),
            "endDate": _date(item.get("endDate")),
            "focus": f"GPA {score}" if score else None,
            "notableCourseWorks": item.get("courses"),
        }
    )


def _project(item: dict[str, Any]) -> dict[str, Any]:
    return _drop_empty(
        {
            "name": item.get("name"),
            "url": item.get("url"),
            "description": item.get("description"),
            "tools": item.get("keywords"),
            "achievements": item.get("highlights"),
        }
    )


def _skills(data: dict[str, Any]) -> Any:
    skills = data.get("skills") or []
    if not isinstance(skills, list):
        return skills
    groups: list[Any] = []
    for item in skills:
        if not isinstance(item, dict):
            groups.append(item)
            continue
        keywords = item.get("keywords") or []
        name = item.get("name")
        groups.append({"category": name, "skills": keywords} if keywords else name)
    interests_in = data.get("interests")
    interests = (
        [i.get("name") for i in interests_in if isinstance(i, dict)] if isinstance(interests_in, list) else []
    )
    if interests:
        groups.append({"category": "Interests", "skills": interests})
    return groups


def _award(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    head = " — ".join(str(p) for p in (item.get("title"), item.get("awarder")) if p)
    date = _date(item.get("date"))
    return f"{head} ({date})" if date else head


def _volunteer(item: dict[str, Any]) -> dict[str, Any]:
    summary = " ".join(str(p) for p in [item.get("summary"), *(item.get("highlights") or [])] if p)
    return _drop_empty(
        {
            "role": item.get("position"),
            "organization": item.get("organization"),
            "startDate": _date(item.get("startDate")),
            "endDate": _date(item.get("endDate")),
            "description": summary or None,
        }
    )


def _language(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    return " — ".join(str(p) for p in (item.get("language"), item.get("fluency")) if p)


def _each(data: dict[str, Any], key: str, fn: Any) -> Any:
    value = data.get(key) or []
    if not isinstance(value, list):
        return value  # left for the model to report as "should be a list", with its path
    return [fn(item) if isinstance(item, dict) else item for item in value]


def _certificate(item: dict[str, Any]) -> dict[str, Any]:
    return _drop_empty({"name": item.get("name"), "url": item.get("url"), "date": _date(item.get("date"))})


def _publication(item: dict[str, Any]) -> dict[str, Any]:
    return _drop_empty(
        {"title": item.get("name"), "date": _date(item.get("releaseDate")), "url": item.get("url")}
    )


def to_docpipe(data: dict[str, Any]) -> dict[str, Any]:
    """Return docpipe résumé data for a JSON Resume document (validation happens afterwards)."""
    basics = data.get("basics") if isinstance(data.get("basics"), dict) else {}
    assert isinstance(basics, dict)
    known = {"basics", "work", "volunteer", "education", "awards", "certificates", "publications",
             "skills", "languages", "interests", "projects"}  # fmt: skip
    # Anything JSON Resume does not define stays in, so the Resume model reports it as unknown.
    extra = {k: v for k, v in data.items() if k not in known and k not in _NOT_PRINTED}
    return (
        _drop_empty(
            {
                "personalInfo": _personal_info(basics),
                "professionalSummary": basics.get("summary"),
                "experience": _each(data, "work", _work),
                "education": _each(data, "education", _education),
                "projects": _each(data, "projects", _project),
                "technologiesAndSkills": _skills(data),
                "certifications": _each(data, "certificates", _certificate),
                "articlesAndPublications": _each(data, "publications", _publication),
                "awardsAndHonors": _each(data, "awards", _award),
                "languages": _each(data, "languages", _language),
                "volunteering": _each(data, "volunteer", _volunteer),
            }
        )
        | extra
    )
