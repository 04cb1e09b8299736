"""The engine with real TeX: text round-trips into the PDF, engines and fonts, formats, the sandbox.

Hostile input has its own corpus in test_hostile.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdf_links import link_targets

from docpipe import catalog, fonts, formats, latex, templates
from docpipe.errors import InvalidDocument, RenderCrashed, RenderFailed, RenderTimeout
from docpipe.renderer import Renderer, RenderResult
from docpipe.templates import Source
from docpipe.validation import validate_request

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "docpipe" / "samples"
PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}
Render = Callable[[dict[str, Any]], tuple[RenderResult, Any]]  # (result, conftest.PdfText)
PdfText = Callable[[bytes], Any]


def resume(**data: Any) -> dict[str, Any]:
    return {"document_type": "resume", "data": {"personalInfo": dict(PERSON), **data}}


def minimal_source(document: str, preamble: str = "\\documentclass{article}") -> Source:
    """A hand-made document (bypassing the templates), for what no valid request can produce."""
    return Source(preamble, document, "pdftex", "docpipe-test-" + str(abs(hash(preamble)) % 10**8))


# --- text comes back out literally ----------------------------------------------------------------------

SPECIALS = [
    "\\", "{", "}", "$", "&", "#", "%", "_", "^", "~",
    "<", ">", "|", '"', "'", "`", "--", "---", ",,", "!`", "?`", "``", "''", "<<", ">>",
    "‘", "’", "“", "”", "–", "—", "€", "™", "§", "¶", "©", "®", "°", "±", "µ", "·", "¿", "¡", "«", "»",
    "ß", "Æ", "œ", "ø", "Ł", "ı", "ğ", "Ž", "fi", "ffl",
]  # fmt: skip


def test_every_special_character_round_trips_literally(render: Render) -> None:
    items = [f"Q{i:02d}Q x{ch}y [{ch}] {ch}{ch}" for i, ch in enumerate(SPECIALS)]
    result, text = render(
        resume(
            professionalSummary=" ".join(SPECIALS),
            achievements=items,
            personalInfo={**PERSON, "name": "Zoë \\ {Ada} $ & # % _ ^ ~ Lovelace"},
        )
    )
    assert result.engine == "pdftex"
    for item in items:
        assert text.contains(item), item
    assert text.contains(" ".join(SPECIALS))
    assert text.contains("Zoë \\ {Ada} $ & # % _ ^ ~ Lovelace")


def test_long_words_wrap_instead_of_running_off_the_page(render: Render) -> None:
    word = "Supercalifragilistic" * 6  # 120 characters, no hyphenation points TeX knows of
    _, text = render(resume(professionalSummary=f"Before {word} after."))
    assert text.contains(f"Before {word} after.")
    lines = [line for line in text.raw.splitlines() if "Supercali" in line or "fragilistic" in line]
    assert len(lines) >= 2, "the long word should have been broken across lines"


def test_links_stay_clickable_and_correct(render: Render) -> None:
    links = {
        "https://example.com/a_b%20c#frag~x&y=1": "https://example.com/a_b%20c#frag%7Ex&y=1",
        "example.com/~user/$x?q=1&r=2": "https://example.com/%7Euser/$x?q=1&r=2",
        "https://ex.com/\\input{/etc/passwd}^^5c": "https://ex.com/%5Cinput%7B/etc/passwd%7D%5E%5E5c",
        "https://ex.com/ü?q=ä#ß": "https://ex.com/%C3%BC?q=%C3%A4#%C3%9F",
        "https://ex.com/'\"<>|`": "https://ex.com/'%22%3C%3E%7C%60",
    }
    addresses = list(links)
    result, text = render(
        resume(
            personalInfo={
                **PERSON,
                "website": addresses[0],
                "github": addresses[1],
                "linkedin": addresses[2],
            },
            projects=[{"name": "P", "url": addresses[3]}],
            certifications=[{"name": "Cert #1 & 50%", "url": addresses[4]}],
        )
    )
    targets = link_targets(result.pdf)
    for address, target in links.items():
        assert target in targets, (address, targets)
    assert "mailto:ada@example.com" in targets
    assert text.contains("example.com/a_b%20c#frag~x&y=1")
    assert text.contains("ex.com/\\input{/etc/passwd}^^5c")
    assert text.contains("Cert #1 & 50%")


_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xA1, max_codepoint=0xFF, exclude_characters="\u00ad"),
    st.sampled_from("\\{}$&#%_^~<>|\"'`-,!?" * 3),
    st.sampled_from("‘’“”–—€™ŁœŠžΑλφαβЖжЯя中文日本語한국어"),
)
_TEXT = st.text(alphabet=_ALPHABET, min_size=1, max_size=60).filter(lambda s: s.strip() != "")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=_TEXT)
def test_any_text_renders_and_reads_back(render: Render, text: str) -> None:
    fields = {
        "name": f"ZQ01 {text} QZ01",
        "summary": f"ZQ02 {text} QZ02",
        "title": f"ZQ03 {text} QZ03",
        "company": f"ZQ04 {text} QZ04",
        "bullet": f"ZQ05 {text} QZ05",
        "skill": f"ZQ06 {text} QZ06",
        "award": f"ZQ07 {text} QZ07",
    }
    _, pdf = render(
        resume(
            personalInfo={**PERSON, "name": fields["name"]},
            professionalSummary=fields["summary"],
            experience=[
                {"title": fields["title"], "company": fields["company"], "achievements": [fields["bullet"]]}
            ],
            technologiesAndSkills=[{"category": "Skills", "skills": [fields["skill"]]}],
            awardsAndHonors=[fields["award"]],
        )
    )
    for field, value in fields.items():
        assert pdf.contains(value), (field, value, pdf.squashed)


# --- Unicode: XeLaTeX with Noto fallbacks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "word"),
    [
        ("greek", "Ελληνικά"),
        ("cyrillic", "Русский"),
        ("cjk", "中文简历"),
        ("japanese", "ひらがなカタカナ"),
        ("korean", "한국어"),
        ("arabic", "مرحبا"),
        ("hebrew", "שלום"),
        ("emoji and symbols", "😀 ♥ ∑ ≤ ∞ → ✓"),
    ],
)
def test_other_scripts_render_through_xelatex(render: Render, label: str, word: str) -> None:
    result, text = render(
        resume(
            personalInfo={**PERSON, "name": f"Ada {word}"},
            professionalSummary=f"Summary {word} (in {label}), with \\ & % # $ _ {{ }} ~ ^ too.",
            experience=[{"title": word, "company": f"{word} Ltd", "location": f"{word}, X"}],
        )
    )
    assert result.engine == "xetex"
    assert result.used_format is False  # XeTeX cannot dump OpenType fonts into a format
    assert result.passes == 1
    assert text.contains(f"Ada {word}")
    assert text.contains(f"Summary {word}")
    assert text.contains("with \\ & % # $ _ { } ~ ^ too.")
    assert text.count(word) >= 4


def test_punctuation_a_script_font_lacks_still_renders(render: Render) -> None:
    # Noto Sans Hebrew has no comma, Noto Sans Arabic no backslash: printed in the main font.
    phrases = ["שלום, עולם", "מה?", "مرحبا \\x{}", "عالم / x", "中文 (日本) a/b", "ไทย, ลาว;"]
    result, text = render(resume(achievements=phrases))
    assert result.engine == "xetex"
    for word in ["שלום", "עולם", "مرحبا", "\\x{}", "عالم", "中文", "(日本)", "a/b", "ไทย", "ลาว;"]:
        assert text.contains(word), word


def _covered(coverage: fonts.Coverage) -> list[str]:
    """The printable characters a font-table entry claims (no controls, spaces or invisible marks)."""
    chars = [chr(c) for a, b in zip(coverage.starts, coverage.ends, strict=True) for c in range(a, b + 1)]
    return [
        ch
        for ch in chars
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"} and ch not in fonts.IGNORABLE
    ]


def _resume_showing(chars: list[str]) -> dict[str, Any]:
    """Every character in running text (regular), in entry titles (bold) and places (italic)."""
    text = " ".join("".join(chars[i : i + 30]) for i in range(0, len(chars), 30))
    regular = [text[i : i + 4900] for i in range(0, len(text), 4900)]
    short = [text[i : i + 290] for i in range(0, len(text), 290)]
    return resume(
        professionalSummary=regular[0],
        achievements=regular[1:],
        experience=[{"title": part, "location": part, "achievements": []} for part in short[:100]],
    )


def test_every_character_the_table_gives_pdflatex_prints(renderer: Renderer) -> None:
    # fonts.json says pdflatex prints these (T1/TS1 with Latin Modern); \tracinglostchars=3 would
    # turn any glyph missing in any shape the templates use into a render error.
    chars = _covered(fonts.table().pdftex)
    assert len(chars) > 300
    for name in catalog.template_names("resume"):
        result = renderer.render(validate_request({**_resume_showing(chars), "template": name}))
        assert result.engine == "pdftex", name


def test_every_character_of_the_main_fonts_prints_with_xelatex(renderer: Renderer) -> None:
    chars = _covered(fonts.table().main)
    assert len(chars) > 2000
    result = renderer.render(validate_request(_resume_showing(chars)))
    assert result.engine == "xetex"


def test_every_fallback_font_loads_and_prints_its_characters(renderer: Renderer) -> None:
    sample = []
    for _, coverage in fonts.table().fallbacks:
        chars = _covered(coverage)
        sample += chars[:: max(1, len(chars) // 4)][:4]  # spread over the font's ranges
    result = renderer.render(validate_request(_resume_showing(sample)))
    assert result.engine == "xetex"
    assert len(latex.fallback_fonts("".join(sample))) == len(fonts.table().fallbacks)


def test_a_character_no_font_has_is_a_validation_error_naming_it() -> None:
    for char, named in (("\ue000", "U+E000"), ("\U0010ffff", "U+10FFFF")):
        with pytest.raises(InvalidDocument) as info:
            validate_request(resume(professionalSummary=f"private {char} use"))
        (detail,) = info.value.details
        assert detail.path == "data.professionalSummary"
        assert f"no available font can print: {named}" in detail.message


def test_every_template_renders_its_sample(renderer: Renderer, pdf_text: PdfText) -> None:
    for document_type in ("resume", "cover_letter"):
        sample = json.loads((SAMPLES / f"{document_type}.json").read_text())
        for name in catalog.template_names(document_type):
            result = renderer.render(validate_request({**sample, "template": name}))
            assert result.pages >= 1, (document_type, name)
            text = pdf_text(result.pdf)
            assert text.contains(sample["data"]["personalInfo"]["name"]), (document_type, name)


def test_paper_sizes(render: Render) -> None:
    sizes = {}
    for paper in ("letter", "a4"):
        result, _ = render({**resume(), "options": {"paper": paper, "spacing": "compact"}})
        box = pypdf.PdfReader(io.BytesIO(result.pdf)).pages[0].mediabox
        sizes[paper] = (round(float(box.width)), round(float(box.height)))
    assert sizes == {"letter": (612, 792), "a4": (595, 842)}


def test_the_same_request_gives_the_same_pdf(renderer: Renderer) -> None:
    request = validate_request(json.loads((SAMPLES / "resume.json").read_text()))
    assert renderer.render(request).pdf == renderer.render(request).pdf


def test_a_cover_letter_prints_its_date_and_body(render: Render) -> None:
    result, text = render(
        {
            "document_type": "cover_letter",
            "data": {
                "personalInfo": PERSON,
                "date": "2026-03-09",
                "body": "First paragraph with 100% & more.\n\nSecond paragraph: \\end{document}",
            },
        }
    )
    assert result.pages == 1
    for part in ("March 9, 2026", "First paragraph with 100% & more.", "Second paragraph: \\end{document}"):
        assert text.contains(part), part


# --- formats --------------------------------------------------------------------------------------------------


def test_first_render_builds_the_format_and_later_ones_reuse_it(tmp_path: Path) -> None:
    renderer = Renderer(format_dir=tmp_path / "fmt")
    request = validate_request(resume())
    first = renderer.render(request)
    built = list((tmp_path / "fmt").glob("*.fmt"))
    assert first.used_format
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns
    # Stored uncompressed: loading a gzip-compressed format costs ~50 ms per render.
    assert built[0].read_bytes()[:2] != b"\x1f\x8b"
    second = renderer.render(request)
    assert second.used_format
    assert second.pdf == first.pdf
    assert built[0].stat().st_mtime_ns == stamp, "the format must not be rebuilt"
    # A new Renderer (a new process, say) finds the format on disk.
    third = Renderer(format_dir=tmp_path / "fmt").render(request)
    assert third.used_format
    assert third.pdf == first.pdf
    assert third.elapsed_ms < first.elapsed_ms


def test_a_missing_format_dir_is_created(tmp_path: Path) -> None:
    result = Renderer(format_dir=tmp_path / "a" / "b").render(validate_request(resume()))
    assert result.used_format
    assert len(list((tmp_path / "a" / "b").glob("*.fmt"))) == 1


def test_no_format_dir_at_all_still_renders(pdf_text: PdfText) -> None:
    result = Renderer().render(validate_request(resume(professionalSummary="No format 50%")))
    assert result.used_format is False
    assert pdf_text(result.pdf).contains("No format 50%")


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """No one may write in ``path``, root included (chattr +i; a plain chmod for other users)."""
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_format_dir_falls_back_to_a_correct_pdf(
    tmp_path: Path, render: Render, pdf_text: PdfText
) -> None:
    (tmp_path / "fmt").mkdir()
    request = validate_request(resume(professionalSummary="Read-only 100% fine"))
    with read_only(tmp_path / "fmt") as directory:
        with pytest.raises(PermissionError):
            (directory / "probe").touch()
        result = Renderer(format_dir=directory).render(request)
        assert list(directory.iterdir()) == []
    assert result.used_format is False
    assert pdf_text(result.pdf).contains("Read-only 100% fine")
    reference, _ = render(resume(professionalSummary="Read-only 100% fine"))
    assert reference.used_format
    # The same document (only internal font numbers differ: the format preloaded some fonts).
    assert (result.pages, pdf_text(result.pdf).raw) == (reference.pages, pdf_text(reference.pdf).raw)
    assert abs(len(result.pdf) - len(reference.pdf)) < 200


def test_an_uncreatable_format_dir_falls_back(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = Renderer(format_dir=blocker / "formats").render(validate_request(resume()))
    assert result.used_format is False
    assert result.pdf.startswith(b"%PDF-")


def test_a_read_only_dir_holding_a_built_format_is_used(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    request = validate_request(resume())
    Renderer(format_dir=shipped).render(request)  # as the render image is built
    with read_only(shipped):
        result = Renderer(format_dir=shipped).render(request)
    assert result.used_format is True


def test_a_changed_preamble_selects_a_new_format(tmp_path: Path) -> None:
    base = templates.preamble("resume", "classic", "pdftex")
    original = Source(base, "\\begin{document}One\\end{document}", "pdftex", "docpipe-t-one")
    changed_preamble = base + "\n\\newcommand{\\dpExtra}{x}\n"
    changed = Source(
        changed_preamble,
        "\\begin{document}Two \\dpExtra\\end{document}",
        "pdftex",
        "docpipe-t-" + hashlib.sha256(changed_preamble.encode()).hexdigest()[:12],
    )
    assert formats.format_file(original) != formats.format_file(changed)
    renderer = Renderer(format_dir=tmp_path)
    assert renderer.compile(original).used_format
    result = renderer.compile(changed)
    assert result.used_format
    # The new format replaces the superseded one of the same family instead of piling up beside it.
    assert [p.name for p in tmp_path.glob("*.fmt")] == [formats.format_file(changed)]
    assert b"%PDF-" in result.pdf[:8]


def test_template_format_names_follow_the_preamble() -> None:
    name = templates.format_name("resume", "classic", "pdftex")
    digest = hashlib.sha256(templates.preamble("resume", "classic", "pdftex").encode()).hexdigest()
    assert name == f"docpipe-resume-classic-pdftex-{digest[:12]}"
    assert name != templates.format_name("resume", "classic", "xetex")


# --- failures -------------------------------------------------------------------------------------------------


def test_a_tex_error_is_one_clear_line_not_a_log_dump(renderer: Renderer) -> None:
    source = minimal_source("\\begin{document}\nHello\n\\undefinedmacro\n\\end{document}")
    with pytest.raises(RenderFailed) as info:
        renderer.compile(source)
    message = info.value.message
    line = source.text.splitlines().index("\\undefinedmacro") + 1
    assert message == f"TeX error: Undefined control sequence. (input line {line}: '\\\\undefinedmacro')"
    assert info.value.code == "render_failed"


def test_a_document_that_never_ends_fails_cleanly(renderer: Renderer) -> None:
    with pytest.raises(RenderFailed) as info:
        renderer.compile(minimal_source("\\begin{document}\nno end in sight\n"))
    assert info.value.message.startswith("TeX error: Emergency stop.")
    assert len(info.value.message) < 300


def test_a_missing_input_file_is_named_in_the_error(renderer: Renderer) -> None:
    with pytest.raises(RenderFailed) as info:
        renderer.compile(minimal_source("\\begin{document}\n\\input{no-such-file}\n\\end{document}"))
    assert info.value.message.startswith("TeX error: LaTeX Error: File `no-such-file.tex' not found.")


def _tex_processes_under(root: Path) -> list[int]:
    """pdflatex/xelatex processes (found with pgrep) whose working directory is under ``root``."""
    found = subprocess.run(["pgrep", "-x", "pdflatex|pdftex|xelatex|xetex"], capture_output=True, text=True)
    pids = []
    for pid in map(int, found.stdout.split()):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue  # gone meanwhile
        if cwd.startswith(str(root)):
            pids.append(pid)
    return pids


def test_the_timeout_kills_a_runaway_tex(tmp_path: Path) -> None:
    renderer = Renderer(timeout=2, work_root=tmp_path)
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.extend(_tex_processes_under(tmp_path))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        with pytest.raises(RenderTimeout) as info:
            renderer.compile(minimal_source("\\begin{document}\n\\def\\x{\\x}\\x\n\\end{document}"))
    finally:
        stop.set()
        watcher.join()
    elapsed = time.monotonic() - started
    # The deadline (2 s) is honoured: not before it, and not much after (slack for a loaded CI box).
    assert elapsed > 1.9
    assert elapsed < 6.0
    assert info.value.message == "TeX did not finish within 2 s; the document is too large or complex"
    assert seen, "the runaway TeX should have been seen running"
    assert _tex_processes_under(tmp_path) == []
    for pid in set(seen):  # gone, or the number now belongs to some unrelated process
        with contextlib.suppress(OSError):
            assert not os.readlink(f"/proc/{pid}/cwd").startswith(str(tmp_path))
    assert list(tmp_path.iterdir()) == [], "the working directory is removed"


def test_tex_killed_from_outside_is_a_crash_not_the_documents_fault(tmp_path: Path) -> None:
    # The OOM killer, say. RenderFailed would tell the pipeline the input is bad and never retry it.
    renderer = Renderer(timeout=20, work_root=tmp_path)
    outcome: list[BaseException] = []

    def render() -> None:
        try:
            renderer.compile(minimal_source("\\begin{document}\n\\def\\x{\\x}\\x\n\\end{document}"))
        except BaseException as exc:  # handed over to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=render)
    worker.start()
    deadline = time.monotonic() + 10
    while not (pids := _tex_processes_under(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.02)
    (pid,) = pids
    os.kill(pid, signal.SIGKILL)
    worker.join(timeout=10)
    (error,) = outcome
    assert isinstance(error, RenderCrashed)
    assert not isinstance(error, RenderFailed)
    assert error.message == "TeX was killed by signal SIGKILL; the render may be retried"
    assert error.code == "render_crashed"


def test_a_runaway_writer_is_stopped_by_the_file_size_limit() -> None:
    # openout_any=p allows writing next to the document; RLIMIT_FSIZE (64 MiB) stops a disk filler
    # long before the 10 s timeout (without the limit this would write ~1 GB and then time out).
    line = "x" * 1000
    source = minimal_source(
        "\\begin{document}\n\\immediate\\openout7=filler.txt\n"
        f"\\def\\w{{\\immediate\\write7{{{line}}}\\w}}\\w\n\\end{{document}}"
    )
    started = time.monotonic()
    with pytest.raises(RenderFailed) as info:
        Renderer(timeout=10).compile(source)
    assert info.value.message == "TeX tried to write a file larger than 64 MiB"
    assert time.monotonic() - started < 8


@pytest.mark.parametrize(
    "target", ["/tmp/docpipe-escaped.txt", "../escaped.txt", ".hidden", "sub/../../x.txt"]
)
def test_tex_cannot_write_outside_its_directory(renderer: Renderer, target: str) -> None:
    source = minimal_source(
        f"\\begin{{document}}\n\\immediate\\openout5={target}\n\\immediate\\write5{{gotcha}}\n"
        "\\immediate\\closeout5\nok\n\\end{document}"
    )
    with pytest.raises(RenderFailed) as info:
        renderer.compile(source)
    assert info.value.message.startswith(f"TeX error: I can't write on file `{target}'.")
    assert not Path("/tmp/docpipe-escaped.txt").exists()


@pytest.mark.parametrize(
    "body",
    [
        "\\input{/etc/passwd}",
        "\\input{../../../../../../etc/passwd}",
        "\\newread\\r\\openin\\r=/etc/passwd \\read\\r to\\x \\message{\\x}",
        "\\InputIfFileExists{/etc/passwd}{}{}",
    ],
)
def test_tex_cannot_read_absolute_or_parent_paths(renderer: Any, body: str) -> None:
    source = minimal_source(f"\\begin{{document}}\n{body}\nok\n\\end{{document}}")
    try:
        output = renderer.compile(source).pdf.decode("latin-1")
    except RenderFailed as exc:
        output = exc.message
    assert "root:" not in output
    assert "root:x:0:0" not in renderer.last_log


def test_shell_escape_is_off(renderer: Any, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result = renderer.compile(
        minimal_source(f"\\begin{{document}}\n\\immediate\\write18{{touch {marker}}}\nok\n\\end{{document}}")
    )
    assert result.pdf.startswith(b"%PDF-")
    assert not marker.exists()
    assert f"runsystem(touch {marker})...disabled." in renderer.last_log
