"""One JSON Resume entry (a job, a school, an award ...) as docpipe data, recording where each value
came from (see jsonresume.py for the whole document and the rules).

Every function takes the :class:`Map` being filled, the entry, its JSON Resume path (``src``) and the
docpipe path it becomes (``at``). A value is passed on as it is unless it must be reshaped; a value that
cannot be reshaped becomes an :class:`Unusable` naming the problem at the user's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docpipe.fields import check_characters

Path = tuple[str | int, ...]
Problems = tuple[tuple[Path, str], ...]


@dataclass(frozen=True)
class Unusable:
    """Stands in for JSON Resume values the mapping cannot use. No JSON value is one, so the model
    refuses it wherever it stands, and validation reports ``problems`` (JSON Resume path, message)
    instead of what pydantic says about the stand-in."""

    problems: Problems


def absent(value: Any) -> bool:
    # JSON Resume writes "" for "no value" (an ongoing job's endDate); null and [] say the same.
    return value is None or (isinstance(value, str | list) and len(value) == 0)


class Map:
    """Docpipe data being built, and the JSON Resume path each part of it came from."""

    def __init__(self) -> None:
        self.origins: dict[Path, Path] = {}

    def put(self, target: dict[str, Any], at: Path, key: str, value: Any, source: Path) -> None:
        """``target[key] = value`` (``target`` is at docpipe path ``at``), unless the value is absent.
        Its origin is recorded either way: "is required" must name the user's field too."""
        self.origins[(*at, key)] = source
        if not absent(value):
            target[key] = value

    def copy(self, target: dict[str, Any], at: Path, entry: dict[Any, Any], src: Path, keys: str) -> None:
        """The values of ``entry`` that keep their shape: ``"title=position url"`` copies position as
        title and url as url."""
        for pair in keys.split():
            key, _, source = pair.partition("=")
            self.put(target, at, key, entry.get(source or key), (*src, source or key))


def _texts(pieces: Sequence[tuple[Any, Path]]) -> list[tuple[str, Path]] | Unusable:
    """The texts among ``pieces`` (value, path) that will be joined into one, or what is wrong with
    them, each at its own path: the joined text has no path of its own in the user's document."""
    texts: list[tuple[str, Path]] = []
    problems: list[tuple[Path, str]] = []
    for value, path in pieces:
        if absent(value):
            continue
        try:
            if not isinstance(value, str):
                raise ValueError("must be text")
            check_characters(value)
        except ValueError as exc:
            problems.append((path, str(exc)))
            continue
        if value.strip():
            texts.append((value.strip(), path))
    return Unusable(tuple(problems)) if problems else texts


def _named(entry: dict[Any, Any], src: Path, keys: tuple[str, ...]) -> dict[Any, str] | Unusable:
    """:func:`_texts` of ``entry``'s ``keys``, by key."""
    texts = _texts([(entry.get(key), (*src, key)) for key in keys])
    return texts if isinstance(texts, Unusable) else {path[-1]: text for text, path in texts}


def joined(
    m: Map, target: dict[str, Any], at: Path, key: str, pieces: Sequence[tuple[Any, Path]], how: str
) -> None:
    """``target[key]``: the texts among ``pieces`` joined with ``how``. Its problems (too long, say) are
    reported at the one piece it holds, or else at the object holding them all."""
    texts = _texts(pieces)
    if isinstance(texts, Unusable):
        target[key] = texts
    elif texts:
        source = texts[0][1] if len(texts) == 1 else pieces[0][1][:-1]
        m.put(target, at, key, how.join(text for text, _ in texts), source)


def _required(src: Path, key: str) -> Unusable:
    return Unusable((((*src, key), "is required"),))


def _dates(m: Map, target: dict[str, Any], at: Path, entry: dict[Any, Any], src: Path) -> None:
    m.copy(target, at, entry, src, "startDate endDate")


def work(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> dict[str, Any]:
    job: dict[str, Any] = {}
    company = "name" if not absent(entry.get("name")) else "company"  # "company" before schema v1
    m.copy(job, at, entry, src, f"title=position company={company} location url")
    _dates(m, job, at, entry, src)
    summary, highlights = entry.get("summary"), entry.get("highlights")
    if not absent(highlights) and not isinstance(highlights, list):
        m.put(job, at, "achievements", highlights, (*src, "highlights"))  # the model: "must be a list"
        return job
    # The summary leads the bullets; each bullet keeps the path of what it came from.
    bullets = [(summary, (*src, "summary"))] if not absent(summary) else []
    bullets += [(h, (*src, "highlights", i)) for i, h in enumerate(highlights or [])]
    m.origins.update({(*at, "achievements", i): path for i, (_, path) in enumerate(bullets)})
    m.put(job, at, "achievements", [value for value, _ in bullets], (*src, "highlights"))
    return job


def volunteer(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> dict[str, Any]:
    role: dict[str, Any] = {}
    m.copy(role, at, entry, src, "role=position organization")
    _dates(m, role, at, entry, src)
    highlights = entry.get("highlights")
    if not absent(highlights) and not isinstance(highlights, list):
        role["description"] = Unusable((((*src, "highlights"), "must be a list"),))
        return role
    # docpipe has one description: the summary and the highlights are joined into it.
    pieces = [(entry.get("summary"), (*src, "summary"))]
    pieces += [(h, (*src, "highlights", i)) for i, h in enumerate(highlights or [])]
    joined(m, role, at, "description", pieces, " ")
    return role


def education(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> dict[str, Any]:
    school: dict[str, Any] = {}
    # score is docpipe's gpa: a number or text, checked (and reported at score) by the model.
    m.copy(school, at, entry, src, "institution location url gpa=score notableCourseWorks=courses")
    _dates(m, school, at, entry, src)
    pieces = [(entry.get(key), (*src, key)) for key in ("studyType", "area")]
    joined(m, school, at, "degree", pieces, " in ")
    return school


def project(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    m.copy(out, at, entry, src, "name url description tools=keywords achievements=highlights")
    return out


def certificate(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    m.copy(out, at, entry, src, "name url date issuer")
    return out


def publication(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    m.copy(out, at, entry, src, "title=name date=releaseDate url")
    return out


def award(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> Any:
    texts = _named(entry, src, ("title", "awarder", "date"))
    if isinstance(texts, Unusable):
        return texts
    head = " — ".join(texts[k] for k in ("title", "awarder") if k in texts)
    if not head:
        return _required(src, "title")
    return f"{head} ({texts['date']})" if "date" in texts else head


def language(m: Map, entry: dict[Any, Any], src: Path, at: Path) -> Any:
    texts = _named(entry, src, ("language", "fluency"))
    if isinstance(texts, Unusable):
        return texts
    if "language" not in texts:
        return _required(src, "language")
    return " — ".join(texts.values())
