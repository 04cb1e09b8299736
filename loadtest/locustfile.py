"""docpipe under load: the original service's four scenarios, plus status polling.

One user class per scenario; pick one by name (``python -m loadtest.run --scenario cached`` or, from
the repository root, ``locust -f loadtest/locustfile.py CachedUser``):

- ``CachedUser``  (cached) re-submits documents of a warm pool: every answer must be 200 from the cache.
- ``FreshUser``   (fresh)  submits a document nobody has submitted before, polls its job until it
  succeeds, downloads the PDF with the presigned link, and records submit-to-PDF as ``time-to-PDF``.
- ``MixedUser``   (mixed)  80 % of submissions from the warm pool, 20 % new, followed to the PDF.
- ``AsyncUser``   (async)  submits new documents and does not wait: the 202 is the answer measured.
- ``StatusUser``  (status) polls finished jobs of the warm pool.

Every user is a closed loop with no think time: a user sends its next request when the last is
answered, so throughput is what the service sustains at that concurrency. Besides locust's own
statistics (``--csv``), ``--measurements FILE`` gets exact figures as JSON at the end: latency
percentiles over HTTP requests only (locust's "Aggregated" row also counts ``time-to-PDF``), the
time-to-PDF percentiles, cache hits, and what became of every job a user followed; jobs still
running when the clock stopped are waited for then (outside the figures), so the smoke tests can
assert that every one of them succeeded.

The API key, if any, comes from ``DOCPIPE_LOADTEST_API_KEY`` (sent as ``x-api-key``), never from
the command line.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

from docpipe_local.client import api_headers
from docpipe_local.polling import PollTimeout, poll
from loadtest import documents, warmup
from loadtest.percentiles import percentile
from loadtest.scenarios import (
    API_KEY_ENV,
    DOWNLOAD,
    STATUS,
    SUBMIT_HIT,
    SUBMIT_NEW,
    TIME_TO_PDF,
    USER_CLASSES,
)

log = logging.getLogger("docpipe.loadtest")


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("docpipe")
    group.add_argument("--seed", default="1", help="documents' seed (default 1)")
    group.add_argument("--pool-size", type=int, default=100, help="warm pool size (cached, mixed, status)")
    group.add_argument("--pool-file", default="", help="warm pool from run.py; warmed here when empty")
    group.add_argument("--measurements", default="", help="write exact figures to this JSON file")
    group.add_argument("--first-poll", type=float, default=0.1, help="seconds from 202 to first poll")
    group.add_argument("--poll-interval", type=float, default=0.1, help="seconds between status polls")
    group.add_argument("--job-timeout", type=float, default=120.0, help="seconds a followed job may take")
    group.add_argument("--hit-share", type=float, default=0.8, help="cache-hit share of mixed submissions")
    group.add_argument("--unicode-share", type=float, default=documents.UNICODE_SHARE)
    group.add_argument("--run-id", default="", help="makes new documents unique (random by default)")
    group.add_argument(
        "--progress-interval", type=float, default=0, help="print a PROGRESS JSON line every N s (run.py)"
    )


def figures(values: list[float], seconds: float) -> dict[str, float]:
    return {
        "count": len(values),
        "per_second": len(values) / seconds if seconds > 0 else 0.0,
        "mean_ms": sum(values) / len(values) if values else 0.0,
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values, default=0.0),
    }


class Run:
    """What this locust process measures: shared by the users (greenlets), written at the end."""

    def __init__(self) -> None:
        self.options: Any = None
        self.scenario = ""
        self.api_key = os.environ.get(API_KEY_ENV) or None
        self.headers = api_headers(self.api_key)
        self.fresh: documents.FreshDocuments | None = None
        self.pool_bodies: list[bytes] = []
        self.pool_jobs: list[str] = []
        self.started = self.stopped = 0.0
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.failed: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.time_to_pdf: list[float] = []
        self.answers: Counter[str] = Counter()
        self.jobs: dict[str, str] = {}
        self.unicode_documents = 0

    def on_request(self, request_type: str, name: str, response_time: float, exception: Any) -> None:
        if self.started == 0.0 or self.stopped:
            return
        if request_type == "PDF":
            if exception is None:
                self.time_to_pdf.append(response_time)
        else:
            self.latency[name].append(response_time)
        if exception is not None:
            self.failed[name] += 1
            self.reasons[f"{name}: {str(exception)[:160]}"] += 1

    def answer(self, kind: str) -> None:
        """Tally a submit's answer, inside the measured window like every other figure."""
        if self.started and not self.stopped:
            self.answers[kind] += 1

    def next_fresh(self) -> bytes:
        assert self.fresh is not None
        document = self.fresh.next()
        self.unicode_documents += documents.needs_unicode_engine(document)
        return json.dumps(document, ensure_ascii=False).encode()

    def progress(self, since: dict[str, int]) -> dict[str, Any]:
        """Figures since the last call (``since`` holds how far each list had been read)."""
        window = [t for name, values in self.latency.items() for t in values[since.get(name, 0) :]]
        pdfs = len(self.time_to_pdf) - since.get(TIME_TO_PDF, 0)
        since.update({name: len(values) for name, values in self.latency.items()})
        since[TIME_TO_PDF] = len(self.time_to_pdf)
        return {
            "elapsed": time.time() - self.started,
            "requests": sum(len(v) for v in self.latency.values()),
            "window_requests": len(window),
            "p50_ms": percentile(window, 50),
            "p99_ms": percentile(window, 99),
            "failures": sum(self.failed.values()),
            "pdfs": len(self.time_to_pdf),
            "window_pdfs": pdfs,
            "jobs_pending": sum(1 for s in self.jobs.values() if s == "pending"),
        }

    def summary(self, environment: Environment) -> dict[str, Any]:
        seconds = self.stopped - self.started
        every = [t for values in self.latency.values() for t in values]
        requests = len(every)
        failures = sum(n for name, n in self.failed.items() if name != TIME_TO_PDF)  # HTTP only
        jobs = Counter(self.jobs.values())
        return {
            "scenario": self.scenario,
            "users": environment.runner.target_user_count if environment.runner else None,
            "host": environment.host,
            "started": self.started,
            "stopped": self.stopped,
            "seconds": seconds,
            "http": {**figures(every, seconds), "failures": failures},
            "error_rate": failures / requests if requests else 0.0,
            "endpoints": {
                name: {**figures(values, seconds), "failures": self.failed[name]}
                for name, values in sorted(self.latency.items())
            },
            "time_to_pdf": {**figures(self.time_to_pdf, seconds), "failures": self.failed[TIME_TO_PDF]},
            "answers": dict(self.answers),
            "jobs": {
                "followed": len(self.jobs),
                "succeeded": jobs["succeeded"],
                "succeeded_after_stop": jobs["succeeded after stop"],
                "failed": jobs["failed"],
                "unfinished": len(self.jobs)
                - jobs["succeeded"]
                - jobs["succeeded after stop"]
                - jobs["failed"],
            },
            "failure_reasons": dict(self.reasons.most_common(20)),
            "run_id": self.fresh.run_id if self.fresh else None,
            "unicode_documents": self.unicode_documents,
            "pool_size": len(self.pool_bodies) or len(self.pool_jobs),
            "locust_cpu_warning": bool(environment.runner and environment.runner.cpu_warning_emitted),
            "options": {
                k: getattr(self.options, k)
                for k in ("seed", "first_poll", "poll_interval", "hit_share", "unicode_share")
            },
        }


RUN = Run()


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    names = {cls.__name__ for cls in environment.user_classes}
    scenarios = [s for s, cls in USER_CLASSES.items() if cls in names]
    if len(scenarios) != 1:
        sys.exit(f"choose one scenario: locust -f {__file__} {' | '.join(USER_CLASSES.values())}")
    RUN.options, RUN.scenario = options, scenarios[0]
    RUN.fresh = documents.FreshDocuments(
        options.seed, options.run_id or None, unicode_share=options.unicode_share
    )
    if RUN.scenario in ("cached", "mixed", "status"):
        _load_pool(environment, options)


def _load_pool(environment: Environment, options: Any) -> None:
    if options.pool_file:
        pool = json.loads(Path(options.pool_file).read_text())
        docs, RUN.pool_jobs = pool["documents"], pool["jobs"]
    else:  # run on its own: warm the stack here, before any user starts
        docs = documents.pool(options.seed, options.pool_size, unicode_share=options.unicode_share)
        RUN.pool_jobs = warmup.warm(environment.host or "", docs, RUN.api_key, progress=log.info)
    RUN.pool_bodies = [json.dumps(d, ensure_ascii=False).encode() for d in docs]


@events.request.add_listener
def _on_request(request_type: str, name: str, response_time: float, exception: Any = None, **_: Any) -> None:
    RUN.on_request(request_type, name, response_time, exception)


@events.test_start.add_listener
def _test_start(**_: Any) -> None:
    RUN.started = time.time()
    if RUN.options and RUN.options.progress_interval > 0:
        gevent.spawn(_report_progress, RUN.options.progress_interval)


def _report_progress(interval: float) -> None:
    since: dict[str, int] = {}
    while not RUN.stopped:
        gevent.sleep(interval)
        if not RUN.stopped:
            print("PROGRESS " + json.dumps({**RUN.progress(since), "interval": interval}), flush=True)


@events.test_stopping.add_listener
def _test_stopping(**_: Any) -> None:
    RUN.stopped = time.time()


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_: Any) -> None:
    RUN.stopped = RUN.stopped or time.time()
    pending = [job for job, state in RUN.jobs.items() if state == "pending"]
    if pending:  # cut off by the clock: wait for them outside the figures, so none goes unchecked
        log.info("waiting for %d jobs that were running when the clock stopped", len(pending))
        final = warmup.wait_for_jobs(
            environment.host or "", pending, RUN.api_key, timeout=RUN.options.job_timeout
        )
        for job, state in final.items():
            RUN.jobs[job] = {"succeeded": "succeeded after stop", "failed": "failed"}.get(state, "pending")
    if RUN.options and RUN.options.measurements:
        Path(RUN.options.measurements).write_text(json.dumps(RUN.summary(environment), indent=2) + "\n")


class DocpipeUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 10.0

    def submit(self, body: bytes, *, expect_cached: bool) -> dict[str, Any] | None:
        """POST a document; the answer must be 200 from the cache, or 202 queued, as expected."""
        name = SUBMIT_HIT if expect_cached else SUBMIT_NEW
        with self.client.post(
            "/v1/documents",
            data=body,  # type: ignore[arg-type]  # bytes go as they are; locust annotates str | dict
            headers=RUN.headers,
            name=name,
            catch_response=True,
        ) as response:
            code = response.status_code
            if code == 200 and expect_cached and b'"cached":true' in (response.content or b""):
                RUN.answer("cache hit")
                return None  # the hot path: no JSON parsing, the check above is enough
            try:
                answer = response.json()
            except (ValueError, TypeError):
                response.failure(f"HTTP {code}, not JSON")
                return None
            if code == 202 and not expect_cached and answer.get("status") == "queued":
                RUN.answer("queued")
                return dict(answer)
            RUN.answer(f"HTTP {code} {answer.get('status', '')}".strip())
            if code == 200 and not expect_cached:
                response.failure("a new document was answered from the cache")
            elif code == 202 and expect_cached:
                response.failure("cache miss on a warmed document")
            else:
                error = answer.get("error") or {}
                response.failure(f"HTTP {code} {error.get('code', '')}: {error.get('message', '')}")
            return None

    def follow(self, job_id: str, started: float) -> None:
        """Poll the job until it succeeds, download the PDF, record submit-to-PDF."""
        options = RUN.options
        RUN.jobs[job_id] = "pending"
        gevent.sleep(options.first_poll)
        try:
            state, body = poll(
                lambda: self.status(job_id),
                until=lambda answer: answer[0] in ("succeeded", "failed"),
                what=f"job {job_id} finishing",
                timeout=max(started + options.job_timeout - time.perf_counter(), 0.0),
                interval=options.poll_interval,
            )
        except PollTimeout:
            self._time_to_pdf(started, 0, f"no PDF within {options.job_timeout:g} s")
            return
        if state == "failed":
            RUN.jobs[job_id] = "failed"
            return
        RUN.jobs[job_id] = "succeeded"
        with self.client.get(body["download_url"], name=DOWNLOAD, catch_response=True) as response:
            pdf = response.content or b""
            if response.status_code != 200 or not pdf.startswith(b"%PDF"):
                response.failure(f"HTTP {response.status_code}, {len(pdf)} bytes, not a PDF")
                return
        self._time_to_pdf(started, len(pdf), None)

    def status(self, job_id: str) -> tuple[str | None, dict[str, Any]]:
        """One status poll, counted as a request (a failure unless it answers a known state)."""
        with self.client.get(
            f"/v1/jobs/{job_id}", headers=RUN.headers, name=STATUS, catch_response=True
        ) as response:
            body = response.json() if response.status_code == 200 else {}
            state = body.get("status")
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif state == "failed":
                response.failure(f"job failed: {body.get('error')}")
            elif state not in ("queued", "rendering", "succeeded"):
                response.failure(f"unexpected status {state!r}")
        return state, dict(body)

    def _time_to_pdf(self, started: float, size: int, error: str | None) -> None:
        self.environment.events.request.fire(
            request_type="PDF",
            name=TIME_TO_PDF,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=RuntimeError(error) if error else None,
            context={},
        )

    def new_document_to_pdf(self) -> None:
        started = time.perf_counter()
        answer = self.submit(RUN.next_fresh(), expect_cached=False)
        if answer is not None:
            self.follow(str(answer["job_id"]), started)


class CachedUser(DocpipeUser):
    """100 % cache hits: documents of the warm pool, in random order."""

    @task
    def submit_cached(self) -> None:
        self.submit(random.choice(RUN.pool_bodies), expect_cached=True)


class FreshUser(DocpipeUser):
    """0 % cache hits: a new document, followed to its PDF."""

    @task
    def submit_new(self) -> None:
        self.new_document_to_pdf()


class MixedUser(DocpipeUser):
    """``--hit-share`` (80 %) of submissions from the warm pool; the rest new, followed to the PDF."""

    @task
    def submit_mixed(self) -> None:
        if random.random() < RUN.options.hit_share:
            self.submit(random.choice(RUN.pool_bodies), expect_cached=True)
        else:
            self.new_document_to_pdf()


class AsyncUser(DocpipeUser):
    """Submission only: new documents, each answered 202; nobody waits for the renders."""

    @task
    def submit_only(self) -> None:
        self.submit(RUN.next_fresh(), expect_cached=False)


class StatusUser(DocpipeUser):
    """Polling load: status of finished jobs (succeeded, so each answer carries a presigned link)."""

    @task
    def poll(self) -> None:
        job_id = random.choice(RUN.pool_jobs)
        with self.client.get(
            f"/v1/jobs/{job_id}", headers=RUN.headers, name=STATUS, catch_response=True
        ) as response:
            if response.status_code != 200 or b'"status":"succeeded"' not in (response.content or b""):
                response.failure(f"HTTP {response.status_code}: {(response.content or b'')[:120]!r}")
