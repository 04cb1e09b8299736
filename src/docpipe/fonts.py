"""Which characters each TeX engine and font can print, from a table generated off the installed TeX.

The table (``fonts.json``) is committed so that the submit function, which has no TeX, rejects
untypesettable text up front with the same answer the renderer would reach. ``make fonts`` rebuilds
it from the packages in ``layers/texlive/packages.txt``; a test checks it matches what is installed.

- ``pdftex``: characters pdflatex prints with T1/TS1 encodings (from LaTeX's own ``*.dfu`` tables),
  limited to the Latin blocks the templates' Type 1 fonts really carry, and the ellipsis (LY1).
- ``main``: what the XeLaTeX main fonts (Noto Serif and Noto Sans) both cover.
- ``fallbacks``: further fonts, in order; a character goes to the first that has it.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import subprocess
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

TABLE_PATH = Path(__file__).parent / "fonts.json"
MAIN_FAMILIES = ("Noto Serif", "Noto Sans")
# Tried first: the scripts résumés are most often written in beyond Latin, Greek and Cyrillic.
PREFERRED_FALLBACKS = ("Noto Sans CJK SC", "Noto Sans Symbols", "Noto Sans Symbols2", "Noto Sans Math")
LAST_RESORT = ("Symbola",)
# Type 1 fonts (lmodern, charter, helvet) carry these Unicode blocks; pdflatex gets nothing else.
# Beyond Latin-1 and Latin Extended-A: punctuation (U+2010..2044), the florin, and the currency and
# letterlike symbols TS1 gives Latin Modern (₡ ₤ ₦ ₩ ₫ € ₱, ℃ № ℗ ℠ ™); each extracts as itself
# (tests/integration/test_typography.py). Not U+2126 OHM SIGN: NFC makes it a Greek capital omega.
_PDFTEX_BLOCKS = (
    (0x20, 0x7E), (0xA0, 0x17F), (0x192, 0x192), (0x2010, 0x2044), (0x20A1, 0x20B1), (0x2103, 0x2103),
    (0x2116, 0x2117), (0x2120, 0x2120), (0x2122, 0x2122),
)  # fmt: skip
# Declared by LaTeX's kernel rather than t1enc/ts1enc.dfu, and typeset from Latin Modern's LY1 fonts
# (base/engine.tex.j2), whose glyph is named so that it extracts as itself: the ellipsis.
_PDFTEX_EXTRA = frozenset({0x2026})
_SKIP_FAMILY = re.compile(r"\b(UI|Mono|Display|Unjoined|Looped|CJK (?!SC))\b")

# Invisible format characters: dropped (variation selectors, BOM, bidi marks, word joiner).
IGNORABLE = frozenset(
    [*map(chr, range(0xFE00, 0xFE10)), "\ufeff", "\u200e", "\u200f", "\u2060", "\u200b", "\u00ad"]
)
# Presentation-form ligatures (U+FB00..FB06), pasted from another PDF: printed as their letters, which
# the fonts ligate by themselves, so the text layer (search, an ATS's keyword match) reads "fi", never
# U+FB01, and the characters do not send a Latin document to XeLaTeX.
LIGATURE_LETTERS = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}
# Runs of whitespace become one space, except the no-break space: the user put it there so that
# "10\u00a0km" never breaks, and latex.escape spells it as a tie (``~``). (``\s`` already covers
# every Unicode space separator: U+2000..U+200A, U+202F, U+205F, U+3000.)
WHITESPACE = re.compile(r"[^\S\u00a0]+")
_ALL = r"\x00-\U0010ffff"


Ranges = list[tuple[int, int]]


@dataclass(frozen=True)
class Coverage:
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, ranges: Iterable[Iterable[int]]) -> Coverage:
        pairs = sorted((int(a), int(b)) for a, b in ranges)
        return cls(tuple(a for a, _ in pairs), tuple(b for _, b in pairs))

    def __contains__(self, ch: object) -> bool:
        if not isinstance(ch, str):
            return False
        code = ord(ch)
        i = bisect.bisect_right(self.starts, code) - 1
        return i >= 0 and code <= self.ends[i]


@dataclass(frozen=True)
class FontIndex:
    """Every font's ranges merged into one sorted table: a character's font is one bisection away.

    Trying the fallbacks in order cost one bisection per font (over a hundred) for a character of a
    late font (Yi, Symbola); a 256 KiB document of such characters spent seconds choosing fonts.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    fonts: tuple[int, ...]

    @classmethod
    def of(cls, coverages: Iterable[tuple[int, Coverage]]) -> FontIndex:
        rows = sorted(
            (a, b, font) for font, cov in coverages for a, b in zip(cov.starts, cov.ends, strict=True)
        )
        for (_, end, first), (start, _, second) in itertools.pairwise(rows):
            if start <= end:  # build_table gives each character to one font only
                raise ValueError(f"fonts {first} and {second} both claim U+{start:04X}")
        return cls(*(tuple(column) for column in zip(*rows, strict=True)))

    def font_of(self, code: int) -> int | None:
        i = bisect.bisect_right(self.starts, code) - 1
        return self.fonts[i] if i >= 0 and code <= self.ends[i] else None


@dataclass(frozen=True)
class FontTable:
    pdftex: Coverage
    main: Coverage
    fallbacks: tuple[tuple[str, Coverage], ...]
    # Each distinct character is looked up once per process: a document repeats its few hundred
    # characters thousands of times. Only printable characters are kept (~70,000 at most): the
    # unprintable ones are anything a request may send, and are refused anyway.
    _chosen: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _index: FontIndex = field(init=False, compare=False, repr=False)
    _patterns: dict[tuple[str, frozenset[int], bool, bool], re.Pattern[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        coverages = [(0, self.main), *((i, cov) for i, (_, cov) in enumerate(self.fallbacks, start=1))]
        object.__setattr__(self, "_index", FontIndex.of(coverages))

    def font_for(self, ch: str) -> int | None:
        """0 for the main font, k for fallback k (1-based), None when no font has the character."""
        chosen = self._chosen.get(ch)
        if chosen is None:
            chosen = self._probe(ch)
            if chosen is not None:
                self._chosen[ch] = chosen
        return chosen

    def _probe(self, ch: str) -> int | None:
        if ch.isspace() or ch in IGNORABLE:
            return 0
        return self._index.font_of(ord(ch))

    def family(self, index: int) -> str:
        return self.fallbacks[index - 1][0]

    def pattern(
        self, template: str, chosen: Iterable[int], astral: bool = True, exact: bool = True
    ) -> re.Pattern[str]:
        """``template`` compiled, ``{chars}`` in it standing for the class of the characters font_for
        gives one of the fonts ``chosen`` (0: the main font), ``{other}`` for its complement, ``{main}``
        for the main font's. Once per table: a class of thousands of ranges takes milliseconds to
        compile, and then scans text in C rather than a Python step per character.

        ``astral=False`` leaves out the ranges beyond U+FFFF, for text that has no such character: the
        engine tries those one by one for each character a class lacks (the rest is one bitmap lookup).
        ``exact=False`` lets a font's ranges run on over the gaps no font fills, for text that has no
        unprintable character: fewer ranges (CJK: 98 instead of 1967).
        """
        key = (template, frozenset(chosen), astral, exact)
        if key not in self._patterns:
            body, main = (_class_body(self._ranges(fonts, astral, exact)) for fonts in (key[1], {0}))
            # "[]" is no class: an empty one is written as the complement of everything.
            chars, other = (f"[{body}]", f"[^{body}]") if body else (f"[^{_ALL}]", f"[{_ALL}]")
            source = template.replace("{chars}", chars).replace("{other}", other)
            self._patterns[key] = re.compile(source.replace("{main}", f"[{main}]"))
        return self._patterns[key]

    def _ranges(self, chosen: Collection[int], astral: bool, exact: bool) -> Ranges:
        ranges: Ranges = []
        previous = None
        for start, end, font in zip(self._index.starts, self._index.ends, self._index.fonts, strict=True):
            if font in chosen and previous in chosen and not exact:
                ranges[-1] = (ranges[-1][0], end)  # no font has a character in the gap between
            elif font in chosen:
                ranges.append((start, end))
            previous = font
        # Whitespace and invisible characters are the main font's (_probe), wherever they lie.
        always = _main_always()
        ranges = [*ranges, *((c, c) for c in always)] if 0 in chosen else _cut(ranges, always)
        return ranges if astral else [(a, min(b, 0xFFFF)) for a, b in ranges if a <= 0xFFFF]

    @cached_property
    def beyond_pdftex(self) -> re.Pattern[str]:
        """A character pdflatex does not print, nor is it whitespace, invisible or a ligature's letters."""
        codes = (*_main_always(), *LIGATURE_LETTERS)
        ranges = [*zip(self.pdftex.starts, self.pdftex.ends, strict=True), *((c, c) for c in codes)]
        return re.compile(f"[^{_class_body(ranges)}]")


@cache
def _main_always() -> tuple[int, ...]:
    """What _probe gives the main font wherever it lies: every character str.isspace accepts (none is
    beyond U+3000, the ideographic space; tests/unit/test_latex_cost.py checks) and the invisible ones."""
    return tuple(sorted({code for code in range(0x3001) if chr(code).isspace()} | set(map(ord, IGNORABLE))))


def _cut(ranges: Ranges, codes: tuple[int, ...]) -> Ranges:
    """``ranges`` without the code points ``codes`` (a few dozen, sorted)."""
    out: Ranges = []
    for start, end in ranges:
        bounds = [start - 1, *(code for code in codes if start <= code <= end), end + 1]
        out += [(a + 1, b - 1) for a, b in itertools.pairwise(bounds) if a + 1 < b]
    return out


def _class_body(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(rf"\U{a:08x}" if a == b else rf"\U{a:08x}-\U{b:08x}" for a, b in sorted(ranges))


@cache
def table() -> FontTable:
    raw = json.loads(TABLE_PATH.read_text())
    return FontTable(
        pdftex=Coverage.of(raw["pdftex"]),
        main=Coverage.of(raw["main"]),
        fallbacks=tuple((f["family"], Coverage.of(f["ranges"])) for f in raw["fallbacks"]),
    )


def needs_unicode_engine(chars: Iterable[str]) -> bool:
    """True when some character is beyond what pdflatex prints: XeLaTeX must typeset it."""
    return table().beyond_pdftex.search(chars if isinstance(chars, str) else "".join(chars)) is not None


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` no installed font can print, sorted."""
    if text.isascii():
        return []  # the common case, on the submit hot path: every font has ASCII
    font_for = table().font_for
    return sorted(ch for ch in set(text) if font_for(ch) is None)


def describe(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


# --- building the table (needs fontconfig and TeX; run by `make fonts`, checked by a test) ---


def _to_ranges(codes: Iterable[int]) -> Ranges:
    ranges: Ranges = []
    for code in sorted(set(codes)):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _parse_charset(text: str) -> set[int]:
    codes: set[int] = set()
    for part in text.split():
        start, _, end = part.partition("-")
        codes.update(range(int(start, 16), int(end or start, 16) + 1))
    return codes


def _regular_faces() -> dict[str, set[int]]:
    out = subprocess.run(
        ["fc-list", "--format", "%{family[0]}|%{style[0]}|%{charset}\n"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    faces: dict[str, set[int]] = {}
    for line in out.splitlines():
        family, style, charset = line.split("|", 2)
        if style == "Regular":
            faces.setdefault(family, set()).update(_parse_charset(charset))
    return faces


def _pdftex_codes() -> set[int]:
    declared: set[int] = set()
    for name in ("t1enc.dfu", "ts1enc.dfu"):
        path = subprocess.run(["kpsewhich", name], check=True, capture_output=True, text=True).stdout.strip()
        declared |= {
            int(h, 16)
            for h in re.findall(r"\\DeclareUnicodeCharacter\{([0-9A-F]+)\}", Path(path).read_text())
        }
    blocks = {code for lo, hi in _PDFTEX_BLOCKS for code in range(lo, hi + 1)}
    return (declared | set(range(0x20, 0x7F)) | _PDFTEX_EXTRA) & (blocks | _PDFTEX_EXTRA)


def build_table() -> dict[str, object]:
    faces = _regular_faces()
    main = set.intersection(*(faces[f] for f in MAIN_FAMILIES))
    others = sorted(f for f in faces if f.startswith("Noto Sans ") and not _SKIP_FAMILY.search(f))
    order = [f for f in PREFERRED_FALLBACKS if f in faces]
    order += [f for f in others if f not in order] + [f for f in LAST_RESORT if f in faces]
    # fontspec measures a font's space when it selects it: with \tracinglostchars=3 a font without
    # U+0020 (Noto Sans Tamil Supplement) fails every document that uses it. Its characters are
    # better refused up front as unprintable.
    order = [f for f in order if 0x20 in faces[f]]
    seen = set(main)
    fallbacks = []
    for family in order:
        fresh = faces[family] - seen  # a font only needs the characters no earlier font had
        if fresh:
            fallbacks.append({"family": family, "ranges": _to_ranges(fresh)})
            seen |= fresh
    return {"pdftex": _to_ranges(_pdftex_codes() & main), "main": _to_ranges(main), "fallbacks": fallbacks}


def write_table(path: Path = TABLE_PATH) -> None:
    path.write_text(json.dumps(build_table(), separators=(",", ":")) + "\n")
