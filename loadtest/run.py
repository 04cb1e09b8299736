"""`make loadtest`: run one load-test scenario headless and write what it measured.

    .venv/bin/python loadtest/run.py --scenario cached --users 50 --duration 30s
    .venv/bin/python loadtest/run.py --scenario all --users 20 --duration 30s
    API_KEY=... .venv/bin/python loadtest/run.py --scenario fresh --target https://api.example.com/prod

Without ``--target`` it starts the local stack (``docpipe dev``) as a child process, warms it,
runs locust against it as another child process, and stops both; with ``--target`` it runs against
that stack (the API key, from ``API_KEY`` or ``--api-key``, is sent as ``x-api-key``). The stack
never runs inside the locust process: locust patches the standard library with gevent.

Bounded by users and duration, it stops by itself. While it runs it prints one progress line every
few seconds. It writes, under ``loadtest/results/``:

- ``<scenario>_stats.csv`` etc.: locust's own CSV (git-ignored);
- ``<scenario>.json`` and ``<scenario>.md``: RPS, median/p95/p99 latency, error rate, time-to-PDF
  percentiles (fresh, mixed), CPU cores used by the stack (per component, read from /proc) and by
  locust, and the original service's published figure beside ours, per core.

Exit code 0 when there was no error and every followed job succeeded; 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))
import documents
import warmup
from scenarios import (
    API_KEY_ENV,
    HEADLINE,
    ORIGINAL,
    ORIGINAL_CORES,
    SUBMIT_HIT,
    SUBMIT_NEW,
    TIME_TO_PDF,
    TITLES,
    USER_CLASSES,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
RESULTS = HERE / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class StackShape:
    """How the local stack is started for a scenario (each can be overridden on the command line)."""

    api_processes: int
    workers: int
    pool: int
    env: dict[str, str] = field(default_factory=dict)


SHAPES = {
    # Three API processes for two cores: one process (an event loop and a thread pool sharing a
    # GIL) leaves gaps a second and third fill; a fourth only adds switching.
    "cached": StackShape(api_processes=3, workers=2, pool=100),
    "fresh": StackShape(api_processes=1, workers=3, pool=0),
    "mixed": StackShape(api_processes=2, workers=3, pool=100),
    # Submission alone, as the original measured it: the render workers are off (in AWS they are
    # other machines), so the queue only grows; the backlog limit is raised for the run so that
    # backpressure (503 at 2,000 waiting jobs) does not turn the measurement into refusals.
    "async": StackShape(api_processes=2, workers=0, pool=0, env={"DOCPIPE_MAX_BACKLOG": "10000000"}),
    "status": StackShape(api_processes=2, workers=2, pool=50),
}


def say(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


def seconds(duration: str) -> float:
    """Locust's duration syntax: ``30``, ``30s``, ``2m``, ``1h30m``."""
    if duration.isdigit():
        return float(duration)
    parts = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?", duration.strip())
    if not parts or not any(parts.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {duration!r} (try 30s, 2m, 1h30m)")
    h, m, s = (int(g or 0) for g in parts.groups())
    return float(h * 3600 + m * 60 + s)


# --- CPU, from /proc ----------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(ppid, own CPU seconds, reaped children's CPU seconds) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return int(fields[1]), (utime + stime) / CLK_TCK, (cutime + cstime) / CLK_TCK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLK_TCK


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                children.setdefault(stat[0], []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def component(pid: int, root: int) -> str:
    line = _cmdline(pid)
    if "moto.server" in line or "docpipe.devstack moto" in line:
        return "moto"
    if "redis-server" in line:
        return "redis"
    if "docpipe.devstack api" in line:
        return "api"
    if pid == root:
        return "workers"
    return "tex"  # TeX engines (pdftex, xetex, xdvipdfmx) the workers start


@dataclass
class CpuSample:
    at: float
    parts: dict[str, float]
    machine: float


class CpuMeter(threading.Thread):
    """Samples cumulative CPU seconds of the stack's process tree (by component), locust's, and the
    machine's, twice a second. A TeX process is counted live while it runs and, once the worker
    reaped it, in the stack root's children time, so short renders between samples are not lost."""

    def __init__(self, stack_pid: int | None, locust_pid: int) -> None:
        super().__init__(daemon=True, name="cpu-meter")
        self.stack_pid, self.locust_pid = stack_pid, locust_pid
        self.samples: list[CpuSample] = []
        self.done = threading.Event()

    def sample(self) -> CpuSample:
        parts: dict[str, float] = {}
        if self.stack_pid is not None:
            for pid in descendants(self.stack_pid):
                stat = _stat(pid)
                if stat is None:
                    continue
                name = component(pid, self.stack_pid)
                parts[name] = parts.get(name, 0.0) + stat[1]
                if pid == self.stack_pid:
                    parts["tex"] = parts.get("tex", 0.0) + stat[2]
        stat = _stat(self.locust_pid)
        if stat is not None:
            parts["locust"] = stat[1] + stat[2]
        return CpuSample(time.time(), parts, machine_busy_seconds())

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append(self.sample())
            self.done.wait(0.5)

    def nearest(self, moment: float) -> CpuSample:
        return min(self.samples, key=lambda s: abs(s.at - moment))

    def cores(self, start: float, stop: float) -> dict[str, float]:
        """Cores used per component between two moments (CPU seconds / wall seconds)."""
        a, b = self.nearest(start), self.nearest(stop)
        wall = max(b.at - a.at, 1e-9)
        names = sorted(set(a.parts) | set(b.parts))
        used = {n: max(b.parts.get(n, 0.0) - a.parts.get(n, 0.0), 0.0) / wall for n in names}
        stack = sum(v for n, v in used.items() if n != "locust")
        used["stack"] = stack
        used["machine"] = (b.machine - a.machine) / wall
        used["other"] = max(used["machine"] - stack - used.get("locust", 0.0), 0.0)
        used["window_s"] = wall
        return used


# --- the local stack ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStack:
    """``docpipe dev`` as a child process in its own process group (so nothing it starts outlives it)."""

    def __init__(self, shape: StackShape, log: Path) -> None:
        self.shape = shape
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None

    def __enter__(self) -> LocalStack:
        command = [str(BIN / "docpipe"), "dev", "--port", str(self.port)]
        command += ["--workers", str(self.shape.workers), "--api-processes", str(self.shape.api_processes)]
        self._log = open(self.log_path, "w")  # closed in __exit__
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **self.shape.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"docpipe dev exited with {self.process.returncode}; see {self.log_path}")
            # Up means: the banner (printed once everything started) and an answering API.
            if "docpipe local stack:" in self.log_path.read_text(errors="replace"):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{self.url}/health", timeout=1).close()
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the local stack did not start within 120 s; see {self.log_path}")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)  # anything of its group still running
        if self._log is not None:
            self._log.close()


# --- one run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """One invocation: which scenarios, how hard, against what."""

    scenarios: list[str]
    users: int
    duration: str
    target: str | None
    api_key: str | None
    api_processes: int | None
    workers: int | None
    pool_size: int | None
    one_stack: bool
    seed: str
    first_poll: float
    poll_interval: float
    unicode_share: float
    progress_interval: float
    results: Path


@dataclass(frozen=True)
class Target:
    url: str
    stack_pid: int | None
    shape: StackShape | None
    """None for a remote stack."""
    scenarios: tuple[str, ...] = ()
    """The scenarios run on this stack, one after the other."""


def progress_line(report: dict[str, Any], meter: CpuMeter | None, total: float) -> str:
    interval = report["interval"]
    rps = report["window_requests"] / interval
    line = f"{report['elapsed']:5.0f}/{total:.0f} s  {report['requests']:>8,} req  {rps:8,.0f} req/s"
    line += f"  p50 {report['p50_ms']:6.1f} ms  p99 {report['p99_ms']:7.1f} ms  errors {report['failures']}"
    if report["pdfs"] or report["jobs_pending"]:
        line += f"  PDFs {report['pdfs']} ({report['window_pdfs'] / interval:.1f}/s)"
    if meter is not None and len(meter.samples) >= 2:
        now = meter.samples[-1].at
        cores = meter.cores(now - interval, now)
        line += f"  | cores: stack {cores['stack']:.2f}, locust {cores.get('locust', 0):.2f}"
        line += f", machine {cores['machine']:.2f}"
    return line


def run_locust(
    options: Options, scenario: str, url: str, pool_file: Path | None, stack_pid: int | None
) -> dict[str, Any]:
    results = options.results
    handle, name = tempfile.mkstemp(prefix=f"docpipe-{scenario}-", suffix=".json")
    os.close(handle)
    measurements = Path(name)
    command = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary"]
    command += ["--users", str(options.users), "--spawn-rate", str(options.users)]
    command += ["--run-time", options.duration, "--host", url, "--stop-timeout", "0"]
    command += ["--csv", str(results / scenario), "--csv-full-history"]
    command += ["--seed", options.seed, "--measurements", str(measurements)]
    command += ["--first-poll", str(options.first_poll), "--poll-interval", str(options.poll_interval)]
    command += ["--unicode-share", str(options.unicode_share)]
    command += ["--progress-interval", str(options.progress_interval)]
    if pool_file is not None:
        command += ["--pool-file", str(pool_file)]
    command.append(USER_CLASSES[scenario])
    env = {**os.environ}
    if options.api_key:
        env[API_KEY_ENV] = options.api_key
    log_path = results / f"{scenario}.locust.log"
    total = seconds(options.duration)
    say(f"locust: {options.users} users for {options.duration} against {url} (log: {log_path})")
    with open(log_path, "w") as log:
        locust = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1
        )
        meter = CpuMeter(stack_pid, locust.pid)
        meter.start()
        killer = threading.Timer(total + 300, locust.kill)  # a hung run still ends
        killer.start()
        assert locust.stdout is not None
        for line in locust.stdout:
            if line.startswith("PROGRESS "):
                say(progress_line(json.loads(line[9:]), meter, total))
            else:
                log.write(line)
        locust.wait()
        killer.cancel()
        meter.done.set()
        meter.join()
    if not measurements.exists() or not measurements.stat().st_size:
        raise RuntimeError(f"locust wrote no measurements (exit {locust.returncode}); see {log_path}")
    figures = json.loads(measurements.read_text())
    measurements.unlink()
    figures["cpu"] = meter.cores(figures["started"], figures["stopped"])
    figures["locust_exit_code"] = locust.returncode
    return figures


def shape_for(scenarios: list[str], options: Options) -> StackShape:
    """The local stack for these scenarios: the largest of their shapes, with the overrides applied."""
    shapes = [SHAPES[s] for s in scenarios]
    env: dict[str, str] = {}
    for shape in shapes:
        env |= shape.env
    return StackShape(
        api_processes=max(s.api_processes for s in shapes)
        if options.api_processes is None
        else options.api_processes,
        workers=max(s.workers for s in shapes) if options.workers is None else options.workers,
        pool=max(s.pool for s in shapes) if options.pool_size is None else options.pool_size,
        env=env,
    )


@contextlib.contextmanager
def target(options: Options, shape: StackShape, label: str) -> Iterator[Target]:
    """The stack to load: the ``--target`` as given, or a local stack started here and stopped after."""
    if options.target:
        say(f"{label}: against {options.target}")
        yield Target(options.target.rstrip("/"), None, None, tuple(label.split("-")))
        return
    started = time.monotonic()
    processes = f"{shape.api_processes} API process(es)" if shape.api_processes else "the API in-process"
    say(f"{label}: starting the local stack ({processes}, {shape.workers} render workers)")
    with LocalStack(shape, options.results / f"{label}.stack.log") as local:
        assert local.process is not None
        say(f"local stack up at {local.url} in {time.monotonic() - started:.1f} s")
        yield Target(local.url, local.process.pid, shape, tuple(label.split("-")))
        say("stopping the local stack")


def run_scenario(options: Options, scenario: str, where: Target, pool_size: int) -> dict[str, Any]:
    with contextlib.ExitStack() as cleanup:
        pool_file = None
        if scenario in ("cached", "mixed", "status"):
            pool = documents.pool(options.seed, pool_size, unicode_share=options.unicode_share)
            jobs = warmup.warm(where.url, pool, options.api_key, progress=say)
            handle, name = tempfile.mkstemp(prefix=f"docpipe-{scenario}-pool-", suffix=".json")
            os.close(handle)
            pool_file = Path(name)
            cleanup.callback(pool_file.unlink)
            pool_file.write_text(json.dumps({"documents": pool, "jobs": jobs}, ensure_ascii=False))
        figures = run_locust(options, scenario, where.url, pool_file, where.stack_pid)
    summary = report(options, scenario, where, pool_size if pool_file else 0, figures)
    print(markdown(summary), flush=True)
    say(f"wrote {options.results / (scenario + '.md')} and {options.results / (scenario + '.json')}")
    return summary


# --- the summary ----------------------------------------------------------------------------------


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True)
        return head + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


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
    shape, local = where.shape, where.shape is not None
    rate, latency = headline(scenario, figures)
    cpu = figures["cpu"]
    cores = os.cpu_count() or 1
    stack_cores = cpu["stack"] if local else None
    original = ORIGINAL.get(scenario)
    summary: dict[str, Any] = {
        "scenario": scenario,
        "title": TITLES[scenario],
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "revision": _git_revision(),
        "machine": {"cores": cores, "cpu": _cpu_model()},
        "target": options.target or "local stack (docpipe dev)",
        "stack": None
        if shape is None
        else {
            "api_processes": shape.api_processes,
            "render_workers": shape.workers,
            "environment": shape.env,
            "shared_by": list(where.scenarios) if len(where.scenarios) > 1 else [],
        },
        "users": options.users,
        "duration": options.duration,
        "pool_size": pool_size,
        "headline": {
            "what": HEADLINE[scenario],
            "per_second": rate,
            "p50_ms": latency["p50_ms"],
            "p95_ms": latency["p95_ms"],
            "p99_ms": latency["p99_ms"],
            "per_stack_core": rate / stack_cores if stack_cores else None,
            "per_machine_core": rate / cores,
        },
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
    m, h, cpu = s["measured"], s["headline"], s["measured"]["cpu"]
    local = s["stack"] is not None
    out = [f"# Load test: {s['title']}", ""]
    stack = describe_stack(s)
    out += [
        f"- When: {s['when']}, revision {s['revision']}",
        f"- Target: {stack}",
        f"- Load: {s['users']} users (closed loop, no think time) for {s['duration']} "
        f"({m['seconds']:.1f} s measured); seed {m['options']['seed']}"
        + (f"; warm pool of {s['pool_size']} documents" if s["pool_size"] else ""),
        f"- Machine: {s['machine']['cores']} cores ({s['machine']['cpu']}), shared by the stack, TeX "
        "and locust" + (" (the stack was remote)" if not local else ""),
        "",
        "## Result",
        "",
        "| | ours | original |",
        "|---|---:|---:|",
    ]
    original = s["original"]
    out.append(
        f"| {h['what']} | {h['per_second']:,.1f} | "
        + (f"{original['rps']:,} ({original['label']})" if original else "—")
        + " |"
    )
    out.append(
        f"| latency p50 / p95 / p99 | {_ms(h['p50_ms'])} / {_ms(h['p95_ms'])} / {_ms(h['p99_ms'])} | "
        + (original["latency"] if original else "—")
        + " |"
    )
    per_core = (
        f"{h['per_stack_core']:,.1f} per stack core ({m['cpu']['stack']:.2f} cores); "
        if h["per_stack_core"]
        else ""
    ) + f"{h['per_machine_core']:,.1f} per machine core ({s['machine']['cores']})"
    out.append(
        f"| per core | {per_core} | "
        + (
            f"{original['per_core']:,.1f} ({original['rps']:,} / {original['cores']} cores claimed)"
            if original
            else "—"
        )
        + " |"
    )
    out.append(
        f"| error rate | {100 * m['error_rate']:.3f} % ({m['http']['failures']} of {m['http']['count']:,}) | — |"
    )
    out.append(f"| HTTP requests/s (all) | {m['http']['per_second']:,.1f} | — |")
    if m["time_to_pdf"]["count"] or m["jobs"]["followed"]:
        t = m["time_to_pdf"]
        out.append(
            f"| time-to-PDF p50 / p95 / p99 / max | {_ms(t['p50_ms'])} / {_ms(t['p95_ms'])} / "
            f"{_ms(t['p99_ms'])} / {_ms(t['max_ms'])} ({t['count']} PDFs, {t['per_second']:.1f}/s, {t['failures']} failed) | — |"
        )
        j = m["jobs"]
        out.append(
            f"| followed jobs | {j['followed']}: {j['succeeded']} succeeded, {j['succeeded_after_stop']} "
            f"succeeded after the clock stopped, {j['failed']} failed, {j['unfinished']} unfinished | — |"
        )
    if m["answers"]:
        out.append(
            f"| submit answers | {', '.join(f'{k}: {v:,}' for k, v in sorted(m['answers'].items()))} | — |"
        )
    if m.get("unicode_documents"):
        out.append(f"| new documents needing XeTeX | {m['unicode_documents']} | — |")
    out += ["", "## Targets on this machine (benchmark figures, not test assertions)", ""]
    out += [f"- [{'x' if t['met'] else ' '}] {t['check']}" for t in s["targets"]]
    out += ["", "## CPU: cores used during the measured window", ""]
    if local:
        api_in_root = not s["stack"]["api_processes"]
        workers = "docpipe dev (API + render workers)" if api_in_root else "render workers (Python)"
        out += [
            f"| api | {workers} | TeX | moto | redis | stack total | locust | other processes | machine busy |"
        ]
        out += ["|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        out.append(
            "| "
            + " | ".join(
                f"{cpu.get(k, 0.0):.2f}"
                for k in ("api", "workers", "tex", "moto", "redis", "stack", "locust", "other", "machine")
            )
            + " |"
        )
        if h["per_second"] > 0:
            unit = (
                "PDF"
                if s["scenario"] == "fresh"
                else "submission"
                if s["scenario"] in ("mixed", "async")
                else "request"
            )
            per_unit = {
                k: 1000 * cpu.get(k, 0.0) / h["per_second"]
                for k in ("api", "workers", "tex", "moto", "redis", "stack", "locust")
            }
            out += [
                "",
                f"CPU per {unit}: {per_unit['stack']:.1f} ms of the stack's "
                + "("
                + ", ".join(
                    f"{k} {v:.1f}"
                    for k, v in per_unit.items()
                    if k != "stack" and k != "locust" and v >= 0.05
                )
                + ")"
                + f" and {per_unit['locust']:.1f} ms of locust's.",
            ]
        if cpu.get("other", 0.0) >= 0.1:
            out += [
                "",
                f"Other processes on the machine (neither the stack nor locust) used {cpu['other']:.2f} cores "
                "during the run: what the stack got was that much less than an idle machine gives.",
            ]
    else:
        out.append(f"locust {cpu.get('locust', 0):.2f} cores; machine busy {cpu['machine']:.2f} cores.")
    if m.get("locust_cpu_warning"):
        out.append("\nLocust warned that its CPU was above 90 %: the load generator itself was a limit.")
    out += ["", f"What limits it: {s['limits']}", "", "## Per request", ""]
    out += [
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
    if m["failure_reasons"]:
        out += ["", "## Failures", ""] + [f"- {n} × {reason}" for reason, n in m["failure_reasons"].items()]
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


ALL = ["cached", "fresh", "mixed", "status", "async"]
"""``--scenario all``: async last, since on a shared stack its backlog outlives it."""


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", default="cached", help=f"{', '.join(ALL)}, a comma-separated list, or all"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", default="30s", help="locust run time: 30s, 2m, ...")
    parser.add_argument("--target", default=None, help="a deployed stack's URL (default: a local stack)")
    parser.add_argument("--api-key", default=None, help="sent as x-api-key (default: $API_KEY)")
    parser.add_argument("--api-processes", type=int, default=None, help="local stack: API processes")
    parser.add_argument("--workers", type=int, default=None, help="local stack: render workers")
    parser.add_argument("--pool-size", type=int, default=None, help="warm pool (cached, mixed, status)")
    parser.add_argument(
        "--one-stack",
        action="store_true",
        help="several scenarios on one local stack (quicker; default: a fresh stack each, shaped for it)",
    )
    parser.add_argument("--seed", default="1")
    parser.add_argument("--first-poll", type=float, default=0.1)
    parser.add_argument("--poll-interval", type=float, default=0.1)
    parser.add_argument("--unicode-share", type=float, default=documents.UNICODE_SHARE)
    parser.add_argument("--progress-interval", type=float, default=5.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scenarios = ALL if args.scenario == "all" else [s.strip() for s in args.scenario.split(",") if s.strip()]
    unknown = [s for s in scenarios if s not in USER_CLASSES]
    if unknown or not scenarios:
        parser.error(f"unknown scenario {', '.join(unknown)!r}: choose from {', '.join(ALL)} or all")
    try:
        seconds(args.duration)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if args.users < 1 or (args.pool_size is not None and args.pool_size < 1):
        parser.error("--users and --pool-size must be at least 1")
    if args.target and not re.match(r"^https?://", args.target):
        parser.error("--target must be an http(s):// URL")
    return Options(
        scenarios=scenarios,
        users=args.users,
        duration=args.duration,
        target=args.target,
        api_key=args.api_key or os.environ.get("API_KEY") or None,
        api_processes=args.api_processes,
        workers=args.workers,
        pool_size=args.pool_size,
        one_stack=args.one_stack,
        seed=args.seed,
        first_poll=args.first_poll,
        poll_interval=args.poll_interval,
        unicode_share=args.unicode_share,
        progress_interval=args.progress_interval,
        results=args.results,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    options.results.mkdir(parents=True, exist_ok=True)
    summaries = []
    if options.one_stack or len(options.scenarios) == 1:
        shape = shape_for(options.scenarios, options)
        with target(options, shape, "-".join(options.scenarios)) as where:
            for scenario in options.scenarios:
                summaries.append(run_scenario(options, scenario, where, shape.pool))
    else:
        for scenario in options.scenarios:
            shape = shape_for([scenario], options)
            with target(options, shape, scenario) as where:
                summaries.append(run_scenario(options, scenario, where, shape.pool))
    write_index(options.results)
    failed = [s["scenario"] for s in summaries if not s["ok"]]
    if failed:
        say(f"errors or unfinished jobs in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
