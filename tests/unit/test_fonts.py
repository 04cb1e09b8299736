"""The committed font coverage table: it must match the installed TeX and fonts, and be read right."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

from docpipe import cli, fonts
from docpipe.fonts import Coverage


def test_fonts_json_matches_the_installed_fonts() -> None:
    committed = json.loads(fonts.TABLE_PATH.read_text())
    built = json.loads(json.dumps(fonts.build_table()))
    assert committed["pdftex"] == built["pdftex"], "pdflatex coverage changed: run `make fonts`"
    assert committed["main"] == built["main"], "main font coverage changed: run `make fonts`"
    assert [f["family"] for f in committed["fallbacks"]] == [f["family"] for f in built["fallbacks"]]
    assert committed == built, "src/docpipe/fonts.json is stale: run `make fonts`"


def test_docpipe_fonts_check_agrees() -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["fonts", "--check"])
    assert (code, out.getvalue(), err.getvalue()) == (0, "fonts.json matches the installed fonts\n", "")


def test_every_fallback_font_has_a_space() -> None:
    # fontspec measures a font's space when selecting it; without one every use fails the render.
    faces = fonts._regular_faces()
    assert [family for family, _ in fonts.table().fallbacks if 0x20 not in faces[family]] == []


def test_the_table_has_the_expected_shape() -> None:
    table = fonts.table()
    families = [family for family, _ in table.fallbacks]
    assert families[0] == "Noto Sans CJK SC"  # the preferred fallback comes first
    assert {"Noto Sans Arabic", "Noto Sans Hebrew", "Symbola"} <= set(families)
    assert len(families) == len(set(families))


@pytest.mark.parametrize("ch", ["A", "z", "é", "ß", "Œ", "€", "™", "«", "–", "ł", "Ş"])
def test_latin_text_stays_on_pdflatex(ch: str) -> None:
    assert not fonts.needs_unicode_engine(f"Plain {ch} text")


@pytest.mark.parametrize("ch", list("…’‘“”–—•€™©®°×±§¶†‡‰‱№℗℠℃¹²³ƒ₡₤₦₩₫₱"))
def test_typographic_characters_stay_on_pdflatex(ch: str) -> None:
    # Each prints from Latin Modern and extracts as itself (tests/integration/test_typography.py).
    assert not fonts.needs_unicode_engine(f"Plain {ch} text")


@pytest.mark.parametrize("ch", ["\u2032", "\u2033", "\u2126"])
def test_what_latin_modern_cannot_print_as_itself_needs_xelatex(ch: str) -> None:
    # ′ ″: no text glyph (a math prime is a superscript, and there is no double one); Ω (U+2126): NFC
    # makes it a Greek capital omega.
    assert fonts.needs_unicode_engine(f"5{ch}")


@pytest.mark.parametrize("text", ["Ελληνικά", "Русский", "中文", "مرحبا", "😀", "∑"])
def test_other_scripts_need_xelatex(text: str) -> None:
    assert fonts.needs_unicode_engine(text)


def test_whitespace_and_invisible_characters_never_force_xelatex() -> None:
    assert not fonts.needs_unicode_engine("a\u2003b\u3000c\ufeffd\u200be\ufe0f")


def test_font_for() -> None:
    table = fonts.table()
    assert table.font_for("a") == 0
    assert table.font_for("Ω") == 0  # Noto Serif and Noto Sans both have Greek
    assert table.font_for(" ") == 0
    cjk = table.font_for("中")
    assert cjk is not None
    assert table.family(cjk) == "Noto Sans CJK SC"
    arabic = table.font_for("م")
    assert arabic is not None
    assert table.family(arabic) == "Noto Sans Arabic"
    assert table.font_for("\ue000") is None
    assert table.font_for("\U0010ffff") is None


def test_unprintable_lists_each_character_once_in_order() -> None:
    assert fonts.unprintable("b\U0010ffffa\ue001\ue000\ue001") == ["\ue000", "\ue001", "\U0010ffff"]
    assert fonts.unprintable("Hello, 世界 😀") == []


def test_describe_names_a_character() -> None:
    assert fonts.describe("é") == "U+00E9 LATIN SMALL LETTER E WITH ACUTE"
    assert fonts.describe("\ue000") == "U+E000 unnamed character"
    assert fonts.describe("\U0010ffff") == "U+10FFFF unnamed character"


def test_coverage_ranges_are_inclusive() -> None:
    coverage = Coverage.of([[0x41, 0x43], [0x61, 0x61]])
    assert [ch in coverage for ch in "@ABCDa`b"] == [False, True, True, True, False, True, False, False]
    assert 0x41 not in coverage  # only characters are members


def test_ranges_are_merged() -> None:
    assert fonts._to_ranges([5, 1, 2, 3, 7, 6, 10]) == [(1, 3), (5, 7), (10, 10)]
    assert fonts._parse_charset("20-22 41 0061-0062") == {0x20, 0x21, 0x22, 0x41, 0x61, 0x62}
