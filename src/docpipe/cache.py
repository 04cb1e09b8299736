"""Redis (ElastiCache in AWS): rendered-document lookups by content key.

The cache is an optimisation, never a dependency: any Redis error is logged and counted, and the
request carries on uncached. After an error Redis is left alone for a few seconds, so an outage
costs one short timeout per container, not one per request.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from docpipe.errors import DependencyUnavailable
from docpipe.jobs import CachedDocument
from docpipe.observability import logger, metrics

_ERRORS = (redis.RedisError, OSError)


class DocumentCache:
    def __init__(self, client: Any | None, *, ttl_seconds: int, retry_after: float = 5.0) -> None:
        self._redis = client
        self.ttl_seconds = ttl_seconds
        self._retry_after = retry_after
        self._down_until = 0.0

    @classmethod
    def from_url(cls, url: str, *, ttl_seconds: int) -> DocumentCache:
        if not url:
            return cls(None, ttl_seconds=ttl_seconds)
        client = redis.Redis.from_url(
            url, socket_connect_timeout=0.25, socket_timeout=0.25, health_check_interval=30
        )
        return cls(client, ttl_seconds=ttl_seconds)

    @staticmethod
    def key(tenant: str, content_key: str) -> str:
        return f"docpipe:doc:{tenant}:{content_key}"

    def _available(self) -> bool:
        return self._redis is not None and time.monotonic() >= self._down_until

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self._retry_after
        logger.warning(
            "cache unavailable; continuing without it",
            extra={"operation": operation, "error": type(exc).__name__},
        )
        metrics.add_metric(name="CacheError", unit="Count", value=1)

    def get(self, tenant: str, content_key: str) -> CachedDocument | None:
        if not self._available():
            return None
        try:
            raw = self._redis.get(self.key(tenant, content_key))  # type: ignore[union-attr]
        except _ERRORS as exc:
            self._failed("get", exc)
            return None
        return CachedDocument.model_validate_json(raw) if raw else None

    def put(self, tenant: str, content_key: str, document: CachedDocument) -> None:
        if not self._available():
            return
        try:
            self._redis.set(self.key(tenant, content_key), document.model_dump_json(), ex=self.ttl_seconds)  # type: ignore[union-attr]
        except _ERRORS as exc:
            self._failed("set", exc)

    def delete(self, tenant: str, content_key: str) -> None:
        """Erase an entry. Unlike lookups this must not be skipped: a stale entry would point at
        an erased document, so a failure raises (the caller answers 503 and the client retries)."""
        if self._redis is None:
            return
        try:
            self._redis.delete(self.key(tenant, content_key))
        except _ERRORS as exc:
            self._failed("delete", exc)
            raise DependencyUnavailable("the cache") from exc
