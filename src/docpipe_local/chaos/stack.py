"""A pipeline with chaos-wrapped adapters over its own bucket, table and queue, and the render
"Lambdas" that drain it.

Nothing here changes docpipe: the pipeline is the real :class:`~docpipe.pipeline.Pipeline`, the workers
call the real render Lambda handler (``functions/render/handler.py``), the API is the real FastAPI app.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from redis.cluster import RedisCluster

from docpipe.api import create_app, status_router, submit_router
from docpipe.aws import make_clients
from docpipe.cache import DocumentCache, cluster_client
from docpipe.formats import default_directory
from docpipe.jobs import ACTIVE, Job
from docpipe.jobstore import JobStore
from docpipe.objectstore import ObjectStore
from docpipe.pipeline import Pipeline
from docpipe.renderer import Renderer
from docpipe.settings import Settings
from docpipe.usecases.stores import Stores
from docpipe.workqueue import WorkQueue
from docpipe_local.chaos.adapters import ChaosJobs, ChaosObjects, ChaosQueue, ChaosRedis, ChaosRenderer
from docpipe_local.chaos.audit import Audit, audit
from docpipe_local.chaos.faults import Faults, WorkerKilled
from docpipe_local.polling import PollTimeout, poll
from docpipe_local.render_worker import RenderWorker, load_render_handler
from docpipe_local.resources import create_resources

Jobs = dict[str, Job | None]


def _all_finished(jobs: Jobs) -> bool:
    return all(job is None or job.status not in ACTIVE for job in jobs.values())


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
                self.stop_event.wait(0.1)


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
        self.work_root = Path(tempfile.mkdtemp(prefix="docpipe-chaos-work-"))
        """TeX's working directories: each render's is removed when it ends, whatever happens."""
        self.renderer = self._renderer(visibility_timeout + 1.0 if slow_seconds is None else slow_seconds)
        self.pipeline = self._pipeline(cache_retry_after=cache_retry_after, depth_ttl=depth_ttl)
        self.workers: list[ChaosWorker] = []

    def _pipeline(self, *, cache_retry_after: float, depth_ttl: float) -> Pipeline:
        settings, faults = self.settings, self.faults
        # The production client (cluster mode), built on first use as in production: a stack can be
        # made while its redis-server is down.
        cache = DocumentCache(
            None,
            ttl_seconds=settings.cache_ttl_seconds,
            retry_after=cache_retry_after,
            connect=lambda: ChaosRedis(self.redis_client, faults),
        )
        objects = ChaosObjects(ObjectStore(self.clients.s3, settings.bucket), faults)
        jobs = ChaosJobs(JobStore(self.clients.dynamodb, settings.jobs_table), faults)
        queue = ChaosQueue(WorkQueue(self.clients.sqs, settings.queue_url, depth_ttl=depth_ttl), faults)
        stores = Stores(
            objects=cast(ObjectStore, objects),
            jobs=cast(JobStore, jobs),
            queue=cast(WorkQueue, queue),
            cache=cache,
        )
        return Pipeline.build(settings, stores, renderer=self.renderer)

    def _renderer(self, slow_seconds: float) -> ChaosRenderer:
        real = Renderer(
            timeout=self.settings.render_timeout_seconds,
            work_root=self.work_root,
            format_dir=Path(self.settings.format_dir) if self.settings.format_dir else default_directory(),
        )
        return ChaosRenderer(real, self.faults, slow_seconds=slow_seconds)

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
        return cast(JobStore, self.pipeline.stores.jobs.real).get(job_id)  # type: ignore[attr-defined]

    def wait_finished(self, job_ids: Iterable[str], timeout: float = 60.0) -> Jobs:
        """Poll the table (not the API: no repair on read) until every job is finished or gone; each
        job's last state (still active ones included, once ``timeout`` has passed)."""
        pending = set(job_ids)
        found: Jobs = {}

        def all_finished() -> bool:
            for job_id in list(pending):
                job = self.job(job_id)
                if job is None or job.status not in ACTIVE:
                    found[job_id] = job
                    pending.discard(job_id)
            return not pending

        with contextlib.suppress(PollTimeout):
            poll(all_finished, what="the jobs finishing", timeout=timeout, interval=0.1)
        return found | {job_id: self.job(job_id) for job_id in pending}

    def settle(self, job_ids: Iterable[str], *, timeout: float = 30.0) -> Jobs:
        """Drive one worker by hand until every job is finished (or gone); their final state."""
        ids = list(job_ids)
        worker = self.worker()

        def step() -> Jobs:
            jobs = {job_id: self.job(job_id) for job_id in ids}
            if not _all_finished(jobs):
                worker.poll_once(wait_seconds=1)  # its long poll is the wait between two looks
            return jobs

        try:
            return poll(step, until=_all_finished, what="the jobs settling", timeout=timeout, interval=0)
        except PollTimeout as late:
            return cast(Jobs, late.last)

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
