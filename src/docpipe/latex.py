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
import itertools
import math
import re
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
# One str.translate escapes a whole stretch of text: specials spelt out, invisible characters dropped.
_TABLE = str.maketrans({**dict.fromkeys(fonts.IGNORABLE, ""), **_REPLACEMENTS})
_ALNUM = re.compile(r"[^\W_]")  # a character str.isalnum accepts
# The text's fonts as a string, chr(font index) per character: regular expressions (C, not a Python
# loop per character) find where the font changes.
_MAIN = "\x00"
_SAME_FONT = re.compile(r"(.)\1*", re.DOTALL)
_OWN_OR_NOT = re.compile(r"\x00+|[^\x00]+")
_DEADLINE: ContextVar[float] = ContextVar("docpipe_escape_deadline", default=math.inf)
Span = tuple[int, int, int]
"""A stretch of the text: (font index, start, end); for a piece of a fallback run, (1 if it is in
the run's font else 0, start, end)."""
Quotes = dict[int, str]
"""The command for each ASCII quote of the text, by position (typography.quote_commands)."""


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


def _at(breaks: list[int], position: int) -> bool:
    i = bisect.bisect_left(breaks, position)
    return i < len(breaks) and breaks[i] == position


def _translate(text: str, start: int, end: int, quotes: Quotes) -> str:
    """``text[start:end]`` escaped: one ``str.translate``, plus each ASCII quote's command by context."""
    if not quotes:
        return text[start:end].translate(_TABLE)
    parts, last = [], start
    for found in typography.QUOTE.finditer(text, start, end):
        parts += [text[last : found.start()].translate(_TABLE), quotes[found.start()]]
        last = found.end()
    parts.append(text[last:end].translate(_TABLE))
    return "".join(parts)


def _span(text: str, start: int, end: int, breaks: list[int], quotes: Quotes) -> str:
    """``text[start:end]`` escaped, with the break points (linebreaks.py) inside it."""
    inside = breaks[bisect.bisect_right(breaks, start) : bisect.bisect_left(breaks, end)]
    if not inside:
        return _translate(text, start, end, quotes)
    cuts = [start, *inside, end]
    return linebreaks.BREAK.join(_translate(text, a, b, quotes) for a, b in itertools.pairwise(cuts))


@cache
def _font_command(index: int) -> str:
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters = chr(ord("A") + rest) + letters
        if index == 0:
            return rf"\docpipefont{letters}"


def _font_codesof(text: str) -> dict[str, int]:
    """Each distinct character's font (a document repeats a few hundred characters thousands of times)."""
    font_for = fonts.table().font_for
    found = {ch: font_for(ch) for ch in set(text)}
    missing = sorted(ch for ch, index in found.items() if index is None)
    if missing:
        raise ValueError(f"no installed font can print {fonts.describe(missing[0])}")
    return {ch: index or 0 for ch, index in found.items()}


def _runs(text: str, font_codes: str) -> list[Span]:
    """Split text into (font index, start, end) runs; neutral characters join the run around them."""
    runs: list[Span] = []
    for same in _SAME_FONT.finditer(font_codes):
        index, (start, end) = ord(same.group(1)), same.span()
        if index == 0 and runs and runs[-1][0] != 0:
            # Spaces and punctuation after a script's word stay in its run, up to a letter or digit.
            letter = _ALNUM.search(text, start, end)
            runs[-1] = (runs[-1][0], runs[-1][1], letter.start() if letter else end)
            start = runs[-1][2]
        if start < end and runs and runs[-1][0] == index:
            runs[-1] = (index, runs[-1][1], end)
        elif start < end:
            runs.append((index, start, end))
    return _trim_runs(runs, font_codes)


def _trim_runs(runs: list[Span], font_codes: str) -> list[Span]:
    """Give trailing neutral characters of a script run back to the main font.

    As in the Unicode bidi algorithm, punctuation between a right-to-left run and the text after it
    takes the paragraph's direction, so it must not end up inside the \\beginR..\\endR segment.
    """
    out: list[Span] = []
    for index, start, end in runs:
        cut = end
        while index and cut > start and font_codes[cut - 1] == _MAIN:
            cut -= 1
        out += [(index, start, cut), (0, cut, end)]
    return [span for span in out if span[1] < span[2]]


def _pieces(font_codes: str, run: Span) -> list[Span]:
    """Split a fallback run into (1 if printed in the fallback font else 0, start, end).

    Spaces and punctuation between two words of a script join the script's run (so a right-to-left
    phrase stays one \\beginR..\\endR segment), but they are printed in the surrounding font: the
    fallback may not have them (Noto Sans Hebrew has no comma, Noto Sans Arabic no slash, Noto Sans
    Tamil Supplement not even a space), and with \\tracinglostchars=3 a missing glyph is an error.
    (A run holds its font's characters and main-font neutrals, spaces included, only.)
    """
    _, start, end = run
    return [(int(p.group()[0] != _MAIN), *p.span()) for p in _OWN_OR_NOT.finditer(font_codes, start, end)]


def _fallback_run(text: str, font_codes: str, run: Span, breaks: list[int], rtl: set[str]) -> str:
    command = _font_command(run[0])
    body = []
    # Fallback runs exist only on XeLaTeX, where ASCII quotes print straight anyway ({}: no context).
    for own, start, end in _pieces(font_codes, run):
        if breaks and start > run[1] and _at(breaks, start):
            body.append(linebreaks.BREAK)
        escaped = _span(text, start, end, breaks, {})
        body.append(f"{{{command}{{}}{escaped}}}" if own else escaped)
    tex = "".join(body)
    if not rtl.isdisjoint(text[run[1] : run[2]]):
        tex = rf"\beginR {tex}\endR{{}}"
    return tex


def escape(text: str) -> TeX:
    """User text to LaTeX that prints it literally. Whitespace runs become one space.

    Linear in the text's length: each distinct character's font is looked up once, and the LaTeX is
    built from lists and whole-span translations (a run grown by ``+=`` was copied per character).
    """
    if time.monotonic() > _DEADLINE.get():
        raise TimeoutError("the render's time ran out while writing the document")
    text = unicodedata.normalize("NFC", text).translate(fonts.LIGATURE_LETTERS)
    text = fonts.WHITESPACE.sub(" ", text).strip()
    chosen = _font_codesof(text)
    breaks = linebreaks.break_points(text)
    quotes = typography.quote_commands(text)
    if not any(chosen.values()):  # all in the main font: the common case
        return TeX(_LIGATURES.sub(r"\1{}", _span(text, 0, len(text), breaks, quotes)))
    font_codes = text.translate({ord(ch): chr(index) for ch, index in chosen.items()})
    rtl = {ch for ch in chosen if unicodedata.bidirectional(ch) in _RTL}
    parts = []
    for run in _runs(text, font_codes):
        if breaks and _at(breaks, run[1]):
            parts.append(linebreaks.BREAK)  # where the font changes inside a long word
        if run[0] == 0:
            parts.append(_span(text, run[1], run[2], breaks, quotes))
        else:
            parts.append(_fallback_run(text, font_codes, run, breaks, rtl))
    return TeX(_LIGATURES.sub(r"\1{}", "".join(parts)))


def fallback_fonts(text: str) -> dict[str, str]:
    """Font commands the escaped text will use, with the family each must be declared with."""
    table = fonts.table()
    used = {index for ch in set(text) if (index := table.font_for(ch))}
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
