"""`make loadtest`: run one load-test scenario headless and write what it measured.

    .venv/bin/python -m loadtest.run --scenario cached --users 50 --duration 30s
    .venv/bin/python -m loadtest.run --scenario all --users 20 --duration 30s
    API_KEY=... .venv/bin/python -m loadtest.run --scenario fresh --target https://api.example.com/prod

Without ``--target`` it starts the local stack (``docpipe dev``) as a child process, warms it,
runs locust against it as another child process, and stops both; with ``--target`` it runs against
that stack (the API key, from ``API_KEY`` or ``--api-key``, is sent as ``x-api-key``). The stack
never runs inside the locust process: locust patches the standard library with gevent.

Bounded by users and duration, it stops by itself. While it runs it prints one progress line every
few seconds. It writes, under ``loadtest/results/``:

- ``<scenario>_stats.csv`` etc.: locust's own CSV (git-ignored);
- ``<scenario>.json`` and ``<scenario>.md``: RPS, median/p95/p99 latency, error rate, time-to-PDF
  percentiles (fresh, mixed), CPU cores used by the stack (per component, per process with psutil)
  and by locust, and the original service's published figure beside ours, per core.

Exit code 0 when there was no error and every followed job succeeded; 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import httpx

from docpipe_local.polling import poll
from docpipe_local.processes import free_port, stop_process
from loadtest import documents, warmup
from loadtest.cpu import CpuMeter
from loadtest.options import SHAPES, Options, StackShape, Target
from loadtest.report import markdown, report, write_index
from loadtest.scenarios import ALL, API_KEY_ENV, USER_CLASSES

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
STACK_BOOT_TIMEOUT = 120.0


def say(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


def seconds(duration: str) -> float:
    """Locust's own ``--run-time`` parser (``30``, ``30s``, ``2m``, ``1h30m``), imported without
    gevent's patching of the standard library: this process is not locust, and runs threads."""
    skip = "LOCUST_SKIP_MONKEY_PATCH"
    before = os.environ.get(skip)
    os.environ[skip] = "1"
    try:
        from locust.util.timespan import parse_timespan
    finally:  # the locust child process, started with this environment, must be patched
        if before is None:
            del os.environ[skip]
        else:
            os.environ[skip] = before
    try:
        return float(parse_timespan(duration))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a duration: {duration!r} (try 30s, 2m, 1h30m)") from error


# --- the local stack ----------------------------------------------------------------------------


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
        command = [sys.executable, "-m", "docpipe.cli", "dev", "--port", str(self.port)]
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
        try:
            poll(self._up, what="the local stack", timeout=STACK_BOOT_TIMEOUT, interval=0.2)
        except (TimeoutError, RuntimeError) as error:
            self.__exit__()
            raise RuntimeError(f"{error}; see {self.log_path}") from error
        return self

    def _up(self) -> bool:
        """Up means: the banner (printed once everything started) and an answering API."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"docpipe dev exited with {self.process.returncode}")
        if "docpipe local stack:" not in self.log_path.read_text(errors="replace"):
            return False
        try:
            return httpx.get(f"{self.url}/health", timeout=1).is_success
        except httpx.TransportError:
            return False

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=30, whole_group=True)
        if self._log is not None:
            self._log.close()


# --- one run ------------------------------------------------------------------------------------


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


def locust_command(
    options: Options, scenario: str, url: str, pool_file: Path | None, measurements: Path
) -> list[str]:
    """``python -m locust`` from the repository root, so the locustfile imports ``loadtest.*``."""
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
    command += ["--only-summary", "--users", str(options.users), "--spawn-rate", str(options.users)]
    command += ["--run-time", options.duration, "--host", url, "--stop-timeout", "0"]
    command += ["--csv", str(options.results / scenario), "--csv-full-history"]
    command += ["--seed", options.seed, "--measurements", str(measurements)]
    command += ["--first-poll", str(options.first_poll), "--poll-interval", str(options.poll_interval)]
    command += ["--unicode-share", str(options.unicode_share)]
    command += ["--progress-interval", str(options.progress_interval)]
    if pool_file is not None:
        command += ["--pool-file", str(pool_file)]
    return [*command, USER_CLASSES[scenario]]


def run_locust(
    options: Options, scenario: str, url: str, pool_file: Path | None, stack_pid: int | None
) -> dict[str, Any]:
    handle, name = tempfile.mkstemp(prefix=f"docpipe-{scenario}-", suffix=".json")
    os.close(handle)
    measurements = Path(name)
    env = {**os.environ}
    if options.api_key:
        env[API_KEY_ENV] = options.api_key
    log_path = options.results / f"{scenario}.locust.log"
    total = seconds(options.duration)
    say(f"locust: {options.users} users for {options.duration} against {url} (log: {log_path})")
    with open(log_path, "w") as log:
        locust = subprocess.Popen(
            locust_command(options, scenario, url, pool_file, measurements),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            bufsize=1,
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
    return dict(figures)


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


# --- the command line ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
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
    return parser


def parse(argv: list[str] | None = None) -> Options:
    parser = _parser()
    args = parser.parse_args(argv)
    scenarios = (
        list(ALL) if args.scenario == "all" else [s.strip() for s in args.scenario.split(",") if s.strip()]
    )
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
