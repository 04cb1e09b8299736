"""Chaos soak: JOBS documents through the local stack while faults are injected at random.

    make soak JOBS=300            # or: .venv/bin/python -m loadtest.soak --jobs 300 [--seed 1]

What runs: moto (S3, SQS, DynamoDB) and a real redis-server as child processes; the real API on
uvicorn over a pipeline whose adapters are wrapped by ``docpipe_local.chaos``; render workers calling the
real render Lambda handler. Clients submit over HTTP like well-behaved users: on 503 they back off and
retry; some resend with an Idempotency-Key, some send a document another client already sent.

Faults, at random: S3 / DynamoDB / SQS calls failing before or after taking effect, SQS sending a
message twice, Redis calls failing, redis-server killed and restarted every few seconds, a worker dying
mid-render, TeX hanging until its timeout, a render outlasting the visibility timeout; and the backlog
limits are low, so submits meet backpressure (503 overloaded, 429 tenant_backlog_full).

Then every accepted submission is followed to its end through the API, as its client would: a
``succeeded`` job must have a downloadable PDF, a ``failed`` job a reason. The last line is exactly

    submitted=N succeeded=N failed=N lost=N duplicates=N

(``submitted``: submissions the API accepted; ``lost``: accepted but not finished by the deadline, gone,
or succeeded without a PDF; ``duplicates``: one content stored twice, two jobs rendering the same content
at once, or one Idempotency-Key answered with two jobs). The exit status is 1 when lost or duplicates
is not 0, or when anything else broke an invariant (a 5xx other than 503, an orphan object); those are
printed on the lines before the last. Progress goes to stdout; the stack's own logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from docpipe_local.client import TERMINAL, ApiClient
from docpipe_local.polling import PollTimeout, poll
from docpipe_local.processes import stop_process

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "src" / "docpipe" / "samples"


@dataclass
class Submission:
    index: int
    document: dict[str, Any]
    idempotency_key: str | None = None
    resend: bool = False  # send again with the same Idempotency-Key once accepted
    job_id: str | None = None
    answers: set[str] = field(default_factory=set)
    cached: bool = False
    outcome: str = ""  # succeeded | failed | lost
    reason: str = ""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: int = 0
    accepted: int = 0
    rejected: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    gave_up: int = 0

    def count(self, status: int) -> None:
        with self.lock:
            self.attempts += 1
            if status in (200, 202):
                self.accepted += 1
            else:
                self.rejected[status] += 1


def documents(count: int, rng: random.Random, run: str) -> list[Submission]:
    """The submissions: mostly distinct résumés, some letters, some Unicode (XeLaTeX), some repeats."""
    resume = json.loads((SAMPLES / "resume.json").read_text())
    letter = json.loads((SAMPLES / "cover_letter.json").read_text())
    made: list[Submission] = []
    for index in range(count):
        roll = rng.random()
        if made and roll < 0.10:
            document = rng.choice(made).document  # the same content again: dedup or the cache answers
        elif roll < 0.18:
            document = json.loads(json.dumps(letter))
            document["data"]["personalInfo"]["name"] = f"Soak Letter {run} {index}"
        elif roll < 0.22:
            document = json.loads(json.dumps(resume))
            document["data"]["personalInfo"]["name"] = f"Σόακ Ελληνικά {run} {index}"
        else:
            document = json.loads(json.dumps(resume))
            document["data"]["personalInfo"]["name"] = f"Soak Person {run} {index}"
        key = uuid.uuid4().hex if rng.random() < 0.15 else None
        made.append(Submission(index, document, key, resend=key is not None and rng.random() < 0.5))
    return made


def random_faults(seed: int, rate: float) -> Any:
    """Faults at random: store and cache calls at ``rate``, SQS sends twice and renders three times as
    often (those recover through redelivery, which is what the soak is about)."""
    from docpipe_local.chaos import (
        AFTER,
        BEFORE,
        DUPLICATE,
        DYNAMODB_OPS,
        HANG,
        KILL,
        REDIS_OPS,
        S3_OPS,
        SLOW,
        Faults,
    )

    faults = Faults(seed=seed)
    faults.random([*S3_OPS, *DYNAMODB_OPS, *REDIS_OPS], rate)
    faults.random(["sqs.send"], rate * 2, (BEFORE, AFTER, DUPLICATE))
    faults.random(["sqs.depth"], rate, (BEFORE,))
    faults.random(["render"], rate * 3, (KILL, HANG, SLOW))
    return faults


class Soak:
    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self.rng = random.Random(args.seed)
        self.run_id = uuid.uuid4().hex[:6]
        self.started = time.monotonic()
        self.tally = Tally()
        self.submissions = documents(args.jobs, self.rng, self.run_id)
        self.stop = threading.Event()
        self.redis_restarts = 0
        self.worker_deaths = 0

    def say(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {line}", file=self.out, flush=True)

    # --- the stack -----------------------------------------------------------------------------------

    def start(self) -> None:
        from docpipe.aws import default_clients
        from docpipe.pipeline import default_pipeline
        from docpipe.settings import Settings, get_settings
        from docpipe_local.chaos import ChaosStack
        from docpipe_local.moto_server import start_moto
        from docpipe_local.processes import free_port
        from docpipe_local.redis_server import RedisServer
        from docpipe_local.resources import local_environment

        self.redis = RedisServer().start()
        moto_port = free_port()
        self.moto = start_moto(moto_port)
        os.environ.update(local_environment(moto_port, self.redis.port, self.run_id))
        for cached in (get_settings, default_clients, default_pipeline):
            cached.cache_clear()
        self.faults = random_faults(self.args.seed, self.args.fault_rate)
        self.stack = ChaosStack(
            Settings.from_environment(),
            redis_url=self.redis.url,
            faults=self.faults,
            tenant="soak",
            # As in AWS (visibility = 6 x the function timeout), a render's whole time budget fits in
            # the visibility timeout: a hanging TeX is killed before SQS would redeliver its message.
            visibility_timeout=self.args.visibility_timeout,
            render_timeout_seconds=self.args.visibility_timeout / 2,
            # past the visibility timeout: SQS redelivers while this attempt still runs
            slow_seconds=self.args.visibility_timeout + 1.0,
            cache_retry_after=0.5,
            depth_ttl=1.0,
            max_backlog=self.args.max_backlog,
            max_tenant_backlog=min(self.args.max_tenant_backlog, self.args.max_backlog),
            # Longer than visibility x receives: only a job whose every attempt died is repaired.
            stale_after_seconds=int(self.args.visibility_timeout * 4),
        )
        self.stack.start_workers(self.args.workers)

    def close(self) -> None:
        self.stop.set()
        if hasattr(self, "stack"):
            with contextlib.suppress(Exception):
                self.stack.close()
        if hasattr(self, "redis"):
            self.redis.stop()
        if hasattr(self, "moto"):
            stop_process(self.moto)

    # --- chaos beside the adapters: redis-server dies and comes back ---------------------------------

    def redis_killer(self) -> None:
        while not self.stop.wait(self.rng.uniform(4, 9)):
            self.redis.kill()
            self.stop.wait(self.rng.uniform(0.3, 1.5))
            self.redis.start()
            self.redis_restarts += 1

    # --- clients -------------------------------------------------------------------------------------

    def post(self, client: ApiClient, submission: Submission) -> dict[str, Any] | None:
        """Submit until accepted, backing off on 429 and 503 like a polite client; None if it gave up."""
        headers = {"Idempotency-Key": submission.idempotency_key} if submission.idempotency_key else None
        body = json.dumps(submission.document).encode()

        def attempt() -> tuple[int, dict[str, Any]]:
            code, answer = client.submit(body, headers)
            self.tally.count(code)
            return code, answer

        try:
            code, answer = poll(
                attempt,
                until=lambda reply: reply[0] not in (429, 503),
                what="a submit being accepted",
                timeout=self.args.submit_patience,
                interval=lambda: self.rng.uniform(0.5, 1.0),  # Retry-After is 1 s; jitter spreads them
                retry_on=(httpx.TransportError,),
            )
        except PollTimeout:
            return None
        if code in (200, 202):
            return answer
        error = f"{code} {(answer.get('error') or {}).get('code')}"
        if code >= 500:
            with self.tally.lock:
                self.tally.server_errors.append(f"POST {error}")
        else:
            submission.reason = error
        return None

    def client(self, batch: list[Submission]) -> None:
        with ApiClient(self.url, timeout=30) as client:
            for submission in batch:
                answer = self.post(client, submission)
                if answer is None:
                    with self.tally.lock:
                        self.tally.gave_up += 1
                    continue
                submission.job_id = str(answer["job_id"])
                submission.cached = answer.get("cached") is True
                submission.answers.add(submission.job_id)
                if submission.resend:
                    again = self.post(client, submission)  # the client's retry after a lost answer
                    if again is not None:
                        submission.answers.add(str(again["job_id"]))

    # --- following each job to its end ---------------------------------------------------------------

    def status(self, client: ApiClient, job_id: str, timeout: float = 6.0) -> tuple[int, dict[str, Any]]:
        """The job's status, asked again while the API answers 503 (up to ``timeout`` seconds; 0:
        once); ``(503, {})`` if it never answered otherwise."""
        try:
            code, body = poll(
                lambda: client.job(job_id),
                until=lambda reply: reply[0] != 503,
                what=f"job {job_id}'s status",
                timeout=timeout,
                interval=0.2,
                retry_on=(httpx.TransportError,),
            )
        except PollTimeout:
            return 503, {}
        if code >= 500:
            with self.tally.lock:
                self.tally.server_errors.append(f"GET {code} {(body.get('error') or {}).get('code')}")
        return code, body

    def wait_for_all(self, client: ApiClient, deadline: float) -> None:
        """Poll (through the API, as clients do) until every accepted job has finished."""
        pending = {s.job_id for s in self.submissions if s.job_id}
        last_report = [0.0]

        def all_finished() -> bool:
            for job_id in list(pending):
                code, body = self.status(client, job_id, timeout=0)
                if code == 404 or body.get("status") in TERMINAL:
                    pending.discard(job_id)
            if time.monotonic() - last_report[0] > 5:
                self.progress(f"draining: {len(pending)} jobs not finished")
                last_report[0] = time.monotonic()
            return not pending

        with contextlib.suppress(PollTimeout):
            poll(
                all_finished,
                what="every accepted job finishing",
                timeout=deadline - time.monotonic(),
                interval=0.5,
            )

    def verify(self, client: ApiClient) -> None:
        """The client's view of each accepted submission, with no faults left in the way."""
        documents_ok: dict[str, bool] = {}
        for submission in self.submissions:
            if submission.job_id is None:
                continue
            code, body = self.status(client, submission.job_id)
            state = body.get("status")
            if code == 404:
                submission.outcome, submission.reason = "lost", "the job is gone"
            elif state == "failed":
                error = body.get("error") or {}
                if error.get("code") and error.get("message"):
                    submission.outcome, submission.reason = "failed", str(error["code"])
                else:
                    submission.outcome, submission.reason = "lost", "failed without a reason"
            elif state == "succeeded":
                if submission.job_id not in documents_ok:
                    documents_ok[submission.job_id] = self.downloadable(client, body.get("download_url", ""))
                if documents_ok[submission.job_id]:
                    submission.outcome = "succeeded"
                else:
                    submission.outcome, submission.reason = "lost", "succeeded but the PDF is gone"
            else:
                submission.outcome, submission.reason = "lost", f"still {state} at the deadline"

    @staticmethod
    def downloadable(client: ApiClient, url: str) -> bool:
        try:
            return client.download(url).startswith(b"%PDF-")
        except httpx.HTTPError:
            return False

    # --- reporting -----------------------------------------------------------------------------------

    def deaths(self) -> int:
        return self.worker_deaths + sum(w.deaths for w in self.stack.workers)

    def progress(self, note: str = "") -> None:
        with self.tally.lock:
            attempts, rejected = self.tally.attempts, dict(self.tally.rejected)
        accepted = sum(1 for s in self.submissions if s.job_id)
        deaths = self.deaths()
        injected = sum(self.faults.injected.values())
        self.say(
            f"accepted={accepted}/{len(self.submissions)} attempts={attempts} rejected={rejected} "
            f"faults={injected} worker_deaths={deaths} redis_restarts={self.redis_restarts}"
            + (f"  {note}" if note else "")
        )

    def reporter(self) -> None:
        while not self.stop.wait(5):
            self.progress()

    # --- the run -------------------------------------------------------------------------------------

    def sabotage(self, count: int) -> None:
        """Test hook: erase ``count`` accepted jobs behind the API's back (they must be reported lost)."""
        victims = [s for s in self.submissions if s.job_id and not s.cached][:count]
        for victim in victims:
            self.stack.clients.dynamodb.delete_item(
                TableName=self.stack.settings.jobs_table, Key={"pk": {"S": f"job#{victim.job_id}"}}
            )

    def execute(self) -> int:
        from docpipe_local.api_server import serve

        self.say(
            f"soak: {self.args.jobs} jobs, seed {self.args.seed}, {self.args.workers} workers, "
            f"fault rate {self.args.fault_rate}, backlog limit {self.args.max_backlog} "
            f"(per tenant {self.args.max_tenant_backlog})"
        )
        self.start()
        threads = [threading.Thread(target=self.redis_killer, daemon=True, name="redis-killer")]
        threads.append(threading.Thread(target=self.reporter, daemon=True, name="reporter"))
        for thread in threads:
            thread.start()
        deadline = self.started + self.args.deadline
        with serve(self.stack.app()) as self.url:
            batches = [self.submissions[i :: self.args.clients] for i in range(self.args.clients)]
            clients = [threading.Thread(target=self.client, args=(b,), daemon=True) for b in batches]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join(timeout=max(deadline - time.monotonic(), 1))
            self.progress("all submitted")
            if self.args.inject_loss:
                self.sabotage(self.args.inject_loss)
            with ApiClient(self.url, timeout=30) as client:
                self.wait_for_all(client, deadline)
                self.stop.set()  # no more redis kills
                for thread in threads:
                    thread.join(timeout=15)
                self.faults.clear()
                if self.redis.process is None:
                    self.redis.start()
                self.verify(client)
        self.worker_deaths = self.deaths()
        self.stack.stop_workers()
        report = self.stack.audit()
        return self.summarise(report)

    def summarise(self, report: Any) -> int:
        accepted = [s for s in self.submissions if s.job_id]
        outcomes = Counter(s.outcome for s in accepted)
        failures = Counter(s.reason for s in accepted if s.outcome == "failed")
        lost = [s for s in accepted if s.outcome == "lost"]
        idempotency_splits = [s for s in accepted if len(s.answers) > 1]
        duplicates = report.duplicates + len(idempotency_splits)
        self.say(f"faults injected: {self.faults.summary()}")
        self.say(f"worker deaths={self.deaths()} redis restarts={self.redis_restarts}")
        self.say(f"failed jobs by reason: {dict(failures) or 'none'}")
        by_status = Counter(job.status.value for job in report.jobs.values())
        self.say(
            f"stores: jobs={len(report.jobs)} {dict(by_status)} objects={len(report.objects)} "
            f"orphans={len(report.orphans)} "
            f"stray_documents={len(report.stray_documents)} unfinished={len(report.unfinished)}"
        )
        problems = [f"lost: job {s.job_id} ({s.reason})" for s in lost[:10]]
        problems += [
            f"Idempotency-Key {s.idempotency_key} answered with {sorted(s.answers)}"
            for s in idempotency_splits
        ]
        problems += report.problems(allow_unfinished=True)
        problems += [f"server error: {e}" for e in self.tally.server_errors[:10]]
        gave_up = len(self.submissions) - len(accepted)
        if gave_up:
            self.say(f"not accepted within {self.args.submit_patience:g} s of retries: {gave_up} submissions")
        for problem in problems:
            self.say(f"PROBLEM {problem}")
        print(
            f"submitted={len(accepted)} succeeded={outcomes['succeeded']} failed={outcomes['failed']} "
            f"lost={len(lost)} duplicates={duplicates}",
            file=self.out,
            flush=True,
        )
        broken = lost or duplicates or report.orphans or self.tally.server_errors
        return 1 if broken else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "300")))
    parser.add_argument("--seed", type=int, default=None, help="faults and documents (default: random)")
    parser.add_argument("--workers", type=int, default=3, help="render workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent submitting clients")
    parser.add_argument("--fault-rate", type=float, default=0.02, help="share of store calls that fail")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=6,
        help="SQS visibility timeout (s); TeX's timeout is half of it, the stale-job repair 4x",
    )
    parser.add_argument("--max-backlog", type=int, default=25, help="submits answer 503 beyond this backlog")
    parser.add_argument(
        "--max-tenant-backlog",
        type=int,
        default=20,
        help="submits answer 429 beyond this many jobs on their way",
    )
    parser.add_argument(
        "--deadline", type=float, default=900, help="seconds until unfinished jobs count as lost"
    )
    parser.add_argument(
        "--submit-patience", type=float, default=120, help="seconds a client retries one submit"
    )
    parser.add_argument("--inject-loss", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="the stack's logs on stderr")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(1_000_000)

    # Progress and the result line go to the real stdout; everything the stack prints (its JSON logs,
    # its metrics) goes to stderr, so the last line of stdout is the result.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    os.environ.update(
        {
            "POWERTOOLS_LOG_LEVEL": "INFO" if args.verbose else "CRITICAL",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "docpipe-soak",
        }
    )
    soak = Soak(args, out)
    try:
        return soak.execute()
    finally:
        soak.close()


if __name__ == "__main__":
    sys.exit(main())
