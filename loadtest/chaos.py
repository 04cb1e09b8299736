"""Chaos for the local stack: docpipe's adapters with faults injected at their boundary, a stack built
from them, and an audit of what the stores hold afterwards.

Shared by the fault tests (``tests/e2e``, scripted faults) and the soak (``loadtest/soak.py``, random
faults). A fault shows up where a real outage does, so the code under test is the code that runs:

- S3, DynamoDB, SQS: a call fails *before* it takes effect (connection refused) or *after* it took
  effect (the answer was lost: a read timeout), raised as botocore raises them;
- Redis: the client raises redis errors; the real ``redis-server`` can also be killed and restarted
  (:class:`RedisServer`);
- render: the worker dies mid-render (:data:`KILL`: TeX ran, then the sandbox is gone; nothing is
  recorded and the message is not deleted, so SQS redelivers it after the visibility timeout), TeX
  never ends and is killed at its timeout (:data:`HANG`), a render outlasts the visibility timeout so
  SQS redelivers the message while the first attempt still runs (:data:`SLOW`);
- queue: a message is delivered twice (:data:`DUPLICATE`, SQS is at-least-once).

Nothing here changes docpipe: the pipeline is the real :class:`~docpipe.pipeline.Pipeline`, the workers
call the real render Lambda handler (``functions/render/handler.py``), the API is the real FastAPI app.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import functools
import random
import shutil
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

import redis
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from redis.cluster import RedisCluster

from docpipe.api import create_app, status_router, submit_router
from docpipe.aws import AwsClients, make_clients
from docpipe.cache import DocumentCache, cluster_client
from docpipe.devstack import (
    RenderWorker,
    create_resources,
    free_port,
    load_render_handler,
    start_redis,
    wait_until,
)
from docpipe.formats import default_directory
from docpipe.jobs import ACTIVE, Job, JobStatus
from docpipe.jobstore import JobStore, _job_from
from docpipe.objectstore import ObjectStore
from docpipe.pipeline import Pipeline
from docpipe.renderer import Renderer, RenderResult
from docpipe.settings import Settings
from docpipe.templates import render_source
from docpipe.workqueue import WorkQueue

BEFORE = "before"
"""The call fails and has no effect (connection refused, throttled, service down)."""
AFTER = "after"
"""The call takes effect, then fails (the answer was lost: a read timeout)."""
KILL = "kill"
HANG = "hang"
SLOW = "slow"
DUPLICATE = "duplicate"

S3_OPS = ("s3.put_request", "s3.get_request", "s3.put_document", "s3.presign", "s3.delete")
DYNAMODB_OPS = (
    "dynamodb.get",
    "dynamodb.create",
    "dynamodb.pointer",
    "dynamodb.claim",
    "dynamodb.finish",
    "dynamodb.idempotency",
    "dynamodb.remember_idempotency",
    "dynamodb.delete",
    "dynamodb.hold_document",
    "dynamodb.release_document",
)
SQS_OPS = ("sqs.send", "sqs.depth")
REDIS_OPS = ("redis.get", "redis.set", "redis.delete")


class WorkerKilled(BaseException):
    """The render sandbox died (out of memory, Lambda timeout, host failure).

    A BaseException, so that no ``except Exception`` in the pipeline or in Powertools' batch processor
    can record anything: exactly as when the process is gone. :class:`ChaosWorker` catches it where
    Lambda would start a new sandbox.
    """


class Faults:
    """Decides, call by call, whether an operation fails, and how. Thread-safe.

    ``fail(op, *modes)`` scripts the next calls of one operation (deterministic tests); ``always``
    fails every call; ``random(ops, rate)`` fails a share of calls at random (the soak).
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._scripted: dict[str, deque[str]] = defaultdict(deque)
        self._always: dict[str, str] = {}
        self._rates: dict[str, tuple[float, tuple[str, ...]]] = {}
        self.injected: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._trace: list[str] | None = None

    def fail(self, op: str, *modes: str) -> Faults:
        """The next ``len(modes)`` calls of ``op`` fail in these modes (``BEFORE`` if none given)."""
        with self._lock:
            self._scripted[op].extend(modes or (BEFORE,))
        return self

    def always(self, op: str, mode: str = BEFORE) -> Faults:
        with self._lock:
            self._always[op] = mode
        return self

    def random(self, ops: Iterable[str], rate: float, modes: tuple[str, ...] = (BEFORE, AFTER)) -> Faults:
        with self._lock:
            for op in ops:
                self._rates[op] = (rate, modes)
        return self

    def clear(self) -> None:
        with self._lock:
            self._scripted.clear()
            self._always.clear()
            self._rates.clear()

    def decide(self, op: str) -> str | None:
        with self._lock:
            self.calls[op] += 1
            if self._trace is not None:
                self._trace.append(op)
            mode: str | None = None
            if op in self._always:
                mode = self._always[op]
            elif self._scripted[op]:
                mode = self._scripted[op].popleft()
            elif op in self._rates:
                rate, modes = self._rates[op]
                if self._random.random() < rate:
                    mode = self._random.choice(modes)
            if mode is not None:
                self.injected[f"{op}:{mode}"] += 1
            return mode

    @contextlib.contextmanager
    def trace(self) -> Iterator[list[str]]:
        """The operations called inside the block, in order (to compare two code paths)."""
        calls: list[str] = []
        with self._lock:
            self._trace = calls
        try:
            yield calls
        finally:
            with self._lock:
                self._trace = None

    def summary(self) -> str:
        with self._lock:
            return " ".join(f"{k}={v}" for k, v in sorted(self.injected.items())) or "none"


def _aws_error(op: str, mode: str) -> Exception:
    """What botocore raises when the endpoint is unreachable (before) or the answer never came (after)."""
    endpoint = f"chaos://{op}"
    error: Exception = (
        ReadTimeoutError(endpoint_url=endpoint)
        if mode == AFTER
        else EndpointConnectionError(endpoint_url=endpoint)
    )
    return error


class _Adapter:
    """Wraps one adapter; the listed operations consult :class:`Faults`, everything else passes."""

    service: ClassVar[str]
    operations: ClassVar[frozenset[str]]

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    @property
    def real(self) -> Any:
        return self._real

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name not in self.operations:
            return attribute
        op = f"{self.service}.{name}"

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            mode = self._faults.decide(op)
            if mode is None or mode not in (BEFORE, AFTER):
                return self._call(attribute, mode, *args, **kwargs)
            if mode == BEFORE:
                raise _aws_error(op, mode)
            attribute(*args, **kwargs)
            raise _aws_error(op, mode)

        return call

    def _call(self, attribute: Callable[..., Any], mode: str | None, *args: Any, **kwargs: Any) -> Any:
        return attribute(*args, **kwargs)


class ChaosObjects(_Adapter):
    service = "s3"
    operations = frozenset({"put_request", "get_request", "put_document", "exists", "presign", "delete"})


class ChaosJobs(_Adapter):
    service = "dynamodb"
    operations = frozenset(
        {
            "get",
            "create",
            "pointer",
            "claim",
            "finish",
            "idempotency",
            "remember_idempotency",
            "delete",
            "hold_document",
            "release_document",
        }
    )


class ChaosQueue(_Adapter):
    service = "sqs"
    operations = frozenset({"send", "depth"})

    def _call(self, attribute: Callable[..., Any], mode: str | None, *args: Any, **kwargs: Any) -> Any:
        result = attribute(*args, **kwargs)
        if mode == DUPLICATE:
            attribute(*args, **kwargs)  # at-least-once: the same message, delivered twice
        return result


class ChaosRedis:
    """A redis client whose get/set/delete fail as a dead or unreachable server would."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name not in ("get", "set", "delete"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            mode = self._faults.decide(f"redis.{name}")
            if mode == BEFORE:
                raise redis.ConnectionError("chaos: connection refused")
            result = attribute(*args, **kwargs)
            if mode == AFTER:
                raise redis.TimeoutError("chaos: timed out reading the answer")
            return result

        return call


def hanging(source: Any) -> Any:
    """The same document, except that TeX loops forever as soon as the body starts."""
    document = source.document.replace("\\begin{document}", "\\begin{document}\\loop\\iftrue\\repeat", 1)
    return dataclasses.replace(source, document=document)


class ChaosRenderer:
    """The real renderer, with render-time faults (``render`` operation: KILL, HANG, SLOW)."""

    def __init__(self, real: Renderer, faults: Faults, *, slow_seconds: float = 3.0) -> None:
        self.real = real
        self.faults = faults
        self.slow_seconds = slow_seconds
        self.on_render: Callable[[Any], None] | None = None
        """Called as a render starts (after the job was claimed): lets a test act mid-render."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def render(self, request: Any) -> RenderResult:
        if self.on_render is not None:
            self.on_render(request)
        mode = self.faults.decide("render")
        if mode == HANG:
            return self.real.compile(hanging(render_source(request)))  # killed at the timeout
        if mode == SLOW:
            time.sleep(self.slow_seconds)  # past the visibility timeout: SQS redelivers meanwhile
        result = self.real.render(request)
        if mode == KILL:
            raise WorkerKilled("chaos: the render sandbox died before uploading")
        return result


class ChaosWorker(threading.Thread):
    """One render "Lambda": the real handler module, its pipeline replaced by the chaos stack's.

    Each worker loads its own copy of the handler (its own BatchProcessor), as each Lambda sandbox
    has its own. :class:`WorkerKilled` ends an attempt the way a dead sandbox does; the next poll is
    the new sandbox.
    """

    def __init__(self, stack: ChaosStack, name: str = "chaos-worker") -> None:
        super().__init__(daemon=True, name=name)
        module = load_render_handler()
        module.default_pipeline = lambda: stack.pipeline  # type: ignore[attr-defined]
        self.stop_event = threading.Event()
        self.poller = RenderWorker(
            stack.clients.sqs, stack.settings.queue_url, module.handler, self.stop_event, batch_size=1
        )
        self.deaths = 0
        self.errors = 0

    def poll_once(self, wait_seconds: int = 0) -> int:
        try:
            return self.poller.poll_once(wait_seconds=wait_seconds)
        except WorkerKilled:
            self.deaths += 1
            return 1

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # the event source mapping itself hit a blip: poll again
                self.errors += 1
                time.sleep(0.1)


class RedisServer:
    """A cluster-mode redis-server child process (as :func:`~docpipe.devstack.start_redis` runs it)
    that can be killed and restarted on the same port; a restart is a new, empty one-node cluster."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = start_redis(self.port)
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except Exception:
                self.process.kill()
                self.process.wait()
            self.process = None


@dataclass
class Audit:
    """What the bucket and the jobs table hold, and every broken invariant."""

    jobs: dict[str, Job]
    objects: list[str]
    orphans: list[str] = field(default_factory=list)
    """Objects under requests/ or documents/ that no existing job refers to."""
    duplicate_documents: list[str] = field(default_factory=list)
    """More than one document object for one (tenant, content key)."""
    overlapping_jobs: list[tuple[str, str]] = field(default_factory=list)
    """Two succeeded jobs for the same content that were active at the same time (a double render)."""
    unfinished: list[str] = field(default_factory=list)
    unexplained_failures: list[str] = field(default_factory=list)
    missing_documents: list[str] = field(default_factory=list)
    """Succeeded jobs whose document is gone."""
    stray_documents: list[str] = field(default_factory=list)
    """Documents whose jobs all failed (an upload that happened before its attempt died): not orphans,
    they expire with the retention period, but worth knowing about."""

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_documents) + len(self.overlapping_jobs)

    def problems(self, *, allow_unfinished: bool = False) -> list[str]:
        found = [f"orphan object {key}" for key in self.orphans]
        found += [f"duplicate document {key}" for key in self.duplicate_documents]
        found += [f"jobs {a} and {b} rendered the same content at once" for a, b in self.overlapping_jobs]
        found += [f"job {j} failed without a reason" for j in self.unexplained_failures]
        found += [f"job {j} succeeded but its document is gone" for j in self.missing_documents]
        if not allow_unfinished:
            found += [f"job {j} never finished" for j in self.unfinished]
        return found


def unique(document: dict[str, Any], label: str = "Person") -> dict[str, Any]:
    """A copy of ``document`` under a new name: the cache and dedup key on content, so it renders."""
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"{label} {uuid.uuid4().hex[:8]}"
    return fresh


def _finished_at(job: Job) -> dt.datetime:
    return dt.datetime.fromisoformat(job.updated_at)


def audit(clients: AwsClients, settings: Settings) -> Audit:
    """Read the whole bucket and jobs table (small, local) and check the invariants."""
    jobs: dict[str, Job] = {}
    for page in clients.dynamodb.get_paginator("scan").paginate(
        TableName=settings.jobs_table, ConsistentRead=True
    ):
        for item in page["Items"]:
            if item["pk"]["S"].startswith("job#"):
                job = _job_from(item)
                jobs[job.job_id] = job
    objects = [
        obj["Key"]
        for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket)
        for obj in page.get("Contents", [])
    ]
    report = Audit(jobs=jobs, objects=objects)
    request_keys = {job.request_key for job in jobs.values()}
    document_jobs: dict[str, list[Job]] = defaultdict(list)
    for job in jobs.values():
        document_jobs[job.document_key].append(job)
    stems: Counter[str] = Counter()
    for key in objects:
        if key.startswith("requests/") and key not in request_keys:
            report.orphans.append(key)
        elif key.startswith("documents/"):
            stems[key.rsplit(".", 1)[0]] += 1
            owners = document_jobs.get(key, [])
            if not owners:
                report.orphans.append(key)
            elif all(job.status is JobStatus.FAILED for job in owners):
                report.stray_documents.append(key)
    report.duplicate_documents = sorted(stem for stem, count in stems.items() if count > 1)
    stored = set(objects)
    by_content: dict[tuple[str, str], list[Job]] = defaultdict(list)
    for job in jobs.values():
        if job.status in ACTIVE:
            report.unfinished.append(job.job_id)
        elif job.status is JobStatus.FAILED and (
            job.error is None or not job.error.code or not job.error.message
        ):
            report.unexplained_failures.append(job.job_id)
        elif job.status is JobStatus.SUCCEEDED:
            if job.document_key not in stored:
                report.missing_documents.append(job.job_id)
            by_content[(job.tenant, job.content_key)].append(job)
    for same in by_content.values():
        same.sort(key=lambda j: j.created_at)
        for i, first in enumerate(same):
            for second in same[i + 1 :]:
                if dt.datetime.fromisoformat(second.created_at) < _finished_at(first):
                    report.overlapping_jobs.append((first.job_id, second.job_id))
    return report


class ChaosStack:
    """A pipeline with chaos-wrapped adapters over its own bucket, table and queue.

    Built on a running moto server (``base.aws_endpoint_url``) and a redis-server; every stack gets
    fresh resources and its own tenant, so stacks never see each other's jobs, objects or cache
    entries. Workers are the real render handler (:class:`ChaosWorker`).
    """

    def __init__(
        self,
        base: Settings,
        *,
        redis_url: str,
        faults: Faults | None = None,
        tenant: str | None = None,
        visibility_timeout: int = 2,
        cache_retry_after: float = 0.5,
        depth_ttl: float = 0.0,
        slow_seconds: float | None = None,
        **overrides: Any,
    ) -> None:
        suffix = uuid.uuid4().hex[:10]
        endpoint = base.aws_endpoint_url.rstrip("/")
        account = base.queue_url.rstrip("/").rsplit("/", 2)[-2]
        self.settings = base.model_copy(
            update={
                "bucket": f"docpipe-chaos-{suffix}",
                "jobs_table": f"docpipe-chaos-{suffix}",
                "queue_url": f"{endpoint}/{account}/docpipe-chaos-{suffix}",
                "redis_url": redis_url,
                **overrides,
            }
        )
        self.tenant = tenant or f"tenant-{suffix}"
        self.faults = faults or Faults()
        self.clients = make_clients(self.settings)
        create_resources(self.clients, self.settings)
        self.clients.sqs.set_queue_attributes(
            QueueUrl=self.settings.queue_url, Attributes={"VisibilityTimeout": str(visibility_timeout)}
        )
        self.visibility_timeout = visibility_timeout
        # The production client (cluster mode), built on first use as in production: a stack can be
        # made while its redis-server is down.
        cache = DocumentCache(
            None,
            ttl_seconds=self.settings.cache_ttl_seconds,
            retry_after=cache_retry_after,
            connect=lambda: ChaosRedis(self.redis_client, self.faults),
        )
        self.pipeline = Pipeline(
            settings=self.settings,
            objects=cast(
                ObjectStore, ChaosObjects(ObjectStore(self.clients.s3, self.settings.bucket), self.faults)
            ),
            jobs=cast(
                JobStore, ChaosJobs(JobStore(self.clients.dynamodb, self.settings.jobs_table), self.faults)
            ),
            queue=cast(
                WorkQueue,
                ChaosQueue(
                    WorkQueue(self.clients.sqs, self.settings.queue_url, depth_ttl=depth_ttl), self.faults
                ),
            ),
            cache=cache,
        )
        self.work_root = Path(tempfile.mkdtemp(prefix="docpipe-chaos-work-"))
        """TeX's working directories: each render's is removed when it ends, whatever happens."""
        real = Renderer(
            timeout=self.settings.render_timeout_seconds,
            work_root=self.work_root,
            format_dir=Path(self.settings.format_dir) if self.settings.format_dir else default_directory(),
        )
        self.renderer = ChaosRenderer(
            real,
            self.faults,
            slow_seconds=slow_seconds if slow_seconds is not None else visibility_timeout + 1.0,
        )
        self.pipeline._renderer = self.renderer
        self.workers: list[ChaosWorker] = []

    @functools.cached_property
    def redis_client(self) -> RedisCluster:
        """The cluster client under the chaos wrapper, also for tests to look into the cache. It
        connects as it is built: built on first use, and again on the next use if that failed."""
        return cluster_client(self.settings.redis_url)

    # --- the API ------------------------------------------------------------------------------------

    def app(self, tenant: str | None = None) -> Any:
        """The real FastAPI app (both routers) over this stack's pipeline, as ``tenant``."""
        pipeline = self.pipeline
        return create_app(
            submit_router(),
            status_router(),
            pipeline_factory=lambda: pipeline,
            local_tenant=tenant or self.tenant,
        )

    # --- workers ------------------------------------------------------------------------------------

    def worker(self) -> ChaosWorker:
        """A worker to drive by hand (``poll_once``), not started."""
        return ChaosWorker(self)

    def start_workers(self, count: int) -> list[ChaosWorker]:
        for index in range(count):
            worker = ChaosWorker(self, name=f"chaos-worker-{index}")
            worker.start()
            self.workers.append(worker)
        return self.workers

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop_event.set()
        for worker in self.workers:
            worker.join(timeout=30)
        self.workers.clear()

    # --- observing ----------------------------------------------------------------------------------

    def job(self, job_id: str) -> Job | None:
        return cast(JobStore, self.pipeline.jobs.real).get(job_id)  # type: ignore[attr-defined]

    def wait_finished(self, job_ids: Iterable[str], timeout: float = 60.0) -> dict[str, Job | None]:
        """Poll the table (not the API: no repair on read) until every job is finished or gone."""
        pending = set(job_ids)
        found: dict[str, Job | None] = {}
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                job = self.job(job_id)
                if job is None or job.status not in ACTIVE:
                    found[job_id] = job
                    pending.discard(job_id)
            if pending:
                time.sleep(0.1)
        for job_id in pending:
            found[job_id] = self.job(job_id)
        return found

    def settle(self, job_ids: Iterable[str], *, timeout: float = 30.0) -> dict[str, Job | None]:
        """Drive one worker by hand until every job is finished (or gone); their final state."""
        pending = list(job_ids)
        worker = self.worker()
        deadline = time.monotonic() + timeout
        while True:
            jobs = {job_id: self.job(job_id) for job_id in pending}
            if all(job is None or job.status not in ACTIVE for job in jobs.values()):
                return jobs
            if time.monotonic() > deadline:
                return jobs
            worker.poll_once(wait_seconds=1)

    def queue_depth(self) -> int:
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=self.settings.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def dead_letters(self) -> int:
        url = self.settings.queue_url + "-dlq"
        attributes = self.clients.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def audit(self) -> Audit:
        return audit(self.clients, self.settings)

    def close(self) -> None:
        self.stop_workers()
        shutil.rmtree(self.work_root, ignore_errors=True)
        if "redis_client" in self.__dict__:  # never connect just to close
            with contextlib.suppress(Exception):
                self.redis_client.close()


@contextlib.contextmanager
def serve(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True, name="chaos-api")
    thread.start()
    url = f"http://{host}:{port}"
    try:
        wait_until(lambda: urllib.request.urlopen(f"{url}/health", timeout=1), "the API")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
