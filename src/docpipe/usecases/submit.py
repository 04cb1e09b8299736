"""Submit a document: answer from the cache, join an identical job on its way, or queue a new one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from docpipe import contract, outputs, validation
from docpipe.errors import DependencyUnavailable, Overloaded, TenantBacklogFull
from docpipe.jobs import (
    ACTIVE,
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
from docpipe.objectstore import ObjectStore
from docpipe.observability import logger, metrics
from docpipe.settings import Settings
from docpipe.usecases.documents import download
from docpipe.usecases.idempotency import Idempotency
from docpipe.usecases.repair import StaleJobRepair
from docpipe.usecases.results import Cached, Queued, Submitted
from docpipe.usecases.stores import Stores


class SubmitDocument:
    def __init__(
        self, stores: Stores, settings: Settings, *, repair: StaleJobRepair, idempotency: Idempotency
    ) -> None:
        self.stores = stores
        self.settings = settings
        self.repair = repair
        self.idempotency = idempotency

    def __call__(
        self,
        raw: bytes,
        tenant: str,
        idempotency_key: str | None = None,
        *,
        yaml_ok: bool = False,
        output_format: str | None = None,
    ) -> Submitted:
        """Validate ``raw`` (JSON, or YAML with ``yaml_ok``; every problem at once) and accept it for
        ``tenant``, with its warnings (see validation.Checked). ``output_format`` overrides the body's
        ``format`` (``POST /v1/analyze`` always makes an analysis)."""
        value = validation.parse_bytes(raw, yaml_ok=yaml_ok)
        if output_format is not None and isinstance(value, dict):
            value = value | {"format": output_format}
        checked = validation.check_request(value)
        request = checked.request
        key = content_key(request, tenant)
        answer = None
        if idempotency_key is not None:
            answer = self.idempotency.replay(tenant, idempotency_key, key)
        if answer is None:
            answer = self._submit(request, key, tenant)
            if idempotency_key is not None:
                self.idempotency.remember(tenant, idempotency_key, key, answer)
        # The warnings come from this body, never from storage: a replay, a cache hit or a joined job
        # may have been reached with other unknown fields (left out, they do not change the key).
        return dataclasses.replace(answer, warnings=checked.warnings)

    def _submit(self, request: validation.DocumentRequestT, key: str, tenant: str) -> Submitted:
        cached = self.stores.cache.get(tenant, key)
        if cached is not None:
            metrics.add_metric(name=contract.METRIC_CACHE_HIT, unit="Count", value=1)
            link = download(self.stores.objects, cached.document_key, self.settings.presign_seconds)
            return Cached(job_id=cached.job_id, download=link, layout=cached.layout)
        metrics.add_metric(name=contract.METRIC_CACHE_MISS, unit="Count", value=1)
        holder = self.stores.jobs.pointer(tenant, key)
        if holder:
            existing = self.repair(self.stores.jobs.get(holder))
            if existing is not None and existing.status in ACTIVE:
                return _queued(existing)  # the same document is on its way: no second render
        depth = self.stores.queue.depth()
        if depth >= self.settings.max_backlog:
            metrics.add_metric(name="Rejected", unit="Count", value=1)
            raise Overloaded(depth)
        return self._enqueue(request, self._new_job(request, key, tenant))

    def _new_job(self, request: validation.DocumentRequestT, key: str, tenant: str) -> Job:
        moment = now()
        job_id = new_job_id()
        return Job(
            job_id=job_id,
            tenant=tenant,
            status=JobStatus.QUEUED,
            document_type=request.document_type,
            template=request.template,
            format=request.format,
            content_key=key,
            request_key=ObjectStore.request_key(tenant, job_id),
            document_key=ObjectStore.document_key(tenant, key, outputs.extension(request)),
            filename=download_filename(request),
            created_at=iso(moment),
            updated_at=iso(moment),
            expires_at=int((moment + dt.timedelta(days=self.settings.retention_days)).timestamp()),
        )

    def _enqueue(self, request: validation.DocumentRequestT, job: Job) -> Queued:
        body = json.dumps(canonical_request(request), ensure_ascii=False, separators=(",", ":")).encode()
        # The job is recorded before its request is stored, so every object under requests/ has a job
        # whatever fails next; a failure after the job exists closes it (failed, with a reason).
        try:
            winner = self._record(job)
            if winner is not None:
                return _queued(winner)  # lost the race to an identical submit
        except TenantBacklogFull:
            metrics.add_metric(name="RejectedTenantBacklog", unit="Count", value=1)
            raise  # refused in the transaction itself: nothing was written
        except Exception:
            self._abandon(job, "could not record the job")  # it may have been written after all
            raise
        try:
            self.stores.objects.put_request(job.request_key, body)
        except Exception:
            self._abandon(job, "could not store the request")
            raise
        try:
            self.stores.queue.send(RenderMessage(job_id=job.job_id, tenant=job.tenant))
        except Exception as exc:
            # Without its message the job would wait forever: close it and ask the client to retry.
            self._abandon(job, "could not queue the job")
            raise DependencyUnavailable("the render queue") from exc
        logger.info("job queued", extra={"job_id": job.job_id, "request_bytes": len(body)})
        return _queued(job)

    def _record(self, job: Job) -> Job | None:
        """Store ``job`` and point its content at it; the identical job already active, if one won."""
        holder = self._create(job)
        if holder is None:
            return None
        existing = self.repair(self.stores.jobs.get(holder)) if holder else None
        if existing is not None and existing.status in ACTIVE:
            return existing
        if self._create(job, replace_pointer_of=holder) is not None:
            raise DependencyUnavailable("the jobs table (concurrent update)", retry_after=1)
        return None

    def _create(self, job: Job, replace_pointer_of: str | None = None) -> str | None:
        """``JobStore.create`` within the tenant's cap. A refusal is checked once against the jobs its
        tickets stand for, so a count that drifted (a lost job's ticket) never refuses for good."""
        cap = self.settings.max_tenant_backlog
        try:
            return self.stores.jobs.create(job, cap=cap, replace_pointer_of=replace_pointer_of)
        except TenantBacklogFull:
            if not self._reclaimed(job.tenant):
                raise
        return self.stores.jobs.create(job, cap=cap, replace_pointer_of=replace_pointer_of)

    def _reclaimed(self, tenant: str) -> bool:
        """Whether any of ``tenant``'s tickets were given back. Best effort: failing to check answers
        the refusal (429), not a 503."""
        try:
            return self.repair.reclaim(tenant) > 0
        except DependencyUnavailable as exc:
            logger.warning("could not check a tenant's tickets", extra={"error": type(exc).__name__})
            return False

    def _abandon(self, job: Job, message: str) -> None:
        """Close a job whose submit is failing (the client gets 503 and retries). Best effort: the
        store may be what is failing; a job left open is marked failed once stale (``repair``)."""
        error = JobError(code="unavailable", message=f"{message}; please submit it again")
        try:
            self.stores.jobs.finish(job, JobStatus.FAILED, error=error)
        except Exception as exc:
            logger.warning(
                "could not close an abandoned job", extra={"job_id": job.job_id, "error": type(exc).__name__}
            )


def _queued(job: Job) -> Queued:
    return Queued(job_id=job.job_id, status=job.status)
