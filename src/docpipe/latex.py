"""The one path from user text to LaTeX source.

Every user string becomes TeX through :func:`escape`; the template environment applies it to every
``<< value >>`` on its own (see ``templates.py``), so no template can forget it. :class:`TeX` marks
"already safe LaTeX": this module's functions make it, and the templates' ``join`` filter
(``templates._join``) joins such values with fixed separators; nothing else constructs one
(tests/unit/test_latex.py checks).

After escaping, no character of the user's text can start a control sequence, open or close a
group, switch mode, begin a comment, or form a ligature that changes the text (`` -- ``, ``''``,
``,,``, ``!` ``): backslash, braces and the other TeX specials are spelled as text commands.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, urlsplit

from docpipe import fonts


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
}
# Pairs that T1 fonts would fuse into one glyph ("--" into a dash, ",," into a low quote).
_LIGATURE_STARTS = frozenset("-,")
_RTL = frozenset({"R", "AL"})
LONG_WORD = 30
"""A word longer than this gets break points, so it wraps instead of running off the page."""


def _char(ch: str, following: str) -> str:
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    if ch in fonts.IGNORABLE:
        return ""
    if ch in _LIGATURE_STARTS and following == ch:
        return ch + "{}"
    return ch


def _word(word: str) -> str:
    out = []
    for i, ch in enumerate(word):
        out.append(_char(ch, word[i + 1 : i + 2]))
        if len(word) > LONG_WORD and i % 10 == 9 and i + 1 < len(word):
            out.append(r"\allowbreak{}")
    return "".join(out)


def _font_command(index: int) -> str:
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters = chr(ord("A") + rest) + letters
        if index == 0:
            return rf"\docpipefont{letters}"


def _runs(text: str) -> list[tuple[int, str]]:
    """Split text into (font index, run) pairs; neutral characters join the run around them."""
    table = fonts.table()
    runs: list[tuple[int, str]] = []
    for ch in text:
        index = table.font_for(ch)
        if index is None:
            raise ValueError(f"no installed font can print {fonts.describe(ch)}")
        if index == 0 and runs and runs[-1][0] != 0 and not ch.isalnum():
            index = runs[-1][0]  # a space or mark between two words of one script stays in the run
        if runs and runs[-1][0] == index:
            runs[-1] = (index, runs[-1][1] + ch)
        else:
            runs.append((index, ch))
    return _trim_runs(runs)


def _trim_runs(runs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Give trailing neutral characters of a script run back to the main font.

    As in the Unicode bidi algorithm, punctuation between a right-to-left run and the text after it
    takes the paragraph's direction, so it must not end up inside the \\beginR..\\endR segment.
    """
    table = fonts.table()
    out: list[tuple[int, str]] = []
    for index, run in runs:
        end = len(run)
        while index and end and table.font_for(run[end - 1]) == 0:
            end -= 1
        out.append((index, run[:end]))
        out.append((0, run[end:]))
    return [(i, r) for i, r in out if r]


def _escape_run(run: str) -> str:
    return " ".join(_word(word) for word in run.split(" "))


def _pieces(index: int, run: str) -> list[tuple[bool, str]]:
    """Split a fallback run into (printed in the fallback font?, text).

    Spaces and punctuation between two words of a script join the script's run (so a right-to-left
    phrase stays one \\beginR..\\endR segment), but they are printed in the surrounding font: the
    fallback may not have them (Noto Sans Hebrew has no comma, Noto Sans Arabic no slash, Noto Sans
    Tamil Supplement not even a space), and with \\tracinglostchars=3 a missing glyph is an error.
    """
    table = fonts.table()
    pieces: list[tuple[bool, str]] = []
    for ch in run:
        own = table.font_for(ch) == index and not ch.isspace()
        if pieces and pieces[-1][0] == own:
            pieces[-1] = (own, pieces[-1][1] + ch)
        else:
            pieces.append((own, ch))
    return pieces


def escape(text: str) -> TeX:
    """User text to LaTeX that prints it literally. Whitespace runs become one space."""
    text = fonts.WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    parts = []
    for index, run in _runs(text):
        if index == 0:
            parts.append(_escape_run(run))
            continue
        command = _font_command(index)
        body = "".join(
            f"{{{command}{{}}{_escape_run(piece)}}}" if own else _escape_run(piece)
            for own, piece in _pieces(index, run)
        )
        if any(unicodedata.bidirectional(ch) in _RTL for ch in run):
            body = rf"\beginR {body}\endR{{}}"
        parts.append(body)
    return TeX("".join(parts))


def fallback_fonts(text: str) -> dict[str, str]:
    """Font commands the escaped text will use, with the family each must be declared with."""
    table = fonts.table()
    used = {index for ch in text if (index := table.font_for(ch))}
    return {_font_command(i)[1:]: table.family(i) for i in sorted(used)}


def url(address: str) -> TeX:
    """A link target for ``\\href``: percent-encoded, so TeX specials cannot act inside it.

    ``%`` itself is escaped for TeX (hyperref turns ``\\%`` back into ``%``), ``#`` likewise.
    A bare ``example.com/x`` gets ``https://``.
    """
    target = address.strip()
    if not target.lower().startswith(("http://", "https://", "mailto:")):
        target = "https://" + target
    parts = urlsplit(target)
    safe = "/:@!$&'()*+,;=-._~?"
    encoded = parts._replace(
        path=quote(parts.path, safe=safe + "%"),
        query=quote(parts.query, safe=safe + "%"),
        fragment=quote(parts.fragment, safe=safe + "%"),
    ).geturl()
    for ch, repl in (("\\", "%5C"), ("{", "%7B"), ("}", "%7D"), ("^", "%5E"), ("~", "%7E")):
        encoded = encoded.replace(ch, repl)
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
