"""Where each source text landed among the words a parser extracted, and what that says of entries.

A text is laid over the extracted words as a few runs of consecutive words, the longest first. A
run of one word that is not the whole text proves nothing (a lone ``and`` is everywhere) and places
nothing. Texts whose every run occurs once are placed first, wherever they are: they are the anchors.
A text that could land in several places (a city in the contact line and in a job, a job title that
is also the headline) is placed after them, in reading order, where it is nearest to its neighbours:
just after the text before it, or just before the next anchor. So the reading order of the source
decides between equals, never the order the texts are looked for in.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from docpipe.atstext import same

_CANDIDATES = 32
"""Occurrences of a word tried on each side of a point: bounds the work on repetitive text."""

Run = tuple[int, int]
"""(first extracted position, number of words)."""


@dataclass(frozen=True)
class Owner:
    """A source text: part ``part`` of entry ``entry``, or (``entry`` None) text ``part`` outside
    every entry."""

    entry: int | None
    part: int


class Layout:
    def __init__(self, extracted: Sequence[str]) -> None:
        self.words = list(extracted)
        self.owners: list[Owner | None] = [None] * len(self.words)
        self._at: dict[str, list[int]] = {}
        for position, word in enumerate(self.words):
            self._at.setdefault(word, []).append(position)

    def place(self, texts: Sequence[tuple[Owner, Sequence[str]]]) -> None:
        """Lay every text (in reading order) over the extracted words: anchors first (see above)."""
        extents = [self._commit(owner, self._runs(tokens)) for owner, tokens in texts]
        following = [len(self.words)] * (len(texts) + 1)
        for k in range(len(texts) - 1, -1, -1):
            extent = extents[k]
            following[k] = extent[0] if extent else following[k + 1]
        before = 0
        for k, (owner, tokens) in enumerate(texts):
            if extents[k] is None:
                extents[k] = self._commit(owner, self._runs(tokens, near=(before, following[k + 1])))
            extent = extents[k]
            before = extent[1] if extent else before

    def _commit(self, owner: Owner, runs: list[Run] | None) -> tuple[int, int] | None:
        if not runs:
            return None
        for start, length in runs:
            self.owners[start : start + length] = [owner] * length
        return min(start for start, _ in runs), max(start + length for start, length in runs)

    def _runs(self, tokens: Sequence[str], near: tuple[int, int] | None = None) -> list[Run] | None:
        """The runs ``tokens`` lie in: without ``near``, only if each is the one place it can be
        (else None); with ``near`` (the end of the text before, the start of the anchor after), the
        runs nearest to those."""
        runs: list[Run] = []
        taken: set[int] = set()
        i = 0
        while i < len(tokens):
            found = self._candidates(tokens, i, taken, near)
            if found is None:
                return None  # an anchor must be unambiguous
            start, length = found
            if length >= 2 or (length == 1 and len(tokens) == 1):
                runs.append((start, length))
                taken.update(range(start, start + length))
                if near is not None:
                    near = (start + length, near[1])
            i += max(length, 1)
        return runs

    def _candidates(
        self, tokens: Sequence[str], i: int, taken: set[int], near: tuple[int, int] | None
    ) -> Run | None:
        """The best run starting at ``tokens[i]`` ((0, 0) if none), or None when an anchor is sought
        and the longest run occurs more than once."""
        word = tokens[i]
        # Where it is, and where it is in capitals: each list is sorted, and only read around points.
        lists = [self._at.get(word, [])] + ([self._at.get(word.upper(), [])] if word.upper() != word else [])
        if near is None:
            if sum(map(len, lists)) > 2 * _CANDIDATES:
                return None  # too common to be an anchor
            positions = [p for each in lists for p in each]
        else:
            positions = [p for each in lists for p in _around(each, near)]
        runs = [(start, self._run(tokens, i, start, taken)) for start in positions]
        runs = [run for run in runs if run[1]]
        if not runs:
            return (0, 0)
        longest = max(length for _, length in runs)
        best = [run for run in runs if run[1] == longest]
        if near is None:
            return best[0] if len(best) == 1 else None
        return min(best, key=lambda run: _distance(run, near))

    def _run(self, tokens: Sequence[str], i: int, start: int, taken: set[int]) -> int:
        length = 0
        while (
            i + length < len(tokens)
            and start + length < len(self.words)
            and self.owners[start + length] is None
            and start + length not in taken
            and same(self.words[start + length], tokens[i + length])
        ):
            length += 1
        return length

    def placed(self) -> dict[int, list[int]]:
        """Each entry's extracted positions, in order (entries placed nowhere are absent)."""
        placed: dict[int, list[int]] = {}
        for position, owner in enumerate(self.owners):
            if owner is not None and owner.entry is not None:
                placed.setdefault(owner.entry, []).append(position)
        return placed

    def is_split(self, entry: int, positions: Sequence[int]) -> bool:
        """Whether text of anything else lies between the first and last word of ``entry``."""
        between = self.owners[positions[0] : positions[-1] + 1]
        return any(owner is not None and owner.entry != entry for owner in between)

    def inversion(self, positions: Sequence[int], ranks: Sequence[int]) -> tuple[int, int] | None:
        """The first (part, part of lower rank) where, read in extraction order, an entry's parts go
        back to a lower rank (``ranks[part]``); None when they never do."""
        parts = [owner.part for p in positions if (owner := self.owners[p]) is not None]
        return next(((a, b) for a, b in itertools.pairwise(parts) if ranks[b] < ranks[a]), None)


def _around(positions: list[int], near: tuple[int, int]) -> list[int]:
    """At most ``_CANDIDATES`` positions on each side of each of the two points."""
    picked: set[int] = set()
    for point in near:
        middle = bisect.bisect_left(positions, point)
        picked.update(positions[max(0, middle - _CANDIDATES) : middle + _CANDIDATES])
    return sorted(picked)


def _distance(run: Run, near: tuple[int, int]) -> int:
    """How far ``run`` is from just after the text before it or just before the anchor after it;
    being on the wrong side of either counts double."""
    start, length = run
    before, after = near
    end = start + length
    from_before = start - before if start >= before else 2 * (before - start) + 1
    to_after = after - end if end <= after else 2 * (end - after) + 1
    return min(from_before, to_after)
