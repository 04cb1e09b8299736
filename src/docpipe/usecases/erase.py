"""Erase a job now (right to erasure): its cache entry, its request, its document unless another job
still holds it, and the job itself."""

from __future__ import annotations

from docpipe.observability import logger
from docpipe.usecases.documents import release_hold
from docpipe.usecases.status import owned_job
from docpipe.usecases.stores import Stores


class EraseJob:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    def __call__(self, job_id: str, tenant: str) -> None:
        job = owned_job(self.stores.jobs, job_id, tenant)
        # The cache first: an entry left behind would answer submits with a link to nothing.
        self.stores.cache.delete(tenant, job.content_key)
        keys = [job.request_key]
        if release_hold(self.stores.jobs, job):
            keys.append(job.document_key)
        self.stores.objects.delete(*keys)
        self.stores.jobs.delete(job)
        logger.info("job erased", extra={"job_id": job.job_id})
