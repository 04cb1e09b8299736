"""Stale jobs: a job that stopped moving long ago is marked failed, so none stays active forever.

A job is lost when its message failed to send, or every attempt died before it could record the
failure. Submit and status repair what they look at (``Settings.stale_after_seconds``).
"""

from __future__ import annotations

import datetime as dt

from docpipe.jobs import ACTIVE, Job, JobError, JobStatus, now
from docpipe.jobstore import JobStore
from docpipe.observability import logger, metrics


class StaleJobRepair:
    def __init__(self, jobs: JobStore, *, stale_after_seconds: int) -> None:
        self.jobs = jobs
        self.stale_after_seconds = stale_after_seconds

    def __call__(self, job: Job | None) -> Job | None:
        """``job`` as it stands after the repair: failed if it was stale, unchanged otherwise."""
        if job is None or job.status not in ACTIVE:
            return job
        age = (now() - dt.datetime.fromisoformat(job.updated_at)).total_seconds()
        if age < self.stale_after_seconds:
            return job
        error = JobError(code="lost", message="the job stopped without finishing; please submit it again")
        self.jobs.finish(job, JobStatus.FAILED, error=error)
        metrics.add_metric(name="JobLost", unit="Count", value=1)
        logger.warning("stale job marked failed", extra={"job_id": job.job_id, "age_s": int(age)})
        return self.jobs.get(job.job_id)
