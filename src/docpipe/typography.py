"""How ASCII quotes look: curly where the context says which way, while the PDF's text layer keeps
the character the user typed (docs/decisions.md: "ASCII quotes look typographic, read as typed").

:func:`docpipe.latex.escape` prints each ASCII ``'`` and ``"`` with the command :func:`quote_commands`
chooses; base/engine.tex.j2 defines them. On pdfTeX they take a curly glyph from Latin Modern's LY1
fonts, which the preamble maps back to ASCII font by font, so ``don't`` looks like don’t and still
extracts as ``don't``. On XeLaTeX they print straight: a Noto font's only curly glyph extracts as
U+2019 / U+201C / U+201D.

A run of quotes (``''``, ``"'``) takes one form, from the characters on either side of it:

- after anything but the start, a space, an opening bracket, quote or a dash: closing (’ ”), which
  is also the apostrophe (``don't``, ``O'Brien``, ``5'11"``);
- otherwise, before anything but a space or the end: opening (‘ “). ``'90s`` therefore opens, as in
  most word processors; only its look is wrong, its text is as typed;
- otherwise, alone between spaces: straight (' ").
"""

from __future__ import annotations

import re

QUOTE = re.compile("['\"]")
_RUN = re.compile("['\"]+")
_OPENS_AFTER = frozenset("([{<‘“«‹„‚-‐–—/")
_COMMANDS = {
    ("'", "open"): r"\dplsquo{}",
    ("'", "close"): r"\dprsquo{}",
    ("'", "straight"): r"\textquotesingle{}",
    ('"', "open"): r"\dpldquo{}",
    ('"', "close"): r"\dprdquo{}",
    ('"', "straight"): r"\textquotedbl{}",
}


def _form(before: str, after: str) -> str:
    if not (before.isspace() or before in _OPENS_AFTER):
        return "close"
    return "straight" if after.isspace() else "open"


def quote_commands(text: str) -> dict[int, str]:
    """The LaTeX command for each ASCII quote of ``text``, by its position. Linear in the text."""
    if "'" not in text and '"' not in text:
        return {}  # the common case
    commands = {}
    for run in _RUN.finditer(text):
        start, end = run.span()
        form = _form(text[start - 1] if start else " ", text[end] if end < len(text) else " ")
        for at in range(start, end):
            commands[at] = _COMMANDS[text[at], form]
    return commands
