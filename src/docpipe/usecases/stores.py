"""The stores every use case works through: one adapter per service, and the cache."""

from __future__ import annotations

from dataclasses import dataclass

from docpipe.aws import AwsClients
from docpipe.cache import DocumentCache
from docpipe.jobstore import JobStore
from docpipe.objectstore import ObjectStore
from docpipe.settings import Settings
from docpipe.workqueue import WorkQueue


@dataclass(frozen=True)
class Stores:
    objects: ObjectStore
    jobs: JobStore
    queue: WorkQueue
    cache: DocumentCache

    @classmethod
    def from_clients(
        cls, settings: Settings, clients: AwsClients, cache: DocumentCache | None = None
    ) -> Stores:
        """The adapters over ``clients`` and the configured resources; the cache from
        ``settings.redis_url`` unless one is given (it connects on first use, not now)."""
        if cache is None:
            cache = DocumentCache.from_url(settings.redis_url, ttl_seconds=settings.cache_ttl_seconds)
        return cls(
            objects=ObjectStore(clients.s3, settings.bucket),
            jobs=JobStore(clients.dynamodb, settings.jobs_table),
            queue=WorkQueue(clients.sqs, settings.queue_url),
            cache=cache,
        )
