"""The source side of the ATS check: the outline's texts as words, each either a part of an entry or
text outside every entry, and what one reading of the PDF makes of them (:meth:`Source.read`); and
where a reading has each contact item (:func:`contact_places`).

Entries are numbered as :meth:`docpipe.outline.Outline.entries` lists them (a school, then its
projects); an entry's own parts are its ``parts()`` without its children's, which are entries of their
own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from docpipe.atslayout import Layout, Owner
from docpipe.atstext import Vocabulary, extracted_words, mirrored, missing_words, normalise, words

if TYPE_CHECKING:
    from docpipe.outline import Contact, Entry, Outline
    from docpipe.pdffacts import PdfFacts

ContactKind = Literal["email", "phone", "link", "other"]
ContactPlace = Literal["body", "header_footer", "link_only", "missing"]
_HEAD = ("title", "subtitle", "dates", "location")
_BODY = (("paragraphs", "paragraph"), ("details", "detail"), ("bullets", "bullet"))
_PHONE = re.compile(r"\+?[\d\s().\-/]{7,}")
_LABEL_WORDS = 4


@dataclass(frozen=True)
class _Text:
    owner: Owner
    words: list[str]


@dataclass
class Reading:
    """What one extractor's text makes of the source."""

    words: int
    words_found: int
    missing_examples: list[str]
    """A few of the words not found, in source order."""
    backwards: int
    """How many of the words not found came out backwards (right-to-left text in visual order)."""
    split_entries: list[int] = field(default_factory=list)
    parts_out_of_order: list[tuple[int, str]] = field(default_factory=list)
    """(entry, which part came after which)."""
    entries_out_of_order: list[tuple[int, int]] = field(default_factory=list)
    """(entry, the entry of its section it came out before)."""


def _own_parts(entry: Entry) -> list[tuple[str, str]]:
    """``entry``'s own parts as (kind, text): its ``parts()`` without its children's."""
    parts = entry.parts()
    own = parts[: len(parts) - sum(len(child.parts()) for child in entry.children)]
    kinds = [(kind, text) for kind in _HEAD if (text := getattr(entry, kind, None))]
    kinds += [(kind, text) for name, kind in _BODY for text in getattr(entry, name, ())]
    if [text for _, text in kinds] != list(own):  # the outline grew a part: name it generically
        return [("part", text) for text in own]
    return kinds


class Source:
    def __init__(self, outline: Outline) -> None:
        self.entries: list[list[tuple[str, str]]] = []
        self.ranks: list[list[int]] = []
        """Per entry and part: the order its parts must keep (title, subtitle, dates and location,
        the head, in any order among themselves)."""
        self.sections: list[list[int]] = []
        self.texts: list[_Text] = []
        section_texts = [section.texts() for section in outline.sections]
        everything = outline.texts()
        head = everything[: len(everything) - sum(map(len, section_texts))]
        self._outside(head)
        for section, texts in zip(outline.sections, section_texts, strict=True):
            self._section(section.entries, texts)
        self.words = [word for text in self.texts for word in text.words]
        self.vocabulary = Vocabulary(self.words)
        self.contacts = list(outline.contact)

    def _outside(self, texts: list[str]) -> None:
        self.texts.extend(_Text(Owner(None, len(self.texts)), words(text)) for text in texts)

    def _section(self, entries: tuple[Entry, ...], texts: list[str]) -> None:
        numbered = [each for entry in entries for each in (entry, *entry.children)]
        block = [text for entry in entries for text in entry.parts()]
        start = _find_block(texts, block)
        self._outside(texts[:start])
        first = len(self.entries)
        self.sections.append(list(range(first, first + len(numbered))))
        for entry in numbered:
            own = _own_parts(entry)
            number = len(self.entries)
            self.entries.append(own)
            self.ranks.append([0 if kind in _HEAD else part for part, (kind, _) in enumerate(own)])
            self.texts.extend(_Text(Owner(number, part), words(text)) for part, (_, text) in enumerate(own))
        self._outside(texts[start + len(block) :])

    def label(self, entry: int) -> str:
        """``entry 3 ('Senior Backend Engineer')``: its number and at most a few words of it."""
        first = self.entries[entry][0][1].split() if self.entries[entry] else []
        shown = " ".join(first[:_LABEL_WORDS]) + (" …" if len(first) > _LABEL_WORDS else "")
        return f"entry {entry + 1} ({shown!r})"

    def read(self, text: str) -> Reading:
        extracted = extracted_words(text, self.vocabulary)
        missing = missing_words(self.words, extracted)
        reading = Reading(
            words=len(self.words),
            words_found=len(self.words) - sum(missing.values()),
            missing_examples=list(dict.fromkeys(word for word in self.words if word in missing))[:3],
            backwards=mirrored(missing, extracted),
        )
        layout = Layout(extracted)
        layout.place([(each.owner, each.words) for each in self.texts])
        placed = layout.placed()
        for entry, positions in sorted(placed.items()):
            if layout.is_split(entry, positions):
                reading.split_entries.append(entry)
            inverted = layout.inversion(positions, self.ranks[entry])
            if inverted is not None:
                before, after = (self.entries[entry][part][0] for part in inverted)
                reading.parts_out_of_order.append(
                    (entry, f"parts out of order: the {after} after a {before}")
                )
        reading.entries_out_of_order = self._entry_order(placed)
        return reading

    def _entry_order(self, placed: dict[int, list[int]]) -> list[tuple[int, int]]:
        """Per section, the first entry that came out before an entry the section has before it."""
        out_of_order = []
        for section in self.sections:
            starts = [(placed[entry][0], entry) for entry in section if entry in placed]
            for (_, entry), (_, came) in zip(starts, sorted(starts), strict=True):
                if entry != came:
                    out_of_order.append((came, entry))
                    break
        return out_of_order


def _find_block(texts: list[str], block: list[str]) -> int:
    """Where the entries' parts start among a section's texts (after its heading and paragraphs)."""
    if not block:
        return len(texts)
    for start in range(len(texts) - len(block) + 1):
        if texts[start : start + len(block)] == block:
            return start
    raise ValueError("the outline's section texts do not hold its entries' parts")


def contact_kind(contact: Contact) -> ContactKind:
    target = (contact.target or "").lower()
    if target.startswith("mailto:"):
        return "email"
    if target.startswith("tel:") or (not target and _PHONE.fullmatch(contact.text) is not None):
        return "phone"
    return "link" if target else "other"


def _squash(text: str) -> str:
    return "".join(normalise(text).split())


def _pattern(text: str) -> re.Pattern[str] | None:
    """``text`` as found in squashed text: TeX may break it at a hyphen of its own."""
    squashed = _squash(text)
    return re.compile("-?".join(map(re.escape, squashed))) if squashed else None


def _target(address: str) -> str:
    return address.strip().rstrip("/").lower()


def contact_places(contacts: list[Contact], facts: PdfFacts) -> list[ContactPlace]:
    """Where pdfminer's reading has each contact item: ``body``, ``header_footer`` (only in the
    page-margin bands), ``link_only`` (only as a link annotation's target) or ``missing``."""
    body = facts.text
    for line in facts.margin_text:
        body = body.replace(line, "\n", 1)
    squashed_body, squashed_margin = _squash(body), _squash("\n".join(facts.margin_text))
    targets = {_target(address) for address in facts.link_targets}
    places: list[ContactPlace] = []
    for contact in contacts:
        pattern = _pattern(contact.text)
        if pattern is not None and pattern.search(squashed_body):
            places.append("body")
        elif pattern is not None and pattern.search(squashed_margin):
            places.append("header_footer")
        elif contact.target and _target(contact.target) in targets:
            places.append("link_only")
        else:
            places.append("missing")
    return places
