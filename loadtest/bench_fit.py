"""Fitting to N pages (part of `make bench`): what ``fit: "shrink"`` adds to a render.

A corpus of résumés 2 % to 20 % too long for one page (the sample, with more bullets), in both
résumé templates. Each is rendered as it is and fitted to one page, interleaved round by round,
both through ``Renderer.render`` as the render workers run it (TeX started ahead of time:
standby.py). Reported: TeX runs per fit (median, p95, most) and the fitted render's time as a
ratio to the plain render of the same document (median and p95 over the corpus). The target:
at most 4 TeX runs, and at most 3x a plain render at the median.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from docpipe import validation
from docpipe.renderer import Renderer
from loadtest.percentiles import percentile

SAMPLE = Path(__file__).parents[1] / "src" / "docpipe" / "samples" / "resume.json"
FILLER = "Cut the nightly settlement batch from 40 minutes to 6 by partitioning ledger scans by merchant."
MAX_RUNS, BUDGET = 4, 3.0


def longer_resume(bullets: int, template: str = "classic") -> dict[str, Any]:
    """The sample résumé with ``bullets`` more one-line achievements in its first job (the fit
    benchmark's corpus, and the fit tests' documents)."""
    document: dict[str, Any] = json.loads(SAMPLE.read_text())
    document["template"] = template
    document["data"]["experience"][0]["achievements"] += [f"{FILLER} (#{n})" for n in range(bullets)]
    return document


def _document(template: str, bullets: int, fit: bool) -> dict[str, Any]:
    document = longer_resume(bullets, template)
    if fit:
        document["options"] = {"layout": {"maxPages": 1, "fit": "shrink"}}
    return document


def corpus(renderer: Renderer) -> list[tuple[str, int]]:
    """(template, bullets) of every document between 2 % and 20 % too long for one page."""
    chosen = []
    for template in ("classic", "two_column"):
        for bullets in range(0, 40):
            request = validation.validate_request(_document(template, bullets, fit=False))
            length = renderer.search_fit(request, 99).runs[0].length
            if 1.02 <= length <= 1.20:
                chosen.append((template, bullets))
    return chosen


def _timed(renderer: Renderer, request: Any) -> tuple[float, Any]:
    renderer.prepare_next()  # as a worker does between jobs; its start is not the render's time
    time.sleep(0.3)
    started = time.perf_counter()
    result = renderer.render(request)
    return time.perf_counter() - started, result


def section(runs: int) -> str:
    rounds = max(5, runs // 3)
    work = Path(tempfile.mkdtemp(prefix="docpipe-bench-fit-"))
    renderer = Renderer(timeout=60, format_dir=work / "formats", standby=True)
    plain: dict[tuple[str, int], list[float]] = {}
    fitted: dict[tuple[str, int], list[float]] = {}
    tex_runs: dict[tuple[str, int], int] = {}
    try:
        documents = corpus(renderer)
        print(f"fit: {rounds} rounds of {len(documents)} documents 2-20 % too long", flush=True)
        for _ in range(rounds):
            for key in documents:
                as_is = validation.validate_request(_document(*key, fit=False))
                to_fit = validation.validate_request(_document(*key, fit=True))
                plain.setdefault(key, []).append(_timed(renderer, as_is)[0])
                seconds, result = _timed(renderer, to_fit)
                fitted.setdefault(key, []).append(seconds)
                if result.pages != 1 or result.layout is None:
                    raise RuntimeError(f"{key} was not fitted to one page")
                tex_runs[key] = int(result.layout["texRuns"])
    finally:
        renderer.close()
        shutil.rmtree(work, ignore_errors=True)
    return _table(plain, fitted, tex_runs, rounds)


def _table(
    plain: dict[Any, list[float]], fitted: dict[Any, list[float]], tex_runs: dict[Any, int], rounds: int
) -> str:
    ratios = [statistics.median(fitted[key]) / statistics.median(plain[key]) for key in plain]
    runs = list(tex_runs.values())
    median_ratio, most = statistics.median(ratios), max(runs)
    plain_median = statistics.median(statistics.median(v) for v in plain.values())
    fitted_median = statistics.median(statistics.median(v) for v in fitted.values())
    ok_runs = "✓" if most <= MAX_RUNS else "✗ missed"
    ok_ratio = "✓" if median_ratio <= BUDGET else "✗ missed"
    return "\n".join(
        [
            f"Fit to one page: {len(plain)} résumés 2-20 % too long, {rounds} rounds, TeX started ahead",
            "",
            "| fit measure | median | p95 | most | target |",
            "|---|---:|---:|---:|---|",
            f"| TeX runs per fit | {statistics.median(runs):g} | {percentile(runs, 95):.1f} | {most} | "
            f"≤ {MAX_RUNS} {ok_runs} |",
            f"| fitted render ÷ plain render (same document, same run) | **{median_ratio:.2f}x** | "
            f"{percentile(ratios, 95):.2f}x | {max(ratios):.2f}x | ≤ {BUDGET:g}x at the median {ok_ratio} |",
            f"| plain render, wall | {plain_median * 1000:.0f} ms | | | |",
            f"| fitted render, wall | {fitted_median * 1000:.0f} ms | | | |",
        ]
    )
