"""The ATS check's analysis: normalisation, where texts land in an extracted text, and what the PDF's
own facts say (fonts, ligatures, contact places, pages), on synthetic inputs.

The PDFs are tiny plain-TeX documents (pdfTeX with Computer Modern), so each case is exactly the
defect it names: no ToUnicode map, an unembedded font, a Type 3 bitmap font, text in the header band.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from docpipe import atscheck, limits
from docpipe.atssource import Source
from docpipe.atstext import Vocabulary, extracted_words, mirrored, missing_words, words
from docpipe.errors import DocumentTooLarge, InvalidDocument
from docpipe.outline import Contact, Entry, Outline, Section

# --------------------------------------------------------------------------- normalisation


def test_quotes_dashes_ligatures_and_invisible_marks_are_normalised() -> None:
    assert words("“Quoted” — it’s ﬁne, co\u00adoperate\u200b") == ["Quoted", "it's", "fine", "cooperate"]


def test_punctuation_at_word_edges_and_separators_alone_are_dropped() -> None:
    assert words("(May 2023) · Python, Go & B.S. – Present") == [
        "May",
        "2023",
        "Python",
        "Go",
        "B.S",
        "Present",
    ]


def test_wide_characters_are_words_of_their_own() -> None:
    assert words("多语言搜索 search") == ["多", "语", "言", "搜", "索", "search"]


def test_case_is_kept_but_capitals_match_the_word_they_capitalise() -> None:
    assert missing_words(["Experience", "SQL"], ["EXPERIENCE", "SQL"]) == Counter()
    assert missing_words(["SQL"], ["sql"]) == Counter({"SQL": 1})
    assert missing_words(["Experience"], ["experience"]) == Counter({"Experience": 1})


@pytest.mark.parametrize(
    ("extracted", "expected"),
    [
        ("settle transac-\ntions daily", ["settle", "transactions", "daily"]),  # TeX's hyphenation
        ("a Lambda-\nbased queue", ["a", "Lambda-based", "queue"]),  # a hyphen of the word's own
        ("see github.com/ada/\ntiny-\nqueue now", ["see", "github.com/ada/tiny-queue", "now"]),  # a URL
        ("ends with\ntransac-\n\nnot a word", ["ends", "with", "transac-", "not", "a", "word"]),
    ],
)
def test_words_wrapped_over_lines_are_joined_when_that_makes_a_source_word(
    extracted: str, expected: list[str]
) -> None:
    vocabulary = Vocabulary(words("transactions Lambda-based github.com/ada/tiny-queue with"))
    assert extracted_words(extracted, vocabulary) == expected


def test_right_to_left_words_read_backwards_are_counted() -> None:
    missing = missing_words(["مهندسة", "Engineer"], ["ةسدنهم"])
    assert mirrored(missing, ["ةسدنهم"]) == 1
    # A Latin word read backwards is a wrong reading, not the extractor's visual order.
    assert mirrored(Counter({"Engineer": 1}), ["reenignE"]) == 0


def test_a_right_to_left_word_in_visual_order_counts_as_found_and_is_no_problem() -> None:
    outline = Outline(
        document_type="resume",
        name="Ada",
        headline=None,
        contact=(),
        sections=(Section(heading="Summary", paragraphs=("مهندسة برمجيات",)),),
    )
    source = Source(outline)
    report, problems = atscheck._extraction("pdfminer", "Ada\nSummary\nتايجمرب ةسدنهم\n", source)
    assert (report.words_found, report.words_backwards, report.text_found) == (report.words, 2, 1.0)
    assert problems == []


# --------------------------------------------------------------------------- where texts land

JOBS = (
    Entry("Analyst", "Engine Works", "1842 – 1843", "London", bullets=("Wrote the first program.",)),
    Entry("Translator", "Scientific Memoirs", "1842", "Turin", bullets=("Translated the memoir.",)),
)


def resume(*contact: Contact, headline: str | None = None, jobs: tuple[Entry, ...] = JOBS) -> Outline:
    sections = (Section("Experience", entries=jobs), Section("Skills", items=("Mathematics, Poetry",)))
    return Outline("resume", "Ada Lovelace", headline, tuple(contact), sections)


def lines(*texts: str) -> str:
    return "\n".join(texts)


HEAD = ("Ada Lovelace", "Experience")
JOB_1 = ("Analyst", "Engine Works", "1842 – 1843", "London", "• Wrote the first program.")
JOB_2 = ("Translator", "Scientific Memoirs", "1842", "Turin", "• Translated the memoir.")
SKILLS = ("Skills", "Mathematics, Poetry")


def test_a_text_in_source_order_reads_clean() -> None:
    reading = Source(resume()).read(lines(*HEAD, *JOB_1, *JOB_2, *SKILLS))
    assert (reading.words_found, reading.words) == (24, 24)
    assert (reading.split_entries, reading.parts_out_of_order, reading.entries_out_of_order) == ([], [], [])


def test_dates_inside_a_bullet_are_parts_out_of_order() -> None:
    wrapped = ("Analyst", "Engine Works", "• Wrote the first", "1842 – 1843", "London", "program.")
    reading = Source(resume()).read(lines(*HEAD, *wrapped, *JOB_2, *SKILLS))
    assert reading.parts_out_of_order == [(0, "parts out of order: the dates after a bullet")]
    assert reading.split_entries == []


def test_dates_after_the_next_heading_split_their_entry() -> None:
    apart = ("Translator", "Scientific Memoirs", "• Translated the memoir.", "Skills", "1842", "Turin")
    reading = Source(resume()).read(lines(*HEAD, *JOB_1, *apart, "Mathematics, Poetry"))
    assert reading.split_entries == [1]
    assert [entry for entry, _ in reading.parts_out_of_order] == [1]


def test_the_head_of_an_entry_may_come_in_any_order() -> None:
    head_first = ("Analyst 1842 – 1843", "Engine Works · London", "• Wrote the first program.")
    reading = Source(resume()).read(lines(*HEAD, *head_first, *JOB_2, *SKILLS))
    assert (reading.split_entries, reading.parts_out_of_order) == ([], [])


def test_entries_of_a_section_out_of_order() -> None:
    reading = Source(resume()).read(lines(*HEAD, *JOB_2, *JOB_1, *SKILLS))
    assert reading.entries_out_of_order == [(1, 0)]
    assert (reading.split_entries, reading.parts_out_of_order) == ([], [])


def test_repeated_texts_land_where_their_neighbours_are() -> None:
    # The contact line's city is also the first job's, and the headline is its title; the contact
    # block is read last (a sidebar after the main column).
    outline = resume(
        Contact("London", None), Contact("ada@example.com", "mailto:ada@example.com"), headline="Analyst"
    )
    text = lines(
        "Ada Lovelace", "Analyst", "Experience", *JOB_1, *JOB_2, *SKILLS, "London", "ada@example.com"
    )
    reading = Source(outline).read(text)
    assert (reading.words_found, reading.words) == (27, 27)
    assert (reading.split_entries, reading.parts_out_of_order, reading.entries_out_of_order) == ([], [], [])


# --------------------------------------------------------------------------- the PDF's own facts

ENTRY = Entry("Analyst", "Engine Works", "1842 – 1843", "London", bullets=("Wrote the first program.",))
EMAIL = Contact("ada@example.com", "mailto:ada@example.com")
BODY = r"""Ada Lovelace
ada@example.com
Experience
Analyst
Engine Works
1842 -- 1843
London
Wrote the first program.
"""


def letterless(*contact: Contact) -> Outline:
    return Outline("resume", "Ada Lovelace", None, contact, (Section("Experience", entries=(ENTRY,)),))


@pytest.fixture
def tex(tmp_path: Path) -> Callable[..., bytes]:
    """A plain-TeX document's PDF: ``body`` set line by line, after ``preamble``; with ToUnicode maps
    unless ``tounicode`` is False."""
    assert shutil.which("pdftex"), "pdftex is missing: `make setup` installs TeX Live"

    def run(body: str, *, preamble: str = "", tounicode: bool = True) -> bytes:
        maps = r"\input glyphtounicode \pdfgentounicode=1" if tounicode else ""
        source = f"{preamble}\n{maps}\n\\nopagenumbers\\parindent=0pt\n\\obeylines\n{body}\n\\bye\n"
        (tmp_path / "doc.tex").write_text(source)
        subprocess.run(
            ["pdftex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
            cwd=tmp_path,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return (tmp_path / "doc.pdf").read_bytes()

    return run


def codes(report: atscheck.CheckReport) -> list[str]:
    return sorted(problem.code for problem in report.problems)


def test_a_pdftex_document_with_tounicode_maps_is_clean(tex: Callable[..., bytes]) -> None:
    report = atscheck.check_outline(tex(BODY), letterless(EMAIL))
    assert report.clean, atscheck.summary(report, "clean")
    assert (report.pages, report.analysed_pages, report.extractions[0].text_found) == (1, 1, 1.0)
    assert all(font.embedded and font.to_unicode for font in report.fonts)
    assert [(contact.kind, contact.found) for contact in report.contacts] == [("email", "body")]


def test_without_tounicode_maps_the_fi_ligature_comes_out_as_a_glyph(tex: Callable[..., bytes]) -> None:
    report = atscheck.check_outline(tex(BODY, tounicode=False), letterless(EMAIL))
    assert codes(report) == ["ligature_glyphs", "missing_tounicode"]
    assert report.extractions[0].ligature_glyphs == 1  # the "fi" of "first"
    assert report.extractions[0].text_found == 1.0  # NFKC reads it as "fi": the glyph is its own problem


def test_an_unembedded_font(tex: Callable[..., bytes]) -> None:
    pdf = tex(BODY, preamble=r"\pdfmapline{=cmr10 CMR10}", tounicode=False)
    report = atscheck.check_outline(pdf, letterless(EMAIL))
    assert "unembedded_font" in codes(report)
    assert [font.embedded for font in report.fonts] == [False]


def test_a_type3_bitmap_font_has_no_text_to_give(tex: Callable[..., bytes]) -> None:
    report = atscheck.check_outline(tex(BODY, preamble=r"\pdfmapline{-cmr10}"), letterless(EMAIL))
    assert [(font.type, font.to_unicode) for font in report.fonts] == [("Type3", False)]
    assert codes(report) == ["missing_tounicode", "text_missing"]  # "first" reads "(cid:12)rst"


def test_contact_details_only_in_the_header_band_only_in_a_link_or_nowhere(tex: Callable[..., bytes]) -> None:
    site = Contact("ada.example.com", "https://ada.example.com")
    phone = Contact("+44 20 7946 0000", None)
    link = r"\leavevmode\pdfstartlink user{/Subtype/Link/A<</S/URI/URI(https://ada.example.com/)>>}Site\pdfendlink"
    header = r"\voffset=-0.6in \headline{\hfil ada@example.com\hfil}"
    pdf = tex(BODY.replace("ada@example.com", link), preamble=header)
    report = atscheck.check_outline(pdf, letterless(EMAIL, site, phone))
    found = [(contact.kind, contact.found) for contact in report.contacts]
    assert found == [("email", "header_footer"), ("link", "link_only"), ("phone", "missing")]
    # The site's and the phone's texts are the outline's too: not in the text, they are missing words.
    assert codes(report) == ["contact_missing", "contact_missing", "contact_outside_body", "text_missing"]


def test_only_the_first_pages_are_read(tex: Callable[..., bytes]) -> None:
    pdf = tex(BODY + r"\vfill\eject Page\vfill\eject" * 10)
    report = atscheck.check_outline(pdf, letterless(EMAIL))
    assert (report.pages, report.analysed_pages) == (11, atscheck.MAX_PAGES)
    assert codes(report) == ["too_many_pages"]


@pytest.mark.parametrize("pdf", [b"", b"hello", b"%PDF-1.4\n%%EOF\n", b"%PDF-1.7\n1 0 obj << /Type /Catalog"])
def test_what_is_no_readable_pdf_is_an_input_error(pdf: bytes) -> None:
    with pytest.raises(InvalidDocument) as raised:
        atscheck.check_outline(pdf, letterless(EMAIL))
    assert raised.value.code == "unreadable_pdf"
    assert [detail.path for detail in raised.value.details] == ["pdf"]


def test_a_pdf_over_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(DocumentTooLarge):
        atscheck.check_outline(b"%PDF-1.4\n" + b" " * limits.MAX_PDF_BYTES, letterless(EMAIL))
