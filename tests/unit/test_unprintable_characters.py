"""The control-character class of the schema is exactly the Unicode categories it stands for."""

import unicodedata

from docpipe.fields import UNPRINTABLE

BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def expected(ch: str) -> bool:
    return (unicodedata.category(ch) in {"Cc", "Cs"} and ch not in "\t\n\r") or ch in BIDI_CONTROLS


def test_the_compiled_class_matches_the_unicode_categories() -> None:
    for code in range(0x10000):  # every Cc, Cs and bidi control lies in the BMP
        ch = chr(code)
        assert bool(UNPRINTABLE.fullmatch(ch)) == expected(ch), f"U+{code:04X}"
