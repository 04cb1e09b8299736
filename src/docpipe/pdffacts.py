"""What a résumé parser finds in a PDF, read with pdfminer.six (the reader most Python parsers use).

One pass over at most ``max_pages`` pages gives the text exactly as pdfminer's ``extract_text`` gives
it (default ``LAParams``), the text lines in the page-margin bands, the link annotations' targets and
the fonts the pages use, read from their font dictionaries (Lambda has no ``pdffonts``).
:func:`pdftotext` is poppler's reading, for a second opinion where poppler is installed.

Everything here reads untrusted bytes: any failure of the parser is the PDF's, and leaves as
:class:`UnreadablePdf` (an input error), never as a crash. Imported only when a check runs, so the
API's cold start does not pay for pdfminer.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pdfminer.converter import TextConverter
from pdfminer.layout import LAParams, LTContainer, LTItem, LTPage, LTTextLine
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import PSLiteral

from docpipe.errors import ErrorDetail, InvalidDocument

MARGIN_BAND_POINTS = 36.0
"""Text entirely within half an inch of a page's top or bottom edge sits where headers and footers go:
many parsers drop it, so contact details there may be lost."""

_SIMPLE_FONTS = frozenset({"Type1", "MMType1", "TrueType"})
# Encodings the PDF specification defines glyph by glyph: text in them maps to Unicode without a map.
_STANDARD_ENCODINGS = frozenset({"WinAnsiEncoding", "MacRomanEncoding", "StandardEncoding"})
_FONT_FILES = ("FontFile", "FontFile2", "FontFile3")
_MAX_XOBJECT_DEPTH = 4
_PDFTOTEXT_SECONDS = 20


class UnreadablePdf(InvalidDocument):
    code = "unreadable_pdf"

    def __init__(self, why: str, path: str = "pdf") -> None:
        super().__init__(f"the PDF cannot be read: {why}", [ErrorDetail(path, f"cannot be read: {why}")])


@dataclass(frozen=True)
class FontFacts:
    name: str
    subtype: str
    embedded: bool
    to_unicode: bool
    """Whether its text maps to Unicode: a ToUnicode map, or a simple font in a standard encoding."""


@dataclass
class PdfFacts:
    pages: int
    analysed_pages: int
    text: str
    """pdfminer's ``extract_text`` of the analysed pages."""
    margin_text: list[str] = field(default_factory=list)
    """The text lines in the page-margin bands (see ``MARGIN_BAND_POINTS``)."""
    fonts: dict[str, FontFacts] = field(default_factory=dict)
    link_targets: list[str] = field(default_factory=list)


class _RecordingConverter(TextConverter):
    """pdfminer's plain-text converter (so the text is ``extract_text``'s), also noting which text
    lines lie in a page's margin bands."""

    def __init__(self, resources: PDFResourceManager, out: io.StringIO, margin: list[str]) -> None:
        super().__init__(resources, out, laparams=LAParams())
        self.margin = margin

    def receive_layout(self, ltpage: LTPage) -> None:
        super().receive_layout(ltpage)
        bottom, top = ltpage.y0 + MARGIN_BAND_POINTS, ltpage.y1 - MARGIN_BAND_POINTS
        self.margin.extend(line.get_text() for line in _lines(ltpage) if line.y1 <= bottom or line.y0 >= top)


def _lines(item: LTItem) -> Iterator[LTTextLine]:
    if isinstance(item, LTTextLine):
        yield item
    elif isinstance(item, LTContainer):
        for child in item:
            yield from _lines(child)


def read(pdf: bytes, *, max_pages: int) -> PdfFacts:
    """The facts of ``pdf``'s first ``max_pages`` pages, and how many pages it has."""
    if b"%PDF-" not in pdf[:1024]:  # where readers look for the header
        raise UnreadablePdf("it is not a PDF (no %PDF- header)")
    try:
        return _read(pdf, max_pages)
    except InvalidDocument:
        raise
    except RecursionError:
        raise UnreadablePdf("its objects are nested too deeply") from None
    except Exception as exc:  # pdfminer fails in many ways on broken input: all are the PDF's fault
        raise UnreadablePdf(f"it is damaged or encrypted ({type(exc).__name__})") from None


def _read(pdf: bytes, max_pages: int) -> PdfFacts:
    document = PDFDocument(PDFParser(io.BytesIO(pdf)))
    resources = PDFResourceManager()
    out = io.StringIO()
    facts = PdfFacts(pages=0, analysed_pages=0, text="")
    interpreter = PDFPageInterpreter(resources, _RecordingConverter(resources, out, facts.margin_text))
    for page in PDFPage.create_pages(document):
        facts.pages += 1
        if facts.pages > max_pages:
            continue  # counted, not read: the bound on work
        interpreter.process_page(page)
        _collect_fonts(page.resources, facts.fonts, depth=0)
        facts.link_targets.extend(_link_targets(page))
    if facts.pages == 0:
        raise UnreadablePdf("it has no pages")
    facts.analysed_pages = min(facts.pages, max_pages)
    facts.text = out.getvalue()
    return facts


def _name(value: Any) -> str:
    value = resolve1(value)
    if isinstance(value, PSLiteral):
        return str(value.name if isinstance(value.name, str) else value.name.decode("latin-1"))
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


def _dict(value: Any) -> dict[Any, Any]:
    value = resolve1(value)
    if isinstance(value, PDFStream):
        return dict(value.attrs)
    return value if isinstance(value, dict) else {}


def _collect_fonts(resources: Any, fonts: dict[str, FontFacts], depth: int) -> None:
    """Every font in ``resources``, and in the resources of the form XObjects it draws."""
    resources = _dict(resources)
    for key, ref in _dict(resources.get("Font")).items():
        font = _dict(ref)
        facts = _font_facts(font, fallback=_name(key))
        seen = fonts.setdefault(f"{facts.name} ({facts.subtype})", facts)
        if seen != facts:  # one name, two dictionaries: the worse of the two is what a parser may meet
            fonts[f"{facts.name} ({facts.subtype})"] = FontFacts(
                facts.name,
                facts.subtype,
                seen.embedded and facts.embedded,
                seen.to_unicode and facts.to_unicode,
            )
    if depth >= _MAX_XOBJECT_DEPTH:
        return
    for ref in _dict(resources.get("XObject")).values():
        xobject = _dict(ref)
        if _name(xobject.get("Subtype")) == "Form" and "Resources" in xobject:
            _collect_fonts(xobject["Resources"], fonts, depth + 1)


def _font_facts(font: dict[Any, Any], fallback: str) -> FontFacts:
    subtype = _name(font.get("Subtype"))
    name = _name(font.get("BaseFont")) or _name(font.get("Name")) or fallback
    descriptor_of = font
    if subtype == "Type0":
        descendants = resolve1(font.get("DescendantFonts"))
        descriptor_of = _dict(descendants[0]) if isinstance(descendants, list) and descendants else {}
    descriptor = _dict(descriptor_of.get("FontDescriptor"))
    # A Type 3 font's glyphs are drawn by the PDF itself: there is nothing to embed.
    embedded = subtype == "Type3" or any(key in descriptor for key in _FONT_FILES)
    return FontFacts(name=name, subtype=subtype, embedded=embedded, to_unicode=_maps_to_unicode(font))


def _maps_to_unicode(font: dict[Any, Any]) -> bool:
    """A ToUnicode map, or a simple font in an encoding the specification spells out. Type 3 and CID
    fonts (Identity-H) and custom encodings leave a parser guessing from glyph names, or lost."""
    if "ToUnicode" in font:
        return True
    if _name(font.get("Subtype")) not in _SIMPLE_FONTS:
        return False
    encoding = resolve1(font.get("Encoding"))
    if isinstance(encoding, dict):
        return "Differences" not in encoding and _name(encoding.get("BaseEncoding")) in _STANDARD_ENCODINGS
    return _name(encoding) in _STANDARD_ENCODINGS


def _link_targets(page: PDFPage) -> Iterator[str]:
    annotations = resolve1(page.annots)
    for ref in annotations if isinstance(annotations, list) else ():
        annotation = _dict(ref)
        action = _dict(annotation.get("A"))
        uri = resolve1(action.get("URI"))
        if _name(annotation.get("Subtype")) == "Link" and isinstance(uri, bytes | str):
            yield uri.decode("utf-8", "replace") if isinstance(uri, bytes) else uri


def pdftotext_available() -> bool:
    return shutil.which("pdftotext") is not None


def pdftotext(pdf: bytes, *, max_pages: int) -> str:
    """poppler's reading of the first ``max_pages`` pages (its default mode: reading order)."""
    try:
        done = subprocess.run(
            ["pdftotext", "-l", str(max_pages), "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            timeout=_PDFTOTEXT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UnreadablePdf("pdftotext took too long") from None
    if done.returncode != 0:
        raise UnreadablePdf(f"pdftotext failed (exit {done.returncode})")
    return done.stdout.decode("utf-8", "replace")
