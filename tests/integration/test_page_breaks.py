"""Page breaks (issue 14): a section heading never ends a page, and a short entry (six lines or fewer)
is never split across pages, in every template.

Each template typesets a corpus of generated documents. A document opens with a paragraph about a
line longer than the one the document before it opens with, up to a page's worth (a résumé's
summary, a letter's first paragraph), so that the headings and entries after it land at every height
of a page, its foot included. What follows is drawn at random from a seed: sections, entries,
bullets and paragraphs of every length, extra sections (more headings), each spacing mode, both
papers, some documents set by XeLaTeX, and layouts tightened as fitting to fewer pages does.

Every word an entry prints (but its dates) is a token that names its group (``k012x3``: word 3 of
group 12), so ``pdftotext -bbox`` tells on which page and line each of them is: an entry's lines are
the lines its tokens are on, and a heading must have the first token of its section on its page.
Entries are a résumé's jobs, projects, schools, roles, skill groups and certificates, and a letter's
paragraphs and its closing with the signature (the units test_reading_order.py reads whole).
"""

from __future__ import annotations

import itertools
import random
import re
import subprocess
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from docpipe import catalog
from docpipe.layout import MARGINS_FLOOR, STAGES, fit_for
from docpipe.renderer import Renderer
from docpipe.templates import render_source
from docpipe.validation import validate_request

SHORT_ENTRY = 6  # lines
DOCUMENTS = {"resume": 48, "cover_letter": 32}  # per template
SPACINGS = ("normal", "compact", "ultra-compact")
LEAD = 540  # tokens of the opening paragraph at most (4,860 characters): a page's worth of lines
TEMPLATES = [(kind, name) for kind in ("resume", "cover_letter") for name in catalog.template_names(kind)]
_PAGE = re.compile(r'<page width="[^"]+" height="([^"]+)">')
_WORD = re.compile(r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>')
_TOKEN = re.compile(r"(k\d{3}x)\d+")  # a token, and its group's prefix
_SAME_LINE = 4.0  # pt: the middles of the words of one line are closer; two lines are 9 pt apart or more

Place = tuple[int, float, float]  # page, the height of a word's middle from the top, the page's height


@dataclass
class Corpus:
    """One generated document: its data is made through it, and it notes what the PDF must show."""

    rng: random.Random
    next_group: int = 0
    headings: list[tuple[str, str]] = field(default_factory=list)
    """(a word of the heading, the first token of its section)."""
    entries: dict[str, str] = field(default_factory=dict)
    """The prefix of each entry's tokens, and the entry's label."""

    def group(self) -> Callable[[int], str]:
        """A new group of tokens: ``words(n)`` is its next ``n`` tokens, as one text."""
        prefix, numbers = f"k{self.next_group:03d}x", itertools.count()
        self.next_group += 1
        return lambda n: " ".join(f"{prefix}{next(numbers)}" for _ in range(n))

    def entry(self, label: str) -> Callable[[int], str]:
        self.entries[f"k{self.next_group:03d}x"] = label
        return self.group()

    def tokens(self, low: int, high: int) -> int:
        """A number of tokens that fills ``low`` to about ``high`` lines of the narrowest column."""
        return self.rng.randint(max(1, 7 * low - 6), 7 * high)

    def text(self, low: int, high: int) -> str:
        return self.group()(self.tokens(low, high))

    def section(self, heading: str, make: Callable[[], list[Any]]) -> list[Any]:
        """The items ``make()`` gives; ``heading`` must be followed by the first token they print."""
        first = f"k{self.next_group:03d}x0"
        items = make()
        if items and heading:
            self.headings.append((heading, first))
        return items

    def many(self, make: Callable[[Corpus, int], Any], low: int, high: int) -> Callable[[], list[Any]]:
        return lambda: [make(self, n) for n in range(self.rng.randint(low, high))]


# --------------------------------------------------------------------------- résumés


def _job(corpus: Corpus, n: int) -> dict[str, Any]:
    words, rng = corpus.entry(f"experience[{n}]"), corpus.rng
    return {
        "title": words(rng.randint(1, 2)), "company": words(1), "location": words(1),
        "startDate": "2019-01", "endDate": "2020-06",
        "description": [words(corpus.tokens(1, 3)) for _ in range(rng.choice((0, 0, 1)))],
        "achievements": [words(corpus.tokens(1, rng.choice((1, 2, 5)))) for _ in range(rng.randint(0, 6))],
    }  # fmt: skip


def _project(corpus: Corpus, n: int) -> dict[str, Any]:
    words, rng = corpus.entry(f"projects[{n}]"), corpus.rng
    return {
        "name": words(rng.randint(1, 2)),
        "description": [words(corpus.tokens(1, 2)) for _ in range(rng.randint(0, 1))],
        "tools": [words(1) for _ in range(rng.randint(0, 3))],
        "achievements": [words(corpus.tokens(1, 2)) for _ in range(rng.randint(0, 4))],
    }


def _school(corpus: Corpus, n: int) -> dict[str, Any]:
    words, rng = corpus.entry(f"education[{n}]"), corpus.rng
    school: dict[str, Any] = {"degree": words(2), "institution": words(2), "location": words(1),
                              "startDate": "2010", "endDate": "2014"}  # fmt: skip
    if rng.random() < 0.5:
        school["focus"] = words(corpus.tokens(1, 2))
    if rng.random() < 0.5:
        school["notableCourseWorks"] = [words(1) for _ in range(rng.randint(1, 8))]
    return school


def _role(corpus: Corpus, n: int) -> dict[str, Any]:
    words = corpus.entry(f"volunteering[{n}]")
    return {"role": words(1), "organization": words(1), "startDate": "2015", "endDate": "2016",
            "description": words(corpus.tokens(1, 5))}  # fmt: skip


def _skills(corpus: Corpus, n: int) -> dict[str, Any]:
    words = corpus.entry(f"skills[{n}]")
    return {"category": words(1), "skills": [words(1) for _ in range(corpus.rng.randint(1, 9))]}


def _certificate(corpus: Corpus, n: int) -> dict[str, Any]:
    words = corpus.entry(f"certifications[{n}]")
    return {"name": words(corpus.tokens(1, 2)), "issuer": words(1)}


def _line(corpus: Corpus, n: int) -> str:
    return corpus.text(1, 2)


def _resume(corpus: Corpus, sidebar: bool, lead: int) -> dict[str, Any]:
    section, many = corpus.section, corpus.many
    data: dict[str, Any] = {"personalInfo": {"name": "Pat Tester", "email": "pat@example.com"}}
    data["personalInfo"]["location"] = section("Contact" if sidebar else "", lambda: [corpus.text(1, 1)])[0]
    data["professionalSummary"] = section("Summary", lambda: [corpus.group()(lead)])[0]
    data["experience"] = section("Experience", many(_job, 1, 8))
    data["education"] = section("Education", many(_school, 1, 4))
    data["projects"] = section("Projects", many(_project, 0, 4))
    data["volunteering"] = section("Volunteering", many(_role, 0, 3))
    data["technologiesAndSkills"] = section("Skills", many(_skills, 1, 5))
    data["certifications"] = section("Certifications", many(_certificate, 0, 3))
    data["publications"] = section("Publications", many(_line, 0, 3))
    data["achievements"] = section("Achievements", many(_line, 0, 2))
    data["awardsAndHonors"] = section("Awards", many(_line, 0, 3))
    data["languages"] = section("Languages", many(_line, 0, 2))
    data["interests"] = section("Interests", many(_line, 0, 2))
    for n in range(corpus.rng.randint(0, 6)):  # extra sections, titled from their keys: "Hz3q"
        data[f"hz{n}q"] = section(f"hz{n}q", many(_line, 1, 3))
    return {key: value for key, value in data.items() if value}


# --------------------------------------------------------------------------- letters


def _letter(corpus: Corpus, sidebar: bool, lead: int) -> dict[str, Any]:
    """A letter. Its closing and the signature under it are one entry, the last: the name (and in
    two_column the title) that the letterhead shows too."""
    contact = corpus.section("Contact" if sidebar else "", lambda: [corpus.text(1, 1)])[0]
    recipient = corpus.section("To" if sidebar else "", lambda: [corpus.text(1, 1)])
    recipient += [corpus.text(1, 1) for _ in range(2)]
    body = [corpus.entry("body[0]")(lead)]
    body += [corpus.entry(f"body[{n}]")(corpus.tokens(1, 8)) for n in range(1, corpus.rng.randint(3, 10))]
    signature = corpus.entry("closing and signature")
    return {
        "personalInfo": {"name": signature(2), "title": (signature if sidebar else corpus.group())(1),
                         "email": "pat@example.com", "location": contact},
        "recipient": {"name": recipient[0], "address": recipient[1:]},
        "date": "2024-03-15", "salutation": "Dear reader,", "body": body, "closing": signature(1),
    }  # fmt: skip


def document(kind: str, template: str, seed: int) -> tuple[dict[str, Any], Corpus]:
    """The envelope of document ``seed`` of a template's corpus, and what its PDF must show. Its
    opening paragraph is about a line longer than the one before it, up to a page's worth."""
    corpus = Corpus(random.Random(f"{kind}/{template}/{seed}"))
    lead = 1 + seed * LEAD // DOCUMENTS[kind]
    data = (_resume if kind == "resume" else _letter)(corpus, template == "two_column", lead)
    if seed % 8 == 5:  # a Greek word: typeset by XeLaTeX
        if kind == "resume":
            data["personalInfo"]["name"] = "Πάτ Tester"
        else:
            data["salutation"] = "Αγαπητέ reader,"
    options = {"spacing": SPACINGS[seed % 3], "paper": ("letter", "a4")[seed // 3 % 2]}
    return {"document_type": kind, "template": template, "options": options, "data": data}, corpus


def typeset(renderer: Renderer, envelope: dict[str, Any], seed: int) -> bytes:
    """The document's PDF; every fourth one tightened as fitting it to fewer pages would (layout.py):
    its gaps, then its leading, then its text size scaled, by turns a little and as far as they go."""
    request = validate_request(envelope)
    if seed % 4 != 3:
        return renderer.render(request).pdf
    squeeze = STAGES.index(("margins", MARGINS_FLOOR)) * (seed // 4 % 5 + 1) / 5
    return renderer.compile(render_source(request, fit=fit_for(squeeze))).pdf


# --------------------------------------------------------------------------- what the PDF shows


def placed_words(pdf: bytes) -> dict[str, list[Place]]:
    """Where ``pdftotext -bbox`` reads each word (casefolded) of a PDF, and each token in a word."""
    command = ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"]
    html = subprocess.run(command, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    found: dict[str, list[Place]] = defaultdict(list)
    for page, chunk in enumerate(html.split("<page ")[1:], 1):
        height = float(_PAGE.match("<page " + chunk)[1])  # type: ignore[index]
        for top, bottom, word in _WORD.findall(chunk):
            # A token by itself too: a punctuation mark may follow it ("k012x0:" in a skill group).
            for key in {word.casefold(), *(m[0] for m in _TOKEN.finditer(word))}:
                found[key].append((page, (float(top) + float(bottom)) / 2, height))
    return found


def lines_of(places: list[Place]) -> list[Place]:
    """The lines that words at ``places`` are on: one place per line."""
    lines: list[Place] = []
    for place in sorted(places):
        if not lines or lines[-1][0] != place[0] or place[1] - lines[-1][1] > _SAME_LINE:
            lines.append(place)
    return lines


@dataclass
class Checked:
    """What one document's PDF shows of its headings and entries."""

    problems: dict[str, list[str]] = field(default_factory=lambda: {"headings": [], "entries": []})
    headings: int = 0
    headings_low: int = 0  # in the lowest fifth of a page
    short_entries: int = 0
    short_entries_low: int = 0  # ending in the lowest fifth of a page: where one would be split


def _check_headings(words: dict[str, list[Place]], corpus: Corpus, label: str, checked: Checked) -> None:
    for heading, first in corpus.headings:
        found, content = words[heading.casefold()], words[first]
        if len(found) != 1 or len(content) != 1:
            checked.problems["headings"].append(f"{label}: {heading!r} or its first word is not found once")
            continue
        (page, y, height), (content_page, _, _) = found[0], content[0]
        checked.headings += 1
        checked.headings_low += y > 0.8 * height
        if content_page != page:
            checked.problems["headings"].append(f"{label}: {heading!r} ends page {page}")


def _check_entries(words: dict[str, list[Place]], corpus: Corpus, label: str, checked: Checked) -> None:
    groups: dict[str, list[Place]] = defaultdict(list)
    for word, places in words.items():
        if match := _TOKEN.fullmatch(word):
            groups[match[1]].append(max(places))  # a letter's signature repeats its letterhead: the last
    for prefix, entry in corpus.entries.items():
        lines = lines_of(groups[prefix])
        pages = sorted({page for page, _, _ in lines})
        if not lines:
            checked.problems["entries"].append(f"{label}: {entry} is not found")
        elif len(lines) <= SHORT_ENTRY:
            checked.short_entries += 1
            checked.short_entries_low += lines[-1][1] > 0.8 * lines[-1][2]
            if len(pages) > 1:
                checked.problems["entries"].append(f"{label}: {entry} ({len(lines)} lines) is split, {pages}")


def check(pdf: bytes, corpus: Corpus, label: str) -> Checked:
    words, checked = placed_words(pdf), Checked()
    _check_headings(words, corpus, label, checked)
    _check_entries(words, corpus, label, checked)
    return checked


# --------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def corpus_of(renderer: Renderer) -> Callable[[str, str], list[Checked]]:
    """``corpus_of(kind, template)``: every document of a template's corpus typeset and checked, once."""
    done: dict[tuple[str, str], list[Checked]] = {}

    def _corpus_of(kind: str, template: str) -> list[Checked]:
        if (kind, template) not in done:
            done[kind, template] = []
            for seed in range(DOCUMENTS[kind]):
                envelope, corpus = document(kind, template, seed)
                pdf = typeset(renderer, envelope, seed)
                done[kind, template].append(check(pdf, corpus, f"{kind}/{template} #{seed}"))
        return done[kind, template]

    return _corpus_of


def _id(case: tuple[str, str]) -> str:
    return "/".join(case)


@pytest.mark.parametrize("case", TEMPLATES, ids=_id)
def test_a_heading_never_ends_a_page(corpus_of: Any, case: tuple[str, str]) -> None:
    problems = [p for checked in corpus_of(*case) for p in checked.problems["headings"]]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("case", TEMPLATES, ids=_id)
def test_a_short_entry_is_never_split_across_pages(corpus_of: Any, case: tuple[str, str]) -> None:
    problems = [p for checked in corpus_of(*case) for p in checked.problems["entries"]]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("case", TEMPLATES, ids=_id)
def test_the_corpus_reaches_the_foot_of_the_page(corpus_of: Any, case: tuple[str, str]) -> None:
    """Headings and short entries near the foot of a page, where they would be cut off: the tests
    above say something only if the corpus puts enough of them there."""
    checked = corpus_of(*case)
    short_low = sum(c.short_entries_low for c in checked)
    assert short_low >= 20, f"only {short_low} short entries end in the lowest fifth of a page"
    if case[0] == "resume":
        headings_low = sum(c.headings_low for c in checked)
        assert headings_low >= 20, f"only {headings_low} headings are in the lowest fifth of a page"
