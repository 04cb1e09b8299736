"""The `docpipe` command, run as a user runs it: a subprocess of the venv's console script.

Exit codes: 0 done, 2 invalid input (``path: message`` lines on stderr, no output file), 3 the
document could not be typeset.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "docpipe" / "samples"
PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False))
    return path


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / f"{name}.json").read_text()))


def test_render_a_sample_to_pdf(run: Any, tmp_path: Path, pdf_text: Any) -> None:
    source = write_json(tmp_path / "resume.json", sample("resume"))
    done = run("render", str(source), "-o", "out/resume.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "out" / "resume.pdf").read_bytes()
    assert pdf_text(pdf).contains("Jordan Avery Lee")
    assert re.fullmatch(r"out/resume\.pdf: \d+ page\(s\), [\d,]+ bytes, \d+ ms\n", done.stderr.decode())
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / "resume.pdf"]  # no .part left


def test_render_names_the_output_after_the_input(run: Any, tmp_path: Path) -> None:
    write_json(tmp_path / "letter.json", sample("cover_letter"))
    done = run("render", "letter.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF-")


def test_invalid_input_exits_2_lists_every_problem_and_writes_nothing(run: Any, tmp_path: Path) -> None:
    document = sample("resume")
    document["data"]["personalInfo"]["email"] = "nope"
    document["data"]["experience"][0]["startDate"] = "2021-13"
    document["data"]["experiance"] = []
    source = write_json(tmp_path / "bad.json", document)
    done = run("render", str(source), "-o", "bad.pdf", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        "data.personalInfo.email: is not an email address (expected name@example.com)",
        "data.experience[0].startDate: month must be between 01 and 12",
        "data.experiance: is not a known field; did you mean `experience`?",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


@pytest.mark.parametrize(
    ("content", "first_line"),
    [
        (b"{not json", "the request is not valid JSON: Expecting property name enclosed in double quotes"),
        (b'{"a": "\xff"}', "the request is not valid UTF-8 (byte 7)"),
        (b"[" * 40 + b"]" * 40, "the request is nested more than 32 levels deep"),
        (b'{"document_type": "resume", "data": {}, "template": "nope"}', "template: unknown template 'nope'"),
    ],
)
def test_unreadable_input_exits_2(run: Any, tmp_path: Path, content: bytes, first_line: str) -> None:
    (tmp_path / "in.json").write_bytes(content)
    done = run("render", "in.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[0].startswith(first_line)
    assert not (tmp_path / "in.pdf").exists()


def test_an_oversized_request_exits_2(run: Any, tmp_path: Path) -> None:
    document = {
        "document_type": "resume",
        "data": {"personalInfo": PERSON, "professionalSummary": "x" * 300_000},
    }
    write_json(tmp_path / "big.json", document)
    done = run("validate", "big.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("the request is 300,")


def test_a_missing_input_file_exits_2(run: Any, tmp_path: Path) -> None:
    done = run("render", "absent.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode() == "cannot read absent.json: No such file or directory\n"


def test_a_render_failure_exits_3_and_writes_nothing(run: Any, tmp_path: Path) -> None:
    # Valid, but far too much for a 0.3 s budget: ~190 KB of Greek text (so XeLaTeX, no format).
    line = "Ελληνικά κείμενα για δοκιμή " * 9
    experience = [{"title": f"Job {i}", "achievements": [line] * 20} for i in range(20)]
    write_json(
        tmp_path / "big.json",
        {"document_type": "resume", "data": {"personalInfo": PERSON, "experience": experience}},
    )
    done = run("render", "big.json", "-o", "out.pdf", "--timeout", "0.3", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stderr.decode() == (
        "render failed: TeX did not finish within 0.3 s; the document is too large or complex\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json"]


def test_yaml_input(run: Any, tmp_path: Path, pdf_text: Any) -> None:
    document = sample("resume")
    document["data"]["professionalSummary"] = "From YAML: 100% & more"
    (tmp_path / "resume.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    done = run("render", "resume.yaml", "-o", "resume.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert pdf_text((tmp_path / "resume.pdf").read_bytes()).contains("From YAML: 100% & more")


def test_yaml_aliases_are_refused(run: Any, tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text("document_type: resume\na: &x [1]\nb: *x\n")
    done = run("validate", "r.yml", cwd=tmp_path)
    assert (done.returncode, done.stderr.decode()) == (2, "YAML aliases are not supported\n")


def test_stdin_to_stdout(run: Any, tmp_path: Path, pdf_text: Any) -> None:
    body = json.dumps(sample("cover_letter")).encode()
    done = run("render", "-", "-o", "-", cwd=tmp_path, stdin=body)
    assert done.returncode == 0, done.stderr
    assert pdf_text(done.stdout).contains("Dear Ms. Natarajan,")
    assert list(tmp_path.iterdir()) == []


def test_stdin_defaults_to_stdout_and_accepts_yaml(run: Any, tmp_path: Path) -> None:
    body = yaml.safe_dump({"personalInfo": PERSON, "body": "Hello."}).encode()
    done = run("render", "-", cwd=tmp_path, stdin=body)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"%PDF-")


def test_bare_data_with_type(run: Any, tmp_path: Path, pdf_text: Any) -> None:
    write_json(
        tmp_path / "letter.json", {"personalInfo": PERSON, "body": ["Bare body."], "date": "2026-05-01"}
    )
    done = run("render", "letter.json", "--type", "cover_letter", "-o", "l.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = pdf_text((tmp_path / "l.pdf").read_bytes())
    assert text.contains("Bare body.")
    assert text.contains("May 1, 2026")
    # The same data forced to be a résumé is refused, naming the field a résumé lacks.
    done = run("validate", "letter.json", "--type", "resume", cwd=tmp_path)
    assert done.returncode == 2
    assert "data.body: is a cover-letter field, not a résumé field" in done.stderr.decode()


def test_json_resume_input(run: Any, tmp_path: Path, pdf_text: Any) -> None:
    document = {
        "basics": {
            "name": "Richard Hendriks",
            "email": "richard@example.com",
            "label": "Programmer",
            "profiles": [{"network": "GitHub", "url": "https://github.com/rh"}],
        },
        "work": [{"name": "Pied Piper", "position": "CEO", "startDate": "2013-12-01", "endDate": ""}],
        "skills": [{"name": "Compression", "keywords": ["Middle-out", "Weissman score"]}],
    }
    write_json(tmp_path / "jsonresume.json", document)
    done = run("render", "jsonresume.json", "-o", "r.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = pdf_text((tmp_path / "r.pdf").read_bytes())
    for part in (
        "Richard Hendriks",
        "Pied Piper",
        "Dec 2013 – Present",
        "Middle-out, Weissman score",
        "github.com/rh",
    ):
        assert text.contains(part), part


def test_format_tex(run: Any, tmp_path: Path) -> None:
    write_json(tmp_path / "resume.json", sample("resume"))
    done = run("render", "resume.json", "--format", "tex", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tex = (tmp_path / "resume.tex").read_text()
    assert tex.startswith("\\documentclass")
    assert "\\csname endofdump\\endcsname" in tex
    assert "Jordan Avery Lee" in tex
    assert "\\end{document}" in tex
    assert not (tmp_path / "resume.pdf").exists()


def test_template_flag(run: Any, tmp_path: Path) -> None:
    write_json(tmp_path / "resume.json", sample("resume"))
    done = run("render", "resume.json", "--template", "nope", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("template: unknown template 'nope' for resume; choose one of: ")


def test_validate(run: Any, tmp_path: Path) -> None:
    write_json(tmp_path / "resume.json", sample("resume"))
    done = run("validate", "resume.json", cwd=tmp_path)
    assert (done.returncode, done.stdout.decode()) == (0, "ok: resume, template classic, format pdf\n")
    assert list(tmp_path.iterdir()) == [tmp_path / "resume.json"]
    write_json(tmp_path / "bad.json", {"document_type": "cover_letter", "data": {"personalInfo": PERSON}})
    done = run("validate", "bad.json", cwd=tmp_path)
    assert (done.returncode, done.stderr.decode()) == (2, "data.body: is required\n")


def test_templates(run: Any, tmp_path: Path) -> None:
    done = run("templates", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert "resume/classic" in lines
    assert "cover_letter/classic" in lines
    assert all(line.split("/")[0] in {"resume", "cover_letter"} for line in lines)


@pytest.mark.parametrize("document_type", ["resume", "cover_letter"])
def test_schema(run: Any, tmp_path: Path, document_type: str) -> None:
    done = run("schema", document_type, cwd=tmp_path)
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["type"] == "object"
    assert "data" in schema["required"]
    assert "personalInfo" in json.dumps(schema)


def test_an_unknown_command_is_a_usage_error(run: Any, tmp_path: Path) -> None:
    done = run("frobnicate", cwd=tmp_path)
    assert done.returncode == 2
    assert b"usage: docpipe" in done.stderr


def test_a_reader_that_stops_reading_ends_the_command_quietly(docpipe_bin: Path, tmp_path: Path) -> None:
    # The PDF is larger than a pipe holds, so the write meets the closed pipe whatever the timing.
    (tmp_path / "resume.json").write_text(json.dumps(sample("resume")))
    command = subprocess.Popen(
        [str(docpipe_bin), "render", "resume.json", "-o", "-"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert command.stdout is not None
    assert command.stdout.read(5) == b"%PDF-"  # like `| head -c 5`
    command.stdout.close()
    _, stderr = command.communicate(timeout=120)
    assert (command.returncode, stderr) == (141, b"")  # no traceback; a shell shows SIGPIPE's 141
