"""Render a queued job: one SQS record. User-caused failures end the job; infrastructure failures
raise, so SQS retries the record, and on the last allowed receive the job is marked failed first:
none is left unfinished."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from docpipe import contract, outputs, validation
from docpipe.errors import DependencyUnavailable, InvalidDocument, RenderFailed
from docpipe.jobs import ACTIVE, CachedDocument, Job, JobError, JobStatus, RenderMessage, now
from docpipe.objectstore import ObjectStore
from docpipe.observability import logger, metrics
from docpipe.settings import Settings
from docpipe.usecases.documents import release_hold
from docpipe.usecases.stores import Stores

_SIDE_CALLS = 4
"""Threads for store calls made while the record waits on something else (below); a few, as the
local stack's render workers share one pipeline."""


class RenderJob:
    def __init__(self, stores: Stores, settings: Settings, renderer: outputs.PdfRenderer) -> None:
        self.stores = stores
        self.settings = settings
        self.renderer = renderer
        # A store call is a network round trip the render thread would otherwise sit through. The
        # pool starts its threads on first use: the API functions build this too and never render.
        self._side = ThreadPoolExecutor(max_workers=_SIDE_CALLS, thread_name_prefix="docpipe-render-side")

    def record(self, body: str, receive_count: int) -> None:
        """One SQS record. A message that is not a render message is dropped, not retried forever."""
        try:
            message = RenderMessage.model_validate_json(body)
        except ValueError:
            logger.error("malformed render message dropped", extra={"bytes": len(body)})
            return
        self(message, receive_count)

    def __call__(self, message: RenderMessage, receive_count: int) -> None:
        logger.append_keys(job_id=message.job_id)  # every log line of this record carries its job id
        # The job is claimed first, the checks (it exists, is the tenant's, is not finished or held
        # by a newer attempt) in the claim's condition, and the request, whose key the message gives,
        # is read meanwhile: one round trip's wait before TeX, not three. Read for a claim that
        # fails (a duplicate delivery racing this one), it is simply not used.
        key = ObjectStore.request_key(message.tenant, message.job_id)
        reading = self._side.submit(self.stores.objects.get_request, key)
        with _settled(reading):
            claimed = self.stores.jobs.claim(message.job_id, message.tenant, receive_count)
        if claimed is None:
            self._unclaimed(message)
            return
        queue_wait = (now() - dt.datetime.fromisoformat(claimed.created_at)).total_seconds() * 1000
        metrics.add_metric(name="QueueWaitMs", unit="Milliseconds", value=queue_wait)
        try:
            self._render_claimed(claimed, reading)
        except (InvalidDocument, RenderFailed) as exc:
            self._fail(claimed, JobError(code=exc.code, message=exc.message))
            logger.info("job failed", extra={"job_id": claimed.job_id, "error_code": exc.code})
        except Exception as exc:
            if receive_count >= self.settings.max_receives:
                reason = "the document could not be rendered; please resubmit"
                self._fail(claimed, JobError(code="internal_error", message=reason))
            logger.warning(
                "render attempt failed",
                extra={"job_id": claimed.job_id, "attempt": receive_count, "error": type(exc).__name__},
            )
            raise
        self.renderer.prepare_next()  # the job is answered: TeX for the next one may start now

    def _unclaimed(self, message: RenderMessage) -> None:
        """Why a message's job could not be claimed, for the log (the rare path: one more read)."""
        job = self.stores.jobs.get(message.job_id)
        if job is None or job.tenant != message.tenant:
            logger.warning("message for an unknown job dropped", extra={"job_id": message.job_id})
        elif job.status not in ACTIVE:
            logger.info("duplicate delivery of a finished job ignored", extra={"job_id": job.job_id})
        else:
            logger.info("duplicate delivery of a job a newer attempt holds", extra={"job_id": job.job_id})

    def _fail(self, job: Job, error: JobError) -> None:
        if self.stores.jobs.finish(job, JobStatus.FAILED, error=error):
            self._release_document(job)  # an earlier attempt may have uploaded it
        _count_failure(error.code)

    def _render_claimed(self, job: Job, reading: Future[bytes]) -> None:
        # Inside the attempt: a request that could not be read fails it like any store call.
        request = validation.validate_request(json.loads(reading.result()))
        output = self._produce(job, request)
        self.stores.objects.put_document(job.document_key, output.data, job.filename)
        # Cache before announcing success: a client that sees "succeeded" and resubmits gets a hit.
        cached = CachedDocument(
            job_id=job.job_id, document_key=job.document_key, filename=job.filename, layout=output.layout
        )
        self.stores.cache.put(job.tenant, job.content_key, cached)
        result: dict[str, int | str] = {"bytes": len(output.data), "render_ms": int(output.elapsed_ms)}
        if output.pages is not None:  # a PDF's; a word processor paginates DOCX and text itself
            result["pages"] = output.pages
        if output.layout is not None:
            result["layout"] = json.dumps(output.layout)
        finished = self.stores.jobs.finish(job, JobStatus.SUCCEEDED, result=result)
        if not finished and self.stores.jobs.get(job.job_id) is None:
            # Erased while it rendered: neither its document nor its cache entry may outlive that.
            with contextlib.suppress(DependencyUnavailable):
                self.stores.cache.delete(job.tenant, job.content_key)
            self._release_document(job)
            logger.info("job erased while rendering; its document removed", extra={"job_id": job.job_id})
            return
        metrics.add_metric(name=contract.METRIC_RENDER_MS, unit="Milliseconds", value=output.elapsed_ms)
        extra = {"job_id": job.job_id, **result, "format": job.format, "used_format": output.used_format}
        extra.pop("layout", None)  # the log line stays flat; the job holds it
        logger.info("job succeeded", extra=extra)

    def _produce(self, job: Job, request: validation.DocumentRequestT) -> outputs.Output:
        """The job's output, its hold on its document recorded meanwhile. The job holds its
        (content-addressed) document before uploading it (see usecases.documents); recording the
        hold while TeX runs takes that round trip off the job's way. A render that fails releases
        the hold as any failed job does (``_fail``), so that release waits for the hold to land."""
        holding = self._side.submit(self.stores.jobs.hold_document, job)
        with _settled(holding):
            output = outputs.produce(request, self.renderer)
        holding.result()  # the table failing: the attempt is retried, as for any store call
        return output

    def _release_document(self, job: Job) -> None:
        """Drop a job's hold on its document and delete the document once no job holds it.
        Best effort: what is left expires with the retention period."""
        try:
            if release_hold(self.stores.jobs, job):
                self.stores.objects.delete(job.document_key)
        except Exception as exc:
            logger.warning(
                "could not release a document", extra={"job_id": job.job_id, "error": type(exc).__name__}
            )


@contextlib.contextmanager
def _settled(call: Future[Any]) -> Iterator[None]:
    """The block, then the end of ``call`` however the block ended: a record leaves no store call
    running behind it (Lambda freezes the sandbox between invocations), and a failed render releases
    only a hold that has landed."""
    try:
        yield
    finally:
        wait([call])


def _count_failure(code: str) -> None:
    """RenderFailed, and RenderFailedByCode by ``code``, in the namespace every metric is in."""
    metrics.add_metric(name=contract.METRIC_RENDER_FAILED, unit="Count", value=1)
    with single_metric(
        name="RenderFailedByCode", unit=MetricUnit.Count, value=1, namespace=metrics.namespace
    ) as metric:
        metric.add_dimension(name="code", value=code)
