"""Stale jobs: a job that stopped moving long ago is marked failed, so none stays active forever.

A job is lost when its message failed to send, or every attempt died before it could record the
failure. Submit and status repair what they look at (``Settings.stale_after_seconds``), and a submit
refused for its tenant's backlog first checks the tenant's old tickets (``reclaim``).
"""

from __future__ import annotations

import datetime as dt

from docpipe.jobs import ACTIVE, Job, JobError, JobStatus, now
from docpipe.jobstore import JobStore
from docpipe.observability import logger, metrics
from docpipe.tickets import Ticket


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

    def reclaim(self, tenant: str) -> int:
        """Give back ``tenant``'s tickets that no longer stand for a job on its way: the job is gone
        (a lost job DynamoDB's TTL deleted before anyone looked at it), finished, or stale (marked
        failed here). How many were given back.

        Only tickets older than the stale threshold are looked at: a younger job cannot be lost yet,
        so a tenant that is simply busy costs one read of its counter item, not one per job.
        """
        horizon = now().timestamp() - self.stale_after_seconds
        return sum(
            self._reclaim(tenant, ticket)
            for ticket in self.jobs.held_tickets(tenant)
            if ticket.issued_at <= horizon
        )

    def _reclaim(self, tenant: str, ticket: Ticket) -> bool:
        job = self.jobs.get(ticket.job_id)
        if job is None or job.tenant != tenant or job.status not in ACTIVE:
            self.jobs.drop_ticket(tenant, ticket)
            logger.warning("ticket without a job on its way given back", extra={"job_id": ticket.job_id})
            return True
        repaired = self(job)  # a stale job is marked failed, which gives its ticket back
        return repaired is None or repaired.status not in ACTIVE
