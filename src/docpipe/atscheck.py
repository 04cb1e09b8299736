"""The ATS check: what a résumé parser recovers from a PDF, against the request it was made from.

The source side is the request's outline (:mod:`docpipe.outline`: every text in reading order, the
entries and their parts, the contact items); the PDF side is what pdfminer.six reads
(:mod:`docpipe.pdffacts`), and poppler's ``pdftotext`` too when asked. Per extractor: the share of
the source's words found (normalised as :mod:`docpipe.atstext` says), the entries whose parts came
apart (another entry's or section's text between them), the entries whose parts, or which, come out
of source order within their section, and the ligature glyphs (U+FB00-FB06) a parser would have to
fold. Of the PDF: its pages (at most ``MAX_PAGES`` are read), its fonts' ToUnicode maps and
embedding, and where each contact item is: in the body, only in the header or footer band, only as a
link's target, or nowhere.

The report goes to the caller only and its messages quote at most a few words of the user's text;
nothing here logs any of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict

from docpipe.atssource import ContactKind, ContactPlace, Reading, Source, contact_kind, contact_places
from docpipe.errors import DocumentTooLarge, ErrorDetail
from docpipe.limits import MAX_PDF_BYTES
from docpipe.wire import Model

if TYPE_CHECKING:
    from docpipe.outline import Outline
    from docpipe.pdffacts import PdfFacts
    from docpipe.validation import DocumentRequestT

MAX_PAGES = 10
"""Pages read: résumés are short, and the bound keeps a hostile PDF's cost in check."""

Extractor = Literal["pdfminer", "pdftotext"]
ProblemCode = Literal[
    "text_missing",
    "entry_split",
    "order_inverted",
    "ligature_glyphs",
    "missing_tounicode",
    "unembedded_font",
    "contact_missing",
    "contact_outside_body",
    "too_many_pages",
]
_LIGATURES = "".join(map(chr, range(0xFB00, 0xFB07)))


class _Answer(Model):
    """A part of the report: camelCase on the wire as every model, built here by field name."""

    model_config = ConfigDict(validate_by_name=True)


class Problem(_Answer):
    code: ProblemCode
    message: str
    extractor: Extractor | None = None
    """The reading that met it; None for a fact of the PDF itself (its fonts, its pages)."""


class ExtractionReport(_Answer):
    extractor: Extractor
    words: int
    """The source's words (with repeats), normalised."""
    words_found: int
    """Found in order, or (right-to-left words) in visual order: see ``words_backwards``."""
    words_backwards: int
    """Right-to-left words found only backwards: the extractor reads them in visual order (pdfminer
    has no bidirectional algorithm). Counted as found: a parser meets them so in every PDF."""
    text_found: float
    """``words_found / words``, 0 to 1."""
    split_entries: list[int]
    """Entries with other text between their parts, by number: 1 is the first of the outline's
    entries in reading order (a school's projects follow it), as in the problems' messages."""
    parts_out_of_order: list[int]
    """Entries whose parts come out in another order than the source's."""
    entries_out_of_order: list[int]
    """Entries that come out before an entry their section has before them."""
    ligature_glyphs: int


class FontReport(_Answer):
    name: str
    type: str
    embedded: bool
    to_unicode: bool
    """Whether a parser can map its glyphs to text (a ToUnicode map, or a standard encoding)."""


class ContactReport(_Answer):
    kind: ContactKind
    found: ContactPlace
    """Where pdfminer's reading has it: the body, only the header/footer band, only a link's target
    (link annotation), or nowhere."""


class CheckReport(_Answer):
    clean: bool
    pages: int
    analysed_pages: int
    extractions: list[ExtractionReport]
    fonts: list[FontReport]
    contacts: list[ContactReport]
    problems: list[Problem]


def check(
    pdf: bytes, request: DocumentRequestT, *, pdftotext: bool = False, size_limit: int | None = MAX_PDF_BYTES
) -> CheckReport:
    """Check ``pdf`` against the ``request`` it was made from. ``pdftotext``: read it with poppler too
    (which must be installed). ``size_limit``: refuse a larger PDF (None for one we rendered
    ourselves). A PDF over the limit, or one that cannot be read, is an input error."""
    from docpipe import outline  # with the templates' helpers: loaded only by a process that checks

    return check_outline(pdf, outline.build(request), pdftotext=pdftotext, size_limit=size_limit)


def check_outline(
    pdf: bytes, document: Outline, *, pdftotext: bool = False, size_limit: int | None = MAX_PDF_BYTES
) -> CheckReport:
    """:func:`check`, against the ``document``'s outline."""
    if size_limit is not None and len(pdf) > size_limit:
        message = f"the PDF is {len(pdf):,} bytes; the limit is {size_limit:,} bytes"
        raise DocumentTooLarge(message, [ErrorDetail("pdf", message)])
    from docpipe import pdffacts  # pdfminer, likewise

    facts = pdffacts.read(pdf, max_pages=MAX_PAGES)
    source = Source(document)
    readings: list[tuple[Extractor, str]] = [("pdfminer", facts.text)]
    if pdftotext:
        readings.append(("pdftotext", pdffacts.pdftotext(pdf, max_pages=MAX_PAGES)))
    extractions = [_extraction(name, text, source) for name, text in readings]
    fonts = [
        FontReport(name=f.name, type=f.subtype, embedded=f.embedded, to_unicode=f.to_unicode)
        for f in facts.fonts.values()
    ]
    places = contact_places(source.contacts, facts)
    contacts = [
        ContactReport(kind=contact_kind(c), found=p) for c, p in zip(source.contacts, places, strict=True)
    ]
    problems = [
        *_page_problems(facts),
        *(problem for _, found in extractions for problem in found),
        *_font_problems(fonts),
        *_contact_problems(contacts),
    ]
    return CheckReport(
        clean=not problems,
        pages=facts.pages,
        analysed_pages=facts.analysed_pages,
        extractions=[report for report, _ in extractions],
        fonts=fonts,
        contacts=contacts,
        problems=problems,
    )


def _extraction(name: Extractor, text: str, source: Source) -> tuple[ExtractionReport, list[Problem]]:
    reading = source.read(text)
    report = ExtractionReport(
        extractor=name,
        words=reading.words,
        words_found=reading.words_found + reading.backwards,
        words_backwards=reading.backwards,
        text_found=round((reading.words_found + reading.backwards) / reading.words, 4)
        if reading.words
        else 1.0,
        split_entries=[entry + 1 for entry in reading.split_entries],
        parts_out_of_order=[entry + 1 for entry, _ in reading.parts_out_of_order],
        entries_out_of_order=[entry + 1 for entry, _ in reading.entries_out_of_order],
        ligature_glyphs=sum(text.count(glyph) for glyph in _LIGATURES),
    )
    return report, _text_problems(report, reading, source)


def _page_problems(facts: PdfFacts) -> list[Problem]:
    if facts.pages <= MAX_PAGES:
        return []
    message = f"the PDF has {facts.pages} pages; only the first {MAX_PAGES} were checked (a résumé is short)"
    return [Problem(code="too_many_pages", message=message)]


def _text_problems(report: ExtractionReport, found: Reading, source: Source) -> list[Problem]:
    name = report.extractor
    problems: list[Problem] = []
    if report.words_found < report.words:
        problems.append(Problem(code="text_missing", message=_missing_message(report, found), extractor=name))
    for entry in found.split_entries:
        message = f"{source.label(entry)} comes apart: other text lies between its parts"
        problems.append(Problem(code="entry_split", message=message, extractor=name))
    for entry, why in found.parts_out_of_order:
        message = f"{source.label(entry)}: {why}"
        problems.append(Problem(code="order_inverted", message=message, extractor=name))
    for entry, before in found.entries_out_of_order:
        message = (
            f"{source.label(entry)} comes before {source.label(before)}, which precedes it in the source"
        )
        problems.append(Problem(code="order_inverted", message=message, extractor=name))
    if report.ligature_glyphs:
        message = (
            f"{report.ligature_glyphs} ligature glyph(s) (such as U+FB01 'ﬁ') in the text: a parser that does "
            "not fold them misreads the words they are in"
        )
        problems.append(Problem(code="ligature_glyphs", message=message, extractor=name))
    return problems


def _missing_message(report: ExtractionReport, found: Reading) -> str:
    examples = ", ".join(repr(word[:24]) for word in found.missing_examples)
    message = (
        f"{report.words - report.words_found} of {report.words} words of the source were not found "
        f"({report.text_found:.1%} found), e.g. {examples}"
    )
    return message


def _font_problems(fonts: list[FontReport]) -> list[Problem]:
    problems = []
    for font in fonts:
        if not font.to_unicode:
            message = f"font {font.name} ({font.type}) has no ToUnicode map: its text may extract as garbage"
            problems.append(Problem(code="missing_tounicode", message=message))
        if not font.embedded:
            message = f"font {font.name} ({font.type}) is not embedded: readers substitute another font"
            problems.append(Problem(code="unembedded_font", message=message))
    return problems


_KIND_NAMES = {
    "email": " (the e-mail address)",
    "phone": " (the phone number)",
    "link": " (a link)",
    "other": "",
}


def _contact_problems(contacts: list[ContactReport]) -> list[Problem]:
    problems = []
    for number, contact in enumerate(contacts, start=1):
        what = f"contact item {number}{_KIND_NAMES[contact.kind]}"
        if contact.found == "missing":
            message = f"{what} is not in the extracted text at all"
            problems.append(Problem(code="contact_missing", message=message, extractor="pdfminer"))
        elif contact.found == "link_only":
            message = f"{what} is not in the extracted text, only the target of a link, which parsers ignore"
            problems.append(Problem(code="contact_missing", message=message, extractor="pdfminer"))
        elif contact.found == "header_footer":
            message = f"{what} is only in the page's header or footer band, which many parsers drop"
            problems.append(Problem(code="contact_outside_body", message=message, extractor="pdfminer"))
    return problems


def summary(report: CheckReport, name: str) -> str:
    """A few lines for a person: clean or the problems, and how much of the text each reader found."""
    found = ", ".join(f"{e.extractor} found {e.text_found:.1%} of the text" for e in report.extractions)
    verdict = "clean" if report.clean else f"{len(report.problems)} problem(s)"
    lines = [f"{name}: {verdict}; {found}; {report.pages} page(s)"]
    lines += [f"  {p.code}{f' ({p.extractor})' if p.extractor else ''}: {p.message}" for p in report.problems]
    return "\n".join(lines)
