"""What writing the LaTeX costs: bounded by the text's length and the fonts it changes to, and inside
the render's deadline.

A document of Yi syllables (a fallback font late in fonts.json) mixed with Latin words once spent
seconds choosing fonts, one fallback after another for every character, before TeX's clock started;
then, with a Python step per character and per word of a script, still several times what an ASCII
document of the same size did. These tests count work (lookups) or compare CPU times measured in
one run, never wall-clock bounds.
"""

from __future__ import annotations

import bisect
import random
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from docpipe import fonts, latex, renderer, templates
from docpipe.errors import RenderTimeout
from docpipe.renderer import Renderer
from docpipe.validation import validate_request

YI = [chr(code) for code in range(0xA000, 0xA48D)]  # Noto Sans Yi, near the end of the fallbacks


def yi_and_latin(length: int, seed: int = 1) -> str:
    """Words of Yi syllables and of Latin letters, mixed, ``length`` characters in all."""
    rng = random.Random(seed)
    words, size = [], 0
    while size < length:
        alphabet = YI if rng.random() < 0.5 else "abcdefghijklmnopqrstuvwxyz"
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(2, 7))))
        size += len(words[-1]) + 1
    return " ".join(words)[:length]


def cjk_sentences(length: int, seed: int = 1) -> str:
    """Ideographs with full-width punctuation and no spaces: one long word, as far as break points go."""
    rng = random.Random(seed)
    ideographs = [chr(code) for code in range(0x4E00, 0x9FA5)]
    parts, size = [], 0
    while size < length:
        parts.append(
            "".join(rng.choice(ideographs) for _ in range(rng.randrange(5, 40))) + rng.choice("，。、")
        )
        size += len(parts[-1])
    return "".join(parts)[:length]


def ascii_words(length: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    words, size = [], 0
    while size < length:
        words.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(2, 9))))
        size += len(words[-1]) + 1
    return " ".join(words)[:length]


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the bisections fonts.py makes in its tables (each font lookup is one or more), starting
    from a fresh font table, so nothing is remembered from earlier tests."""
    count = [0]

    def bisect_right(*args: Any) -> int:
        count[0] += 1
        return bisect.bisect_right(*args)

    monkeypatch.setattr(fonts, "bisect", types.SimpleNamespace(bisect_right=bisect_right))
    fonts.table.cache_clear()
    yield count
    fonts.table.cache_clear()


def test_font_lookups_grow_with_the_fonts_used_not_with_length_nor_distinct_characters(
    probes: list[int],
) -> None:
    text = yi_and_latin(40_000)
    latex.escape(text)
    latex.fallback_fonts(text)
    fonts.needs_unicode_engine(text)
    # One lookup where the text first leaves the main font (a scan finds it, then skips that font's
    # characters too): not one per distinct character, nor per character and font.
    assert probes[0] <= 2, probes[0]
    probes[0] = 0
    latex.escape(text)  # the same characters again: nothing left to look up
    assert probes[0] == 0


def test_a_whole_document_looks_up_at_most_a_character_a_paragraph(probes: list[int]) -> None:
    body = [yi_and_latin(2_000, seed) for seed in range(40)]
    request = validate_request(
        {
            "document_type": "cover_letter",
            "data": {"personalInfo": {"name": "Ada", "email": "a@b.co"}, "body": body},
        }
    )
    probes[0] = 0
    templates.render_source(request)
    # At most one per paragraph (its first Yi syllable, unless an earlier one had it); the template's
    # own words, "Dear Hiring Manager" and the date, are in the main font: none.
    assert probes[0] <= len(body)


def test_the_merged_index_chooses_as_trying_each_font_in_order_did() -> None:
    table = fonts.table()

    def in_order(ch: str) -> int | None:  # what font_for did before it had one merged index
        if ch in table.main or ch.isspace() or ch in fonts.IGNORABLE:
            return 0
        return next((i for i, (_, cov) in enumerate(table.fallbacks, start=1) if ch in cov), None)

    edges = {
        code + delta
        for cov in (table.main, *(cov for _, cov in table.fallbacks))
        for code in (*cov.starts, *cov.ends)
        for delta in (-1, 0, 1)
    }
    chars = [chr(code) for code in sorted(edges) if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF]
    assert len(chars) > 10_000
    assert [table.font_for(ch) for ch in chars] == [in_order(ch) for ch in chars]


def test_the_font_classes_hold_what_font_for_says() -> None:
    table = fonts.table()
    edges = {
        code + delta
        for cov in (table.main, *(cov for _, cov in table.fallbacks))
        for code in (*cov.starts, *cov.ends)
        for delta in (-1, 0, 1)
    }
    edges |= {ord(ch) for ch in fonts.IGNORABLE} | {code for code in range(0x3001) if chr(code).isspace()}
    chars = "".join(chr(code) for code in sorted(edges) if 0 <= code <= 0x10FFFF)
    printable = "".join(ch for ch in chars if table.font_for(ch) is not None)
    basic = "".join(ch for ch in chars if ch <= "\uffff")
    for index in range(len(table.fallbacks) + 1):
        assert table.pattern("{chars}", {index}).findall(chars) == [
            ch for ch in chars if table.font_for(ch) == index
        ], table.family(index) if index else "main"
        # Run on over the gaps no font fills: the same on printable text.
        found = table.pattern("{chars}", {index}, exact=False).findall(printable)
        assert found == [ch for ch in printable if table.font_for(ch) == index]
        # Without the ranges beyond U+FFFF: the same on text without such characters.
        found = table.pattern("{chars}", {index}, astral=False).findall(basic)
        assert found == [ch for ch in basic if table.font_for(ch) == index]
    # fonts._main_always looks no further for whitespace.
    assert max(ch for ch in map(chr, range(0x110000)) if ch.isspace()) == "\u3000"


def test_only_printable_characters_are_remembered() -> None:
    # Anyone may send unassigned or private-use code points (they are refused): none is kept.
    table = fonts.table()
    before = len(table._chosen)
    assert [table.font_for(chr(code)) for code in range(0xE000, 0xE100)] == [None] * 256
    assert len(table._chosen) == before


def _cpu(fn: Callable[[], object], repeat: int = 3) -> float:
    """The least CPU time of a few runs (the least disturbed by whatever else the machine does)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def test_escaping_is_linear_in_the_length() -> None:
    short, long = yi_and_latin(25_000), yi_and_latin(100_000)
    latex.escape(short)  # warm: the font table, the per-character lookups
    ratio = _cpu(lambda: latex.escape(long)) / _cpu(lambda: latex.escape(short))
    assert ratio < 8, f"4x the text took {ratio:.1f}x the time"  # quadratic would be 16


@pytest.mark.parametrize("script", [yi_and_latin, cjk_sentences])
def test_text_in_fallback_fonts_costs_a_few_times_ascii_text_not_tens(script: Callable[..., str]) -> None:
    # Each pass over the text is C (regular expressions, str methods), whatever its fonts: with a
    # Python step per character, or per word of a script, these were 10 to 25 times ASCII's.
    text, ascii_text = ([make(2_000, seed) for seed in range(50)] for make in (script, ascii_words))
    for paragraph in text + ascii_text:  # warm: the compiled font classes
        latex.escape(paragraph)
    ratio = _cpu(lambda: [latex.escape(p) for p in text]) / _cpu(
        lambda: [latex.escape(p) for p in ascii_text]
    )
    assert ratio < 6, f"{ratio:.1f}x ASCII"


# --- the deadline covers writing the document -------------------------------------------------------------


def _big_letter() -> dict[str, Any]:
    body = [yi_and_latin(2_000, seed) for seed in range(100)]
    return {
        "document_type": "cover_letter",
        "data": {"personalInfo": {"name": "Ada", "email": "a@b.co"}, "body": body},
    }


def test_escape_refuses_to_start_after_the_deadline() -> None:
    with latex.deadline(time.monotonic() - 1), pytest.raises(TimeoutError):
        latex.escape("x")
    with latex.deadline(time.monotonic() + 60):
        assert latex.escape("x") == "x"
    assert latex.escape("x") == "x"  # outside: no deadline


def test_the_render_deadline_stops_the_templating_too(monkeypatch: pytest.MonkeyPatch) -> None:
    request = validate_request(_big_letter())
    escaped: list[str] = []
    real_escape = latex.escape

    def counting_escape(text: str) -> latex.TeX:
        escaped.append(text)
        return real_escape(text)

    def no_tex(*args: Any) -> int:
        raise AssertionError("TeX started after the render's time was up")

    monkeypatch.setattr(latex, "escape", counting_escape)
    monkeypatch.setattr(renderer, "run_tex", no_tex)
    with pytest.raises(RenderTimeout) as info:
        Renderer(timeout=1e-6).render(request)
    assert info.value.code == "render_timeout"
    # Stopped at the first value written after the deadline, not after all hundred paragraphs.
    assert len(escaped) <= 2


def test_tex_gets_only_what_is_left_of_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    budgets: list[float] = []

    def fake_tex(command: list[str], cwd: Any, env: Any, timeout: float) -> int:
        budgets.append(timeout)
        raise RenderTimeout("stop here")

    monkeypatch.setattr(renderer, "run_tex", fake_tex)
    letter = {"personalInfo": {"name": "Ada", "email": "a@b.co"}, "body": [ascii_words(2_000)]}
    source = templates.render_source(validate_request({"document_type": "cover_letter", "data": letter}))
    with pytest.raises(RenderTimeout):
        Renderer(timeout=30).compile(source, deadline=time.monotonic() + 5)
    (budget,) = budgets
    assert 0 < budget <= 5
    with pytest.raises(RenderTimeout):  # nothing left: TeX does not start at all
        Renderer(timeout=30).compile(source, deadline=time.monotonic() - 1)
    assert len(budgets) == 1
