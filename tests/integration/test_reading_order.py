"""Reading order by construction (issue 13; docs/engine.md, "Reading order"): what an applicant-tracking
system extracts from every template keeps each entry whole and in source order.

Every sample (src/docpipe/samples, tests/data/original) is typeset once per template of its type and
read by poppler's ``pdftotext`` and pdfminer.six, each with its default layout analysis. The entries
expected come from the validated data as the templates print them (a job: title, ``date_range``,
company, place, first and last line). Per extractor: each entry's parts in order, entries in order
per column, no part of another entry inside one; in two_column the sidebar and the main column never
mix on a page; the invisible leaders that join flush-right text to its line add no character.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from extraction import EXTRACTORS, Entry, find_entries, intruders, invented, markers, mixed_pages, squash

from docpipe import catalog, validation
from docpipe.dates import PartialDate, date_range
from docpipe.latex import display_url
from docpipe.renderer import Renderer
from docpipe.schema import CoverLetter, PersonalInfo, Resume
from docpipe.validation import DocumentRequestT

SOURCES = sorted((Path(validation.__file__).parent / "samples").glob("*.json")) + sorted(
    (Path(__file__).parents[1] / "data" / "original").glob("*.json")
)
Case = tuple[Path, str]
CASES = [
    (path, template)
    for path in SOURCES
    for template in catalog.template_names(json.loads(path.read_text(encoding="utf-8"))["document_type"])
]
SIDEBAR_TEMPLATES = {"two_column"}
# Where a template prints an entry's heading parts, when not title, dates, organisation, place.
HEADER_ORDER = {("two_column", "education"): ("title", "organisation", "dates", "location")}
Columns = dict[str, list[Entry]]


def _id(case: Case) -> str:
    return f"{case[0].parent.name}-{case[0].stem}-{case[1]}"


# --------------------------------------------------------------------------- what the data says


def _header(template: str, kind: str, **parts: str | None) -> list[str | None]:
    order = HEADER_ORDER.get((template, kind), ("title", "dates", "organisation", "location"))
    return [parts.get(name) for name in order]


def _ends(items: Sequence[str]) -> list[str]:
    """The first and the last line of a list: together they pin down where it starts and ends."""
    return [items[0], items[-1]] if items else []


def _short(value: PartialDate | None) -> str | None:
    return value.short() if value else None


def _contact(info: PersonalInfo) -> list[str]:
    links = [
        getattr(info, f"{name}_display")
        or (display_url(getattr(info, name)) if getattr(info, name) else None)
        for name in ("website", "linkedin", "github", "twitter", "x")
    ]
    return [x for x in (info.location, info.phone, info.email, *links) if x]


def _jobs_and_projects(doc: Resume, template: str) -> list[Entry]:
    entries = []
    for n, job in enumerate(doc.experience):
        dates = date_range(job.start_date, job.end_date, open_ended=True)
        head = _header(template, "experience", title=job.title, dates=dates, organisation=job.company,
                       location=job.location)  # fmt: skip
        body = [*_ends(job.description), *_ends(job.achievements)]
        entries.append(Entry.of(f"experience[{n}]", [*head, *body], [*job.description, *job.achievements]))
    for n, project in enumerate(doc.projects):
        url = display_url(project.url) if project.url else None
        body = [*_ends(project.description), *_ends(project.achievements)]
        text = [*project.description, *project.tools, *project.achievements]
        entries.append(Entry.of(f"projects[{n}]", [project.name, url, *body], text))
    return entries


def _schools(doc: Resume, template: str) -> list[Entry]:
    entries = []
    for n, school in enumerate(doc.education):
        dates = date_range(school.start_date, school.end_date, open_ended=False)
        organisation = school.institution if school.degree else None
        head = _header(template, "education", title=school.degree or school.institution, dates=dates,
                       organisation=organisation, location=school.location)  # fmt: skip
        projects = [p if isinstance(p, str) else p.name for p in school.projects]
        details = [
            t
            for p in school.projects
            if not isinstance(p, str)
            for t in (*p.description, *p.tools, *p.achievements, display_url(p.url) if p.url else "")
        ]
        body = [school.focus, *_ends(school.notable_course_works), *_ends(projects)]
        text = [*school.notable_course_works, *school.honors, *projects, *details, str(school.gpa or "")]
        entries.append(Entry.of(f"education[{n}]", [*head, *body], text))
    return entries


def _listed(doc: Resume, template: str) -> tuple[list[Entry], list[Entry]]:
    """Certificates (the sidebar's in two_column), then publications, roles and extra sections."""
    certificates = [
        Entry.of(f"certifications[{n}]", [c] if isinstance(c, str) else [c.name, c.issuer, _short(c.date)])
        for n, c in enumerate(doc.certifications)
    ]
    publications = [*doc.articles_and_publications, *doc.publications]
    rest = [
        Entry.of(f"publications[{n}]", [p] if isinstance(p, str) else [p.title, _short(p.date)])
        for n, p in enumerate(publications)
    ]
    for n, role in enumerate(doc.volunteering):
        if isinstance(role, str):
            rest.append(Entry.of(f"volunteering[{n}]", [role]))
            continue
        dates = date_range(role.start_date, role.end_date, open_ended=False)
        organisation = role.organization if role.role else None
        head = _header(template, "volunteering", title=role.role or role.organization, dates=dates,
                       organisation=organisation)  # fmt: skip
        rest.append(Entry.of(f"volunteering[{n}]", [*head, role.description]))
    for section in doc.extra_sections:
        for n, item in enumerate(section.items):
            parts = [item] if isinstance(item, str) else [item.title, *item.details]
            rest.append(Entry.of(f"{section.title}[{n}]", parts))
    return certificates, rest


def resume_columns(doc: Resume, template: str) -> Columns:
    """Each column's entries in reading order (classic has one column, "main")."""
    main, schools = _jobs_and_projects(doc, template), _schools(doc, template)
    certificates, rest = _listed(doc, template)
    if template in SIDEBAR_TEMPLATES:
        return {"sidebar": schools + certificates, "main": main + rest}
    return {"main": main[: len(doc.experience)] + schools + main[len(doc.experience) :] + certificates + rest}


def letter_columns(doc: CoverLetter, template: str) -> Columns:
    info, to = doc.personal_info, doc.recipient
    recipient = [to.name, to.title, to.company, to.department, *to.address] if to else []
    dated = doc.date.long() if isinstance(doc.date, PartialDate) else doc.date
    closing = [line for line in doc.closing.splitlines() if line.strip()]
    letter = [
        Entry.of("date", [dated]),
        Entry.of("job title", [doc.job_title]),
        Entry.of("salutation", [doc.salutation]),
        *(Entry.of(f"body[{n}]", [paragraph]) for n, paragraph in enumerate(doc.body)),
        Entry.of("closing", closing),
    ]
    if template in SIDEBAR_TEMPLATES:
        sidebar = [Entry.of("contact", _contact(info)), Entry.of("recipient", recipient)]
        return {"sidebar": sidebar, "main": [*letter, Entry.of("signature", [info.name, info.title])]}
    head = Entry.of("letterhead", [info.name, info.title, *_contact(info)])
    main = [
        head,
        letter[0],
        Entry.of("recipient", recipient),
        *letter[1:],
        Entry.of("signature", [info.name]),
    ]
    return {"main": main}


def column_phrases(doc: Resume | CoverLetter, template: str) -> dict[str, list[str]]:
    """Everything each column of a two-column document prints that the data says, and the name band."""
    columns = resume_columns(doc, template) if isinstance(doc, Resume) else letter_columns(doc, template)
    found = {name: [t for e in entries for t in (*e.parts, *e.text)] for name, entries in columns.items()}
    found["band"] = [t for t in (doc.personal_info.name, doc.personal_info.title) if t]
    if isinstance(doc, Resume):
        skills = [
            t
            for s in doc.technologies_and_skills
            for t in ([s] if isinstance(s, str) else [s.category, *s.skills])
        ]
        found["sidebar"] += [*_contact(doc.personal_info), *skills, *doc.languages, *doc.interests]
        found["main"] += [
            t for t in (doc.professional_summary, *doc.achievements, *doc.awards_and_honors) if t
        ]
    return found


# --------------------------------------------------------------------------- typeset once, read once


def _request(case: Case) -> DocumentRequestT:
    return validation.validate_request(
        json.loads(case[0].read_text(encoding="utf-8")) | {"template": case[1]}
    )


@pytest.fixture(scope="module")
def read(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case, str], str]:
    """``read(case, extractor)``: the text one extractor reads from the case's PDF (each made once)."""
    out, pdfs, texts = tmp_path_factory.mktemp("reading-order"), {}, {}

    def _read(case: Case, extractor: str) -> str:
        if case not in pdfs:
            pdfs[case] = out / f"{_id(case)}.pdf"
            pdfs[case].write_bytes(renderer.render(_request(case)).pdf)
        if (case, extractor) not in texts:
            texts[case, extractor] = EXTRACTORS[extractor](pdfs[case])
        return texts[case, extractor]

    return _read


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("extractor", list(EXTRACTORS))
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_every_entry_reads_back_whole_and_in_source_order(read: Any, case: Case, extractor: str) -> None:
    doc, text = _request(case).data, squash(read(case, extractor))
    columns = resume_columns(doc, case[1]) if isinstance(doc, Resume) else letter_columns(doc, case[1])
    entries: list[Entry] = []
    spans: list[tuple[int, int]] = []
    problems: list[str] = []
    for column in columns.values():
        found = [e for e in column if e.parts]
        column_spans, missing = find_entries(text, found)
        entries, spans, problems = entries + found, spans + column_spans, problems + missing
    problems += intruders(text, entries, spans)
    assert len(entries) >= 3, "the sample has too few entries to say anything"
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("extractor", list(EXTRACTORS))
@pytest.mark.parametrize("case", [c for c in CASES if c[1] in SIDEBAR_TEMPLATES], ids=_id)
def test_the_sidebar_and_the_main_column_never_mix(read: Any, case: Case, extractor: str) -> None:
    phrases = column_phrases(_request(case).data, case[1])
    sidebar = markers(phrases["sidebar"], phrases["main"], phrases["band"])
    main = markers(phrases["main"], phrases["sidebar"], phrases["band"])
    assert sidebar, "no phrase tells the sidebar apart"
    assert main, "no phrase tells the main column apart"
    problems = mixed_pages(read(case, extractor), sidebar, main)
    assert problems == [], "\n".join(problems)


FOCUS = [f"q{n:03d}z" for n in range(800)]  # taller than a page in the sidebar, each word unique


@pytest.fixture(scope="module")
def long_sidebar(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str]]:
    """A two_column résumé whose sidebar runs over three pages: more schools than page 1 holds, then
    one whose focus is taller than a page. Its data, and what each extractor reads."""
    envelope = json.loads((SOURCES[0].parent / "resume.json").read_text(encoding="utf-8"))
    envelope["template"] = "two_column"
    envelope["data"]["education"] = [
        {"degree": f"MSc number {n:02d} in Applied Things", "institution": f"University of Place {n:02d}",
         "startDate": "2001", "endDate": "2005", "notableCourseWorks": [f"Course {n:02d} alpha", f"Course {n:02d} omega"]}
        for n in range(12)
    ] + [{"institution": "University of Everything", "focus": " ".join(FOCUS)}]  # fmt: skip
    request = validation.validate_request(envelope)
    path = tmp_path_factory.mktemp("long-sidebar") / "resume.pdf"
    path.write_bytes(renderer.render(request).pdf)
    return request.data, {name: extract(path) for name, extract in EXTRACTORS.items()}


@pytest.mark.parametrize("extractor", list(EXTRACTORS))
def test_a_sidebar_entry_stays_on_one_page_unless_it_is_taller(long_sidebar: Any, extractor: str) -> None:
    doc, texts = long_sidebar
    pages = [squash(page) for page in texts[extractor].split("\f")]
    for school in doc.education[:-1]:
        parts = [squash(p) for p in (school.degree, school.institution, *school.notable_course_works)]
        on = [n for n, page in enumerate(pages, 1) if any(p in page for p in parts)]
        assert len(on) == 1, f"{school.institution} is split over pages {on}"
    assert len(pages) > 3, "the sidebar was meant to run over three pages"
    missing = [word for word in FOCUS if word not in "".join(pages)]
    assert missing == [], f"a block taller than a page lost {len(missing)} words"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_the_invisible_leaders_add_no_characters(read: Any, case: Case) -> None:
    assert invented({name: read(case, name) for name in EXTRACTORS}) == []
