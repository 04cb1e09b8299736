"""`docpipe render` starts TeX before it reads the request (issue 15: a CLI that starts fast).

The CLI records the kind of document it typeset (engine, format or static preamble) beside the
formats and, next time, starts that TeX process first (standby.py), while Python imports and validates
the request. These tests hold it to what a TeX process started ahead of time must be: the same bytes
as a usual start, one TeX per document, another kind of document typeset correctly, a broken record
ignored, and no TeX left behind when the command exits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from docpipe.standby import Plan

SAMPLES = Path(__file__).parents[2] / "src/docpipe/samples"
RECORD = "last-plan.json"
# `timeout` looks TeX up on the PATH: one process may try several paths (strace may split each line).
_EXEC = re.compile(r'^(\d+)\s+execve\("[^"]*/(?:pdflatex|xelatex)"')
_READ = re.compile(r'^\d+\s+openat\(AT_FDCWD, "(?:resume|resume_unicode|cover_letter)\.json"')


@pytest.fixture(scope="module")
def formats_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ahead-formats")


@pytest.fixture
def docpipe(docpipe_bin: Path, formats_dir: Path, tmp_path: Path) -> Any:
    """``docpipe ARGS`` in ``tmp_path`` with the module's format directory; its temporary files
    (TeX's directories) under ``tmp_path/tmp``; with ``trace``, under strace (the log's lines)."""
    (tmp_path / "tmp").mkdir()
    for name in ("resume", "resume_unicode", "cover_letter"):
        (tmp_path / f"{name}.json").write_bytes((SAMPLES / f"{name}.json").read_bytes())
    env = os.environ | {"DOCPIPE_FORMAT_DIR": str(formats_dir), "TMPDIR": str(tmp_path / "tmp")}

    def _run(*args: str, trace: bool = False) -> tuple[subprocess.CompletedProcess[bytes], list[str]]:
        log = tmp_path / "strace.txt"
        strace = ["strace", "-f", "-qq", "-e", "trace=execve,openat", "-o", str(log)] if trace else []
        done = subprocess.run(
            [*strace, str(docpipe_bin), *args], cwd=tmp_path, env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done, log.read_text().splitlines() if trace else []

    return _run


def tex_started_before_reading(lines: list[str]) -> tuple[int, bool]:
    """How many TeX processes ran, and whether the first started before the request was read."""
    execs = {
        match.group(1): i for i, line in reversed(list(enumerate(lines))) if (match := _EXEC.match(line))
    }
    read = next(i for i, line in enumerate(lines) if _READ.match(line))
    return len(execs), bool(execs) and min(execs.values()) < read


def leftover_tex(tmp_path: Path) -> list[str]:
    """Processes still working in the command's temporary directories (TeX's cwd is one of them)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if str(tmp_path / "tmp") in os.readlink(proc / "cwd"):
                found.append((proc / "cmdline").read_text().replace("\0", " "))
        except OSError:
            continue
    return found


@pytest.mark.parametrize(("sample", "engine"), [("resume", "pdflatex"), ("resume_unicode", "xelatex")])
def test_the_second_render_finds_tex_already_running(
    docpipe: Any, tmp_path: Path, formats_dir: Path, sample: str, engine: str
) -> None:
    (formats_dir / RECORD).unlink(missing_ok=True)
    docpipe("render", f"{sample}.json", "-o", "usual.pdf")  # no record yet: TeX starts as usual
    saved = json.loads((formats_dir / RECORD).read_text())
    assert saved["engine"] == {"pdflatex": "pdftex", "xelatex": "xetex"}[engine]
    _, lines = docpipe("render", f"{sample}.json", "-o", "ahead.pdf", trace=True)
    assert tex_started_before_reading(lines) == (1, True), "TeX was not started ahead, or twice"
    assert any(f'/{engine}"' in line for line in lines if _EXEC.match(line))
    assert (tmp_path / "ahead.pdf").read_bytes() == (tmp_path / "usual.pdf").read_bytes()
    assert leftover_tex(tmp_path) == []


def test_a_record_of_another_kind_of_document_gives_the_right_one(
    docpipe: Any, tmp_path: Path, formats_dir: Path
) -> None:
    docpipe("render", "resume.json", "-o", "resume-usual.pdf")
    docpipe("render", "cover_letter.json", "-o", "letter.pdf")  # the record: a letter
    _, lines = docpipe("render", "resume.json", "-o", "resume.pdf", trace=True)
    count, early = tex_started_before_reading(lines)
    assert (count, early) == (2, True), "the letter's TeX, then the résumé's"
    assert (tmp_path / "resume.pdf").read_bytes() == (tmp_path / "resume-usual.pdf").read_bytes()
    assert "resume-classic" in json.loads((formats_dir / RECORD).read_text())["format"]
    assert leftover_tex(tmp_path) == [], "the letter's TeX outlived the command"


@pytest.mark.parametrize(
    "record",
    [
        "not json",
        '{"engine": "sh", "format": null, "static": null}',
        '{"engine": "pdftex", "format": "/nonexistent/x.fmt", "static": null}',
        '{"engine": "pdftex", "format": 7, "static": null}',
        "[]",
    ],
)
def test_a_broken_record_is_ignored_and_replaced(
    docpipe: Any, tmp_path: Path, formats_dir: Path, record: str
) -> None:
    docpipe("render", "resume.json", "-o", "usual.pdf")
    (formats_dir / RECORD).write_text(record)
    _, lines = docpipe("render", "resume.json", "-o", "out.pdf", trace=True)
    assert tex_started_before_reading(lines) == (1, False)
    assert (tmp_path / "out.pdf").read_bytes() == (tmp_path / "usual.pdf").read_bytes()
    assert json.loads((formats_dir / RECORD).read_text())["engine"] == "pdftex"


def test_formats_without_tex_start_none(docpipe: Any, tmp_path: Path) -> None:
    docpipe("render", "resume.json", "-o", "out.pdf")
    for fmt in ("docx", "txt", "tex"):
        _, lines = docpipe("render", "resume.json", "--format", fmt, "-o", f"out.{fmt}", trace=True)
        assert tex_started_before_reading(lines) == (0, False), fmt
    _, lines = docpipe("validate", "resume.json", trace=True)
    assert tex_started_before_reading(lines) == (0, False)


def test_a_record_names_no_user_data(docpipe: Any, formats_dir: Path) -> None:
    docpipe("render", "resume_unicode.json", "-o", "out.pdf")
    saved = json.loads((formats_dir / RECORD).read_text())
    person = json.loads((SAMPLES / "resume_unicode.json").read_text())["data"]["personalInfo"]["name"]
    assert "\\documentclass" in saved["static"]
    assert person not in saved["static"]  # the template's preamble alone
    assert Plan(saved["engine"], None, saved["static"]).command[0] == "xelatex"
