"""Nothing leaves the page: text TeX cannot break on its own still stays inside the text area.

Long URLs, long words (German compounds, a 200-character token, a 26-letter word in the narrow
sidebar) and scripts written without spaces (Thai, Chinese, Yi) are put into every text field of
every template (test_hostile.py's fields, see everywhere.py; each copy between its own markers) and
into link texts. ``pdftotext -bbox`` then gives every word's box: each must lie inside the text
area (the template's margins, a little tolerance), a word starting in the two-column sidebar must
end inside the sidebar, and every copy must come back whole in the text layer, read column by
column (perhaps split across lines).
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
from everywhere import TEMPLATES, document

from docpipe.latex import display_url
from docpipe.validation import validate_request

INCH = 72.0
TOLERANCE = 1.5
"""Points a word may reach past the text area (rounding, a glyph's side bearing)."""


@dataclass(frozen=True)
class Area:
    left: float
    right: float
    sidebar: float | None = None
    """Where the sidebar column ends (two-column layouts), from the left page edge."""


def _two_column(paper_width: float) -> Area:
    # base/two_column.tex.j2: left=0.5in, right=0.55in, \columnsep=0.42in, the sidebar 0.3 of the rest.
    left, right, gap = 0.5 * INCH, 0.55 * INCH, 0.42 * INCH
    return Area(left, paper_width - right, left + 0.3 * (paper_width - left - right - gap))


# The text area of each template at the default options (letter paper, normal spacing).
LETTER_WIDTH = 8.5 * INCH
AREAS = {
    ("resume", "classic"): Area(0.75 * INCH, LETTER_WIDTH - 0.75 * INCH),
    ("cover_letter", "classic"): Area(INCH, LETTER_WIDTH - INCH),
    ("resume", "two_column"): _two_column(LETTER_WIDTH),
    ("cover_letter", "two_column"): _two_column(LETTER_WIDTH),
}

_THAI = (
    "การพัฒนาซอฟต์แวร์เป็นกระบวนการที่ซับซ้อนซึ่งต้องอาศัยความร่วมมือจากหลายฝ่าย"
    "เพื่อให้ได้ผลลัพธ์ที่มีคุณภาพสูงและตรงตามความต้องการของลูกค้า"
)
_CHINESE = "软件开发是一个复杂的过程需要多方合作才能获得高质量的结果并满足客户在各个方面的需求" * 2
_YI = "".join(chr(0xA000 + (i * 37) % 1165) for i in range(150))
LINK = "https://example.com/" + "/".join(f"segment-{i}_with.dots" for i in range(9)) + "?q=a&b=c#end"
CORPUS: dict[str, str] = {
    "url": LINK,
    "german-compound": "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
    "token-200": "".join("WMQ0aZ9xk_"[i % 10] for i in range(200)),
    "capitals-25": "INTERNATIONALISIERUNGSTEAM",
    "thai": _THAI,
    "chinese": _CHINESE,
    "yi": _YI,
}

_TEMPLATES = sorted(AREAS)
assert set(_TEMPLATES) == set(TEMPLATES), "every template has its text area here"
_PAGE = re.compile(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', re.DOTALL)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


@dataclass(frozen=True)
class Word:
    page: int
    x_min: float
    y_min: float
    x_max: float
    text: str


def words(pdf: bytes) -> tuple[float, list[Word]]:
    """The page width and every word's box, as ``pdftotext -bbox`` reads them."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True)
    pages = _PAGE.findall(out.stdout.decode("utf-8"))
    assert pages, "no pages"
    found = [
        Word(page, float(x0), float(y0), float(x1), html.unescape(text))
        for page, (_, xml) in enumerate(pages)
        for x0, y0, x1, text in _WORD.findall(xml)
    ]
    return float(pages[0][0]), found


def _band(found: list[Word]) -> float:
    """Where the name band of a two-column layout ends: at the sidebar's first heading."""
    return min((w.y_min for w in found if w.page == 0 and w.text == "CONTACT"), default=0.0) - 1


def _column(area: Area, band: float, w: Word) -> int:
    """0 for the name band (or the one column), 1 for the sidebar, 2 for the main column."""
    if area.sidebar is None or (w.page == 0 and w.y_min < band):
        return 0
    return 1 if w.x_min < area.sidebar else 2


def outside(area: Area, page_width: float, found: list[Word]) -> list[Word]:
    """Words past the page or the text area, or from the sidebar into the main column."""
    band, left = _band(found), max(area.left - TOLERANCE, 0.0)
    right = {0: area.right, 1: area.sidebar or area.right, 2: area.right}
    return [
        w
        for w in found
        if w.x_min < left or w.x_max > min(right[_column(area, band, w)] + TOLERANCE, page_width)
    ]


def _raw(pdf: bytes, page: int, box: tuple[float, float, float, float]) -> str:
    """``pdftotext -raw`` of one region of one page (the words of -bbox put Thai vowel marks apart)."""
    x, y, width, height = (str(round(v)) for v in box)
    command = ["pdftotext", "-raw", "-enc", "UTF-8", "-f", str(page + 1), "-l", str(page + 1)]
    command += ["-x", x, "-y", y, "-W", width, "-H", height, "-", "-"]
    return subprocess.run(command, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def column_text(pdf: bytes, area: Area, page_width: float, found: list[Word]) -> str:
    """The text in reading order: the name band, then each column from page to page (a sidebar item
    continued on the next page is one text, not split by the main column of the page before)."""
    pages, tall = max(w.page for w in found) + 1, 10_000.0
    if area.sidebar is None:
        return "".join(_raw(pdf, page, (0, 0, page_width, tall)) for page in range(pages))
    band, middle = max(_band(found), 0.0), area.sidebar + 0.21 * INCH  # halfway across the gap
    top = [band if page == 0 else 0.0 for page in range(pages)]
    return "".join(
        [_raw(pdf, 0, (0, 0, page_width, band))]
        + [_raw(pdf, page, (0, top[page], middle, tall)) for page in range(pages)]
        + [_raw(pdf, page, (middle, top[page], page_width, tall)) for page in range(pages)]
    )


class Copies:
    """Hands out ``ZMnn token MZnn`` and remembers them."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.made: list[str] = []

    def __call__(self) -> str:
        self.made.append(f"ZM{len(self.made):02d} {self.token} MZ{len(self.made):02d}")
        return self.made[-1]


def _envelope(document_type: str, template: str, token: str) -> tuple[dict[str, Any], list[str]]:
    """``token`` in every text field (test_hostile.py's set), and links printing long addresses."""
    copies = Copies(token)
    envelope = document(document_type, template, "original", copies)
    info = envelope["data"]["personalInfo"]
    info |= {"website": LINK, "github": LINK, "linkedin": LINK, "linkedin_display": copies()}
    if document_type == "resume":
        envelope["data"]["experience"][0]["url"] = LINK
        envelope["data"]["projects"][0]["url"] = LINK
    return envelope, copies.made


@pytest.mark.parametrize(("document_type", "template"), _TEMPLATES, ids=str)
@pytest.mark.parametrize("token", list(CORPUS.values()), ids=list(CORPUS))
def test_unbreakable_text_stays_inside_the_text_area(
    renderer: Any, pdf_text: Any, document_type: str, template: str, token: str
) -> None:
    envelope, marked = _envelope(document_type, template, token)
    result = renderer.render(validate_request(envelope))
    page_width, found = words(result.pdf)
    bad = outside(AREAS[document_type, template], page_width, found)
    assert bad == [], f"{len(bad)} words leave the text area, e.g. {bad[:3]}"
    text = pdf_text.squash(column_text(result.pdf, AREAS[document_type, template], page_width, found))

    def count(copy: str) -> int:  # as conftest.PdfText does, on the text in column order
        return len(re.findall("-?".join(map(re.escape, pdf_text.squash(copy))), text))

    missing = [copy for copy in marked if not count(copy)]
    assert missing == [], f"not in the text layer: {missing[:2]}"
    assert count(display_url(LINK)) >= 2  # the links' printed addresses
