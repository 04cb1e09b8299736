"""`make bench`: the engine and pipeline benchmarks, printed as tables (docs/performance.md).

    .venv/bin/python -m loadtest.bench                  # every section
    .venv/bin/python -m loadtest.bench --only engine    # one section
    .venv/bin/python -m loadtest.bench --runs 31        # more warm runs

Each section is a function that prints its progress and returns a Markdown table; ``main`` runs
them in order and prints the machine and every table at the end.

Engine section, for the sample résumé (src/docpipe/samples/resume.json):

- warm end-to-end render through ``Renderer.render`` (precompiled format; median and p90 of
  ``--runs`` renders after 2 warm-ups);
- the same .tex compiled as the original service did: a fresh temporary directory, no format,
  ``pdflatex -interaction=nonstopmode`` twice (median of at least 5), and the ratio of the two;
- the XeLaTeX path (the same résumé with Greek and CJK text, so no format);
- where the warm render's time goes: Python (validation, templating) against TeX alone, run with
  the renderer's own command;
- the uncompressed format measured against a gzip-compressed one (as TeX writes it), in the same run.

All variants run interleaved, round by round, so a burst of load on this shared machine hits them
alike. Numbers are wall-clock seconds.

Fallback section (loadtest/bench_fallback.py): a 256 KiB letter of Yi syllables mixed with Latin
words (a late fallback font, a font switch every other word) against a 256 KiB ASCII letter, end to
end and the Python part alone; the budget is 4x.

Speed section (loadtest/bench_speed.py): handler imports, the CLI as a whole process, and renders by
a TeX process started ahead of time, each as a ratio to its reference in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docpipe import formats, renderer, templates, validation
from docpipe.renderer import Renderer
from loadtest import bench_fallback, bench_fit, bench_pipeline, bench_speed
from loadtest.machine import cpu_model
from loadtest.percentiles import percentile

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "docpipe" / "samples" / "resume.json"
WARM_TARGET_S = 0.12
SPEEDUP_TARGET = 3.0


# --- helpers ------------------------------------------------------------------------------------------


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (TeX)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], Any], cpu: list[float] | None = None) -> float:
    """Wall-clock seconds of ``fn()``; its CPU seconds (ours + TeX's) are appended to ``cpu``."""
    started, cpu_started = time.perf_counter(), _cpu()
    fn()
    wall = time.perf_counter() - started
    if cpu is not None:
        cpu.append(_cpu() - cpu_started)
    return wall


@dataclass
class Series:
    label: str
    values: list[float]
    cpu: list[float]

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p90(self) -> float:
        return percentile(self.values, 90)


def machine() -> str:
    cpu = cpu_model()
    tex = subprocess.run(["pdftex", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {tex}; load average {load} at the start"
    )


# --- the engine section ---------------------------------------------------------------------------------


def _bare_two_pass(tex: str) -> float:
    """The original service: a fresh directory, no format, pdflatex twice (for cross-references)."""
    root = Path(tempfile.mkdtemp(prefix="docpipe-bench-"))
    try:
        (root / "document.tex").write_text(tex, encoding="utf-8")
        started = time.perf_counter()
        for _ in range(2):
            subprocess.run(
                ["pdflatex", "-interaction=nonstopmode", "document.tex"],
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
        elapsed = time.perf_counter() - started
        assert (root / "document.pdf").exists()
        return elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _tex_alone(source: templates.Source, format_path: Path) -> float:
    """TeX by itself: the renderer's own command and environment, timed around the process only."""
    root = Path(tempfile.mkdtemp(prefix="docpipe-bench-"))
    try:
        (root / "document.tex").write_text(source.text, encoding="utf-8")
        command = [renderer.ENGINES[source.engine], "-no-shell-escape", "-interaction=nonstopmode"]
        command += ["-halt-on-error", "-file-line-error", "-no-parse-first-line"]
        command += [f"-fmt={format_path.stem}", "document.tex"]
        env = renderer.tex_environment(root, format_path.parent)
        started = time.perf_counter()
        subprocess.run(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True
        )
        return time.perf_counter() - started
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _gzip_copy(format_path: Path, directory: Path) -> None:
    """The same format, compressed as TeX dumps it, under the same name (so it is the one found)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (
        open(format_path, "rb") as src,
        gzip.open(directory / format_path.name, "wb", compresslevel=1) as dst,
    ):
        shutil.copyfileobj(src, dst)


def _unicode_variant(document: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(document))
    data["data"]["personalInfo"]["name"] = "Ιορδάνης Avery Lee"
    data["data"]["languages"] = ["English", "Ελληνικά", "中文 (普通话)", "Русский"]
    return data


def engine_section(runs: int) -> str:
    document = json.loads(SAMPLE.read_text())
    request = validation.validate_request(document)
    unicode_request = validation.validate_request(_unicode_variant(document))
    assert templates.render_source(unicode_request).engine == "xetex"
    work = Path(tempfile.mkdtemp(prefix="docpipe-bench-"))
    try:
        fresh = Renderer(format_dir=work / "formats")
        print("engine: first render (builds the format)", flush=True)
        cold = timed(lambda: fresh.render(request))
        source = templates.render_source(request)
        format_path = work / "formats" / formats.format_file(source)
        assert format_path.exists()
        _gzip_copy(format_path, work / "gzipped")
        compressed = Renderer(format_dir=work / "gzipped")
        variants: dict[str, Callable[[], Any]] = {
            "warm": lambda: fresh.render(request),
            "gzip": lambda: compressed.render(request),
            "tex": lambda: _tex_alone(source, format_path),
            "python": lambda: templates.render_source(validation.validate_request(document)),
        }
        for label, fn in variants.items():  # warm-ups: page cache, formats, imports
            fn()
            fn()
            assert label != "warm" or fresh.render(request).used_format
        slow: dict[str, Callable[[], Any]] = {
            "bare": lambda: _bare_two_pass(source.text),
            "xetex": lambda: fresh.render(unicode_request),
        }
        series = _measure(variants, slow, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _engine_table(series, cold, Renderer().render(unicode_request).passes)


def _measure(
    variants: dict[str, Callable[[], Any]], slow: dict[str, Callable[[], Any]], runs: int
) -> dict[str, Series]:
    """Every variant once per round for ``runs`` rounds, the slow ones in the first third only."""
    series = {label: Series(label, [], []) for label in [*variants, *slow]}
    slow_runs = max(5, runs // 3)
    print(
        f"engine: {runs} rounds of warm renders (and variants), {slow_runs} bare two-pass and XeLaTeX",
        flush=True,
    )
    for round_ in range(runs):
        for label, fn in [*variants.items(), *(slow.items() if round_ < slow_runs else ())]:
            series[label].values.append(timed(fn, series[label].cpu))
        if (round_ + 1) % 5 == 0:
            print(
                f"engine:   {round_ + 1}/{runs} rounds, warm median so far {series['warm'].median:.3f} s",
                flush=True,
            )
    return series


def _engine_table(series: dict[str, Series], cold: float, xetex_passes: int) -> str:
    warm, bare = series["warm"], series["bare"]
    ratio = bare.median / warm.median
    rows = [
        (
            "warm render, `Renderer.render` (pdfTeX, format)",
            warm,
            f"≤ {WARM_TARGET_S} s",
            warm.median <= WARM_TARGET_S,
        ),
        ("original: fresh dir, no format, `pdflatex` ×2", bare, "", None),
        ("XeLaTeX path (Greek + CJK, no format)", series["xetex"], "", None),
        ("  of the warm render: Python (validate + template)", series["python"], "", None),
        ("  of the warm render: TeX alone, same command", series["tex"], "", None),
        ("before: the format gzip-compressed", series["gzip"], "", None),
    ]
    lines = [
        "| engine measure | median | p90 | n | CPU median | target |",
        "|---|---:|---:|---:|---:|---|",
        f"| first render (builds the format) | {cold:.3f} s | | 1 | | |",
    ]
    for name, s, target, ok in rows:
        mark = "" if ok is None else (" ✓" if ok else " ✗ missed")
        lines.append(
            f"| {name} | {s.median:.3f} s | {s.p90:.3f} s | {len(s.values)} | {s.cpu_median:.3f} s | {target}{mark} |"
        )
    lines.append(
        f"| speed-up, original ÷ warm | {ratio:.1f}× | | | {bare.cpu_median / warm.cpu_median:.1f}× | "
        f"≥ {SPEEDUP_TARGET:g}×{' ✓' if ratio >= SPEEDUP_TARGET else ' ✗ missed'} |"
    )
    tex, python, gzip_ = series["tex"], series["python"], series["gzip"]
    lines.append("")
    lines.append(
        f"Warm render = TeX {tex.median * 1000:.0f} ms + renderer overhead {(warm.median - tex.median) * 1000:.0f} ms "
        f"(temp dir, spawn, wait, reading the PDF; Python templating alone {python.median * 1000:.1f} ms). "
        f"XeLaTeX: {xetex_passes} pass(es). Gzip-compressed → uncompressed format in this run: "
        f"{gzip_.median * 1000:.0f} → {warm.median * 1000:.0f} ms median, "
        f"{gzip_.p90 * 1000:.0f} → {warm.p90 * 1000:.0f} ms p90."
    )
    return "\n".join(lines)


# --- the pipeline section (loadtest/bench_pipeline.py) -----------------------------------------------------


def pipeline_section(runs: int) -> str:
    del runs  # the pipeline section sizes itself
    return str(bench_pipeline.report(bench_pipeline.run()))


SECTIONS: dict[str, Callable[[int], str]] = {
    "engine": engine_section,
    "fallback": bench_fallback.section,
    "fit": bench_fit.section,
    "pipeline": pipeline_section,
    "speed": bench_speed.section,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these sections")
    parser.add_argument("--runs", type=int, default=21, help="warm renders per variant (at least 15)")
    args = parser.parse_args(argv)
    if args.runs < 15:
        parser.error("--runs must be at least 15")
    # The in-process cache-hit loop would print Powertools' EMF blob of 100 CacheHit values every 100
    # submits into the report; metrics are recorded as before, just not printed.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    about = machine()
    print(f"machine: {about}", flush=True)
    tables = []
    for name in args.only or list(SECTIONS):
        started = time.perf_counter()
        tables.append(SECTIONS[name](args.runs))
        print(f"{name}: done in {time.perf_counter() - started:.0f} s", flush=True)
    print()
    print(f"Machine: {about}")
    print("Load average at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("Command: .venv/bin/python -m loadtest.bench " + " ".join(argv or sys.argv[1:]))
    for table in tables:
        print()
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
