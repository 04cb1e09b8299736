"""Where a long word may break (linebreaks.py): often enough that nothing runs off the page, never
inside an ordinary word, a grapheme, a conjunct or a joined Arabic word, and not where XeTeX finds
break points itself. tests/integration/test_margins.py checks the result on the page."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docpipe import linebreaks
from docpipe.linebreaks import CHUNK, LONG_WORD, break_points


def pieces(text: str) -> list[str]:
    cuts = [0, *break_points(text), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


def test_ordinary_words_get_none() -> None:
    assert break_points("Softwareentwicklung " * 20) == []  # 19 characters
    assert break_points("x" * LONG_WORD) == []
    assert break_points(" ".join(["y" * LONG_WORD] * 10)) == []


def test_a_long_word_gets_one_every_chunk() -> None:
    word = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"
    assert len(word) == 80
    assert pieces(word) == [word[i : i + CHUNK] for i in range(0, 80, CHUNK)]
    # Positions count in the whole text: a long word after short ones.
    text = "see " + "z" * 25
    assert break_points(text) == [4 + 10, 4 + 20]


def test_a_url_breaks_after_its_punctuation() -> None:
    url = "https://example.com/segment-0_with.dots?q=a&b=c"
    assert pieces(url) == [
        "https://", "example.", "com/", "segment-", "0_", "with.", "dots?", "q=", "a&", "b=", "c",
    ]  # fmt: skip
    # Never inside "://" or a run of punctuation, and at least every CHUNK characters between.
    assert all(len(piece) <= CHUNK for piece in pieces("https://" + "abcdefghijklmnop" * 3 + "/x"))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("\u0628\u062a\u062b\u0646\u064a" * 8, "Arabic letters joined to the next keep their shapes"),
        ("\u1828\u1822\u1833" * 10, "Mongolian joins too"),
        ("🇫🇷" * 20, "a flag is two regional indicators"),
        ("👍🏽" * 20, "emoji are wide: XeTeX breaks between them, never before a skin tone"),
        ("a\u00a0" * 15, "a no-break space never breaks"),
        ("a\u200d" * 15, "nor does a joiner"),
    ],
)
def test_none_where_any_break_would_change_how_the_text_looks(text: str, why: str) -> None:
    assert len(text) > LONG_WORD
    assert break_points(text) == [], why


def test_between_graphemes_only() -> None:
    accents = "e\u0301" * 30
    assert break_points(accents)
    assert not any(unicodedata.combining(accents[p]) for p in break_points(accents))
    tones = "x\U0001f3fd" * 15  # a skin tone stays with what it follows
    assert all(tones[p] == "x" for p in break_points(tones))


def test_never_inside_an_indic_conjunct() -> None:
    word = "\u0915\u094d\u0937\u093e" * 10  # क्षा: ka, virama, ssa, aa: one cluster
    assert break_points(word)
    assert all(p % 4 == 0 for p in break_points(word))


def test_arabic_breaks_after_letters_that_join_nothing_after_them() -> None:
    # alef (U+0627) does not join the letter after it, so a break there changes no shape.
    word = "\u0628\u0627" * 15
    points = break_points(word)
    assert points
    assert all(word[p - 1] == "\u0627" for p in points)


def test_cjk_and_yi_are_left_to_xetex() -> None:
    # \XeTeXlinebreaklocale breaks between ideographs and knows which punctuation may not start a line.
    assert break_points("软件开发是一个复杂的过程需要多方合作才能获得高质量的结果") == []
    assert break_points("".join(chr(0xA000 + i) for i in range(60))) == []
    # Latin after them still gets its break points.
    assert break_points("中文" + "x" * 30)


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("ab/.-_ é\u0301中ا"), max_size=200))
def test_break_points_are_inside_long_words(text: str) -> None:
    words = {}
    start = 0
    for word in text.split(" "):
        words.update(dict.fromkeys(range(start + 1, start + len(word)), len(word)))
        start += len(word) + 1
    points = break_points(text)
    assert points == sorted(set(points))
    assert all(words.get(p, 0) > LONG_WORD for p in points)


def test_the_blocks_skipped_as_wide_hold_wide_characters_only() -> None:
    blocks = re.compile(f"[{linebreaks._WIDE_BLOCKS}]")
    found = blocks.findall("".join(map(chr, range(0x110000))))
    assert len(found) > 80_000
    assert {unicodedata.east_asian_width(ch) for ch in found} <= {"W", "F"}


def step_by_step(text: str) -> list[int]:
    """break_points as a step per character of every word longer than LONG_WORD: the rules alone."""
    points, start = [], 0
    for word in text.split(" "):
        since = 0
        for i in range(start, start + len(word) - 1) if len(word) > LONG_WORD else ():
            before, after = text[i], text[i + 1]
            since = 0 if linebreaks._wide(before) else since + 1
            natural = before in linebreaks._AFTER and after.isalnum()
            if (
                (natural or since >= CHUNK)
                and not linebreaks._wide(after)
                and linebreaks._may_break(before, after)
            ):
                points.append(i + 1)
                since = 0
        start += len(word) + 1
    return points


@settings(deadline=None, max_examples=300)
@given(
    st.text(
        alphabet=st.sampled_from("ab/.-_ é\u0301中文。，ꀀ가ＡｱＡ\u3000\u303f\u4dc0ا\u094d\u0915😀"),
        max_size=300,
    )
)
def test_skipping_the_wide_blocks_finds_the_break_points_a_step_per_character_does(text: str) -> None:
    assert break_points(text) == step_by_step(text)
