"""What the bucket and the jobs table hold after a chaos run, and every invariant it broke."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from boto3.dynamodb.types import TypeDeserializer

from docpipe.aws import AwsClients
from docpipe.contract import JOB_KEY_PREFIX, TENANT_KEY_PREFIX
from docpipe.jobs import ACTIVE, Job, JobStatus
from docpipe.jobstore import job_from_item
from docpipe.settings import Settings
from docpipe.tickets import parse_all

_deserializer = TypeDeserializer()


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
    tickets: dict[str, set[str]] = field(default_factory=dict)
    """Each tenant's tickets (``tenant#`` items): the ids of the jobs counted as on their way."""
    miscounted: list[str] = field(default_factory=list)
    """Tenants whose tickets are not exactly their jobs on their way (the per-tenant backlog count)."""

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_documents) + len(self.overlapping_jobs)

    def problems(self, *, allow_unfinished: bool = False) -> list[str]:
        found = [f"orphan object {key}" for key in self.orphans]
        found += [f"duplicate document {key}" for key in self.duplicate_documents]
        found += [f"jobs {a} and {b} rendered the same content at once" for a, b in self.overlapping_jobs]
        found += [f"job {j} failed without a reason" for j in self.unexplained_failures]
        found += [f"job {j} succeeded but its document is gone" for j in self.missing_documents]
        found += [f"tenant {t}: tickets are not its jobs on their way" for t in self.miscounted]
        if not allow_unfinished:
            found += [f"job {j} never finished" for j in self.unfinished]
        return found


def audit(clients: AwsClients, settings: Settings) -> Audit:
    """Read the whole bucket and jobs table (small, local) and check the invariants."""
    jobs, held = _items(clients, settings)
    report = Audit(jobs=jobs, objects=_objects(clients, settings), tickets=held)
    _check_objects(report)
    _check_jobs(report)
    _check_tickets(report)
    return report


def _items(clients: AwsClients, settings: Settings) -> tuple[dict[str, Job], dict[str, set[str]]]:
    """The jobs by id, and each tenant's tickets as job ids."""
    jobs: dict[str, Job] = {}
    held: dict[str, set[str]] = {}
    pages = clients.dynamodb.get_paginator("scan").paginate(
        TableName=settings.jobs_table, ConsistentRead=True
    )
    for page in pages:
        for item in page["Items"]:
            pk = item["pk"]["S"]
            if pk.startswith(JOB_KEY_PREFIX):
                job = job_from_item(item)
                jobs[job.job_id] = job
            elif pk.startswith(TENANT_KEY_PREFIX):
                plain = {name: _deserializer.deserialize(value) for name, value in item.items()}
                held[pk.removeprefix(TENANT_KEY_PREFIX)] = {t.job_id for t in parse_all(plain)}
    return jobs, held


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


def _check_tickets(report: Audit) -> None:
    """Every tenant holds exactly one ticket per job of its own on its way: the count the per-tenant
    backlog cap reads neither lost a job nor kept one that finished."""
    on_their_way: dict[str, set[str]] = defaultdict(set)
    for job in report.jobs.values():
        if job.status in ACTIVE:
            on_their_way[job.tenant].add(job.job_id)
    for tenant in sorted(set(on_their_way) | set(report.tickets)):
        if on_their_way.get(tenant, set()) != report.tickets.get(tenant, set()):
            report.miscounted.append(tenant)


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
