"""Word files (docpipe.wordfile) and plain text (docpipe.plaintext), read back as machines read them.

Every sample goes through outline → DOCX and is read back with python-docx: all the text the PDF prints
is there in reading order (the expected strings are walked out of the validated data, not written
down), with Word's styles, real hyperlinks and core properties, byte-identical on a second build. The
hostile corpus of test_hostile*.py comes back literally from DOCX and text. LibreOffice opens every
sample and turns it into a PDF whose text has the person's name and first title.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, cast

import docx
import pytest
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from pydantic import BaseModel
from test_hostile import PAYLOADS, URLS
from test_hostile import _letter_fields as letter_fields
from test_hostile import _resume_fields as resume_fields
from test_hostile_vocabulary import _letter_fields as vocabulary_letter_fields
from test_hostile_vocabulary import _resume_fields as vocabulary_resume_fields

from docpipe import addresses, outline, schema
from docpipe.dates import PartialDate
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import InvalidDocument
from docpipe.latex import display_url
from docpipe.plaintext import render_text
from docpipe.validation import validate_request
from docpipe.wordfile import render_docx

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FILES = sorted((ROOT / "src" / "docpipe" / "samples").glob("*.json")) + sorted(
    (ROOT / "tests" / "data" / "original").glob("*.json")
)
CREATED = dt.date(2026, 1, 2)
# What the samples leave out: extra sections, texts among objects, links in lists, school projects.
EVERYTHING: dict[str, Any] = {
    "document_type": "resume",
    "options": {"paper": "a4", "spacing": "compact"},
    "data": {
        "personalInfo": {"name": "Ada Lovelace", "email": "ada@example.com", "x": "x.example/ada", "x_display": "@ada"},
        "experience": [{"title": "Freelance", "url": "https://freelance.example/ada", "startDate": "2020", "endDate": "2020"}],
        "education": [{"institution": "Home", "projects": ["Flyology", {"name": "Engine", "url": "engine.example",
                       "description": "Notes", "tools": ["Pen"], "achievements": ["Note G"]}]}],
        "volunteering": ["Taught maths", {"role": "Patron", "organization": "Society", "startDate": "1840-05"}],
        "certifications": ["Royal", {"name": "Society", "issuer": "RS", "url": "rs.example", "date": "1843"}],
        "publications": ["Sketch", {"title": "Notes", "url": "notes.example", "date": "1843-09"}],
        "interests": ["Horses", "Music"],
        "talks": [{"title": "Engines", "venue": "RS", "url": "https://talks.example/e"}, "Lightning talk"],
        "motto": "Imagination.",
        "hobbies": ["Chess", "Go"],
    },
}  # fmt: skip
SAMPLES = [
    pytest.param(json.loads(p.read_text("utf-8")), id=f"{p.parent.name}/{p.stem}") for p in SAMPLE_FILES
]
SAMPLES.append(pytest.param(EVERYTHING, id="everything"))
Request = ResumeRequest | CoverLetterRequest


def _clean(text: str) -> str:
    return re.sub(r"[^\S\u00a0]+", " ", text).strip()  # whitespace as the PDF prints it


def _build(envelope: dict[str, Any], created: dt.date = CREATED) -> tuple[Request, outline.Outline, bytes]:
    request = validate_request(json.loads(json.dumps(envelope)))
    built = outline.build(request)
    return request, built, render_docx(built, paper=request.options.paper, created=created)


@cache
def _sample(key: str) -> tuple[Request, outline.Outline, bytes, Document]:
    request, built, data = _build(json.loads(key))
    return request, built, data, docx.Document(io.BytesIO(data))


def _read(envelope: dict[str, Any]) -> tuple[Request, outline.Outline, bytes, Document]:
    return _sample(json.dumps(envelope))  # each sample is built once for the module


def _text(document: Document) -> str:
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


# --------------------------------------------------------------------------- what must be in the file


def _dates(*dates: PartialDate | None) -> list[str | None]:
    return [date.short() if date else None for date in dates]


def _person(info: schema.PersonalInfo) -> list[str | None]:
    shown = []
    for name in ("website", "linkedin", "github", "twitter", "x"):
        address, display = getattr(info, name), getattr(info, f"{name}_display")
        shown.append(display or (display_url(address) if address else None))
    return [info.name, info.title, info.location, info.phone, info.email, *shown]


def _project(project: schema.Project | str) -> list[str | None]:
    if isinstance(project, str):
        return [project]
    address = display_url(project.url) if project.url else None
    return [project.name, address, *project.description, *project.tools, *project.achievements]


def _work(doc: schema.Resume) -> list[str | None]:
    out: list[str | None] = [doc.professional_summary]
    for job in doc.experience:
        company = job.company or (display_url(job.url) if job.url else None)
        out += [job.title, company, *_dates(job.start_date, job.end_date), job.location, *job.description]
        out += job.achievements
    for school in doc.education:
        out += [
            school.degree,
            school.institution,
            *_dates(school.start_date, school.end_date),
            school.location,
        ]
        out += [school.focus, school.gpa, *school.honors, *school.notable_course_works]
        out += [text for project in school.projects for text in _project(project)]
    return out + [text for project in doc.projects for text in _project(project)]


def _lists(doc: schema.Resume) -> list[str | None]:
    out: list[str | None] = []
    for skill in doc.technologies_and_skills:
        out += [skill] if isinstance(skill, str) else [skill.category, *skill.skills]
    for cert in doc.certifications:
        out += [cert] if isinstance(cert, str) else [cert.name, cert.issuer, *_dates(cert.date)]
    for pub in [*doc.articles_and_publications, *doc.publications]:
        out += [pub] if isinstance(pub, str) else [pub.title, *_dates(pub.date)]
    out += [*doc.achievements, *doc.awards_and_honors, *doc.languages, *doc.interests]
    for role in doc.volunteering:
        out += [role] if isinstance(role, str) else [role.role, role.organization, *_dates(role.start_date, role.end_date), role.description]  # fmt: skip
    for section in doc.extra_sections:
        out.append(section.title)
        for item in section.items:
            out += (
                [item]
                if isinstance(item, str)
                else [item.title, item.url and display_url(item.url), *item.details]
            )
    return out


def _letter(doc: schema.CoverLetter) -> list[str | None]:
    date = doc.date.long() if isinstance(doc.date, PartialDate) else doc.date
    to = doc.recipient
    recipient = [to.name, to.title, to.company, to.department, *to.address] if to else []
    return [
        date,
        *recipient,
        doc.job_title,
        doc.salutation,
        *doc.body,
        *doc.closing.splitlines(),
        doc.personal_info.name,
    ]


def expected_texts(request: Request) -> list[str]:
    """Every string of the user's that the PDF prints, in the outline's reading order."""
    doc = request.data
    found = _person(doc.personal_info)
    found += _letter(doc) if isinstance(doc, schema.CoverLetter) else _work(doc) + _lists(doc)
    return [_clean(text) for text in found if text and _clean(text)]


def out_of_order(text: str, pieces: list[str]) -> list[str]:
    """The pieces that are not in ``text`` one after the other (a repeated piece may be found once)."""
    missing, at, previous = [], 0, None
    for piece in pieces:
        found = text.find(piece, at)
        if found < 0 and piece != previous:
            missing.append(piece)
        at, previous = (found if found >= 0 else at), piece
    return missing


def _addresses(request: Request) -> set[str]:
    """The link target of every address in the data."""
    found = {f"mailto:{request.data.personal_info.email}"}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and key in {"website", "linkedin", "github", "twitter", "x", "url"}:
            found.add(addresses.link_target(value))

    walk(request.data, "")
    return found


# --------------------------------------------------------------------------- samples


@pytest.mark.parametrize("envelope", SAMPLES)
def test_all_the_text_comes_back_in_reading_order(envelope: dict[str, Any]) -> None:
    request, built, _, document = _read(envelope)
    expected = expected_texts(request)
    assert len(expected) > 8
    text = _text(document)
    assert out_of_order(text, expected) == []
    assert out_of_order(text, built.texts()) == []  # and in the outline's words (dates, labels)


@pytest.mark.parametrize("envelope", SAMPLES)
def test_word_styles_carry_the_structure(envelope: dict[str, Any]) -> None:
    _, built, _, document = _read(envelope)
    styled: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        styled.setdefault(paragraph.style.name if paragraph.style else "", []).append(paragraph.text)
    assert styled["Title"] == [built.name]
    assert styled.get("Subtitle", []) == ([built.headline] if built.headline else [])
    assert styled.get("Heading 1", []) == [s.heading for s in built.sections if s.heading]
    heads = [" — ".join(filter(None, (e.title, e.subtitle))) for s in built.sections for e in s.entries]
    assert styled.get("Heading 2", []) == [head for head in heads if head]
    bullets = [b for s in built.sections for e in s.entries for b in e.bullets]
    bullets += [item for s in built.sections if s.bulleted for item in s.items]
    assert set(bullets) <= set(styled.get("List Bullet", []))
    nested = [b for entry in built.entries() for child in entry.children for b in child.bullets]
    assert styled.get("List Bullet 2", []) == nested


@pytest.mark.parametrize("envelope", SAMPLES)
def test_links_are_real_hyperlinks(envelope: dict[str, Any]) -> None:
    request, built, _, document = _read(envelope)
    links = [(h.text, h.address) for p in document.paragraphs for h in p.hyperlinks]
    assert links == [(c.text, c.target) for c in built.contact if c.target] + [
        link for section in built.sections for link in section.links
    ]
    rels = [rel for rel in document.part.rels.values() if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK]
    assert all(rel.is_external for rel in rels)
    assert {rel.target_ref for rel in rels} == _addresses(request)


@pytest.mark.parametrize("envelope", SAMPLES)
def test_core_properties(envelope: dict[str, Any]) -> None:
    request, built, _, document = _read(envelope)
    props = document.core_properties
    kind = "Résumé" if request.document_type == "resume" else "Cover Letter"
    assert (props.title, props.author, props.last_modified_by) == (
        f"{built.name} — {kind}",
        built.name,
        built.name,
    )
    assert props.subject == ("Résumé" if request.document_type == "resume" else "Cover letter")
    assert props.keywords == ", ".join(built.keywords)
    midnight = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert (props.created, props.modified, props.revision, props.comments) == (midnight, midnight, 1, "")


@pytest.mark.parametrize("envelope", SAMPLES)
def test_the_same_input_and_date_give_the_same_bytes(envelope: dict[str, Any]) -> None:
    _, built, data, _ = _read(envelope)
    request = validate_request(json.loads(json.dumps(envelope)))
    assert render_docx(outline.build(request), paper=request.options.paper, created=CREATED) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist()[0] == "[Content_Types].xml"
        assert {info.date_time for info in archive.infolist()} == {(2026, 1, 2, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in archive.namelist()  # python-docx's blank preview
    assert render_docx(built, paper=request.options.paper, created=dt.date(2026, 1, 3)) != data


def test_paper_size_and_spacing() -> None:
    found = {}
    for paper, spacing in [("letter", "normal"), ("a4", "ultra-compact")]:
        request = validate_request(EVERYTHING | {"options": {"paper": paper, "spacing": spacing}})
        built = outline.build(request)
        data = render_docx(
            built, paper=request.options.paper, created=CREATED, spacing=request.options.spacing
        )
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml").decode()
        after = docx.Document(io.BytesIO(data)).styles["Normal"].paragraph_format.space_after
        found[paper, spacing] = (re.findall(r'<w:pgSz w:w="(\d+)" w:h="(\d+)"/>', xml), after and after.pt)
    assert found == {
        ("letter", "normal"): ([("12240", "15840")], 4),  # 8.5 × 11 in
        ("a4", "ultra-compact"): ([("11906", "16838")], 0),  # 210 × 297 mm, no space between paragraphs
    }


def test_long_names_and_many_keywords_fit_the_core_properties() -> None:
    # Word (and python-docx) hold at most 255 characters in a core property: a whole name is cut, a
    # list of keywords ends at the last keyword that fits.
    skills = [f"skill{i:03d}" for i in range(100)]
    data = {"personalInfo": {"name": "N" * 300, "email": "a@b.co"}, "skills": {"All": skills}}
    request = validate_request({"document_type": "resume", "data": data})
    document = docx.Document(io.BytesIO(render_docx(outline.build(request), paper="letter", created=CREATED)))
    assert document.core_properties.author == "N" * 254 + "…"
    assert document.core_properties.keywords.split(", ") == skills[:25]


# --------------------------------------------------------------------------- hostile text


def _payload_groups(limit: int = 135) -> list[str]:
    """The hostile payloads joined into as few strings as fit a short field with their markers (300
    characters, and a letter's closing holds two copies): so one document has every payload of a group
    in every field. (TeX needs one document per payload, as a payload may end TeX's run; XML
    escaping has no state to carry from one payload into the next.)"""
    groups: list[str] = []
    for payload in [*PAYLOADS.values(), *XML_PAYLOADS.values()]:
        if groups and len(groups[-1]) + len(payload) + 1 <= limit:
            groups[-1] += " " + payload
        else:
            groups.append(payload)
    return groups


# What could break a Word file rather than TeX: markup, entities, field codes, odd line separators.
XML_PAYLOADS = {
    "tags": "</w:t></w:r></w:p><w:p><w:r><w:t>x</w:t>",
    "cdata": "<![CDATA[ ]]> ]]> <!-- -->",
    "entities": "&amp; &lt; &#0; &#x1F600; &nbsp; &xxe;",
    "doctype": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
    "fields": '{ HYPERLINK "javascript:alert(1)" } { INCLUDETEXT "/etc/passwd" } { MERGEFIELD x }',
    "separators": "a\u2028b\u2029c\u00a0d\u3000e",  # (form feed and NEL are control characters: refused)
    "quotes": "\"'`\u201c\u201d\u2018\u2019 \u00ab\u00bb",
    "astral": "\U0001f600\U0001f469\u200d\U0001f4bb \u2665\ufe0f",
}
_BUILDERS: list[tuple[str, Callable[[str], tuple[dict[str, Any], list[str]]]]] = [
    ("resume", resume_fields),
    ("cover_letter", letter_fields),
    ("resume", vocabulary_resume_fields),
    ("cover_letter", vocabulary_letter_fields),
]


@pytest.mark.parametrize(
    "group", [pytest.param(g, id=f"group{i:02d}") for i, g in enumerate(_payload_groups())]
)
def test_hostile_text_comes_back_literally(group: str) -> None:
    for document_type, fields in _BUILDERS:
        data, marked = fields(group)
        _, built, docx_bytes = _build({"document_type": document_type, "data": data})
        # Whitespace as printed: a closing is cut into lines where the user broke it, as in the PDF.
        text, plain = _clean(_text(docx.Document(io.BytesIO(docx_bytes)))), _clean(render_text(built))
        copies = [_clean(copy) for copy in marked]
        assert [copy for copy in copies if copy not in text] == []
        assert [copy for copy in copies if copy not in plain] == []
        assert docx.Document(io.BytesIO(docx_bytes)).core_properties.author == copies[0]  # the name


@pytest.mark.parametrize("address", list(URLS.values()), ids=list(URLS))
def test_hostile_addresses_are_inert_links(address: str) -> None:
    data, _ = vocabulary_resume_fields("x")
    data["personalInfo"] |= {"twitter": address, "x": address}
    data["education"][0]["url"] = address
    data["experience"][0]["url"] = address  # no company: the address is printed
    _, _, docx_bytes = _build({"document_type": "resume", "data": data})
    document = docx.Document(io.BytesIO(docx_bytes))
    links = [h for p in document.paragraphs for h in p.hyperlinks if h.address != "https://site.example"]
    target = addresses.link_target(address)
    assert {h.address for h in links} >= {target}
    assert display_url(address) in _text(document)
    for link in links:
        assert not set(link.address) & set('\\{} "<>^`|'), link.address


@pytest.mark.parametrize(
    "character", ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x9f", "\ud800", "\ufffe", "\uffff"]
)
def test_nothing_xml_cannot_hold_gets_past_validation(character: str) -> None:
    # python-docx (lxml) raises on these; the request's validators must refuse them first.
    with pytest.raises(InvalidDocument):
        validate_request(
            {
                "document_type": "resume",
                "data": {"personalInfo": {"name": f"a{character}b", "email": "a@b.co"}},
            }
        )


# --------------------------------------------------------------------------- LibreOffice


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_libreoffice_opens_every_sample(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail(
            "LibreOffice (soffice, package libreoffice-writer-nogui) is not installed: `make setup` installs it"
        )
    names: dict[Path, list[str]] = {}
    for index, param in enumerate(SAMPLES):
        _, built, data, _ = _read(cast(dict[str, Any], param.values[0]))
        path = tmp_path / f"{index:02d}.docx"
        path.write_bytes(data)
        body = [s.paragraphs[0] for s in built.sections if s.kind == "body"]
        names[path] = [built.name, built.entries()[0].title if built.entries() else body[0][:60]]
    profile = (tmp_path / "profile").as_uri()  # a private profile: no clash with any running soffice
    command = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
    ]
    subprocess.run(
        [*command, "--outdir", str(tmp_path / "pdf"), *map(str, names)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for path, expected in names.items():
        pdf = tmp_path / "pdf" / f"{path.stem}.pdf"
        assert pdf.exists(), f"{path.name} was not converted"
        assert pdf.stat().st_size > 0, f"{path.name} was converted to an empty file"
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
        ).stdout
        assert [e for e in expected if _squash(e) not in _squash(text.decode("utf-8"))] == [], path.name
