"""Erase a job now (right to erasure): its cache entry, its request, its document unless another job
still holds it, and the job itself."""

from __future__ import annotations

from docpipe.erasures import Erasures
from docpipe.errors import NotFound
from docpipe.observability import logger
from docpipe.settings import Settings
from docpipe.usecases.documents import release_hold
from docpipe.usecases.status import owned_job
from docpipe.usecases.stores import Stores


class EraseJob:
    def __init__(self, stores: Stores, settings: Settings) -> None:
        self.stores = stores
        jobs = stores.jobs
        keep = settings.retention_days * 86_400  # as long as the job itself would have been kept
        self.erasures = Erasures(jobs.client, jobs.table, keep_seconds=keep)

    def __call__(self, job_id: str, tenant: str) -> None:
        """Erase ``tenant``'s job; again, nothing to do (idempotent). Never its: NotFound."""
        try:
            job = owned_job(self.stores.jobs, job_id, tenant)
        except NotFound:
            if self.erasures.was_erased(job_id, tenant):
                return
            raise
        # Recorded first: once anything is gone, asking again must answer "erased", not "no such job".
        self.erasures.record(job.job_id, tenant)
        # The cache first: an entry left behind would answer submits with a link to nothing.
        self.stores.cache.delete(tenant, job.content_key)
        keys = [job.request_key]
        if release_hold(self.stores.jobs, job):
            keys.append(job.document_key)
        self.stores.objects.delete(*keys)
        self.stores.jobs.delete(job)
        logger.info("job erased", extra={"job_id": job.job_id})
