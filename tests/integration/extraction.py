"""Text as applicant-tracking systems read it, and how the reading-order tests compare it.

Two extractors, each with its default layout analysis, since each puts the text of a page in its
own reading order: poppler's ``pdftotext`` (no ``-layout``, no ``-raw``) and pdfminer.six's
``extract_text`` (the extractor under most Python résumé parsers). Both end every page with a form
feed. Text is compared squashed: extractors differ in where they break lines and in how many spaces
they read in a gap, never in the characters they read.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pdfminer.high_level import extract_text

# Bidi marks poppler puts around right-to-left runs, and characters TeX never prints.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad\u200b\ufeff"))
RTL = {"R", "AL"}


def pdftotext(path: Path) -> str:
    command = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def pdfminer(path: Path) -> str:
    return extract_text(path)


EXTRACTORS: dict[str, Callable[[Path], str]] = {"pdftotext": pdftotext, "pdfminer": pdfminer}


def squash(text: str) -> str:
    """Comparable text: compatibility forms folded (NFKC: Arabic presentation forms, ligatures),
    invisible marks and all whitespace removed, casefolded (two_column upper-cases its headings)."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return re.sub(r"\s+", "", text).casefold()


def is_rtl(text: str) -> bool:
    """Right-to-left text comes out in visual order, in pieces: other tests read it word by word."""
    return any(unicodedata.bidirectional(ch) in RTL for ch in text)


@dataclass(frozen=True)
class Entry:
    """One unit a reader must get whole: a job, a school, a letter's paragraph ...

    ``parts`` must come out in this order; ``text`` is everything else it prints (so another
    entry's part that also occurs in this one is not mistaken for an intruder)."""

    label: str
    parts: tuple[str, ...]
    text: tuple[str, ...] = ()

    @classmethod
    def of(cls, label: str, parts: Iterable[str | None], text: Iterable[str | None] = ()) -> Entry:
        kept = tuple(dict.fromkeys(p for p in parts if p and not is_rtl(p)))
        return cls(label, kept, tuple(t for t in text if t))


def find_entries(text: str, entries: list[Entry]) -> tuple[list[tuple[int, int]], list[str]]:
    """Look for ``entries`` in order in squashed ``text``, each part after the one before it.

    Returns each entry's span (start of its first part, end of its last) and what went wrong. The
    span is the tightest one: a part that also occurs earlier (a job title that is also the
    person's title in the name band) is taken where it is nearest the entry's next part."""
    spans: list[tuple[int, int]] = []
    problems: list[str] = []
    cursor = 0
    for entry in entries:
        found: list[tuple[int, str]] = []  # where each part was found, and its squashed text
        for part in entry.parts:
            needle, after = squash(part), found[-1][0] + len(found[-1][1]) if found else cursor
            at = text.find(needle, after)
            if at < 0:
                where = "only before it" if needle in text else "nowhere"
                problems.append(f"{entry.label}: {part!r} is not after its entry's previous part ({where})")
            else:
                found.append((at, needle))
        if not found:
            spans.append((cursor, cursor))
            continue
        end = start = found[-1][0]
        for _, needle in reversed(found[:-1]):
            start = text.rfind(needle, cursor, start)
        cursor = end + len(found[-1][1])
        spans.append((start, cursor))
    return spans, problems


def intruders(text: str, entries: list[Entry], spans: list[tuple[int, int]]) -> list[str]:
    """Parts of other entries found inside an entry's span: the entry came apart."""
    problems = []
    for index, (entry, (start, end)) in enumerate(zip(entries, spans, strict=True)):
        own = [squash(t) for t in (*entry.parts, *entry.text)]
        inside = text[start:end]
        for other in entries[:index] + entries[index + 1 :]:
            for part in other.parts:
                needle = squash(part)
                if len(needle) >= 4 and not any(needle in t for t in own) and needle in inside:
                    problems.append(f"{entry.label} is split by {other.label} ({part!r})")
    return problems


def mixed_pages(text: str, sidebar: list[str], main: list[str]) -> list[str]:
    """The pages of an extraction (each ends with a form feed) where the two columns mix."""
    pages = enumerate(text.split("\f"), 1)
    return [f"page {n}: {why}" for n, page in pages if (why := interleaved(squash(page), sidebar, main))]


def invented(texts: dict[str, str]) -> list[str]:
    """Characters an extraction has that it should not: whitespace other than a space, a newline or a
    form feed, a visible space (␣), or any character the other extractor did not read as often."""
    problems = []
    for name, text in texts.items():
        odd = {ch for ch in text if ch.isspace() and ch not in " \n\f"} | ({"\u2423"} & set(text))
        problems += [f"{name} reads U+{ord(ch):04X}" for ch in sorted(odd)]
    (first, one), (second, other) = ((n, Counter(squash(t))) for n, t in texts.items())
    problems += [f"only {first} reads {ch!r} {k} more times" for ch, k in (one - other).items()]
    problems += [f"only {second} reads {ch!r} {k} more times" for ch, k in (other - one).items()]
    return problems


def interleaved(page: str, first: list[str], second: list[str]) -> str | None:
    """Where the phrases of two columns mix on one squashed page, if they do: each column must be
    one block, entirely before or after the other."""
    spans = {}
    for name, phrases in (("sidebar", first), ("main column", second)):
        hits = [(m.start(), m.end()) for p in phrases for m in re.finditer(re.escape(p), page)]
        if not hits:
            return None
        spans[name] = (min(s for s, _ in hits), max(e for _, e in hits))
    (s_start, s_end), (m_start, m_end) = spans["sidebar"], spans["main column"]
    if s_end <= m_start or m_end <= s_start:
        return None
    return f"sidebar text at {s_start}..{s_end} and main-column text at {m_start}..{m_end} mix"


def markers(column: list[str], other: list[str], band: list[str]) -> list[str]:
    """Squashed phrases that can only come from ``column``: long enough not to occur by chance, and
    not part of the other column's text or of the name band above both columns."""
    elsewhere = [squash(t) for t in (*other, *band)]
    found = {squash(t) for t in column if not is_rtl(t)}
    return sorted(p for p in found if len(p) >= 6 and not any(p in t for t in elsewhere))
