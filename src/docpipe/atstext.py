"""The source's words against the words a parser extracted: how many were found.

Normalisation, the same on both sides:

- Unicode NFKC (so a ligature glyph reads as its letters here: ligatures are reported on their own),
  then typographic quotes and apostrophes become ``'`` and ``"``, and every dash, hyphen and minus
  sign becomes ``-``; soft hyphens, zero-width and bidirectional marks are dropped.
- Case is kept: a parser that gets ``SQL`` as ``sql`` got it wrong. One exception: an extracted word
  matches a source word it is the capitals of, since templates set headings in capitals on purpose
  (``EXPERIENCE``) and parsers read those as the words they are.
- Words are split at whitespace (so whitespace is normalised by construction); each wide character
  (CJK, emoji) is a word of its own, as those scripts put no spaces between words. Sentence punctuation
  and bullets at a word's edges (``,.;:!?()[]{}"'·•``) are dropped; hyphens and slashes are kept.
  A word of punctuation alone (a dash between dates, an ``&``) is a separator, not content: dropped.
- Soft line-wrap splits: where an extracted line ends in a word that is not a source word, it is
  joined with the first words of the next lines (up to ``_MAX_JOINED_LINES``), without the hyphen at a
  break and then with it, when that makes a source word. So a word TeX hyphenated (``transac-`` /
  ``tions``) or a URL it broke (``github.com/ada/`` / ``tinyqueue``) is one word again, while
  ``Lambda-`` / ``based`` stays ``Lambda-based``.

Where each text landed among the extracted words is :mod:`docpipe.atslayout`'s.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

_REPLACED: dict[str, str | None] = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
    # Invisible: soft hyphen, zero-width characters, byte-order mark, bidirectional marks.
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"),
}
_CANONICAL = str.maketrans(_REPLACED)
_EDGES = ",.;:!?()[]{}\"'\u00b7\u2022\u2023\u25e6\u25aa\u25cf"
_MAX_JOINED_LINES = 4


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_CANONICAL)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _split_wide(token: str) -> list[str]:
    """``token`` with each wide character (CJK, emoji) made a word of its own."""
    if token.isascii():
        return [token]
    out: list[str] = []
    narrow = ""
    for char in token:
        if _wide(char):
            out.extend((narrow, char) if narrow else (char,))
            narrow = ""
        else:
            narrow += char
    return [*out, narrow] if narrow else out


def _clean(token: str) -> list[str]:
    stripped = token.strip(_EDGES)
    return [word for piece in _split_wide(stripped) if _counts(word := piece.strip(_EDGES))]


def _counts(word: str) -> bool:
    """Whether ``word`` is content: a separator made of punctuation alone (``–``, ``&``) is layout."""
    return any(not unicodedata.category(char).startswith("P") for char in word)


def words(text: str) -> list[str]:
    """``text``'s words, normalised (no line-wrap joining: for source texts)."""
    return [word for token in normalise(text).split() for word in _clean(token)]


class Vocabulary:
    """The source's words, and which strings begin one (for joining a word broken over lines)."""

    def __init__(self, source_words: Iterable[str]) -> None:
        self.words = set(source_words)
        self._sorted = sorted(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def begins_word(self, prefix: str) -> bool:
        at = bisect.bisect_left(self._sorted, prefix)
        return at < len(self._sorted) and self._sorted[at].startswith(prefix)


def extracted_words(text: str, vocabulary: Vocabulary) -> list[str]:
    """The extracted ``text``'s words, normalised, with words wrapped over lines joined (see above)."""
    lines = [tokens for line in normalise(text).splitlines() if (tokens := line.split())]
    out: list[str] = []
    for row, tokens in enumerate(lines):
        if not tokens:
            continue  # its only word was joined to the line before
        joined, used = _join_wrapped(tokens[-1], lines[row + 1 : row + 1 + _MAX_JOINED_LINES], vocabulary)
        for taken in range(row + 1, row + 1 + used):
            lines[taken] = lines[taken][1:]
        out.extend(word for token in [*tokens[:-1], joined] for word in _clean(token))
    return out


def _join_wrapped(tail: str, following: Sequence[list[str]], vocabulary: Vocabulary) -> tuple[str, int]:
    """``tail`` joined with the first words of ``following`` lines into a source word, and how many
    lines that used; ``(tail, 0)`` when ``tail`` is a word already or no join makes one."""
    if tail.strip(_EDGES) in vocabulary or not following:
        return tail, 0
    forms = [tail]
    for used, line in enumerate(following, start=1):
        if not line:
            break
        forms = [form[:-1] + line[0] for form in forms if form.endswith("-")] + [f + line[0] for f in forms]
        for form in forms:
            if form.strip(_EDGES) in vocabulary:
                return form, used
        forms = [form for form in forms if vocabulary.begins_word(form.lstrip(_EDGES))]
        if not forms or len(line) > 1:
            break  # a line that goes on after the piece ends the word there
    return tail, 0


def same(extracted: str, source: str) -> bool:
    """Whether an extracted word is a source word: itself, or in capitals (see the module docstring)."""
    return extracted == source or extracted == source.upper()


def missing_words(source: Sequence[str], extracted: Sequence[str]) -> Counter[str]:
    """``source``'s words (counted with repeats) that ``extracted`` lacks."""
    missing = Counter(source) - Counter(extracted)
    spare = Counter(extracted) - Counter(source)
    for word in list(missing):  # then the words printed in capitals
        taken = min(missing[word], spare[word.upper()])
        missing[word] -= taken
        spare[word.upper()] -= taken
    return +missing


def mirrored(missing: Counter[str], extracted: Sequence[str]) -> int:
    """How many ``missing`` right-to-left words ``extracted`` has backwards: read in visual order, as
    pdfminer reads Arabic and Hebrew (it has no bidirectional algorithm; no PDF can change that)."""
    backwards = Counter(word[::-1] for word in extracted)
    return sum(min(count, backwards[word]) for word, count in missing.items() if len(word) > 1 and _rtl(word))


def _rtl(word: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in word)
