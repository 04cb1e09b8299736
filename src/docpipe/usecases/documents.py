"""Rendered documents: download links, and the one rule for when a document may be deleted.

Documents are content-addressed, so jobs of one tenant with the same content share one object: each
job holds it before uploading it (``JobStore.hold_document``), and only the last holder's release
lets it be deleted.
"""

from __future__ import annotations

from docpipe.jobs import Job
from docpipe.jobstore import JobStore
from docpipe.objectstore import ObjectStore
from docpipe.usecases.results import Download


def download(objects: ObjectStore, document_key: str, seconds: int) -> Download:
    url, expires_at = objects.presign(document_key, seconds)
    return Download(url=url, expires_at=expires_at, media_type=ObjectStore.media_type(document_key))


def release_hold(jobs: JobStore, job: Job) -> bool:
    """Drop ``job``'s hold on its document; True when the document may now be deleted.

    Only a known count of zero frees it. A document without a record of its holders (stored before
    holds were recorded, or never uploaded) may still be linked from other jobs: unknown counts as
    held, and it expires with the retention period.
    """
    return jobs.release_document(job) == 0
