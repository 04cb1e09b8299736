"""What the bucket and the jobs table hold after a chaos run, and every invariant it broke."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from docpipe.aws import AwsClients
from docpipe.jobs import ACTIVE, Job, JobStatus
from docpipe.jobstore import job_from_item
from docpipe.settings import Settings


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


def audit(clients: AwsClients, settings: Settings) -> Audit:
    """Read the whole bucket and jobs table (small, local) and check the invariants."""
    report = Audit(jobs=_jobs(clients, settings), objects=_objects(clients, settings))
    _check_objects(report)
    _check_jobs(report)
    return report


def _jobs(clients: AwsClients, settings: Settings) -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    pages = clients.dynamodb.get_paginator("scan").paginate(
        TableName=settings.jobs_table, ConsistentRead=True
    )
    for page in pages:
        for item in page["Items"]:
            if item["pk"]["S"].startswith("job#"):
                job = job_from_item(item)
                jobs[job.job_id] = job
    return jobs


def _objects(clients: AwsClients, settings: Settings) -> list[str]:
    return [
        obj["Key"]
        for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket)
        for obj in page.get("Contents", [])
    ]


def _check_objects(report: Audit) -> None:
    """Orphans, stray and duplicate documents: objects seen from the jobs that should own them."""
    request_keys = {job.request_key for job in report.jobs.values()}
    document_jobs: dict[str, list[Job]] = defaultdict(list)
    for job in report.jobs.values():
        document_jobs[job.document_key].append(job)
    stems: Counter[str] = Counter()
    for key in report.objects:
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


def _check_jobs(report: Audit) -> None:
    """Unfinished and unexplained jobs, succeeded jobs without a document, and double renders."""
    stored = set(report.objects)
    by_content: dict[tuple[str, str], list[Job]] = defaultdict(list)
    for job in report.jobs.values():
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
                if dt.datetime.fromisoformat(second.created_at) < dt.datetime.fromisoformat(first.updated_at):
                    report.overlapping_jobs.append((first.job_id, second.job_id))
