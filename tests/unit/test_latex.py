"""latex.escape / url / link: user text to LaTeX that can only ever print that text.

These check the TeX source; tests/integration/test_renderer.py checks what TeX then prints.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docpipe import fonts, latex
from docpipe.latex import TeX, display_url, escape, fallback_fonts, link, url
from docpipe.linebreaks import BREAK, CHUNK, LONG_WORD

SPECIALS = {
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
}


def command_for(family: str) -> str:
    """The font-switch command escape() uses for a fallback family (from fonts.json's order)."""
    for index, (name, _) in enumerate(fonts.table().fallbacks, start=1):
        if name == family:
            return latex._font_command(index)
    raise AssertionError(f"{family} is not a fallback font")


@pytest.mark.parametrize(("char", "tex"), SPECIALS.items())
def test_each_of_the_ten_specials(char: str, tex: str) -> None:
    assert escape(char) == tex
    assert escape(f"a{char}b") == f"a{tex}b"


def test_all_ten_together_backslash_first() -> None:
    # Were "\" replaced after "{" and "}", "\{" would come out as "\textbackslash\{\}" and so on.
    assert escape("\\{}$&#%_^~") == "".join(SPECIALS.values())
    assert escape("\\textbf{x}") == r"\textbackslash{}textbf\{x\}"
    assert escape("\\\\") == r"\textbackslash{}\textbackslash{}"
    assert escape("^^5c") == r"\textasciicircum{}\textasciicircum{}5c"


@pytest.mark.parametrize(
    ("text", "tex"),
    [
        ("<", r"\textless{}"),
        (">", r"\textgreater{}"),
        ("|", r"\textbar{}"),
        ('"', r"\textquotedbl{}"),  # a quote on its own prints straight (typography.py)
        ("'", r"\textquotesingle{}"),
        ("`", r"\textasciigrave{}"),
        ("‘a’", r"\textquoteleft{}a\textquoteright{}"),
        ("“a”", r"\textquotedblleft{}a\textquotedblright{}"),
        ("1–2", r"1\textendash{}2"),
        ("a—b", r"a\textemdash{}b"),
    ],
)
def test_characters_t1_fonts_would_print_as_something_else(text: str, tex: str) -> None:
    assert escape(text) == tex


@pytest.mark.parametrize(
    ("text", "tex"),
    [
        ("a--b", "a-{}-b"),  # not an en dash
        ("a---b", "a-{}-{}-b"),  # not an em dash
        ("x,,y", "x,{},y"),  # not a low double quote
        ("!`", r"!\textasciigrave{}"),  # not an inverted exclamation mark
        ("?`", r"?\textasciigrave{}"),  # not an inverted question mark
        ("''", r"\textquotesingle{}\textquotesingle{}"),  # not a closing double quote
        ("x''", r"x\dprsquo{}\dprsquo{}"),  # nor here: two commands, never the pair of characters
        ("``", r"\textasciigrave{}\textasciigrave{}"),  # not an opening double quote
        ("<<", r"\textless{}\textless{}"),  # not a guillemet
        ("a-b", "a-b"),  # a single hyphen is a hyphen
        ("well-known, yes", "well-known, yes"),
    ],
)
def test_ligatures_that_would_change_the_text_are_broken(text: str, tex: str) -> None:
    assert escape(text) == tex


@pytest.mark.parametrize(
    ("text", "tex"),
    [
        ("don't", r"don\dprsquo{}t"),  # an apostrophe between letters: closing, like ’
        ("O'Brien's", r"O\dprsquo{}Brien\dprsquo{}s"),
        ("'single' and \"double\"", r"\dplsquo{}single\dprsquo{} and \dpldquo{}double\dprdquo{}"),
        ("5'11\"", r"5\dprsquo{}11\dprdquo{}"),
        (
            '("a") [\'b\'] —"c"',
            r"(\dpldquo{}a\dprdquo{}) {[}\dplsquo{}b\dprsquo{}{]} \textemdash{}\dpldquo{}c\dprdquo{}",
        ),
        ("\"'nested'\"", r"\dpldquo{}\dplsquo{}nested\dprsquo{}\dprdquo{}"),  # a run takes one form
        ("a ' b \" c", r"a \textquotesingle{} b \textquotedbl{} c"),  # alone: straight
        ("a\u00a0'x", r"a~\dplsquo{}x"),  # a no-break space is a space
    ],
)
def test_ascii_quotes_take_their_curly_form_from_the_context(text: str, tex: str) -> None:
    # Only the look: base/engine.tex.j2 maps these glyphs back to the ASCII typed (test_typography.py).
    assert escape(text) == tex


def test_the_quote_context_reaches_across_break_points() -> None:
    word = "x" * 9 + "'" + "y" * 20  # a long word: a break point may fall next to the quote
    escaped = escape(word).replace(BREAK, "")
    assert escaped == "x" * 9 + r"\dprsquo{}" + "y" * 20


@pytest.mark.parametrize(
    ("text", "tex"),
    [("\ufb01ne", "fine"), ("e\ufb00ort \ufb04", "effort ffl"), ("\ufb05\ufb06", "stst")],
)
def test_presentation_form_ligatures_become_their_letters(text: str, tex: str) -> None:
    assert escape(text) == tex
    assert not fonts.needs_unicode_engine(text)


@pytest.mark.parametrize(
    ("text", "tex"),
    [
        ("  a \t\n b\r\n\nc  ", "a b c"),
        ("a\u2003b\u3000c\u202fd\u2028e", "a b c d e"),
        ("10\u00a0km", "10~km"),  # a no-break space stays one
        ("soft\u00adhyphen", r"soft\-hyphen"),
        ("zero\u200bwidth", r"zero\hspace{0pt}width"),
        ("\ufeffbom", "bom"),
        ("emoji\ufe0f", "emoji"),
        ("e\u0301", "é"),  # NFC: one character, as the font has it
        ("", ""),
    ],
)
def test_whitespace_and_invisible_characters(text: str, tex: str) -> None:
    assert escape(text) == tex


def test_long_words_get_break_points_every_ten_characters() -> None:
    # (tests/unit/test_linebreaks.py has the rules; this is how escape() writes them.)
    word = "x" * (LONG_WORD + 1)
    assert CHUNK == 10
    assert escape(word) == BREAK.join(["x" * 10, "x" * 10, "x"])
    assert BREAK not in escape("y" * LONG_WORD)
    assert BREAK not in escape(" ".join(["z" * LONG_WORD] * 5))
    # The break points go between characters, never inside an escape.
    escaped = escape("%" * 25 + "\\" * 10)
    assert escaped.replace(BREAK, "") == r"\%" * 25 + r"\textbackslash{}" * 10
    assert escaped.count(BREAK) == 3


@pytest.mark.parametrize("text", ["[VERIFIED] Led the team", "[unterminated", "*starred", "a]b[c*d"])
def test_brackets_and_the_star_are_never_syntax(text: str) -> None:
    # "\item [x]" reads x as the label, "\\*" and "\\[2pt]" are options: grouped, they are text.
    escaped = escape(text)
    assert escaped == text.replace("[", "{[}").replace("]", "{]}").replace("*", "{*}")
    assert not re.search(r"(?<!\{)[\[\]*]|[\[\]*](?!\})", escaped)


def test_a_url_as_text_is_escaped_like_any_text() -> None:
    escaped = escape("https://a.b/c_d%20e#f~g&h")
    assert escaped.replace(BREAK, "") == r"https://a.b/c\_d\%20e\#f\textasciitilde{}g\&h"


def test_cjk_runs_switch_to_their_fallback_font() -> None:
    cjk = command_for("Noto Sans CJK SC")
    assert escape("中文") == f"{{{cjk}{{}}中文}}"
    assert escape("Hello 中文 world") == f"Hello {{{cjk}{{}}中文}} world"
    # A space between two CJK words is set in the surrounding font, the script's own punctuation not.
    assert escape("中文 日本。") == f"{{{cjk}{{}}中文}} {{{cjk}{{}}日本。}}"
    assert escape("(中文), x") == f"({{{cjk}{{}}中文}}), x"
    assert fallback_fonts("Hello 中文") == {cjk[1:]: "Noto Sans CJK SC"}


def test_rtl_runs_are_wrapped_in_beginr_endr() -> None:
    arabic = command_for("Noto Sans Arabic")
    assert escape("مرحبا بالعالم") == f"\\beginR {{{arabic}{{}}مرحبا}} {{{arabic}{{}}بالعالم}}\\endR{{}}"
    mixed = escape("Hi مرحبا 100%")
    assert mixed == f"Hi \\beginR {{{arabic}{{}}مرحبا}}\\endR{{}} 100\\%"
    hebrew = command_for("Noto Sans Hebrew")
    assert escape("שלום") == f"\\beginR {{{hebrew}{{}}שלום}}\\endR{{}}"


def test_punctuation_inside_a_script_run_is_printed_in_the_surrounding_font() -> None:
    # Noto Sans Hebrew has no comma, Noto Sans Arabic no slash (Noto Sans Tamil Supplement not even a
    # space): set in those fonts, \tracinglostchars=3 would fail the render. They stay in the RTL segment.
    hebrew = command_for("Noto Sans Hebrew")
    assert escape("שלום, עולם") == f"\\beginR {{{hebrew}{{}}שלום}}, {{{hebrew}{{}}עולם}}\\endR{{}}"
    arabic = command_for("Noto Sans Arabic")
    assert escape("مرحبا / عالم") == f"\\beginR {{{arabic}{{}}مرحبا}} / {{{arabic}{{}}عالم}}\\endR{{}}"
    # The script's own punctuation stays in its font.
    cjk = command_for("Noto Sans CJK SC")
    assert escape("中文，日本") == f"{{{cjk}{{}}中文，日本}}"


def test_trailing_punctuation_leaves_the_right_to_left_segment() -> None:
    hebrew = command_for("Noto Sans Hebrew")
    assert escape("שלום\\x.") == f"\\beginR {{{hebrew}{{}}שלום}}\\endR{{}}\\textbackslash{{}}x."
    assert escape("(שלום).") == f"(\\beginR {{{hebrew}{{}}שלום}}\\endR{{}})."


def test_scripts_the_main_font_has_need_no_fallback() -> None:
    assert escape("Ελληνικά Русский") == "Ελληνικά Русский"
    assert fallback_fonts("Ελληνικά Русский café") == {}


def test_specials_inside_a_fallback_run_are_still_escaped() -> None:
    cjk = command_for("Noto Sans CJK SC")
    assert escape("中文}\\中") == f"{{{cjk}{{}}中文}}\\}}\\textbackslash{{}}{{{cjk}{{}}中}}"


def groups(template: str, **families: str) -> str:
    """``template`` with each ``{X`` opening a group in the font of the fallback family ``X=...``."""
    for name, family in families.items():
        template = template.replace("{" + name, "{" + command_for(family) + "{}")
    return template


CJK = {"C": "Noto Sans CJK SC"}


def test_quotes_inside_a_fallback_run_print_straight_and_after_it_by_context() -> None:
    # Inside a run (XeLaTeX only, where ASCII quotes print straight anyway) a quote is any character.
    assert escape("中 '文") == groups(r"{C中} \textquotesingle{}{C文}", **CJK)
    assert escape('中 "文" x') == groups(r"{C中} \textquotedbl{}{C文}\dprdquo{} x", **CJK)
    assert escape("中' x") == groups(r"{C中}\dprsquo{} x", **CJK)


def test_invisible_characters_part_font_groups() -> None:
    assert escape("中\u200e文") == groups("{C中}{C文}", **CJK)
    assert escape("中-\u200e-文") == groups("{C中}-{}-{C文}", **CJK)
    # A right-to-left mark is invisible, and right-to-left: the run it is in is too.
    assert escape("中\u200f文") == groups(r"\beginR {C中}{C文}\endR{}", **CJK)


def test_break_points_fall_inside_a_fallback_font_group() -> None:
    devanagari = groups(r"{Dकखगघङकखगघङ\dpbreak{}कखगघङकखगघङ\dpbreak{}कखगघङ}", D="Noto Sans Devanagari")
    assert escape("कखगघङ" * 5) == devanagari
    hebrew = groups(r"\beginR {Hשששששששששש\dpbreak{}שששששששששש\dpbreak{}ששששש}\endR{}", H="Noto Sans Hebrew")
    assert escape("ש" * 25) == hebrew


def test_characters_beyond_u_ffff_join_their_font_group() -> None:
    assert escape("中\U0001f200文") == groups("{C中\U0001f200文}", **CJK)
    assert escape("\u2600😀\u2601") == groups("{C\u2600}{S😀}{C\u2601}", S="Symbola", **CJK)


# --- what escape() relies on to scan text in C -----------------------------------------------------------


def every_character() -> str:
    return "".join(map(chr, range(0x110000)))


def test_every_right_to_left_character_is_in_the_blocks_escape_looks_in() -> None:
    every = every_character()
    rtl = {ch for ch in every if unicodedata.bidirectional(ch) in ("R", "AL")}
    assert rtl <= set(latex._RTL_BLOCKS.findall(every))


def test_the_odd_spaces_are_the_whitespace_but_a_space_and_a_no_break_space() -> None:
    every = every_character()
    assert latex._ODD_SPACE.findall(every) == [ch for ch in every if ch.isspace() and ch not in " \u00a0"]


def test_the_marks_are_characters_no_text_escape_accepts_can_hold() -> None:
    marks = latex._MARKS
    table = fonts.table()
    assert [table.font_for(mark) for mark in marks] == [None] * len(marks)  # escape() refuses them
    assert not any(mark.isspace() for mark in marks)  # (nor does it turn them into spaces)
    for index in range(len(table.fallbacks) + 1):  # nor are they in a font's class, even with its gaps
        assert table.pattern("{chars}", {index}, exact=False).search(marks) is None


def test_unprintable_characters_raise_naming_them() -> None:
    with pytest.raises(ValueError, match=r"no installed font can print U\+E000"):
        escape("a\ue000")


def test_escape_returns_tex() -> None:
    assert isinstance(escape("x"), TeX)
    assert isinstance(url("example.com"), TeX)
    assert isinstance(link("example.com"), TeX)


# --- links ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("https://example.com", "https://example.com"),
        ("example.com/path", "https://example.com/path"),
        ("http://x.org/a_b", "http://x.org/a_b"),
        ("https://x.org/a%20b", r"https://x.org/a\%20b"),
        ("https://x.org/#frag", r"https://x.org/\#frag"),
        ("https://x.org/?a=1&b=2", r"https://x.org/?a=1\&b=2"),
        ("https://x.org/~user", r"https://x.org/\%7Euser"),
        ("https://x.org/\\input{/etc/passwd}", r"https://x.org/\%5Cinput\%7B/etc/passwd\%7D"),
        ("https://x.org/^^5c", r"https://x.org/\%5E\%5E5c"),
        ("https://x.org/ü?q=ä", r"https://x.org/\%C3\%BC?q=\%C3\%A4"),
        ("https://x.org/\"'<>|`", r"https://x.org/\%22'\%3C\%3E\%7C\%60"),
        ("mailto:ada@example.com", "mailto:ada@example.com"),
    ],
)
def test_url_targets_are_percent_encoded_and_tex_safe(address: str, target: str) -> None:
    assert url(address) == target
    # Nothing in a target can start a command except the escapes \% \# \&.
    assert re.sub(r"\\[%#&]", "", url(address)).count("\\") == 0
    assert not set("{}~^ $_") & set(re.sub(r"[_~]", "", url(address)))


def test_links_print_the_address_as_written_without_the_scheme() -> None:
    assert link("https://www.example.com/a_b/") == r"\href{https://www.example.com/a_b/}{example.com/a\_b}"
    assert link("mailto:ada@example.com", "ada@example.com") == (
        r"\href{mailto:ada@example.com}{ada@example.com}"
    )
    assert link("https://x.org/{}", "My {talk}") == r"\href{https://x.org/\%7B\%7D}{My \{talk\}}"


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("https://www.example.com/", "example.com"),
        ("HTTP://Example.com/x/", "Example.com/x"),
        ("mailto:a@b.co", "a@b.co"),
        ("github.com/ada", "github.com/ada"),
    ],
)
def test_display_url(address: str, shown: str) -> None:
    assert display_url(address) == shown


# --- the structural guarantee, for any text ------------------------------------------------------------

# Everything escape() may emit that is not plain text: fixed commands, escaped specials, font groups.
_ALLOWED_MARKUP = re.compile(
    r"\\(?:text[a-z]+|allowbreak|dpbreak|dp[lr][sd]quo|hspace\{0pt\}|endR)\{\}"
    r"|\\hspace\{0pt\}|\\beginR |\\[{}$&#%_-]|\{\\docpipefont[A-Z]+\{\}|-\{\}|,\{\}|\{[\[\]*]\}"
)
_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        st.sampled_from(
            "\\{}$&#%_^~<>|\"'`-,!?[]*/\u00a0\u00ad\u200b‘’“”–—…€中文日本مرحباשלוםΕλληνικάРусский"
        ),
    ),
    max_size=120,
).filter(lambda s: not fonts.unprintable(s))


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_escaped_text_has_no_live_markup(text: str) -> None:
    escaped = escape(text)
    rest = _ALLOWED_MARKUP.sub("", escaped)
    # Closing braces left over are exactly those of the font groups escape() opened.
    groups = escaped.count(r"{\docpipefont")
    assert rest.count("}") == groups
    rest = rest.replace("}", "")
    assert not set(rest) & set("\\{}$&#%_^"), (text, escaped)
    # "~" only ever comes from a no-break space, and "--" / ",," never survive as ligatures.
    assert rest.count("~") <= text.count("\u00a0")
    assert "--" not in escaped
    assert ",," not in escaped


def test_only_latex_and_the_join_filter_construct_tex() -> None:
    """``TeX`` skips escaping: a new place that makes one is a new way for user text to reach TeX."""
    package = Path(latex.__file__).parent
    makers = set()
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                callee = node.func
                name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                if name == "TeX":
                    makers.add(path.relative_to(package).as_posix())
    assert makers == {"latex.py", "templates.py"}
