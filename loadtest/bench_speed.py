"""Speed where users feel it (part of `make bench`, issue 15), each as a ratio measured in one run:

- each Lambda handler's import (``python -X importtime``, the handler module's cumulative time)
  against importing ``fastapi, mangum, boto3, aws_lambda_powertools`` (their cumulative times),
  every module loaded from its bytecode, as deployed (:func:`bytecode_env`); target ≤ 1.3x;
- ``docpipe render`` as a whole process against one bare ``pdflatex`` pass over the ``.tex`` it
  writes (no format, as anyone would run it); target ≤ 1.5x;
- a render by a TeX process started ahead of time (standby.py) against the usual spawn, for a
  pdfTeX and a XeLaTeX document; the time the standby process took to get ready is not counted, as
  in a worker it passes between jobs;
- a fresh document's submit → succeeded through the local stack (two workers, documents a few
  seconds apart, polled every 5 ms) against one bare ``pdflatex`` / ``xelatex`` pass over its own
  ``.tex``; targets ≤ 0.7x and ≤ 0.5x.

All variants interleaved round by round; medians of wall-clock seconds.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from docpipe import contract, formats, validation
from docpipe.renderer import Renderer

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "src" / "docpipe" / "samples"
LIBRARIES = ("fastapi", "mangum", "boto3", "aws_lambda_powertools")
HANDLER_ENV = {
    "AWS_REGION": "eu-west-1",
    "DOCPIPE_BUCKET": "docpipe-documents",
    "DOCPIPE_JOBS_TABLE": "docpipe-jobs",
    "DOCPIPE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/000000000000/docpipe-render",
    "DOCPIPE_REDIS_URL": "rediss://cache.example.com:6379",
    **contract.RUNTIME_ENV,
}
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$")


def bytecode_env(prefix: Path) -> dict[str, str]:
    """This environment, with bytecode read from and written to ``prefix``: as installed, every module
    has its bytecode (pip compiles it, and so do the deployed assets), but this machine sets
    PYTHONDONTWRITEBYTECODE, so an editable checkout would compile docpipe from source on every run
    while the libraries it is compared with load theirs. The first run of each command writes it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(prefix)}


def _import_us(code: str, names: tuple[str, ...], path: str, prefix: Path) -> float:
    """Cumulative import time (µs) of the top-level imports ``names`` in a fresh interpreter."""
    env = {k: v for k, v in bytecode_env(prefix).items() if not k.startswith("DOCPIPE_")} | HANDLER_ENV
    env["PYTHONPATH"] = path
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, check=True
    )
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if match := _IMPORT_LINE.match(line):
            found[match.group(2)] = float(match.group(1))
    return sum(found[name] for name in names)


def _wall(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _imports(rounds: int, prefix: Path) -> dict[str, float]:
    probes: dict[str, tuple[str, tuple[str, ...], str]] = {
        "libraries": (f"import {', '.join(LIBRARIES)}", LIBRARIES, "")
    } | {
        name: ("import handler", ("handler",), str(ROOT / "functions" / name))
        for name in ("submit", "status", "render")
    }
    for probe in probes.values():  # writes the bytecode
        _import_us(*probe, prefix)
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(rounds):
        for name, probe in probes.items():
            samples[name].append(_import_us(*probe, prefix))
    return {name: statistics.median(values) / 1e6 for name, values in samples.items()}


def _cli(rounds: int, work: Path, prefix: Path) -> dict[str, float]:
    (work / "resume.json").write_bytes((SAMPLES / "resume.json").read_bytes())
    docpipe, env = str(Path(sys.executable).with_name("docpipe")), bytecode_env(prefix)
    subprocess.run(  # also writes the bytecode
        [docpipe, "render", "resume.json", "--format", "tex", "-o", "bare.tex"], cwd=work, env=env, check=True
    )
    cli = [docpipe, "render", "resume.json", "-o", "out.pdf"]
    bare = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "bare.tex"]
    samples: dict[str, list[float]] = {"cli": [], "bare": []}
    for _ in range(rounds):
        samples["cli"].append(
            _wall(lambda: subprocess.run(cli, cwd=work, env=env, capture_output=True, check=True))
        )
        samples["bare"].append(_wall(lambda: subprocess.run(bare, cwd=work, capture_output=True, check=True)))
    return {name: statistics.median(values) for name, values in samples.items()}


def _standby(rounds: int) -> dict[str, float]:
    requests = {
        name: validation.validate_request(json.loads((SAMPLES / f"{name}.json").read_text()))
        for name in ("resume", "resume_unicode")
    }
    plain = Renderer(format_dir=formats.default_directory())
    warm = Renderer(format_dir=formats.default_directory(), standby=True)
    samples: dict[str, list[float]] = {f"{n} {k}": [] for n in requests for k in ("spawn", "standby")}
    try:
        for request in requests.values():  # warm-up: formats, fontconfig's cache, compiled templates
            plain.render(request)
            warm.render(request)
        for _ in range(rounds):
            for name, request in requests.items():
                samples[f"{name} spawn"].append(plain.render(request).elapsed_ms / 1000)
                warm.render(request)  # makes it the kind prepared next
                warm.prepare_next()
                time.sleep(2.0)  # between jobs: the next process gets ready
                result = warm.render(request)
                assert result.used_standby, "the standby process was not used"
                samples[f"{name} standby"].append(result.elapsed_ms / 1000)
    finally:
        warm.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def _fresh_through_stack(rounds: int, work: Path) -> dict[str, float]:
    from docpipe_local.client import http_json
    from docpipe_local.stack import DevStack

    docpipe = str(Path(sys.executable).with_name("docpipe"))
    samples: dict[str, list[float]] = {}
    with DevStack(workers=2) as stack:
        for name, engine in (("resume", "pdflatex"), ("resume_unicode", "xelatex")):
            base = json.loads((SAMPLES / f"{name}.json").read_text())
            for index in range(rounds + 2):  # the first two warm the workers
                document = json.loads(json.dumps(base))
                document["data"]["personalInfo"]["name"] += f" {index}-{time.monotonic_ns()}"
                started = time.perf_counter()
                _, queued = http_json("POST", f"{stack.url}/v1/documents", json.dumps(document).encode())
                while http_json("GET", f"{stack.url}/v1/jobs/{queued['job_id']}")[1]["status"] not in (
                    "succeeded",
                    "failed",
                ):
                    time.sleep(0.005)
                elapsed = time.perf_counter() - started
                tex = [docpipe, "render", "-", "--format", "tex", "-o", "fresh.tex"]
                subprocess.run(
                    tex, input=json.dumps(document).encode(), cwd=work, capture_output=True, check=True
                )
                bare = [engine, "-interaction=nonstopmode", "fresh.tex"]
                began = time.perf_counter()
                subprocess.run(bare, cwd=work, capture_output=True, check=False)
                reference = time.perf_counter() - began
                if index >= 2:
                    samples.setdefault(f"{name} stack", []).append(elapsed)
                    samples.setdefault(f"{name} bare", []).append(reference)
                time.sleep(2.5)  # as between users: each worker's next TeX gets ready
    return {name: statistics.median(values) for name, values in samples.items()}


def section(runs: int) -> str:
    rounds = max(7, runs // 3)
    print(f"speed: {3 * rounds} rounds of imports and CLI runs, {rounds} of standby and stack", flush=True)
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-") as work:
        prefix = Path(work) / "bytecode"
        # A process's start moves with the machine more than a render does: three times the rounds.
        imports, cli = _imports(3 * rounds, prefix), _cli(3 * rounds, Path(work), prefix)
        standby = _standby(rounds)
        fresh = _fresh_through_stack(rounds, Path(work))
    lib = imports["libraries"]
    lines = [
        "| speed measure | docpipe | reference | ratio | target |",
        "|---|---:|---:|---:|---|",
    ]
    for name in ("submit", "status", "render"):
        ratio = imports[name] / lib
        lines.append(
            f"| {name} handler import vs `{', '.join(LIBRARIES)}` | {imports[name]:.3f} s | {lib:.3f} s | "
            f"{ratio:.2f}x | ≤ 1.3x {_mark(ratio <= 1.3)} |"
        )
    ratio = cli["cli"] / cli["bare"]
    lines.append(
        f"| `docpipe render` whole process vs one bare `pdflatex` pass | {cli['cli']:.3f} s | "
        f"{cli['bare']:.3f} s | {ratio:.2f}x | ≤ 1.5x {_mark(ratio <= 1.5)} |"
    )
    for name, engine in (("resume", "pdfTeX"), ("resume_unicode", "XeLaTeX")):
        warm, spawn = standby[f"{name} standby"], standby[f"{name} spawn"]
        lines.append(
            f"| {engine} render ({name}.json): standby process vs usual spawn | {warm:.3f} s | "
            f"{spawn:.3f} s | {warm / spawn:.2f}x | |"
        )
    for name, engine, target in (("resume", "pdflatex", 0.7), ("resume_unicode", "xelatex", 0.5)):
        stack, bare = fresh[f"{name} stack"], fresh[f"{name} bare"]
        lines.append(
            f"| fresh {name}.json through the local stack, submit → succeeded, vs one bare `{engine}` pass "
            f"| {stack:.3f} s | {bare:.3f} s | {stack / bare:.2f}x | ≤ {target}x {_mark(stack / bare <= target)} |"
        )
    lines.append("")
    lines.append(
        f"Medians of interleaved rounds ({3 * rounds} of the imports and CLI runs, {rounds} of the rest); "
        "imports from `python -X importtime` (cumulative)."
    )
    return "\n".join(lines)


def _mark(met: bool) -> str:
    return "✓" if met else "✗ missed"
