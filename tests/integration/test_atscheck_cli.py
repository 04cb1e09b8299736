"""``docpipe check FILE.pdf --against INPUT``, run as a user runs it: 0 clean, 1 problems, 2 bad input."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RecordingRenderer

from docpipe.validation import validate_request

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "docpipe" / "samples"
Run = Callable[..., subprocess.CompletedProcess[bytes]]


@pytest.fixture(scope="module")
def letter(renderer: RecordingRenderer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cover letter's PDF and its request, side by side."""
    folder = tmp_path_factory.mktemp("check")
    envelope = json.loads((SAMPLES / "cover_letter.json").read_text())
    (folder / "letter.json").write_text(json.dumps(envelope))
    (folder / "letter.pdf").write_bytes(renderer.render(validate_request(envelope)).pdf)
    return folder


def test_a_clean_pdf_exits_0_with_a_short_summary(run: Run, letter: Path) -> None:
    done = run("check", "letter.pdf", "--against", "letter.json", cwd=letter)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert done.stdout.decode().startswith("letter.pdf: clean; pdfminer found 100.0% of the text")


def test_problems_exit_1_and_are_listed(run: Run, letter: Path) -> None:
    envelope: dict[str, Any] = json.loads((letter / "letter.json").read_text())
    envelope["data"]["body"][0] += " Postscriptum."  # a word the PDF does not have
    (letter / "more.json").write_text(json.dumps(envelope))
    done = run("check", "letter.pdf", "--against", "more.json", cwd=letter)
    assert done.returncode == 1
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("letter.pdf: 1 problem(s); pdfminer found")
    assert lines[1].startswith("  text_missing (pdfminer): 1 of ")
    assert "'Postscriptum'" in lines[1]


def test_json_is_the_whole_report(run: Run, letter: Path) -> None:
    done = run("check", "letter.pdf", "--against", "letter.json", "--json", cwd=letter)
    report = json.loads(done.stdout)
    assert set(report) == {"clean", "pages", "analysedPages", "extractions", "fonts", "contacts", "problems"}
    assert set(report["extractions"][0]) == {
        "extractor", "words", "wordsFound", "wordsBackwards", "textFound", "splitEntries", "partsOutOfOrder",
        "entriesOutOfOrder", "ligatureGlyphs",
    }  # fmt: skip
    assert report["clean"] is True
    assert {contact["found"] for contact in report["contacts"]} == {"body"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("letter.json", "--against", "letter.json"), "pdf: cannot be read: it is not a PDF"),
        (("missing.pdf", "--against", "letter.json"), "cannot read missing.pdf"),
        (("letter.pdf", "--against", "letter.pdf"), "the request is not valid"),
        (("letter.pdf", "--against", "missing.json"), "cannot read missing.json"),
    ],
)
def test_bad_input_exits_2_with_a_reason(run: Run, letter: Path, args: tuple[str, ...], says: str) -> None:
    done = run("check", *args, cwd=letter)
    assert done.returncode == 2
    assert says in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
