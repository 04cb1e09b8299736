"""The one path from user text to LaTeX source.

Every user string becomes TeX through :func:`escape`; the template environment applies it to every
``<< value >>`` on its own (see ``templates.py``), so no template can forget it. :class:`TeX` marks
"already safe LaTeX": this module's functions make it, and the templates' ``join`` filter
(``templates._join``) joins such values with fixed separators; nothing else constructs one
(tests/unit/test_latex.py checks).

After escaping, no character of the user's text can start a control sequence, open or close a
group, switch mode, begin a comment, or form a ligature that changes the text (`` -- ``, ``''``,
``,,``, ``!` ``): backslash, braces and the other TeX specials are spelled as text commands. Nor
can it be read as a command's optional argument or star, wherever a template puts it (``[ ] *``
are grouped); and a long word gets break points (linebreaks.py), so it cannot run off the page.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import re
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache

from docpipe import addresses, fonts, linebreaks, typography


class TeX(str):
    """LaTeX source that is safe to emit as is. Made by this module's functions and ``templates._join``."""

    __slots__ = ()


# The ten TeX specials (backslash first) and the characters T1 fonts turn into something else.
_REPLACEMENTS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # (ASCII quotes reach this table only through typography.quote_commands, by context.)
    '"': r"\textquotedbl{}",
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    "\u2018": r"\textquoteleft{}",
    "\u2019": r"\textquoteright{}",
    "\u201c": r"\textquotedblleft{}",
    "\u201d": r"\textquotedblright{}",
    "\u2013": r"\textendash{}",
    "\u2014": r"\textemdash{}",
    "\u00a0": "~",
    "\u00ad": r"\-",
    "\u200b": r"\hspace{0pt}",
    # Syntax to commands that look ahead: "\item [x]" takes x as the bullet's label (and "\item [x"
    # fails the job), "\\*" and "\\[2pt]" are a break's options. Grouped, they are text wherever a
    # template puts them, so no template has to know which of its commands look ahead.
    "[": "{[}",
    "]": "{]}",
    "*": "{*}",
}
# Pairs that T1 fonts would fuse into one glyph ("--" into a dash, ",," into a low quote): "{}"
# after the first keeps them apart. (Applied to the output: a dropped invisible character between
# two hyphens must not let them fuse either.)
_LIGATURES = re.compile(r"([-,])(?=\1)")
_RTL = frozenset({"R", "AL"})
# Every character whose bidi class is R or AL lies in these blocks (tests/unit/test_latex.py checks).
_RTL_RANGES = "\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff"
_RTL_BLOCKS = re.compile(f"[{_RTL_RANGES}]")
# What str.isspace accepts but a space and a no-break space (tests/unit/test_latex.py checks).
_ODD_SPACES = "\t-\r\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_ODD_SPACE = re.compile(f"[{_ODD_SPACES}]")
_LIGATURE_LETTER = re.compile("[\ufb00-\ufb06]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# What most text has none of, each a reason for a pass of its own: one scan finds out.
_RARE = re.compile(f"[{_ODD_SPACES}\ufb00-\ufb06{_RTL_RANGES}\U00010000-\U0010ffff]")
# Where escape() is to write something other than the text (a break point, the ends of a
# right-to-left run, a quote's command), it first puts one of these control characters, which no
# font prints (so none is in the text, nor in any font's class, fonts.py); an invisible character
# becomes the first, dropped only once the font groups are made, so that it still parts them. Then
# one pass escapes the rest of the text, and a str.replace each mark.
_MARKS = "".join(map(chr, range(0x0E, 0x1C)))  # (from U+0009 to U+000D and from U+001C, whitespace)
_DROP, _BREAK_MARK = _MARKS[0], _MARKS[1]  # (the font groups' pattern holds the break's)
_ESCAPES = {**dict.fromkeys(fonts.IGNORABLE, _DROP), **_REPLACEMENTS}
_TABLE = str.maketrans(_ESCAPES)
_SPECIAL = re.compile("([" + "".join(rf"\U{ord(ch):08x}" for ch in _ESCAPES) + "])")
# A font's characters, with the break points (marked) between them: one {\docpipefontX{}...} group.
_GROUP = "({chars}{chars}*(?:" + _BREAK_MARK + "{chars}{chars}*)*)"
# A fallback run: the font's characters, and main-font punctuation and spaces between two of them.
_RUN = r"{chars}{chars}*(?:(?:(?={main})[\W_])+{chars}+)*"
_DEADLINE: ContextVar[float] = ContextVar("docpipe_escape_deadline", default=math.inf)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """While inside, :func:`escape` raises TimeoutError once ``time.monotonic()`` passes ``at``.

    The render's time limit covers writing the document, not TeX alone: without this a huge
    document could keep Python busy for as long as it liked before TeX's clock started.
    """
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@cache
def _font_command(index: int) -> str:
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters = chr(ord("A") + rest) + letters
        if index == 0:
            return rf"\docpipefont{letters}"


def _has_rtl(text: str, start: int = 0, end: int = sys.maxsize) -> bool:
    """Whether ``text[start:end]`` has a right-to-left character (a letter, mostly: found at once)."""
    blocks = _RTL_BLOCKS.finditer(text, start, end)
    return any(unicodedata.bidirectional(found.group()) in _RTL for found in blocks)


def _normalized(text: str) -> tuple[str, bool]:
    """NFC, presentation-form ligatures as their letters, whitespace runs as one space; and whether the
    text has a _RARE character. (Each step only when the text needs it: str.translate, for one, looks
    each character up in Python.)"""
    text = unicodedata.normalize("NFC", text)
    rare = _RARE.search(text) is not None
    if rare and _LIGATURE_LETTER.search(text):
        text = text.translate(fonts.LIGATURE_LETTERS)
    if "  " in text or (rare and _ODD_SPACE.search(text)):
        text = fonts.WHITESPACE.sub(" ", text)
    return text.strip(), rare


def _fallbacks_in(text: str, astral: bool) -> list[int]:
    """The fallback fonts the text needs, in the order found: from each character beyond the main
    font, a scan (C) skips those of its font and the main one. (One pattern per font: one per set of
    fonts would be compiled anew for about every document, some of them large.)"""
    table = fonts.table()
    found: list[int] = []
    at, current = 0, 0
    while other := table.pattern("{other}", {0, current}, astral).search(text, at):
        index = table.font_for(other.group())
        if not index:  # None: no font has it (not 0: the class holds all of the main font's)
            missing = sorted(ch for ch in set(text) if table.font_for(ch) is None)
            raise ValueError(f"no installed font can print {fonts.describe(missing[0])}")
        current, at = index, other.start()
        found += [] if index in found else [index]
    return found


def _runs(text: str, used: list[int], astral: bool, rtl: bool) -> list[tuple[int, int, bool]]:
    """The fallback runs (start, end, whether right-to-left), in order.

    Spaces and punctuation between two words of a script join the script's run (so a right-to-left
    phrase stays one \\beginR..\\endR segment), up to a letter or digit, but are printed in the main
    font: the fallback may not have them (Noto Sans Hebrew has no comma, Noto Sans Arabic no slash),
    and with \\tracinglostchars=3 a missing glyph is an error. Those after a run's last character of
    the script are not part of it: as in the Unicode bidi algorithm, punctuation between a
    right-to-left run and the text after it takes the paragraph's direction.
    """
    runs = []
    for index in used:
        for run in fonts.table().pattern(_RUN, (index,), astral, exact=False).finditer(text):
            runs.append((*run.span(), rtl and _has_rtl(text, *run.span())))
    return sorted(runs)


def _marks(text: str, used: list[int], astral: bool, rtl: bool) -> list[tuple[int, int, str]]:
    """Where escape() writes something other than the text: (position, order at the position, TeX).
    At one position: \\endR, the break point, \\beginR, then a quote's command, which takes its place."""
    quotes = typography.quote_commands(text)
    runs = _runs(text, used, astral, rtl) if used and (quotes or rtl) else []
    marks = [(at, 1, linebreaks.BREAK) for at in linebreaks.break_points(text)]
    for start, end, backwards in runs:
        marks += [(start, 2, r"\beginR "), (end, 0, r"\endR{}")] if backwards else []
    starts = [start for start, _, _ in runs]
    for at, command in quotes.items():
        run = bisect.bisect_right(starts, at) - 1
        # Inside a fallback run (XeLaTeX only, where they print straight anyway) quotes are escaped
        # as any other character.
        if run < 0 or at >= runs[run][1]:
            marks.append((at, 3, command))
    return sorted(marks)


def _marked(text: str, marks: list[tuple[int, int, str]]) -> tuple[str, dict[str, str]]:
    """The text with a mark for each of ``marks``, and the TeX each mark stands for."""
    mark_of = {linebreaks.BREAK: _BREAK_MARK}
    parts, last = [], 0
    for at, order, tex in marks:
        parts += [text[last:at], mark_of.setdefault(tex, _MARKS[len(mark_of) + 1])]
        last = at + 1 if order == 3 else at
    parts.append(text[last:])
    return "".join(parts), {_DROP: "", **{mark: tex for tex, mark in mark_of.items()}}


def _escape_specials(text: str) -> str:
    """The specials and quotes spelt out (_REPLACEMENTS), the invisible characters marked to drop."""
    if text.isascii():  # str.translate is fast on ASCII alone: it looks each other character up in Python
        return text.translate(_TABLE)
    parts = _SPECIAL.split(text)
    parts[1::2] = map(_ESCAPES.__getitem__, parts[1::2])
    return "".join(parts)


def escape(text: str) -> TeX:
    """User text to LaTeX that prints it literally. Whitespace runs become one space.

    Linear in the text's length, and each pass over the text is C (regular expressions, str methods):
    a Python step per character, or per word of a script, made a document in a fallback font cost
    several times an ASCII one. Each fallback font's characters are grouped in its font switch.
    """
    if time.monotonic() > _DEADLINE.get():
        raise TimeoutError("the render's time ran out while writing the document")
    text, rare = _normalized(text)
    astral = rare and _ASTRAL.search(text) is not None
    used = _fallbacks_in(text, astral)
    marked, tex = _marked(text, _marks(text, used, astral, rare and _has_rtl(text)))
    escaped = _escape_specials(marked)
    for index in used:
        parts = fonts.table().pattern(_GROUP, (index,), astral, exact=False).split(escaped)
        start = f"{{{_font_command(index)}{{}}"
        parts[1::2] = [f"{start}{group}}}" for group in parts[1::2]]
        escaped = "".join(parts)
    for mark, command in tex.items():
        escaped = escaped.replace(mark, command)
    if "--" in escaped or ",," in escaped:
        escaped = _LIGATURES.sub(r"\1{}", escaped)
    return TeX(escaped)


def fallback_fonts(text: str) -> dict[str, str]:
    """Font commands the escaped text will use, with the family each must be declared with."""
    table = fonts.table()
    try:
        used = _fallbacks_in(text, _ASTRAL.search(text) is not None)
    except ValueError:  # a character no font prints (refused before any render): the other fonts
        used = [index for ch in set(text) if (index := table.font_for(ch))]
    return {_font_command(i)[1:]: table.family(i) for i in sorted(used)}


def url(address: str) -> TeX:
    """A link target for ``\\href``: ASCII (addresses.link_target: the host in IDNA, the rest
    percent-encoded), so TeX specials cannot act inside it.

    ``%`` itself is escaped for TeX (hyperref turns ``\\%`` back into ``%``), ``#`` and ``&`` likewise.
    A bare ``example.com/x`` gets ``https://``.
    """
    # link_target leaves URI characters only (no backslash, brace or caret). Of those, "~" is active
    # in TeX: it is written as its percent-encoded twin, and %, # and & are escaped for hyperref.
    encoded = addresses.link_target(address).replace("~", "%7E")
    return TeX(encoded.replace("%", r"\%").replace("#", r"\#").replace("&", r"\&"))


def link(address: str, text: str | None = None) -> TeX:
    """A clickable link whose printed text is the address as the user wrote it (or ``text``)."""
    shown = text if text is not None else display_url(address)
    return TeX(rf"\href{{{url(address)}}}{{{escape(shown)}}}")


def display_url(address: str) -> str:
    """How an address is printed: without the scheme and a trailing slash."""
    shown = address.strip()
    for prefix in ("https://", "http://", "mailto:"):
        if shown.lower().startswith(prefix):
            shown = shown[len(prefix) :]
            break
    return shown.removeprefix("www.").rstrip("/")
