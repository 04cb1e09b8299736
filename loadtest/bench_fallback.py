"""Fallback fonts against ASCII (part of `make bench`): what a document set in a late fallback font
costs end to end, next to an ASCII document of the same size.

Both are cover letters just under the request limit (256 KiB of JSON): one of ASCII words, the
other of Yi syllables (Noto Sans Yi, near the end of the fallback fonts) mixed with Latin words, so
that every other word switches fonts. Each is rendered through ``Renderer.render`` (templating,
escaping, font choice and TeX: ASCII by pdfTeX from a format, Yi by XeLaTeX), interleaved round by
round; the Python part (``render_source``) is measured on its own as well, and so is each render by
a TeX process started ahead of time (standby.py), as the render Lambda and the local workers run.
The budget: the fallback-heavy document costs at most 4x the ASCII one, end to end, as deployed.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docpipe import limits, templates, validation
from docpipe.renderer import Renderer

BUDGET = 4.0
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_YI = [chr(code) for code in range(0xA000, 0xA48D)]


def _words(length: int, seed: int, alphabets: list[Any]) -> str:
    rng = random.Random(seed)
    words: list[str] = []
    while sum(map(len, words)) + len(words) < length:
        alphabet = rng.choice(alphabets)
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(2, 8))))
    return " ".join(words)[:length]


def letter(paragraph: Callable[[int], str]) -> dict[str, Any]:
    """A cover letter of as many paragraphs as fit under the request limit."""
    body: list[str] = []
    person = {"name": "Ada Lovelace", "email": "ada@example.com"}
    document = {"document_type": "cover_letter", "data": {"personalInfo": person, "body": body}}
    while len(body) < limits.MAX_LIST_ITEMS:
        body.append(paragraph(len(body)))
        if len(json.dumps(document, ensure_ascii=False).encode()) > limits.MAX_REQUEST_BYTES - 1024:
            body.pop()
            break
    return document


def documents() -> dict[str, dict[str, Any]]:
    ascii_letter = letter(lambda i: _words(2_500, i, [_LATIN]))
    greek_name = json.loads(json.dumps(ascii_letter))
    greek_name["data"]["personalInfo"]["name"] = "Άντα Lovelace"  # one Greek word: XeLaTeX, no fallback
    return {
        "ascii": ascii_letter,
        "xetex": greek_name,
        "yi": letter(lambda i: _words(1_500, i, [_YI, _LATIN])),
    }


def _cpu() -> float:
    """CPU seconds of this process and its finished children (TeX)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def section(runs: int) -> str:
    rounds = max(5, runs // 3)
    docs = documents()
    requests = {name: validation.validate_request(doc) for name, doc in docs.items()}
    sizes = {name: len(json.dumps(doc, ensure_ascii=False).encode()) for name, doc in docs.items()}
    work = Path(tempfile.mkdtemp(prefix="docpipe-bench-"))
    # "ascii": wall seconds, "ascii cpu": CPU seconds with TeX's, "ascii python": render_source alone.
    kinds = ("", " cpu", " python", " standby")
    samples: dict[str, list[float]] = {f"{n}{k}": [] for n in requests for k in kinds}
    warm = Renderer(timeout=120, format_dir=work / "formats", standby=True)
    try:
        renderer = Renderer(timeout=120, format_dir=work / "formats")
        for request in requests.values():  # warm-up: the format, fontconfig's cache, the font table
            renderer.render(request)
        print(f"fallback: {rounds} rounds of a {sizes['ascii'] // 1024} KiB ASCII and a "
              f"{sizes['yi'] // 1024} KiB Yi + Latin letter", flush=True)  # fmt: skip
        for _ in range(rounds):
            for name, request in requests.items():
                started, cpu = time.perf_counter(), _cpu()
                renderer.render(request)
                samples[name].append(time.perf_counter() - started)
                samples[f"{name} cpu"].append(_cpu() - cpu)
                cpu = time.process_time()
                templates.render_source(request)
                samples[f"{name} python"].append(time.process_time() - cpu)
                samples[f"{name} standby"].append(_by_standby(warm, request))
    finally:
        warm.close()
        shutil.rmtree(work, ignore_errors=True)
    return _table({k: statistics.median(v) for k, v in samples.items()}, rounds, sizes)


def _by_standby(warm: Renderer, request: Any) -> float:
    """End to end by a TeX process started ahead of time, as a render worker has one (standby.py);
    its start is not counted: in a worker it happens between jobs."""
    warm.render(request)  # makes this the kind of document prepared next
    warm.prepare_next()
    time.sleep(2.0)
    started = time.perf_counter()
    result = warm.render(request)
    assert result.used_standby, "the standby process was not used"
    return time.perf_counter() - started


def _table(median: dict[str, float], rounds: int, sizes: dict[str, int]) -> str:
    lines = [
        "| fallback measure | ASCII (pdfTeX) | ASCII (XeLaTeX) | Yi + Latin (XeLaTeX) | Yi ÷ ASCII | budget |",
        "|---|---:|---:|---:|---:|---|",
        "| request size | "
        + " | ".join(f"{sizes[n] / 1024:.0f} KiB" for n in ("ascii", "xetex", "yi"))
        + " | | |",
    ]
    for label, key in (
        ("end to end, wall, spawning TeX per render", ""),
        ("end to end, CPU incl. TeX", " cpu"),
        ("of which Python (`render_source`, CPU)", " python"),
    ):
        a, x, y = (median[f"{name}{key}"] for name in ("ascii", "xetex", "yi"))
        lines.append(f"| {label} | {a:.3f} s | {x:.3f} s | {y:.3f} s | {y / a:.1f}x | |")
    a, x, y = (median[f"{name} standby"] for name in ("ascii", "xetex", "yi"))
    ratio = y / a
    mark = "✓" if ratio <= BUDGET else "✗ missed"
    lines.append(
        f"| **end to end, wall, TeX started ahead (as the render workers run)** | {a:.3f} s | {x:.3f} s | "
        f"{y:.3f} s | **{ratio:.1f}x** | ≤ {BUDGET:g}x {mark} |"
    )
    own = median["yi"] / median["xetex"]
    lines.append(f"| the fallback fonts' own share: Yi ÷ ASCII, both XeLaTeX | | | | {own:.1f}x | |")
    lines.append("")
    lines.append(
        f"Medians of {rounds} interleaved rounds after one warm-up render each. The XeLaTeX column is the "
        "ASCII letter with one Greek word in the name: what the engine costs before any fallback font."
    )
    return "\n".join(lines)
