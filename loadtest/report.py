"""What a load-test run measured, as JSON and Markdown under ``loadtest/results/`` (one pair per
scenario, and ``README.md`` with the latest run of each side by side with the original's figures)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from loadtest.machine import cpu_model
from loadtest.options import Options, StackShape, Target
from loadtest.scenarios import (
    ALL,
    HEADLINE,
    ORIGINAL,
    ORIGINAL_CORES,
    SUBMIT_HIT,
    SUBMIT_NEW,
    TIME_TO_PDF,
    TITLES,
)

REPO = Path(__file__).resolve().parents[1]


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True)
        return head + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def headline(scenario: str, figures: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """The figure comparable with the original's, and the latency distribution that goes with it."""
    endpoints = figures["endpoints"]
    if scenario == "fresh":
        return figures["time_to_pdf"]["per_second"], figures["time_to_pdf"]
    if scenario in ("mixed", "async"):
        submits = [endpoints[n] for n in (SUBMIT_HIT, SUBMIT_NEW) if n in endpoints]
        rate = sum(e["per_second"] for e in submits)
        if scenario == "async":
            return rate, submits[0] if submits else figures["http"]
        return rate, figures["http"]
    return figures["http"]["per_second"], figures["http"]


def verdicts(scenario: str, figures: dict[str, Any]) -> list[tuple[str, bool]]:
    """The issue's targets for this 2-core machine (benchmark figures, not test assertions)."""
    checks = [("zero errors", figures["http"]["failures"] == 0 and figures["time_to_pdf"]["failures"] == 0)]
    jobs = figures["jobs"]
    if jobs["followed"]:
        checks.append(("every followed job succeeded", jobs["failed"] == 0 and jobs["unfinished"] == 0))
    if scenario == "cached":
        checks.append((">= 1,000 RPS", figures["http"]["per_second"] >= 1000))
        checks.append(("p99 <= 50 ms", figures["http"]["p99_ms"] <= 50))
    if scenario == "fresh":
        checks.append(("time-to-PDF p50 <= 0.5 s", figures["time_to_pdf"]["p50_ms"] <= 500))
        checks.append((">= 8 PDFs/s sustained", figures["time_to_pdf"]["per_second"] >= 8))
    return checks


def limits(figures: dict[str, Any], shape: StackShape | None) -> str:
    """Which resource was the ceiling, read off the CPU split."""
    cpu = figures["cpu"]
    if shape is None:
        return (
            f"Remote stack: only locust's CPU is known here ({cpu.get('locust', 0):.2f} cores). "
            "Below 2 busy cores on this machine, the ceiling is the stack, not the load generator."
        )
    cores = os.cpu_count() or 1
    parts = {k: v for k, v in cpu.items() if k in ("api", "workers", "tex", "moto", "redis", "locust")}
    ranked = ", ".join(f"{k} {v:.2f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 0.005)
    # Python processes run one thread at a time (the GIL): one process tops out near one core.
    processes = {"moto": 1, "redis": 1, "api": shape.api_processes or 1, "locust": 1}
    saturated = [
        f"{name} ({cpu[name]:.2f} cores from {n} process{'es' if n > 1 else ''})"
        for name, n in processes.items()
        if cpu.get(name, 0.0) >= 0.75 * n
    ]
    busy = cpu["machine"]
    if busy >= 0.9 * cores:
        verdict = f"CPU-bound: the machine's {cores} cores were {100 * busy / cores:.0f} % busy"
    elif saturated:
        verdict = (
            f"{busy:.2f} of {cores} cores busy, yet processes that run one thread at a time (a Python "
            "GIL, or redis) were at their ceiling of about one core each: " + ", ".join(saturated)
        )
    else:
        verdict = (
            f"not CPU-bound ({busy:.2f} of {cores} cores busy): concurrency (users, workers, polling) "
            "set the pace"
        )
    return f"{verdict}. Cores by consumer: {ranked}."


def report(
    options: Options, scenario: str, where: Target, pool_size: int, figures: dict[str, Any]
) -> dict[str, Any]:
    """The summary of one scenario's run, written as ``<scenario>.json`` and ``.md``."""
    shape = where.shape
    cores = os.cpu_count() or 1
    original = ORIGINAL.get(scenario)
    summary: dict[str, Any] = {
        "scenario": scenario,
        "title": TITLES[scenario],
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "revision": _git_revision(),
        "machine": {"cores": cores, "cpu": cpu_model()},
        "target": options.target or "local stack (docpipe dev)",
        "stack": None if shape is None else _stack(shape, where),
        "users": options.users,
        "duration": options.duration,
        "pool_size": pool_size,
        "headline": _headline(scenario, figures, cores, local=shape is not None),
        "original": None
        if original is None
        else {**original, "cores": ORIGINAL_CORES, "per_core": original["rps"] / ORIGINAL_CORES},
        "targets": [{"check": name, "met": met} for name, met in verdicts(scenario, figures)],
        "limits": limits(figures, shape),
        "measured": figures,
    }
    jobs = figures["jobs"]
    summary["ok"] = (
        figures["http"]["failures"] == 0
        and figures["time_to_pdf"]["failures"] == 0
        and jobs["failed"] == 0
        and jobs["unfinished"] == 0
    )
    write(options.results, summary)
    return summary


def _stack(shape: StackShape, where: Target) -> dict[str, Any]:
    return {
        "api_processes": shape.api_processes,
        "render_workers": shape.workers,
        "environment": shape.env,
        "shared_by": list(where.scenarios) if len(where.scenarios) > 1 else [],
    }


def _headline(scenario: str, figures: dict[str, Any], cores: int, *, local: bool) -> dict[str, Any]:
    rate, latency = headline(scenario, figures)
    stack_cores = figures["cpu"]["stack"] if local else None
    return {
        "what": HEADLINE[scenario],
        "per_second": rate,
        "p50_ms": latency["p50_ms"],
        "p95_ms": latency["p95_ms"],
        "p99_ms": latency["p99_ms"],
        "per_stack_core": rate / stack_cores if stack_cores else None,
        "per_machine_core": rate / cores,
    }


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def describe_stack(s: dict[str, Any]) -> str:
    stack = s["stack"]
    if stack is None:
        return str(s["target"])
    api = f"{stack['api_processes']} API process(es)" if stack["api_processes"] else "API in-process"
    text = f"local stack (`docpipe dev`: {api}, {stack['render_workers']} render workers"
    if stack["environment"]:
        text += "; " + ", ".join(f"{k}={v}" for k, v in stack["environment"].items())
    if stack["shared_by"]:
        text += f"; one stack for {', '.join(stack['shared_by'])}, in that order"
    return text + ")"


def markdown(s: dict[str, Any]) -> str:
    """``<scenario>.md``: the summary for people."""
    out = [f"# Load test: {s['title']}", "", *_about(s), "", "## Result", ""]
    out += _result_table(s)
    out += ["", "## Targets on this machine (benchmark figures, not test assertions)", ""]
    out += [f"- [{'x' if t['met'] else ' '}] {t['check']}" for t in s["targets"]]
    out += ["", "## CPU: cores used during the measured window", ""]
    out += _cpu_section(s)
    if s["measured"].get("locust_cpu_warning"):
        out.append("\nLocust warned that its CPU was above 90 %: the load generator itself was a limit.")
    out += ["", f"What limits it: {s['limits']}", "", "## Per request", "", *_per_request(s["measured"])]
    if s["measured"]["failure_reasons"]:
        reasons = s["measured"]["failure_reasons"].items()
        out += ["", "## Failures", ""] + [f"- {n} × {reason}" for reason, n in reasons]
    out += [
        "",
        "Notes: latency is measured by locust on the same machine, so it includes locust's own "
        "scheduling under CPU contention. The original figures were published without the cache or "
        "the async path they describe being wired; its 16 cores are its claim, not a measurement here. "
        f"Locust's CSV (`{s['scenario']}_stats.csv`, git-ignored) has the same requests; its "
        "'Aggregated' row also counts time-to-PDF, which the figures above keep apart.",
        "",
    ]
    return "\n".join(out)


def _about(s: dict[str, Any]) -> list[str]:
    m = s["measured"]
    return [
        f"- When: {s['when']}, revision {s['revision']}",
        f"- Target: {describe_stack(s)}",
        f"- Load: {s['users']} users (closed loop, no think time) for {s['duration']} "
        f"({m['seconds']:.1f} s measured); seed {m['options']['seed']}"
        + (f"; warm pool of {s['pool_size']} documents" if s["pool_size"] else ""),
        f"- Machine: {s['machine']['cores']} cores ({s['machine']['cpu']}), shared by the stack, TeX "
        "and locust" + (" (the stack was remote)" if s["stack"] is None else ""),
    ]


def _result_table(s: dict[str, Any]) -> list[str]:
    m, h, original = s["measured"], s["headline"], s["original"]
    per_core = (
        f"{h['per_stack_core']:,.1f} per stack core ({m['cpu']['stack']:.2f} cores); "
        if h["per_stack_core"]
        else ""
    ) + f"{h['per_machine_core']:,.1f} per machine core ({s['machine']['cores']})"
    theirs = {"rate": "—", "latency": "—", "per_core": "—"}
    if original:
        theirs = {
            "rate": f"{original['rps']:,} ({original['label']})",
            "latency": original["latency"],
            "per_core": f"{original['per_core']:,.1f} ({original['rps']:,} / {original['cores']} cores claimed)",
        }
    latency = f"{_ms(h['p50_ms'])} / {_ms(h['p95_ms'])} / {_ms(h['p99_ms'])}"
    http = m["http"]
    return [
        "| | ours | original |",
        "|---|---:|---:|",
        f"| {h['what']} | {h['per_second']:,.1f} | {theirs['rate']} |",
        f"| latency p50 / p95 / p99 | {latency} | {theirs['latency']} |",
        f"| per core | {per_core} | {theirs['per_core']} |",
        f"| error rate | {100 * m['error_rate']:.3f} % ({http['failures']} of {http['count']:,}) | — |",
        f"| HTTP requests/s (all) | {http['per_second']:,.1f} | — |",
        *_job_rows(m),
    ]


def _job_rows(m: dict[str, Any]) -> list[str]:
    rows = []
    if m["time_to_pdf"]["count"] or m["jobs"]["followed"]:
        t, j = m["time_to_pdf"], m["jobs"]
        rows.append(
            f"| time-to-PDF p50 / p95 / p99 / max | {_ms(t['p50_ms'])} / {_ms(t['p95_ms'])} / "
            f"{_ms(t['p99_ms'])} / {_ms(t['max_ms'])} ({t['count']} PDFs, {t['per_second']:.1f}/s, {t['failures']} failed) | — |"
        )
        rows.append(
            f"| followed jobs | {j['followed']}: {j['succeeded']} succeeded, {j['succeeded_after_stop']} "
            f"succeeded after the clock stopped, {j['failed']} failed, {j['unfinished']} unfinished | — |"
        )
    if m["answers"]:
        answers = ", ".join(f"{k}: {v:,}" for k, v in sorted(m["answers"].items()))
        rows.append(f"| submit answers | {answers} | — |")
    if m.get("unicode_documents"):
        rows.append(f"| new documents needing XeTeX | {m['unicode_documents']} | — |")
    return rows


def _cpu_section(s: dict[str, Any]) -> list[str]:
    cpu, rate = s["measured"]["cpu"], s["headline"]["per_second"]
    if s["stack"] is None:
        return [f"locust {cpu.get('locust', 0):.2f} cores; machine busy {cpu['machine']:.2f} cores."]
    api_in_root = not s["stack"]["api_processes"]
    workers = "docpipe dev (API + render workers)" if api_in_root else "render workers (Python)"
    columns = ("api", "workers", "tex", "moto", "redis", "stack", "locust", "other", "machine")
    out = [
        f"| api | {workers} | TeX | moto | redis | stack total | locust | other processes | machine busy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| " + " | ".join(f"{cpu.get(k, 0.0):.2f}" for k in columns) + " |",
    ]
    if rate > 0:
        unit = {"fresh": "PDF", "mixed": "submission", "async": "submission"}.get(s["scenario"], "request")
        per_unit = {k: 1000 * cpu.get(k, 0.0) / rate for k in columns[:7]}
        inside = ", ".join(
            f"{k} {v:.1f}" for k, v in per_unit.items() if k not in ("stack", "locust") and v >= 0.05
        )
        out += [
            "",
            f"CPU per {unit}: {per_unit['stack']:.1f} ms of the stack's ({inside})"
            f" and {per_unit['locust']:.1f} ms of locust's.",
        ]
    if cpu.get("other", 0.0) >= 0.1:
        out += [
            "",
            f"Other processes on the machine (neither the stack nor locust) used {cpu['other']:.2f} cores "
            "during the run: what the stack got was that much less than an idle machine gives.",
        ]
    return out


def _per_request(m: dict[str, Any]) -> list[str]:
    out = [
        "| request | count | per s | p50 | p95 | p99 | max | failures |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = dict(m["endpoints"])
    if m["time_to_pdf"]["count"]:
        rows[TIME_TO_PDF] = m["time_to_pdf"]
    for name, e in rows.items():
        out.append(
            f"| {name} | {e['count']:,} | {e['per_second']:,.1f} | {_ms(e['p50_ms'])} | {_ms(e['p95_ms'])} | "
            f"{_ms(e['p99_ms'])} | {_ms(e['max_ms'])} | {e['failures']} |"
        )
    return out


def write(results: Path, summary: dict[str, Any]) -> None:
    name = summary["scenario"]
    (results / f"{name}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    (results / f"{name}.md").write_text(markdown(summary))


def write_index(results: Path) -> None:
    """``README.md``: the latest run of every scenario in ``results``, side by side with the original."""
    summaries = []
    for scenario in ALL:
        path = results / f"{scenario}.json"
        if path.exists():
            summaries.append(json.loads(path.read_text()))
    lines = [
        "# Load-test results",
        "",
        "The latest run of each scenario (`make loadtest SCENARIO=...`); each links to its summary.",
        "Per core: ours per core the stack used (measured from /proc), the original per core it claimed.",
        "On a shared 2-core VM consecutive runs of one scenario differ by up to a third (CPU time per",
        "request moves with the neighbours); each summary lists the cores other processes took. Read a",
        "difference as a regression only when it outlasts a few runs.",
        "",
        "| scenario | ours | p99 | per stack core | original | original per core (16) | errors | when |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in summaries:
        h, o, m = s["headline"], s["original"], s["measured"]
        lines.append(
            f"| [{s['scenario']}]({s['scenario']}.md) | {h['per_second']:,.1f} {h['what'].split(' (')[0]} | "
            f"{_ms(h['p99_ms'])} | {h['per_stack_core'] or 0:,.1f} | "
            + (f"{o['rps']:,} ({o['latency']}) | {o['per_core']:,.1f}" if o else "— | —")
            + f" | {m['http']['failures'] + m['time_to_pdf']['failures']} | {s['when']} |"
        )
    (results / "README.md").write_text("\n".join(lines) + "\n")
