"""What a `docpipe render` process pays for besides TeX: no subprocess but TeX itself, templates
compiled once per installation, and no tracing SDK (issue 15: a CLI that starts fast)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.bccache

from docpipe import templates

SAMPLE = Path(__file__).parents[2] / "src/docpipe/samples/resume.json"
_EXECVE = re.compile(r'execve\("([^"]+)"')


def traced(docpipe_bin: Path, cwd: Path, trace: str) -> tuple[str, subprocess.CompletedProcess[bytes]]:
    log = cwd / f"strace-{trace}.txt"
    command = ["strace", "-f", "-qq", "-e", f"trace={trace}", "-o", str(log), str(docpipe_bin), "render"]
    done = subprocess.run(
        [*command, "resume.json", "-o", "out.pdf"], cwd=cwd, capture_output=True, timeout=120
    )
    return log.read_text(), done


def test_a_render_runs_no_program_but_tex(docpipe_bin: Path, tmp_path: Path) -> None:
    (tmp_path / "resume.json").write_bytes(SAMPLE.read_bytes())
    traced(docpipe_bin, tmp_path, "execve")  # the first run may locate the base format once
    log, done = traced(docpipe_bin, tmp_path, "execve")
    assert done.returncode == 0, done.stderr
    started = [Path(path).name for path in _EXECVE.findall(log) if "ENOENT" not in path]
    programs = [name for name in dict.fromkeys(started) if name != docpipe_bin.name]
    # TeX, started ahead under its limits (standby.py); before: pdftex --version and kpsewhich too.
    assert programs == ["prlimit", "timeout", "pdflatex"], started


def test_templates_are_compiled_once(docpipe_bin: Path, tmp_path: Path) -> None:
    (tmp_path / "resume.json").write_bytes(SAMPLE.read_bytes())
    traced(docpipe_bin, tmp_path, "openat")
    log, done = traced(docpipe_bin, tmp_path, "openat")
    assert done.returncode == 0, done.stderr
    compiled = [line for line in log.splitlines() if "__jinja2_" in line]
    assert compiled, "the compiled templates were not read"
    assert not [line for line in compiled if "O_WRONLY" in line or "O_RDWR" in line], "compiled again"


def test_a_directory_that_cannot_be_written_only_means_compiling(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    cache = templates._CompiledTemplates(str(blocked / "templates"))  # below a file: mkdir fails
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "<< x >>"}), bytecode_cache=cache)
    assert env.get_template("t").render(x=1) == "<< x >>"


def test_the_cli_never_loads_the_tracing_sdk(tmp_path: Path) -> None:
    (tmp_path / "resume.json").write_bytes(SAMPLE.read_bytes())
    program = (
        "import sys\nfrom docpipe import cli\n"
        "code = cli.main(['render', 'resume.json', '-o', 'out.pdf'])\n"
        "print(code, sorted(m for m in sys.modules if m.startswith(('aws_xray_sdk', 'docx', 'pdfminer'))))"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    code, loaded = done.stdout.decode().split(" ", 1)
    assert (code, json.loads(loaded.replace("'", '"'))) == ("0", [])
