"""Top-level résumé sections docpipe has no field for, rendered as extra sections.

Data migrated from other services carries sections we have no field for (``talks``,
``openSourceContributions``). Refusing them makes migrating painful and dropping them loses content,
so a section of a simple shape becomes an :class:`ExtraSection` titled from its key, shown after the
known sections in input order: text, a list of texts, or a list of objects that have a name or a title
(their other text, numbers and dates are shown beside it, and one web address as a link).

Anything else is left where it was, so validation reports it: a near-miss of a field name
(``experiance``) stays an error and is never turned into a section; the rest becomes a warning. What
was moved is written to a :class:`Gathered` passed as validation context, so that problems name the
path the user wrote (``data.talks[2].name``), not ``data.extraSections[0].items[2].title``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, Field, Tag, ValidationInfo

from docpipe.entries import Converted, Path, is_text, norm, object_entry, title_from_key
from docpipe.fields import TEXT_OR_OBJECT, UNPRINTABLE, Items, RequiredText, TaggedText, Text, Url
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS
from docpipe.wire import Model

FIELD = "extraSections"
CONTEXT_KEY = "extras"
"""Validation context key holding the :class:`Gathered` that :func:`gather` records into."""

_CUTOFF = 0.8
"""difflib similarity from which an unknown key counts as a misspelling (``experiance`` is 0.9)."""


class ExtraItem(Model):
    """An entry of an extra section: its title in bold, then its other values, then its link."""

    title: RequiredText
    details: Items[Text] = []
    url: Url | None = None


class ExtraSection(Model):
    title: RequiredText
    items: Annotated[
        list[Annotated[TaggedText | Annotated[ExtraItem, Tag("#object")], TEXT_OR_OBJECT]],
        Field(min_length=1, max_length=MAX_LIST_ITEMS),
    ]


@dataclass
class Gathered:
    """What :func:`gather` did to one résumé. Paths are relative to the résumé data."""

    sections: list[tuple[str, str]] = field(default_factory=list)
    """(key, title) of each section moved into ``extraSections``, in input order."""
    dropped: list[Path] = field(default_factory=list)
    """Values inside a moved section that an extra section cannot show."""
    origins: dict[Path, Path] = field(default_factory=dict)

    def source(self, loc: Path) -> Path:
        """The input path that ``loc`` (a path in the request, from ``data``) came from."""
        if loc[:1] != ("data",):
            return loc
        rest = loc[1:]
        for end in range(len(rest), 0, -1):
            origin = self.origins.get(rest[:end])
            if origin is not None:
                return ("data", *origin, *rest[end:])
        return loc


def close_match(key: str, known: Iterable[str]) -> str | None:
    """The known field ``key`` is most likely a misspelling of, if any: the same name up to case and
    separators (``professional_summary``), close to it (``experiance``, ``projets``), or its letters
    in another order (``nmae``: short names fall under the cutoff for one swap)."""
    by_form = {norm(name): name for name in known}
    form = norm(key)
    found = difflib.get_close_matches(form, list(by_form), n=1, cutoff=_CUTOFF)
    found = found or [other for other in by_form if len(form) > 2 and sorted(other) == sorted(form)]
    return by_form[found[0]] if found else None


def _usable_title(title: str) -> bool:
    # A key with no letter or digit, longer than a heading may be, or with control characters is
    # not a heading: the key stays unknown and validation warns about it instead.
    return (
        0 < len(title) <= MAX_NAME_CHARS
        and any(ch.isalnum() for ch in title)
        and not UNPRINTABLE.search(title)
    )


@cache
def _reserved() -> tuple[frozenset[str], frozenset[str]]:
    """(résumé fields, résumé and cover-letter fields) as spelled on the wire."""
    from docpipe import schema  # here, not at the top: schema imports this module

    def names(model: type[BaseModel]) -> frozenset[str]:
        return frozenset(f.alias or name for name, f in model.model_fields.items())

    return names(schema.Resume), names(schema.Resume) | names(schema.CoverLetter)


def _is_candidate(key: Any) -> bool:
    """A key that may become a section: not a field of either document (a letter's ``body`` sent as
    a résumé is a mistake, see unknowns.py), nor a misspelling of a résumé field."""
    resume, either = _reserved()
    return isinstance(key, str) and key not in either and close_match(key, resume) is None


def _entries(key: str, value: list[Any]) -> Converted | None:
    items: list[Any] = []
    origins: dict[Path, Path] = {}
    dropped: list[Path] = []
    for index, entry in enumerate(value):
        if isinstance(entry, str):
            if entry.strip():  # an empty line holds nothing to lose
                origins[(len(items),)] = (key, index)
                items.append(entry)
            continue
        converted = object_entry(entry, (key, index)) if isinstance(entry, dict) else None
        if converted is None:
            return None  # not a simple list: the whole key is reported, not half of it shown
        origins.update({(len(items), *k): v for k, v in converted[1].items()})
        items.append(converted[0])
        dropped.extend(converted[2])
    return (items, origins, dropped) if items else None


def _section(key: str, value: Any) -> Converted | None:
    title = title_from_key(key)
    if not _usable_title(title):
        return None
    if is_text(value):
        entries: Converted | None = ([value], {(0,): (key,)}, [])
    else:
        entries = _entries(key, value) if isinstance(value, list) else None
    if entries is None:
        return None
    items, item_origins, dropped = entries
    origins: dict[Path, Path] = {(): (key,), ("title",): (key,), ("items",): (key,)}
    origins.update({("items", *k): v for k, v in item_origins.items()})
    return {"title": title, "items": items}, origins, dropped


def _record(info: ValidationInfo) -> Gathered:
    found = info.context.get(CONTEXT_KEY) if isinstance(info.context, dict) else None
    return found if isinstance(found, Gathered) else Gathered()


def gather(data: Any, info: ValidationInfo) -> Any:
    """Résumé data with its unknown simple sections moved, in order, to the end of ``extraSections``."""
    explicit = data.get(FIELD, []) if isinstance(data, dict) else None
    if not isinstance(explicit, list):
        return data  # not résumé data, or extraSections is itself wrong: the model reports it
    record = _record(info)
    sections = list(explicit)
    kept: dict[Any, Any] = {}
    for key, value in data.items():
        converted = _section(key, value) if _is_candidate(key) else None
        if converted is None:
            kept[key] = value
            continue
        section, origins, dropped = converted
        record.origins.update({(FIELD, len(sections), *k): v for k, v in origins.items()})
        record.sections.append((key, section["title"]))
        record.dropped.extend(dropped)
        sections.append(section)
    return kept | {FIELD: sections} if len(sections) > len(explicit) else data
