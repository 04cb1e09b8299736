"""A job's status, for its owner: repaired if it went stale, with a download link once it succeeded."""

from __future__ import annotations

import re

from docpipe.errors import NotFound
from docpipe.jobs import Job, JobStatus
from docpipe.jobstore import JobStore
from docpipe.settings import Settings
from docpipe.usecases.documents import download
from docpipe.usecases.repair import StaleJobRepair
from docpipe.usecases.results import JobView
from docpipe.usecases.stores import Stores

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def owned_job(jobs: JobStore, job_id: str, tenant: str) -> Job:
    """``tenant``'s job ``job_id``; another tenant's job is indistinguishable from none (NotFound)."""
    job = jobs.get(job_id) if _JOB_ID.match(job_id) else None
    if job is None or job.tenant != tenant:
        raise NotFound(f"no job {job_id}")
    return job


class GetJob:
    def __init__(self, stores: Stores, settings: Settings, *, repair: StaleJobRepair) -> None:
        self.stores = stores
        self.settings = settings
        self.repair = repair

    def __call__(self, job_id: str, tenant: str) -> JobView:
        job = self.repair(owned_job(self.stores.jobs, job_id, tenant))
        if job is None:  # erased while it was being repaired
            raise NotFound(f"no job {job_id}")
        if job.status is not JobStatus.SUCCEEDED:
            return JobView(job=job)
        link = download(self.stores.objects, job.document_key, self.settings.presign_seconds)
        return JobView(job=job, download=link)
