"""The pipeline's logic: submit, render and status, over injected stores.

Handlers and the local stack call these methods; nothing here knows about HTTP or Lambda events.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.exceptions import BotoCoreError, ClientError

from docpipe import formats, validation
from docpipe.aws import AwsClients, default_clients
from docpipe.cache import DocumentCache
from docpipe.errors import (
    Conflict,
    DependencyUnavailable,
    ErrorDetail,
    InvalidDocument,
    NotFound,
    Overloaded,
    RenderFailed,
)
from docpipe.jobs import (
    ACTIVE,
    CachedDocument,
    Job,
    JobError,
    JobStatus,
    RenderMessage,
    canonical_request,
    content_key,
    download_filename,
    iso,
    new_job_id,
    now,
)
from docpipe.jobstore import JobStore
from docpipe.objectstore import ObjectStore
from docpipe.observability import logger, metrics
from docpipe.settings import Settings, get_settings
from docpipe.workqueue import WorkQueue

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class Answer:
    """An HTTP-agnostic answer: status code, JSON body, optional Location."""

    status: int
    body: dict[str, Any]
    location: str | None = None


class Pipeline:
    def __init__(
        self,
        *,
        settings: Settings,
        objects: ObjectStore,
        jobs: JobStore,
        queue: WorkQueue,
        cache: DocumentCache,
    ) -> None:
        self.settings = settings
        self.objects = objects
        self.jobs = jobs
        self.queue = queue
        self.cache = cache
        self._renderer: Any = None

    @classmethod
    def from_clients(cls, settings: Settings, clients: AwsClients, redis_client: Any = None) -> Pipeline:
        cache = (
            DocumentCache(redis_client, ttl_seconds=settings.cache_ttl_seconds)
            if redis_client is not None
            else DocumentCache.from_url(settings.redis_url, ttl_seconds=settings.cache_ttl_seconds)
        )
        return cls(
            settings=settings,
            objects=ObjectStore(clients.s3, settings.bucket),
            jobs=JobStore(clients.dynamodb, settings.jobs_table),
            queue=WorkQueue(clients.sqs, settings.queue_url),
            cache=cache,
        )

    # --- submit -------------------------------------------------------------------------------

    def submit(self, raw: bytes, tenant: str, idempotency_key: str | None = None) -> Answer:
        request = validation.validate_request(validation.parse_bytes(raw))
        with _dependencies():
            return self._submit_valid(request, tenant, idempotency_key)

    def _submit_valid(
        self, request: validation.DocumentRequestT, tenant: str, idempotency_key: str | None
    ) -> Answer:
        key = content_key(request, tenant)
        if idempotency_key is not None:
            replay = self._replay(tenant, idempotency_key, key)
            if replay is not None:
                return replay
        answer = self._submit(request, key, tenant)
        if idempotency_key is not None:
            self._remember(tenant, idempotency_key, key, answer)
        return answer

    def _submit(self, request: validation.DocumentRequestT, key: str, tenant: str) -> Answer:
        cached = self.cache.get(tenant, key)
        if cached is not None:
            metrics.add_metric(name="CacheHit", unit="Count", value=1)
            return self._cached_answer(cached)
        metrics.add_metric(name="CacheMiss", unit="Count", value=1)
        holder = self.jobs.pointer(tenant, key)
        if holder:
            existing = self._repaired(self.jobs.get(holder))
            if existing is not None and existing.status in ACTIVE:
                return self._queued_answer(existing)  # the same document is on its way: no second render
        depth = self.queue.depth()
        if depth >= self.settings.max_backlog:
            metrics.add_metric(name="Rejected", unit="Count", value=1)
            raise Overloaded(depth)
        return self._enqueue(request, key, tenant)

    def _enqueue(self, request: validation.DocumentRequestT, key: str, tenant: str) -> Answer:
        moment = now()
        job_id = new_job_id()
        job = Job(
            job_id=job_id,
            tenant=tenant,
            status=JobStatus.QUEUED,
            document_type=request.document_type,
            template=request.template,
            format=request.format,
            content_key=key,
            request_key=ObjectStore.request_key(tenant, job_id),
            document_key=ObjectStore.document_key(tenant, key, request.format),
            filename=download_filename(request),
            created_at=iso(moment),
            updated_at=iso(moment),
            expires_at=int((moment + dt.timedelta(days=self.settings.retention_days)).timestamp()),
        )
        body = json.dumps(canonical_request(request), ensure_ascii=False, separators=(",", ":")).encode()
        # The job is recorded before its request is stored, so every object under requests/ has a job
        # whatever fails next; a failure after the job exists closes it (failed, with a reason).
        try:
            holder = self.jobs.create(job)
            if holder is not None:
                existing = self._repaired(self.jobs.get(holder)) if holder else None
                if existing is not None and existing.status in ACTIVE:
                    return self._queued_answer(existing)  # lost the race to an identical submit
                if self.jobs.create(job, replace_pointer_of=holder) is not None:
                    raise DependencyUnavailable("the jobs table (concurrent update)", retry_after=1)
        except Exception:
            self._abandon(job, "could not record the job")  # it may have been written after all
            raise
        try:
            self.objects.put_request(job.request_key, body)
        except Exception:
            self._abandon(job, "could not store the request")
            raise
        try:
            self.queue.send(RenderMessage(job_id=job.job_id, tenant=tenant))
        except Exception as exc:
            # Without its message the job would wait forever: close it and ask the client to retry.
            self._abandon(job, "could not queue the job")
            raise DependencyUnavailable("the render queue") from exc
        logger.info("job queued", extra={"job_id": job.job_id, "request_bytes": len(body)})
        return self._queued_answer(job)

    def _abandon(self, job: Job, message: str) -> None:
        """Close a job whose submit is failing (the client gets 503 and retries). Best effort: the
        store may be what is failing; a job left open is marked failed once stale (``_repaired``)."""
        error = JobError(code="unavailable", message=f"{message}; please submit it again")
        try:
            self.jobs.finish(job, JobStatus.FAILED, error=error)
        except Exception as exc:
            logger.warning(
                "could not close an abandoned job", extra={"job_id": job.job_id, "error": type(exc).__name__}
            )

    def _cached_answer(self, cached: CachedDocument) -> Answer:
        url, expires = self.objects.presign(cached.document_key, self.settings.presign_seconds)
        body = {
            "job_id": cached.job_id,
            "status": JobStatus.SUCCEEDED.value,
            "cached": True,
            "download_url": url,
            "download_expires_at": expires,
        }
        return Answer(200, body)

    @staticmethod
    def _queued_answer(job: Job) -> Answer:
        status_url = f"/v1/jobs/{job.job_id}"
        return Answer(
            202, {"job_id": job.job_id, "status": job.status.value, "status_url": status_url}, status_url
        )

    def _replay(self, tenant: str, idempotency_key: str, key: str) -> Answer | None:
        if not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise InvalidDocument(
                "invalid Idempotency-Key",
                [ErrorDetail("Idempotency-Key", "must be 1 to 128 printable ASCII characters")],
            )
        held = self.jobs.idempotency(tenant, idempotency_key)
        if held is None:
            return None
        job_id, request_hash = held
        if request_hash != key:
            raise Conflict("this Idempotency-Key was already used with a different request")
        job = self.jobs.get(job_id)
        if job is None:
            return None
        if job.status is JobStatus.SUCCEEDED:
            return self._cached_answer(
                CachedDocument(job_id=job.job_id, document_key=job.document_key, filename=job.filename)
            )
        return self._queued_answer(job)

    def _remember(self, tenant: str, idempotency_key: str, key: str, answer: Answer) -> None:
        expires = int((now() + dt.timedelta(days=1)).timestamp())
        held = self.jobs.remember_idempotency(
            tenant, idempotency_key, str(answer.body["job_id"]), key, expires
        )
        if held is not None and held[1] != key:
            raise Conflict("this Idempotency-Key was already used with a different request")

    # --- render -------------------------------------------------------------------------------

    def renderer(self) -> Any:
        if self._renderer is None:
            from docpipe.renderer import Renderer

            format_dir = (
                Path(self.settings.format_dir) if self.settings.format_dir else formats.default_directory()
            )
            self._renderer = Renderer(timeout=self.settings.render_timeout_seconds, format_dir=format_dir)
        return self._renderer

    def render_record(self, body: str, receive_count: int) -> None:
        """One SQS record. A message that is not a render message is dropped, not retried forever."""
        try:
            message = RenderMessage.model_validate_json(body)
        except ValueError:
            logger.error("malformed render message dropped", extra={"bytes": len(body)})
            return
        self.render(message, receive_count)

    def render(self, message: RenderMessage, receive_count: int) -> None:
        """Render one job. User-caused failures end the job; infrastructure failures raise (SQS retries),
        and on the last allowed receive the job is marked failed first, so none is left unfinished."""
        logger.append_keys(job_id=message.job_id)  # every log line of this record carries its job id
        job = self.jobs.get(message.job_id)
        if job is None or job.tenant != message.tenant:
            logger.warning("message for an unknown job dropped", extra={"job_id": message.job_id})
            return
        if job.status not in ACTIVE:
            logger.info("duplicate delivery of a finished job ignored", extra={"job_id": job.job_id})
            return
        claimed = self.jobs.claim(job.job_id, receive_count)
        if claimed is None:
            return
        queue_wait = (now() - dt.datetime.fromisoformat(job.created_at)).total_seconds() * 1000
        metrics.add_metric(name="QueueWaitMs", unit="Milliseconds", value=queue_wait)
        try:
            self._render_claimed(claimed)
        except (InvalidDocument, RenderFailed) as exc:
            error = JobError(code=exc.code, message=exc.message)
            if self.jobs.finish(claimed, JobStatus.FAILED, error=error):
                self._release_document(claimed)  # an earlier attempt may have uploaded it
            _count_failure(exc.code)
            logger.info("job failed", extra={"job_id": job.job_id, "error_code": exc.code})
        except Exception as exc:
            if receive_count >= self.settings.max_receives:
                error = JobError(
                    code="internal_error", message="the document could not be rendered; please resubmit"
                )
                if self.jobs.finish(claimed, JobStatus.FAILED, error=error):
                    self._release_document(claimed)
                _count_failure(error.code)
            logger.warning(
                "render attempt failed",
                extra={"job_id": job.job_id, "attempt": receive_count, "error": type(exc).__name__},
            )
            raise

    def _render_claimed(self, job: Job) -> None:
        request = validation.validate_request(json.loads(self.objects.get_request(job.request_key)))
        if request.format == "tex":
            from docpipe.templates import render_source

            data, pages, elapsed = render_source(request).text.encode(), 0, 0.0
        else:
            result = self.renderer().render(request)
            data, pages, elapsed = result.pdf, result.pages, result.elapsed_ms
        # Documents are content-addressed, so jobs of one tenant with the same content share one
        # object: the job holds it before uploading it, and an erasure deletes it only when the last
        # job holding it is erased.
        self.jobs.hold_document(job)
        self.objects.put_document(job.document_key, data, job.format, job.filename)
        # Cache before announcing success: a client that sees "succeeded" and resubmits gets a hit.
        cached = CachedDocument(job_id=job.job_id, document_key=job.document_key, filename=job.filename)
        self.cache.put(job.tenant, job.content_key, cached)
        result_fields = {"pages": pages, "bytes": len(data), "render_ms": int(elapsed)}
        if not self.jobs.finish(job, JobStatus.SUCCEEDED, result=result_fields) and not self.jobs.get(
            job.job_id
        ):
            # Erased while it rendered: neither its document nor its cache entry may outlive that.
            with contextlib.suppress(DependencyUnavailable):
                self.cache.delete(job.tenant, job.content_key)
            self._release_document(job)
            logger.info("job erased while rendering; its document removed", extra={"job_id": job.job_id})
            return
        metrics.add_metric(name="RenderMs", unit="Milliseconds", value=elapsed)
        logger.info(
            "job succeeded",
            extra={
                "job_id": job.job_id,
                "pages": pages,
                "bytes": len(data),
                "render_ms": int(elapsed),
                "used_format": request.format != "tex" and result.used_format,
            },
        )

    def _release_document(self, job: Job) -> None:
        """Drop a job's hold on its document and delete the document once no job holds it.
        Best effort: what is left expires with the retention period."""
        try:
            if self.jobs.release_document(job) == 0:
                self.objects.delete(job.document_key)
        except Exception as exc:
            extra = {"job_id": job.job_id, "error": type(exc).__name__}
            logger.warning("could not release a document", extra=extra)

    # --- status -------------------------------------------------------------------------------

    def _job_of(self, job_id: str, tenant: str) -> Job:
        job = self.jobs.get(job_id) if _JOB_ID.match(job_id) else None
        if job is None or job.tenant != tenant:
            raise NotFound(f"no job {job_id}")  # another tenant's job is indistinguishable from none
        return job

    def _repaired(self, job: Job | None) -> Job | None:
        """A job that stopped moving long ago is marked failed, so none stays active forever."""
        if job is None or job.status not in ACTIVE:
            return job
        age = (now() - dt.datetime.fromisoformat(job.updated_at)).total_seconds()
        if age < self.settings.stale_after_seconds:
            return job
        error = JobError(code="lost", message="the job stopped without finishing; please submit it again")
        self.jobs.finish(job, JobStatus.FAILED, error=error)
        metrics.add_metric(name="JobLost", unit="Count", value=1)
        logger.warning("stale job marked failed", extra={"job_id": job.job_id, "age_s": int(age)})
        return self.jobs.get(job.job_id)

    def status(self, job_id: str, tenant: str) -> dict[str, Any]:
        with _dependencies():
            return self._status(job_id, tenant)

    def _status(self, job_id: str, tenant: str) -> dict[str, Any]:
        job = self._repaired(self._job_of(job_id, tenant))
        assert job is not None
        body: dict[str, Any] = {
            "job_id": job.job_id,
            "status": job.status.value,
            "document_type": job.document_type,
            "template": job.template,
            "format": job.format,
            "created_at": job.created_at,
            "updated_at": job.updated_at,
        }
        if job.status is JobStatus.SUCCEEDED:
            url, expires = self.objects.presign(job.document_key, self.settings.presign_seconds)
            body |= {
                "download_url": url,
                "download_expires_at": expires,
                "pages": job.pages,
                "bytes": job.bytes,
            }
        if job.error is not None:
            body["error"] = job.error.model_dump()
        return body

    def delete(self, job_id: str, tenant: str) -> None:
        """Erase the job's request, document and cache entry now (right to erasure)."""
        with _dependencies():
            self._delete(job_id, tenant)

    def _delete(self, job_id: str, tenant: str) -> None:
        job = self._job_of(job_id, tenant)
        self.cache.delete(tenant, job.content_key)
        keys = [job.request_key]
        if not self.jobs.release_document(job):
            keys.append(job.document_key)  # no other job of this tenant holds the same document
        self.objects.delete(*keys)
        self.jobs.delete(job)
        logger.info("job erased", extra={"job_id": job.job_id})


def _count_failure(code: str) -> None:
    metrics.add_metric(name="RenderFailed", unit="Count", value=1)
    with single_metric(
        name="RenderFailedByCode", unit=MetricUnit.Count, value=1, namespace="Docpipe"
    ) as metric:
        metric.add_dimension(name="code", value=code)


@contextlib.contextmanager
def _dependencies() -> Iterator[None]:
    """While answering a client, an AWS error means a dependency is down: 503 + Retry-After, not 500."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        logger.warning("dependency error", extra={"error": type(exc).__name__})
        raise DependencyUnavailable("a storage service") from exc


@cache
def default_pipeline() -> Pipeline:
    """One per container: clients and connections are reused across invocations."""
    return Pipeline.from_clients(get_settings(), default_clients())
