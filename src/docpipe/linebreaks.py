"""Where a long word may break, so that nothing runs off the page.

TeX breaks lines at spaces; the templates turn hyphenation off (every word reaches text extraction
whole). A word with no space in it — a URL, an identifier, a German compound, a line of Thai —
would run past the margin and out of the PDF's text layer. :func:`break_points` gives such words
break points, and :mod:`docpipe.latex` emits :data:`BREAK` there:

- only in words longer than :data:`LONG_WORD` characters, so ordinary words keep their kerning and
  TeX's usual line breaking;
- after URL punctuation (``/``, ``.``, ``-``, ``?``, ``&`` ...) followed by a letter or digit, and
  at least every :data:`CHUNK` characters where there is none;
- never inside a grapheme (before a combining mark, around a joiner or a no-break space), after a
  virama (an Indic conjunct), or between two letters of a joining script (Arabic, Syriac,
  Mongolian ...), whose shapes depend on their neighbours;
- not in wide (CJK, Yi, Hangul) text: XeTeX breaks between those characters itself
  (``\\XeTeXlinebreaklocale``, base/dynamic.tex.j2) and knows which punctuation may not start a line.

``\\dpbreak`` (base/engine.tex.j2) is invisible where the line does not break. Where it does, the
line ends in stretchable space: in justified text a line of one unbreakable chunk is otherwise
"infinitely bad", and TeX would rather let it run past the margin. Its penalty makes TeX prefer
spaces (and XeTeX's own break points) to it.
"""

from __future__ import annotations

import re
import sys
import unicodedata

BREAK = r"\dpbreak{}"
LONG_WORD = 20
"""A word longer than this gets break points."""
CHUNK = 10
"""At most this many characters between two break points of a long word (more inside a grapheme)."""

# A long word at the start, and one after a space: a search for " " (C) finds where a word starts,
# rather than trying every position of every word.
_LONG_FIRST = re.compile(f"[^ ]{{{LONG_WORD + 1},}}")
_LONG = re.compile(f" ([^ ]{{{LONG_WORD + 1},}})")
# The big blocks of wide characters (CJK, Yi, Hangul, full-width forms: all wide, as
# tests/unit/test_linebreaks.py checks). A long word breaks only inside a stretch of two or more
# characters outside them: a scan (C) skips the rest, rather than a Python step per character.
_WIDE_RANGES = (
    (0x1100, 0x115F), (0x2E80, 0x303E), (0x3040, 0x3247), (0x3250, 0x4DBF), (0x4E00, 0xA4CF),
    (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE30, 0xFE6F), (0xFF00, 0xFF60), (0x20000, 0x3FFFD),
)  # fmt: skip
_WIDE_BLOCKS = "".join(f"{chr(first)}-{chr(last)}" for first, last in _WIDE_RANGES)
# Spelled as the ranges between the blocks: the same class as [^blocks], which `re` took ~10 ms of
# every process's start to compile (~2 ms this way).
_OUTSIDE = "".join(
    f"{chr(first)}-{chr(last)}"
    for first, last in zip(
        (0, *(last + 1 for _, last in _WIDE_RANGES)),
        (*(first - 1 for first, _ in _WIDE_RANGES), sys.maxunicode),
        strict=True,
    )
)
_NARROW = re.compile(f"[{_OUTSIDE}]{{2,}}")
_AFTER = frozenset("/\\.-_?&=#:@,;+|~")
_JOINERS = frozenset("\u00a0\u200c\u200d\u2060\u202f")
# Letters of Arabic-script text that join no following letter: a break after them changes no shape.
_RIGHT_JOINING = frozenset("\u0621\u0622\u0623\u0624\u0625\u0627\u0629\u062f\u0630\u0631\u0632\u0648\u0649")
# Joining scripts that are not written right-to-left-Arabic (bidi class AL) in Unicode's eyes.
_JOINING_RANGES = (
    (0x07C0, 0x07FF),  # N'Ko
    (0x0840, 0x085F),  # Mandaic
    (0x1800, 0x18AF),  # Mongolian
    (0xA840, 0xA877),  # Phags-pa
    (0x10AC0, 0x10AFF),  # Manichaean
    (0x10F30, 0x10F6F),  # Sogdian
    (0x1E900, 0x1E95F),  # Adlam
)
_VIRAMA = 9
"""The canonical combining class of a virama: the consonants around it may form one conjunct."""


def _joining(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.bidirectional(ch) == "AL" or any(a <= code <= b for a, b in _JOINING_RANGES)


def _may_break(before: str, after: str) -> bool:
    """Whether a line may end between ``before`` and ``after`` without changing how either looks."""
    if unicodedata.category(after).startswith("M") or unicodedata.combining(before) == _VIRAMA:
        return False
    if before in _JOINERS or after in _JOINERS:
        return False
    if 0x1F3FB <= ord(after) <= 0x1F3FF:  # an emoji's skin tone belongs to the emoji
        return False
    if 0x1F1E6 <= ord(before) <= 0x1F1FF and 0x1F1E6 <= ord(after) <= 0x1F1FF:  # a flag's two letters
        return False
    return not (_joining(before) and _joining(after) and before not in _RIGHT_JOINING)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _word_breaks(text: str, start: int, end: int) -> list[int]:
    """Break points (positions before which a line may break) of the long word ``text[start:end]``.

    Only between two characters that are not wide, and the count of characters since a break starts
    again after a wide one: each stretch between the blocks of wide ones (_NARROW) is on its own.
    """
    points = []
    for stretch in _NARROW.finditer(text, start, end):
        since = 0
        for i in range(stretch.start(), stretch.end() - 1):
            before, after = text[i], text[i + 1]
            since = 0 if _wide(before) else since + 1
            natural = before in _AFTER and after.isalnum()
            if (natural or since >= CHUNK) and not _wide(after) and _may_break(before, after):
                points.append(i + 1)
                since = 0
    return points


def break_points(text: str) -> list[int]:
    """Positions ``i`` of ``text`` (words separated by single spaces), in order, where a line may
    break before ``text[i]`` although there is no space: inside words longer than :data:`LONG_WORD`."""
    first = _LONG_FIRST.match(text)
    points = _word_breaks(text, 0, first.end()) if first else []
    for word in _LONG.finditer(text):
        points += _word_breaks(text, word.start(1), word.end(1))
    return points
