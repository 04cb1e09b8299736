"""Idempotency-Key: a retried submit gets the answer the first one got, as long as its request is the
same; a different request under a used key is a conflict. Keys are kept for a day, per tenant."""

from __future__ import annotations

import datetime as dt
import re

from docpipe.errors import Conflict, ErrorDetail, InvalidDocument
from docpipe.jobs import JobStatus, now
from docpipe.settings import Settings
from docpipe.usecases.documents import download
from docpipe.usecases.results import Cached, Queued, Submitted
from docpipe.usecases.stores import Stores

_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_KEPT = dt.timedelta(days=1)


class Idempotency:
    def __init__(self, stores: Stores, settings: Settings) -> None:
        self.stores = stores
        self.settings = settings

    def replay(self, tenant: str, key: str, content_key: str) -> Submitted | None:
        """What ``key`` was answered with before, now; None if it is new (or its job is gone)."""
        if not _KEY.match(key):
            raise InvalidDocument(
                "invalid Idempotency-Key",
                [ErrorDetail("Idempotency-Key", "must be 1 to 128 printable ASCII characters")],
            )
        held = self.stores.jobs.idempotency(tenant, key)
        if held is None:
            return None
        job_id, request_hash = held
        if request_hash != content_key:
            raise Conflict("this Idempotency-Key was already used with a different request")
        job = self.stores.jobs.get(job_id)
        if job is None:
            return None
        if job.status is JobStatus.SUCCEEDED:
            link = download(self.stores.objects, job.document_key, self.settings.presign_seconds)
            return Cached(job_id=job.job_id, download=link, layout=job.layout)
        return Queued(job_id=job.job_id, status=job.status)

    def remember(self, tenant: str, key: str, content_key: str, answer: Submitted) -> None:
        """Record ``answer`` under ``key``; a concurrent submit with another request under the same
        key that got there first makes this one a conflict."""
        expires = int((now() + _KEPT).timestamp())
        held = self.stores.jobs.remember_idempotency(tenant, key, answer.job_id, content_key, expires)
        if held is not None and held[1] != content_key:
            raise Conflict("this Idempotency-Key was already used with a different request")
