"""One entry of an extra section, made from an object of the user's: its title, its other values
(text, numbers, dates) and its link; and the words a key is read as (``startDate``, ``start_date``).

See extras.py for where entries go. Nothing here imports the models: this is plain data shaping.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

from docpipe.dates import PartialDate, date_range, parse_partial_date

# Compared with keys lowercased and without separators ("start_date" is "startdate"), in priority
# order: an entry with both a role and an organisation is titled by the role.
TITLE_KEYS = (
    "title", "name", "position", "role", "label", "heading", "degree", "award", "course", "certificate",
    "language", "skill", "subject", "topic", "organization", "organisation", "company", "institution",
    "school", "event", "publisher",
)  # fmt: skip
URL_KEYS = ("url", "link", "href", "website", "homepage")
_DATE_ROLES = {"startdate": "start", "start": "start", "from": "start", "since": "start",
               "enddate": "end", "end": "end", "to": "end", "until": "end", "date": "date"}  # fmt: skip
_WEB = ("http://", "https://", "www.", "mailto:")
_SEPARATORS = re.compile(r"[\s_\-]+")

Path = tuple[str | int, ...]
Converted = tuple[Any, dict[Path, Path], list[Path]]
"""A section or entry as model input, where each of its parts came from, and input paths left out."""


def norm(key: str) -> str:
    """A key as compared: lowercased, without separators (``start_date`` and ``startDate`` alike)."""
    return _SEPARATORS.sub("", key).lower()


def _camel_words(part: str) -> list[str]:
    """``openSourceURL`` -> open, Source, URL; ``HTMLParser`` -> HTML, Parser."""
    words, start = [], 0
    for i in range(1, len(part)):
        before, ch, after = part[i - 1], part[i], part[i + 1 : i + 2]
        if ch.isupper() and (before.islower() or before.isdigit() or (before.isupper() and after.islower())):
            words.append(part[start:i])
            start = i
    words.append(part[start:])
    return words


def title_from_key(key: str) -> str:
    """``openSourceContributions``, ``open_source-contributions`` -> ``Open Source Contributions``.

    Only separators are removed: any other character of the key is kept (and escaped when printed)."""
    words = [word for part in _SEPARATORS.split(key) for word in _camel_words(part) if word]
    return " ".join(word[:1].upper() + word[1:] for word in words)


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dates(entry: dict[Any, Any]) -> tuple[str, list[Any]] | None:
    """The entry's dates as one range ("Mar 2021 – Present") and the keys it replaces."""
    found: dict[str, tuple[Any, PartialDate]] = {}
    for key, value in entry.items():
        role = _DATE_ROLES.get(norm(key)) if isinstance(key, str) else None
        if role and role not in found and isinstance(value, str):
            with suppress(ValueError):  # not a date after all: shown as the text it is
                found[role] = (key, parse_partial_date(value))
    used = [found[r] for r in ("start", "end") if r in found] or ([found["date"]] if "date" in found else [])
    if not used:
        return None
    start, end = found.get("start"), found.get("end")
    if start or end:
        text = date_range(start and start[1], end and end[1], open_ended=False)
    else:
        text = found["date"][1].short()
    keys = {key for key, _ in used}
    return text, [key for key in entry if key in keys]


def _details(entry: dict[Any, Any], skip: set[Any], src: Path) -> tuple[list[str], list[Any], list[Path]]:
    """The entry's other values as texts, the key each came from, and the paths left out."""
    dates = _dates(entry)
    details: list[str] = []
    sources: list[Any] = []
    dropped: list[Path] = []
    for key, value in entry.items():
        if key in skip or value is None or value == "" or (dates and key in dates[1][1:]):
            continue
        if dates and key == dates[1][0]:
            details.append(dates[0])
        elif isinstance(value, str):
            details.append(value)
        elif _is_number(value):
            details.append(f"{title_from_key(str(key))}: {value}")  # a bare "12" would say nothing
        else:
            dropped.append((*src, str(key)))
            continue
        sources.append(str(key))
    return details, sources, dropped


def object_entry(entry: dict[Any, Any], src: Path) -> Converted | None:
    """The entry for ``entry`` (at input path ``src``), or None if nothing in it can title it."""
    by_form = {norm(k): k for k in entry if isinstance(k, str)}
    title_key = next((by_form[n] for n in TITLE_KEYS if n in by_form and is_text(entry[by_form[n]])), None)
    if title_key is None:
        return None
    item: dict[str, Any] = {"title": entry[title_key]}
    origins: dict[Path, Path] = {(): src, ("title",): (*src, title_key)}
    url_key = next((by_form[n] for n in URL_KEYS if n in by_form and _is_web(entry[by_form[n]])), None)
    if url_key is not None:
        item["url"] = entry[url_key]
        origins[("url",)] = (*src, url_key)
    details, sources, dropped = _details(entry, {title_key, url_key}, src)
    if details:
        item["details"] = details
        origins[("details",)] = src
        origins.update({("details", i): (*src, key) for i, key in enumerate(sources)})
    return item, origins, dropped


def _is_web(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(_WEB)
