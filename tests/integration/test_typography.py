"""Typography that keeps the text layer: typographic characters stay on pdfTeX and extract as typed.

Each character below, typed as Unicode into every text field of every template (everywhere.py), is
typeset by pdfTeX (never a reason for XeLaTeX) and comes back as itself from poppler's ``pdftotext``
and from pdfminer.six, the reader most résumé parsers use. ASCII quotes print curly and still extract
as the ASCII typed; ``--``, ``---`` and the backtick print as typed. No extracted text of any template
or sample holds a ligature code point (U+FB00..FB06), on either engine, and every font is embedded.

Text is compared with whitespace removed and nothing else folded: conftest's ``squash`` applies NFKC,
which would let "TM" pass for "™" and "fi" for U+FB01.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from everywhere import TEMPLATES, document
from pdfminer.high_level import extract_text

from docpipe.renderer import Renderer
from docpipe.templates import render_source
from docpipe.validation import validate_request

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(
    [*(ROOT / "src/docpipe/samples").glob("*.json"), *(ROOT / "tests/data/original").glob("*.json")]
)
REQUIRED = "…’‘“”–—•€™©®°"
"""The characters the issue names."""
MORE = "×±§¶†‡‰‱№℗℠℃¹²³ƒ₡₤₦₩₫₱"
"""Further characters of Latin-script résumés that Latin Modern has, each with a glyph of its own."""
CHUNK = 6
LIGATURES = re.compile("[\ufb00-\ufb06]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
_FIELD_SETS = ("original", "vocabulary")


def readings(pdf: bytes) -> dict[str, str]:
    """The PDF's text as each extractor gives it, whitespace and bidi marks removed, nothing folded."""
    poppler = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    found = {"pdftotext": poppler, "pdfminer": extract_text(io.BytesIO(pdf))}
    return {name: re.sub(r"\s+", "", text.translate(_INVISIBLE)) for name, text in found.items()}


def unembedded_fonts(pdf: bytes) -> list[str]:
    """``pdffonts`` rows whose font is not embedded."""
    rows = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [row for row in rows.splitlines()[2:] if row.split()[-5] != "yes"]


def glyphs_drawn(pdf: bytes) -> set[str]:
    """The glyph names of the fonts' encodings: pdfTeX lists the glyphs a subset draws, and only those."""
    names: set[str] = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        fonts: Any = page["/Resources"]["/Font"]  # type: ignore[index]
        for font in fonts.values():
            encoding = font.get_object().get("/Encoding")
            if encoding is not None and hasattr(encoding.get_object(), "get"):
                names |= {str(v) for v in encoding.get_object().get("/Differences", []) if str(v)[:1] == "/"}
    return names


class Chunks:
    """Hands out ``K07…’‘“”–``: a marker and the next few characters, each value one short word, so
    that it never wraps (a narrow sidebar included) and can be found whole."""

    def __init__(self, chars: str) -> None:
        self.chars = chars
        self.made: list[str] = []

    def __call__(self) -> str:
        n = len(self.made)
        start = n * CHUNK % len(self.chars)
        self.made.append(f"K{n:02d}{(self.chars * 2)[start : start + CHUNK]}")
        return self.made[-1]


@pytest.fixture(scope="module")
def typeset(renderer: Renderer) -> Any:
    """Validate an envelope; the engine render_source chooses for it, and its PDF."""

    def run(envelope: dict[str, Any]) -> tuple[str, bytes]:
        request = validate_request(envelope)
        engine = render_source(request).engine
        return engine, renderer.render(request).pdf

    return run


@pytest.mark.parametrize("field_set", _FIELD_SETS)
@pytest.mark.parametrize(("document_type", "template"), TEMPLATES, ids=str)
def test_typographic_characters_print_on_pdftex_and_extract_as_themselves(
    typeset: Any, document_type: str, template: str, field_set: str
) -> None:
    chunks = Chunks(REQUIRED + MORE)
    engine, pdf = typeset(document(document_type, template, field_set, chunks))
    assert engine == "pdftex"
    assert {ch for value in chunks.made for ch in value} >= set(REQUIRED + MORE)  # every one was used
    for name, text in readings(pdf).items():
        missing = [value for value in chunks.made if value not in text]
        assert missing == [], (
            f"{name}: {len(missing)} of {len(chunks.made)} not extracted, e.g. {missing[:3]}"
        )
    assert unembedded_fonts(pdf) == []


ASCII = ["don't", "O'Brien's", '"quoted"', "'single'", "5'11\"", "a--b", "a---b", "`tick`", "x''y"]


@pytest.mark.parametrize(("document_type", "template"), TEMPLATES, ids=str)
def test_ascii_quotes_print_curly_and_extract_as_typed(
    typeset: Any, document_type: str, template: str
) -> None:
    values = iter(ASCII * 40)
    engine, pdf = typeset(document(document_type, template, "original", lambda: next(values)))
    assert engine == "pdftex"
    for name, text in readings(pdf).items():
        assert [value for value in ASCII if value.replace(" ", "") not in text] == [], name
        assert not set("‘’“”") & set(text), name  # no curly quote crept into the text layer
    drawn = glyphs_drawn(pdf)
    # The curly copies in the LY1 fonts (base/engine.tex.j2), never the straight quotes.
    assert {"/quoteleft.dup", "/quoteright.dup", "/quotedblleft", "/quotedblright"} <= drawn
    assert not {"/quotesingle", "/quotesingle.ts1", "/quotedbl"} & drawn


def test_on_xelatex_the_characters_extract_as_themselves_and_ascii_quotes_stay_straight(
    typeset: Any,
) -> None:
    text = f"Ελληνικά {' '.join(REQUIRED + MORE)} {' '.join(ASCII)}"
    engine, pdf = typeset(
        {"document_type": "resume", "data": {"personalInfo": {"name": "Ada", "email": "ada@example.com"},
                                              "professionalSummary": text}}
    )  # fmt: skip
    assert engine == "xetex"
    for name, read in readings(pdf).items():
        assert text.replace(" ", "") in read, name


def _samples() -> Iterator[Any]:
    for path in SAMPLES:
        sample = json.loads(path.read_text())
        for kind, name in TEMPLATES:
            if kind == sample["document_type"]:
                yield pytest.param({**sample, "template": name, "format": "pdf"}, id=f"{path.stem}-{name}")


LIGATURE_WORDS = "office affluent flight effigy baffle fjord shuffle firefly"


@pytest.mark.parametrize("envelope", list(_samples()))
def test_no_ligature_code_points_and_every_font_embedded(typeset: Any, envelope: dict[str, Any]) -> None:
    _, pdf = typeset(envelope)
    for name, text in readings(pdf).items():
        assert LIGATURES.findall(text) == [], name
        assert re.search("f[fil]", text), name  # the sample did have letters that ligate
    assert unembedded_fonts(pdf) == []


@pytest.mark.parametrize("script", ["", "Ελληνικά "], ids=["pdftex", "xetex"])
@pytest.mark.parametrize(("document_type", "template"), TEMPLATES, ids=str)
def test_ligatures_extract_as_their_letters_on_both_engines(
    typeset: Any, document_type: str, template: str, script: str
) -> None:
    """In every field (regular, bold, italic, serif and sans), and typed as presentation forms too."""
    words = iter([f"{script}{LIGATURE_WORDS} \ufb01ne \ufb00ort"] * 200)
    engine, pdf = typeset(document(document_type, template, "original", lambda: next(words)))
    assert engine == ("xetex" if script else "pdftex")
    for name, text in readings(pdf).items():
        assert LIGATURES.findall(text) == [], name
        assert text.count(LIGATURE_WORDS.replace(" ", "") + "fineffort") >= 5, name
    assert unembedded_fonts(pdf) == []
