"""A document as a Word file (format "docx"), written with python-docx from the outline (outline.py).

One column in reading order whatever the template (a two-column layout in Word would be a table,
which many résumé parsers read out of order). Word's own styles carry the structure: Title for the
name, Subtitle for the headline, Heading 1 for sections, Heading 2 for entries, List Bullet for
bullets; links are real hyperlinks. The user's text only ever reaches the file as element text, which
lxml escapes; control characters and lone surrogates, which XML cannot hold, are refused by the
request's validators (fields.UNPRINTABLE) and noncharacters by its font check, so none gets this far.

``spacing`` (options.spacing) sets the space between paragraphs, as it tightens the PDF; the PDF's
font sizes and margins are its own.

The same outline, paper, spacing and date give the same bytes: the core properties carry the given
date, and the ZIP is rewritten with fixed timestamps (python-docx stamps entries with the time).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement
from docx.shared import Inches, Mm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph

from docpipe.envelope import Paper, Spacing
from docpipe.outline import DOT, Entry, Outline, Section

# (width, height) in twentieths of a point, as Word writes them; margins as PDF-like as Word allows.
_PAPER = {"letter": (Twips(12240), Twips(15840), Inches(0.75)), "a4": (Twips(11906), Twips(16838), Mm(20))}
# Space after a paragraph (a résumé's, a letter's) and before a section heading: options.spacing
# tightens the document as it tightens the PDF.
_SPACING = {
    "normal": (Pt(4), Pt(10), Pt(14)),
    "compact": (Pt(2), Pt(8), Pt(10)),
    "ultra-compact": (Pt(0), Pt(6), Pt(6)),
}
_LINK_STYLE = "Hyperlink"
_LINK_BLUE = RGBColor(0x05, 0x63, 0xC1)
_CORE_LIMIT = 255  # python-docx refuses longer core properties
_SUBJECTS = {"resume": "Résumé", "cover_letter": "Cover letter"}


def _add_hyperlink(paragraph: Paragraph, text: str, target: str) -> None:
    """Append ``text`` to ``paragraph`` as a link to ``target``.

    python-docx reads hyperlinks but cannot write them: a ``w:hyperlink`` element pointing at an
    external relationship is wrapped around an ordinary run, so the run's text is set (and escaped) by
    python-docx itself. The same target is related once (python-docx reuses the relationship).
    """
    r_id = paragraph.part.relate_to(target, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    run = paragraph.add_run(text)._r
    run.style = _LINK_STYLE  # the style's id, which _styles gave it (by name python-docx looks it up slowly)
    link = OxmlElement("w:hyperlink", attrs={qn("r:id"): r_id})
    run.addprevious(link)
    link.append(run)  # lxml moves the run into the link


def _text(paragraph: Paragraph, text: str, target: str | None = None, *, bold: bool = False) -> None:
    if target:
        _add_hyperlink(paragraph, text, target)
    elif text:
        paragraph.add_run(text).bold = bold or None


class _Writer:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.style_ids: dict[str, str] = {}

    def paragraph(self, text: str = "", style: str | None = None, *, bold: bool = False) -> Paragraph:
        paragraph = self.document.add_paragraph()
        if style:
            # Set by id: python-docx resolves a style name by scanning every style, per paragraph.
            if style not in self.style_ids:
                self.style_ids[style] = self.document.styles[style].style_id
            paragraph._p.style = self.style_ids[style]
        _text(paragraph, text, bold=bold)
        return paragraph

    def head(self, outline: Outline) -> None:
        self.paragraph(outline.name, "Title")
        if outline.headline:
            self.paragraph(outline.headline, "Subtitle")
        line = self.paragraph()
        for index, item in enumerate(outline.contact):
            _text(line, DOT if index else "")
            _text(line, item.text, item.target)

    def section(self, section: Section) -> None:
        if section.heading:
            self.paragraph(section.heading, "Heading 1")
        for text in section.paragraphs:
            paragraph = self.paragraph(text, bold=section.kind == "subject")
            if section.kind == "signature":
                paragraph.paragraph_format.space_before = Pt(28)  # room to sign, as in the PDF
        for entry in section.entries:
            self.entry(entry)
        self.items(section)

    def items(self, section: Section) -> None:
        links = {index: (text, target) for index, text, target in section.item_links}
        for index, line in enumerate(section.items):
            paragraph = self.paragraph(style="List Bullet" if section.bulleted else None)
            text, target = links.get(index, ("", ""))
            at = line.find(text) if text else -1
            if at < 0:
                _text(paragraph, line)
                continue
            _text(paragraph, line[:at])
            _text(paragraph, text, target)
            _text(paragraph, line[at + len(text) :])
        if section.items and not section.bulleted:  # lines of one block (an address): no gaps inside
            for paragraph in self.document.paragraphs[-len(section.items) : -1]:
                paragraph.paragraph_format.space_after = Pt(0)

    def title_line(self, entry: Entry, style: str) -> None:
        paragraph = self.paragraph(style=style)
        _text(paragraph, entry.title, None if entry.subtitle else entry.link, bold=style == "List Bullet")
        if entry.subtitle:
            _text(paragraph, " — " if entry.title else "")
            _text(paragraph, entry.subtitle, entry.link)

    def entry(self, entry: Entry, *, nested: bool = False) -> None:
        # A nested entry (a school's project) is a bullet of its parent, its text indented under it.
        if entry.title or entry.subtitle:
            self.title_line(entry, "List Bullet" if nested else "Heading 2")
        meta = DOT.join(part for part in (entry.dates, entry.location) if part)
        if meta:
            self.paragraph(style="List Continue" if nested else None).add_run(meta).italic = True
        # Under a nested entry's title its text is indented; a nested entry given as text is a bullet.
        body = ("List Continue" if entry.title or entry.subtitle else "List Bullet") if nested else None
        for text in (*entry.paragraphs, *entry.details):
            self.paragraph(text, body)
        for bullet in entry.bullets:
            self.paragraph(bullet, "List Bullet 2" if nested else "List Bullet")
        for child in entry.children:
            self.entry(child, nested=True)


def _styles(document: Document, spacing: Spacing, document_type: str) -> None:
    after, letter_after, before = _SPACING[spacing]
    normal = document.styles["Normal"].paragraph_format
    normal.space_after = letter_after if document_type == "cover_letter" else after
    document.styles["Heading 1"].paragraph_format.space_before = before
    link = document.styles.add_style(_LINK_STYLE, WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb, link.font.underline = _LINK_BLUE, True


def _page(document: Document, paper: Paper) -> None:
    width, height, margin = _PAPER[paper]
    section = document.sections[0]
    section.page_width, section.page_height = width, height
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = margin


def _fit(texts: Sequence[str], separator: str = ", ") -> str:
    """As many of ``texts`` as fit in a core property, whole."""
    kept: list[str] = []
    for text in texts:
        if len(separator.join([*kept, text])) > _CORE_LIMIT:
            break
        kept.append(text)
    return separator.join(kept) or (texts[0][: _CORE_LIMIT - 1] + "…" if texts else "")


def _properties(document: Document, outline: Outline, created: dt.date) -> None:
    props, moment = document.core_properties, dt.datetime(*created.timetuple()[:3], tzinfo=dt.UTC)
    props.title, props.author = _fit([outline.title]), _fit([outline.name])
    props.last_modified_by, props.subject = props.author, _SUBJECTS.get(outline.document_type, "")
    props.keywords, props.comments, props.revision = _fit(outline.keywords), "", 1
    props.created = props.modified = moment
    # The template's thumbnail is a picture of an empty page: no preview beats a wrong one.
    package = document.part.package
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package.rels[r_id]


def _reproducible(data: bytes, day: dt.date) -> bytes:
    """The ZIP rewritten with every entry stamped ``day`` (ZIP dates run from 1980 to 2107), in name order
    with [Content_Types].xml first, as Office writes it."""
    stamp = (day.year, day.month, day.day, 0, 0, 0) if 1980 <= day.year <= 2107 else (1980, 1, 1, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in sorted(source.namelist(), key=lambda name: (name != "[Content_Types].xml", name)):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 0, 0o600 << 16
            target.writestr(info, source.read(name))
    return out.getvalue()


def render_docx(outline: Outline, *, paper: Paper, created: dt.date, spacing: Spacing = "normal") -> bytes:
    """The outline as a .docx file. ``created`` dates the document (core properties, ZIP entries)."""
    document = docx.Document()
    _page(document, paper)
    _styles(document, spacing, outline.document_type)
    _properties(document, outline, created)
    writer = _Writer(document)
    writer.head(outline)
    for section in outline.sections:
        writer.section(section)
    buffer = io.BytesIO()
    document.save(buffer)
    return _reproducible(buffer.getvalue(), created)
