"""Map a JSON Resume (jsonresume.org schema v1) document onto docpipe's résumé fields.

The result is plain camelCase data that the Resume model then validates like any other input. The
mapping never fails and never guesses at a value of the wrong type: where docpipe has a field of the
same shape the value is passed on, so the model reports it (``"highlights": 5`` -> "must be a list");
where values are reshaped (a location joined from city and region, a volunteer's highlights joined
into one description) a wrong one becomes an :class:`Unusable` that the model refuses and that carries
what to report. Where each value came from is recorded (:func:`read`), so every error and warning
names the path the user wrote (``data.work[0].position``), not docpipe's (``data.experience[0].title``).

JSON Resume fields with no place on a printed résumé (``image``, ``references``, ``meta``,
``$schema``) are not shown; ``interests`` become a skills group. Other top-level keys are read as in
docpipe's own input: a simple section becomes an extra section (extras.py), anything else a warning,
and a near miss of a JSON Resume section (``wrok``) an error (unknowns.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationInfo

from docpipe import extras
from docpipe.jsonresume_entries import (
    Map,
    Path,
    Unusable,
    absent,
    award,
    certificate,
    education,
    joined,
    language,
    project,
    publication,
    volunteer,
    work,
)

__all__ = ["KEYS", "Unusable", "convert", "read", "recognised", "to_docpipe"]

NOT_PRINTED = frozenset({"image", "references", "meta", "$schema", "_id"})


@dataclass(frozen=True)
class _Section:
    source: str  # JSON Resume's key
    target: str  # docpipe's
    entry: Callable[[Map, dict[Any, Any], Path, Path], Any]


_SECTIONS = (
    _Section("work", "experience", work),
    _Section("education", "education", education),
    _Section("projects", "projects", project),
    _Section("certificates", "certifications", certificate),
    _Section("publications", "articlesAndPublications", publication),
    _Section("awards", "awardsAndHonors", award),
    _Section("languages", "languages", language),
    _Section("volunteer", "volunteering", volunteer),
)
KEYS = frozenset({"basics", "skills", "interests", *(s.source for s in _SECTIONS)}) | NOT_PRINTED
"""Every top-level key JSON Resume defines."""
# docpipe's names for what the mapping makes, with the JSON Resume key each is made from.
_MADE = {
    "personalInfo": "basics",
    "professionalSummary": "basics.summary",
    "technologiesAndSkills": "skills",
} | {s.target: s.source for s in _SECTIONS}


def recognised(data: Any) -> bool:
    """JSON Resume is recognised by its top-level ``basics``."""
    return isinstance(data, dict) and "basics" in data


def _location(m: Map, info: dict[str, Any], location: Any) -> None:
    at, src = ("personalInfo",), ("basics", "location")
    if isinstance(location, dict):
        pieces = [(location.get(key), (*src, key)) for key in ("city", "region", "countryCode")]
        joined(m, info, at, "location", pieces, ", ")
    else:
        m.put(info, at, "location", location, src)  # a location written as text is fine too


def _profiles(m: Map, info: dict[str, Any], profiles: Any) -> None:
    """LinkedIn, GitHub, Twitter and X from ``basics.profiles``, whatever the case of their network's
    name."""
    if absent(profiles):
        return
    if not isinstance(profiles, list):
        info["linkedin"] = Unusable(((("basics", "profiles"), "must be a list"),))
        return
    problems: list[tuple[Path, str]] = []
    for i, profile in enumerate(profiles):
        network = profile.get("network") if isinstance(profile, dict) else None
        if not isinstance(profile, dict) or not (absent(network) or isinstance(network, str)):
            where = ("basics", "profiles", i, *(("network",) if isinstance(profile, dict) else ()))
            problems.append((where, "must be text" if isinstance(profile, dict) else "must be an object"))
        elif isinstance(network, str) and network.strip().lower() in ("linkedin", "github", "twitter", "x"):
            key = network.strip().lower()
            if key not in info:  # the first of each
                m.put(info, ("personalInfo",), key, profile.get("url"), ("basics", "profiles", i, "url"))
    if problems:
        info["linkedin"] = Unusable(tuple(problems))


def personal_info(m: Map, basics: dict[Any, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {}
    website = "url" if not absent(basics.get("url")) else "website"
    m.copy(info, ("personalInfo",), basics, ("basics",), f"name email phone title=label website={website}")
    _location(m, info, basics.get("location"))
    _profiles(m, info, basics.get("profiles"))
    return info


def _skill(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> Any:
    """A skill with keywords is a group; one without is its name alone."""
    name, keywords = entry.get("name"), entry.get("keywords")
    if not absent(keywords):
        group: dict[str, Any] = {}
        m.copy(group, at, entry, src, "category=name skills=keywords")
        return group
    if isinstance(name, str):
        m.origins[at] = (*src, "name")
        return name
    return Unusable((((*src, "name"), "is required" if absent(name) else "must be text"),))


def _interests(m: Map, interests: Any, at: Path) -> list[Any]:
    """The names of ``interests`` as one skills group (at ``at``), or what is wrong with them."""
    if absent(interests):
        return []
    if not isinstance(interests, list):
        return [Unusable(((("interests",), "must be a list"),))]
    names: list[tuple[Any, Path]] = []
    problems: list[tuple[Path, str]] = []
    for i, item in enumerate(interests):
        name, where = (
            (item.get("name"), ("interests", i, "name"))
            if isinstance(item, dict)
            else (item, ("interests", i))
        )
        if isinstance(name, str) and name.strip():
            names.append((name, where))
        elif not isinstance(item, dict | str) or not (absent(name) or isinstance(name, str)):
            problems.append((where, "must be text" if isinstance(item, dict) else "must be an object"))
    if problems or not names:
        return [Unusable(tuple(problems))] if problems else []
    m.origins.update({at: ("interests",), (*at, "skills"): ("interests",)})
    m.origins.update({(*at, "skills", i): where for i, (_, where) in enumerate(names)})
    return [{"category": "Interests", "skills": [name for name, _ in names]}]


def _skills(m: Map, skills: Any, interests: Any) -> list[Any]:
    groups: list[Any] = []
    if isinstance(skills, list):
        groups = [
            _skill(m, item, ("skills", i), ("technologiesAndSkills", i)) if isinstance(item, dict) else item
            for i, item in enumerate(skills)
        ]
    elif not absent(skills):
        groups = [Unusable(((("skills",), "must be a list"),))]
    return groups + _interests(m, interests, ("technologiesAndSkills", len(groups)))


def _section(m: Map, out: dict[str, Any], data: dict[str, Any], section: _Section) -> None:
    value = data.get(section.source)
    if isinstance(value, list):
        # One entry per item, in order: an item's path differs from its entry's only in the section.
        value = [
            section.entry(m, item, (section.source, i), (section.target, i))
            if isinstance(item, dict)
            else item
            for i, item in enumerate(value)
        ]
    m.put(out, (), section.target, value, (section.source,))  # not a list: the model says so


def _twice(key: str) -> Unusable:
    # Given both ways, one would be lost: docpipe's name is refused, not merged or preferred.
    source = _MADE[key]
    why = f"is docpipe's name for `{source}`; a JSON Resume document (it has `basics`) gives only `{source}`"
    return Unusable((((key,), why),))


def convert(data: dict[str, Any]) -> tuple[dict[str, Any], dict[Path, Path]]:
    """Docpipe résumé data for a JSON Resume document, and the JSON Resume path each part came from
    (docpipe path -> JSON Resume path, both relative to the data; a part not listed keeps its path)."""
    m = Map()
    basics = data.get("basics")
    m.origins[("personalInfo",)] = ("basics",)
    out: dict[str, Any] = {"personalInfo": personal_info(m, basics) if isinstance(basics, dict) else basics}
    if isinstance(basics, dict):
        m.put(out, (), "professionalSummary", basics.get("summary"), ("basics", "summary"))
    for section in _SECTIONS:
        _section(m, out, data, section)
    m.put(
        out, (), "technologiesAndSkills", _skills(m, data.get("skills"), data.get("interests")), ("skills",)
    )
    for key, value in data.items():
        if key not in KEYS:  # left for the Resume model: an extra section, a warning or an error
            out[key] = _twice(key) if key in _MADE else value
    return out, m.origins


def to_docpipe(data: dict[str, Any]) -> dict[str, Any]:
    """Return docpipe résumé data for a JSON Resume document (validation happens afterwards)."""
    return convert(data)[0]


def read(data: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    """:func:`convert` inside the Resume model's validation: the origins go where validation reads
    paths from (extras.Gathered), and unknown top-level sections are gathered as for docpipe input."""
    converted, origins = convert(data)
    record = info.context.get(extras.CONTEXT_KEY) if isinstance(info.context, dict) else None
    if isinstance(record, extras.Gathered):
        record.origins.update(origins)
    # A near miss of a JSON Resume section (`wrok`) is a mistake, never an extra section: it is kept
    # from extras.gather, and validation reports it (unknowns.py).
    held = {
        key: converted.pop(key)
        for key in list(converted)
        if isinstance(key, str) and key not in _MADE and extras.close_match(key, KEYS)
    }
    gathered: dict[str, Any] = extras.gather(converted, info)
    return gathered | held
