"""A document as its reader meets it: one column of text in reading order, for every writer that is not
TeX (``plaintext.py``, ``wordfile.py``) and for checks that read a document the way a machine does.

The outline holds what the classic template prints, in the order it prints it, as the user's own text
(never escaped: escaping belongs to each writer's format). Whitespace runs are one space, as in the
PDF. Dates, link texts and labels are formatted by the same functions the templates use. Every layout
prints the same content, only placed differently, so the outline is the same whatever the template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from docpipe import addresses, fonts, schema
from docpipe.dates import PartialDate, date_range
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.extras import ExtraItem, ExtraSection
from docpipe.latex import display_url

SectionKind = Literal["section", "date", "recipient", "subject", "salutation", "body", "closing", "signature"]
"""What a section is: a résumé section ("section", with a heading), or a block of a letter (no heading)."""
DOT = " · "
_PROFILES = ("website", "linkedin", "github", "twitter", "x")


@dataclass(frozen=True)
class Contact:  # one item of the contact line
    text: str  # as shown ("ada@example.com", "linkedin.com/in/ada" or its *_display text)
    target: str | None  # link address (mailto:/https:), None for plain text (location, phone)


@dataclass(frozen=True)
class Entry:
    """One job, school, project, volunteering role, extra-section entry ...

    A link (``link``) sits on the subtitle when there is one, else on the title. An entry with an empty
    title is a list item given as plain text among entries (a volunteering role written as a sentence).
    """

    title: str
    subtitle: str | None = None  # organisation / institution / issuer (a project's: its address)
    dates: str | None = None  # as the PDF prints it ("Mar 2021 – Present")
    location: str | None = None
    link: str | None = None  # link target of the subtitle, else of the title
    paragraphs: tuple[str, ...] = ()  # description lines
    details: tuple[str, ...] = ()  # labelled small lines as printed: "GPA: 3.9", "Coursework: A, B"
    bullets: tuple[str, ...] = ()
    children: tuple[Entry, ...] = ()  # entries inside this one: a school's projects

    def parts(self) -> tuple[str, ...]:
        """Non-empty parts in reading order: title, subtitle, dates, location, paragraphs, details,
        bullets, then the children's parts."""
        head = tuple(part for part in (self.title, self.subtitle, self.dates, self.location) if part)
        rest = (*self.paragraphs, *self.details, *self.bullets)
        return head + rest + tuple(part for child in self.children for part in child.parts())


@dataclass(frozen=True)
class Section:
    heading: str  # as printed ("Experience", an extra section's title); "" for a letter's blocks
    paragraphs: tuple[str, ...] = ()  # summary, letter body
    entries: tuple[Entry, ...] = ()
    items: tuple[str, ...] = ()  # simple list lines as printed ("Languages: Python, Go")
    links: tuple[tuple[str, str], ...] = ()  # (text, target) pairs inside items/entries
    kind: SectionKind = "section"
    bulleted: bool = True  # items are a bulleted list (False: lines, as skills or an address)
    item_links: tuple[tuple[int, str, str], ...] = ()  # (item index, text in it, target): where exactly

    def texts(self) -> list[str]:
        head = [self.heading] if self.heading else []
        return [*head, *self.paragraphs, *(p for e in self.entries for p in e.parts()), *self.items]


@dataclass(frozen=True)
class Outline:
    document_type: str  # "resume" | "cover_letter"
    name: str
    headline: str | None
    contact: tuple[Contact, ...]
    sections: tuple[Section, ...]  # in reading order (a letter: date, recipient, Re:, salutation, ...)
    title: str = ""  # the document's title, as in the PDF's metadata ("Ada Lovelace — Résumé")
    keywords: tuple[str, ...] = ()  # a résumé's skills; a letter's job title and company

    def texts(self) -> list[str]:
        """Every piece of text in reading order: name, headline, contact, headings, all parts."""
        head = [self.name, *([self.headline] if self.headline else []), *(c.text for c in self.contact)]
        return head + [text for section in self.sections for text in section.texts()]

    def entries(self) -> list[Entry]:
        """Every entry in reading order, each followed by its children."""
        return [e for s in self.sections for entry in s.entries for e in (entry, *entry.children)]


def _clean(text: str) -> str:
    """Text as the PDF prints it: whitespace runs (line breaks, tabs) are one space, none at the ends.
    (A no-break space stays: the user put it there.)"""
    return fonts.WHITESPACE.sub(" ", text).strip()


def _some(*texts: str | None) -> tuple[str, ...]:
    """The texts given, cleaned, without the empty ones."""
    return tuple(t for t in (_clean(text) for text in texts if text) if t)


def _opt(text: str | None) -> str | None:
    return (_clean(text) or None) if text else None


def _target(address: str | None) -> str | None:
    # What the PDF links to: ASCII, a bare host with https:// (addresses.link_target).
    return addresses.link_target(address) if address else None


def _labelled(label: str, values: Iterable[str], separator: str = ", ") -> str | None:
    texts = _some(*values)
    return f"{label}: {separator.join(texts)}" if texts else None


def profile_links(info: schema.PersonalInfo) -> list[tuple[str, str | None]]:
    """The person's links as (text shown, address): the ``*_display`` text when given, else the address
    as printed. A display text without an address is plain text (address None)."""
    links: list[tuple[str, str | None]] = []
    for name in _PROFILES:
        address, shown = getattr(info, name), getattr(info, f"{name}_display")
        if address:
            links.append((shown or display_url(address), address))
        elif shown:
            links.append((shown, None))
    return links


def _contact(info: schema.PersonalInfo) -> tuple[Contact, ...]:
    items = [Contact(text, None) for text in _some(info.location, info.phone)]
    items.append(Contact(_clean(info.email), addresses.link_target(f"mailto:{info.email}")))
    shown = [(_clean(text), _target(address)) for text, address in profile_links(info)]
    return (*items, *(Contact(text, target) for text, target in shown if text))


def _job(job: schema.Experience) -> Entry:
    # A job without a company but with an address shows the address where the company would be.
    company = _opt(job.company) or (display_url(job.url) if job.url else None)
    dates = _opt(date_range(job.start_date, job.end_date, open_ended=True))
    return Entry(
        _clean(job.title), company, dates, _opt(job.location), _target(job.url), _some(*job.description),
        bullets=_some(*job.achievements),
    )  # fmt: skip


def _project(project: schema.Project | str) -> Entry:
    if isinstance(project, str):
        return Entry("", paragraphs=_some(project))
    address = display_url(project.url) if project.url else None
    return Entry(
        _clean(project.name), _opt(address), link=_target(project.url),
        paragraphs=_some(*project.description), details=_some(_labelled("Tools", project.tools)),
        bullets=_some(*project.achievements),
    )  # fmt: skip


def _school(school: schema.Education) -> Entry:
    institution, degree = _clean(school.institution), _opt(school.degree)
    dates = _opt(date_range(school.start_date, school.end_date, open_ended=False))
    gpa, courses = school.gpa and f"GPA: {school.gpa}", _labelled("Coursework", school.notable_course_works)
    details = _some(gpa, _labelled("Honors", school.honors, "; "), courses)
    projects = tuple(filter(Entry.parts, map(_project, school.projects)))
    return Entry(
        degree or institution, institution if degree else None, dates, _opt(school.location),
        _target(school.url), _some(school.focus), details, children=projects,
    )  # fmt: skip


def _volunteering(role: schema.Volunteering | str) -> Entry:
    if isinstance(role, str):
        return Entry("", paragraphs=_some(role))
    title, organization = _opt(role.role), _clean(role.organization)
    dates = _opt(date_range(role.start_date, role.end_date, open_ended=False))
    return Entry(
        title or organization, organization if title else None, dates, paragraphs=_some(role.description)
    )


def _extra_entry(item: ExtraItem | str) -> Entry:
    if isinstance(item, str):
        return Entry("", paragraphs=_some(item))
    address = _opt(display_url(item.url)) if item.url else None
    details = _some(DOT.join(_some(*item.details)))
    return Entry(_clean(item.title), address, link=_target(item.url), details=details)


Item = tuple[str, str | None, str | None]
"""A list line, the text in it that is a link (or None), and the link's target."""


def _named(name: str, after: str | None, date: PartialDate | None, url: str | None) -> Item:
    """A certification or publication as printed: "Name — Issuer (2023)", the name linked."""
    name, issuer = _clean(name), f" — {shown}" if (shown := _opt(after)) else ""
    return f"{name}{issuer}{f' ({date.short()})' if date else ''}", name, _target(url)


def _certification(cert: schema.Certification | str) -> Item | str:
    return cert if isinstance(cert, str) else _named(cert.name, cert.issuer, cert.date, cert.url)


def _publication(pub: schema.Publication | str) -> Item | str:
    return pub if isinstance(pub, str) else _named(pub.title, None, pub.date, pub.url)


def _skill(skill: schema.SkillGroup | str) -> str:
    return skill if isinstance(skill, str) else _labelled(skill.category, skill.skills) or skill.category


def _entry_links(entries: Iterable[Entry]) -> tuple[tuple[str, str], ...]:
    every = [each for entry in entries for each in (entry, *entry.children)]
    return tuple((text, each.link) for each in every if each.link and (text := each.subtitle or each.title))


def _section(heading: str, *, entries: Iterable[Entry] = (), paragraphs: Iterable[str] = ()) -> Section:
    kept = tuple(filter(Entry.parts, entries))  # an entry with no text at all is left out
    return Section(heading, paragraphs=tuple(paragraphs), entries=kept, links=_entry_links(kept))


def _listed(heading: str, items: Iterable[Item | str], *, bulleted: bool = True) -> Section:
    """A list section; an item given as text has no link."""
    given = [(item, None, None) if isinstance(item, str) else item for item in items]
    kept = [(_clean(line), text, target) for line, text, target in given if _clean(line)]
    placed = tuple((i, text, target) for i, (_, text, target) in enumerate(kept) if text and target)
    lines, links = tuple(line for line, _, _ in kept), tuple((text, target) for _, text, target in placed)
    return Section(heading, items=lines, links=links, bulleted=bulleted, item_links=placed)


def _extra(section: ExtraSection) -> Section:
    title, items = _clean(section.title), section.items
    texts = [item for item in items if isinstance(item, str)]
    if len(texts) < len(items):
        return _section(title, entries=map(_extra_entry, items))
    # One text is printed as a paragraph, several as a list (base/extra_sections.tex.j2).
    return _section(title, paragraphs=_some(*texts)) if len(texts) == 1 else _listed(title, texts)


def _resume_sections(doc: schema.Resume) -> list[Section]:
    publications = [*doc.articles_and_publications, *doc.publications]
    return [
        _section("Summary", paragraphs=_some(doc.professional_summary)),
        _section("Experience", entries=map(_job, doc.experience)),
        _section("Education", entries=map(_school, doc.education)),
        _section("Projects", entries=map(_project, doc.projects)),
        _listed("Skills", map(_skill, doc.technologies_and_skills), bulleted=False),
        _listed("Certifications", map(_certification, doc.certifications)),
        _listed("Publications", map(_publication, publications)),
        _listed("Achievements", doc.achievements),
        _listed("Awards and Honors", doc.awards_and_honors),
        _section("Languages", paragraphs=_some(DOT.join(_some(*doc.languages)))),
        _section("Interests", paragraphs=_some(DOT.join(_some(*doc.interests)))),
        _section("Volunteering", entries=map(_volunteering, doc.volunteering)),
        *map(_extra, doc.extra_sections),
    ]


def _letter_sections(doc: schema.CoverLetter) -> list[Section]:
    # The classic letter's order: date, recipient, Re: line, salutation, body, closing, name.
    to, job = doc.recipient, _opt(doc.job_title)
    date = doc.date.long() if isinstance(doc.date, PartialDate) else doc.date  # free text as given
    recipient = _some(to.name, to.title, to.company, to.department, *to.address) if to else ()
    blocks: list[tuple[SectionKind, tuple[str, ...]]] = [
        ("date", _some(date)),
        ("recipient", recipient),
        ("subject", (f"Re: {job}",) if job else ()),
        ("salutation", _some(doc.salutation)),
        ("body", _some(*doc.body)),
        ("closing", _some(*doc.closing.splitlines())),
        ("signature", _some(doc.personal_info.name)),
    ]
    # Lines that belong together (an address, "Best regards,\nAda") are items, the rest paragraphs.
    lines = {"recipient", "closing"}
    return [
        Section("", items=t, kind=k, bulleted=False) if k in lines else Section("", t, kind=k)
        for k, t in blocks
    ]


def _keywords(request: ResumeRequest | CoverLetterRequest) -> tuple[str, ...]:
    if isinstance(request, CoverLetterRequest):
        return _some(request.data.job_title, getattr(request.data.recipient, "company", None))
    skills = request.data.technologies_and_skills
    return _some(*(s for skill in skills for s in ([skill] if isinstance(skill, str) else skill.skills)))


def build(request: ResumeRequest | CoverLetterRequest) -> Outline:
    """The outline of a validated request (its template does not matter: see the module docstring)."""
    info = request.data.personal_info
    if isinstance(request, ResumeRequest):
        sections, kind = _resume_sections(request.data), "Résumé"
    else:
        sections, kind = _letter_sections(request.data), "Cover Letter"
    name, kept = _clean(info.name), tuple(s for s in sections if s.paragraphs or s.entries or s.items)
    contact, keywords, title = _contact(info), _keywords(request), f"{name} — {kind}"
    return Outline(request.document_type, name, _opt(info.title), contact, kept, title, keywords)
