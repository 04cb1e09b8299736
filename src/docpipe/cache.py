"""Redis (ElastiCache Serverless, Valkey, in AWS): rendered-document lookups by content key.

The cache is an optimisation, never a dependency: any Redis error is logged and counted, and the
request carries on uncached. After an error Redis is left alone for a few seconds, so an outage
costs one short wait per container, not one per request.

ElastiCache Serverless speaks cluster mode only, over TLS only, so the client is a
:class:`~redis.cluster.RedisCluster` (the local stack and the tests run ``redis-server`` in cluster
mode too). It connects as it is built, so it is built on first use, and a failure to build it is a
cache error like any other: a cold start never waits on, or fails because of, the cache.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from docpipe.errors import DependencyUnavailable
from docpipe.jobs import CachedDocument
from docpipe.observability import logger, metrics

if TYPE_CHECKING:
    from redis.cluster import RedisCluster

# redis-py is imported when the first client is made, not with this module: loading it (~50 ms, its
# asyncio client included) is no part of a function's import phase, and a process without a cache
# URL never pays for it.


@cache
def _errors() -> tuple[type[BaseException], ...]:
    """What a cache call raises when the cache is unavailable. RedisClusterException ("cannot be
    connected", "slots not covered") is not a RedisError, and a TLS failure can surface as a bare
    OSError (ssl.SSLError)."""
    import redis
    from redis.exceptions import RedisClusterException

    return (redis.RedisError, RedisClusterException, OSError)


# Timeouts, in seconds. Inside the VPC a healthy cache answers in about a millisecond and a TCP
# connect takes less; a TLS handshake (client side) costs a few ms even on a small function's CPU
# share. So:
# - connect 0.25 s: far above a healthy connect, and below Linux's first SYN retransmission (1 s),
#   so a lost SYN (node gone, security group) is never waited out: waiting longer buys nothing;
# - socket 0.5 s: bounds the TLS handshake, the CLUSTER SLOTS discovery and each command, with room
#   for a CPU-starved function (256 MB gets ~1/7 of a vCPU) before a healthy cache counts as down.
#   A false timeout is not free either: it skips the cache for `retry_after` seconds, and every miss
#   is a TeX render.
# What an outage costs: the one request per container and back-off window that finds the cache down
# waits for its command (<= 0.5 s) plus the client's re-discovery of the cluster (connect + CLUSTER
# SLOTS, <= 0.75 s; building the client is that alone): 1.25 s at worst, and nothing for the next
# `retry_after` seconds. A refused connection (node gone) costs about nothing.
CONNECT_TIMEOUT_SECONDS = 0.25
SOCKET_TIMEOUT_SECONDS = 0.5
# One cluster-level retry, made only after the client re-discovered the cluster successfully: it
# absorbs a connection that died silently (no FIN/RST reached us, e.g. while the Lambda container was
# frozen: the command times out) and a node that ElastiCache replaced. In a real outage the
# re-discovery fails first (RedisClusterException, never retried), so the retry adds no wait.
# redis-py's default is 3 retries with back-off.
CLUSTER_RETRIES = 1


def cluster_client(url: str) -> RedisCluster:
    """A cluster client for ``redis://`` (local stack) or ``rediss://`` (AWS) URLs. It connects now.

    ``rediss://`` verifies the server's certificate and host name against the system trust store,
    which honours ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (how the tests trust a test CA).
    """
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.retry import Retry

    security: dict[str, Any] = {}
    if urllib.parse.urlsplit(url).scheme == "rediss":
        security = {"ssl_cert_reqs": "required", "ssl_check_hostname": True, "ssl_ca_certs": None}
    return RedisCluster.from_url(
        url,
        # RESP2: what every Redis/Valkey version speaks. redis-py 8 defaults to RESP3, which also
        # turns on its maintenance-notification handshake; neither buys anything here.
        protocol=2,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), CLUSTER_RETRIES),
        # Re-discover the cluster through the configured endpoint (a DNS name in AWS), not through
        # the node addresses CLUSTER SLOTS reported last time.
        dynamic_startup_nodes=False,
        **security,
    )


def _check_url(url: str) -> None:
    """A wrong URL is a deployment bug: refuse it at cold start instead of counting it as an outage."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError("the cache URL must be redis://host:port/0 or rediss://host:port/0")
    if parts.path.strip("/") not in ("", "0"):
        raise ValueError("the cache is a Redis cluster: its URL can only name database 0")


class DocumentCache:
    """Cache entries by (tenant, content key).

    ``client`` is a ready client (any object with ``get``/``set``/``delete``), or None; ``connect``
    builds one on first use (what :meth:`from_url` passes). With neither, the cache is off.
    """

    def __init__(
        self,
        client: Any | None,
        *,
        ttl_seconds: int,
        retry_after: float = 5.0,
        connect: Callable[[], Any] | None = None,
    ) -> None:
        self._redis = client
        self._connect = connect
        self._connecting = threading.Lock()
        self.ttl_seconds = ttl_seconds
        self._retry_after = retry_after
        self._down_until = 0.0

    @classmethod
    def from_url(cls, url: str, *, ttl_seconds: int, retry_after: float = 5.0) -> DocumentCache:
        """The cache at ``url``; an empty URL turns it off. Nothing connects before the first use."""
        if not url:
            return cls(None, ttl_seconds=ttl_seconds)
        _check_url(url)
        return cls(
            None, ttl_seconds=ttl_seconds, retry_after=retry_after, connect=lambda: cluster_client(url)
        )

    @staticmethod
    def key(tenant: str, content_key: str) -> str:
        return f"docpipe:doc:{tenant}:{content_key}"

    @property
    def client(self) -> Any | None:
        """The Redis client once built: None before the first use (nothing connects at cold start)."""
        return self._redis

    @property
    def enabled(self) -> bool:
        return self._redis is not None or self._connect is not None

    def _available(self) -> bool:
        return self.enabled and time.monotonic() >= self._down_until

    def _client(self, *, wait: bool) -> Any | None:
        """The client, built now if it is not yet. Raises what building it raises.

        None (without ``wait``) while another thread is building it: that request goes uncached
        rather than queueing behind a connect that may be timing out.
        """
        if self._redis is not None:
            return self._redis
        if not self._connecting.acquire(blocking=wait):
            return None
        try:
            if self._redis is None:
                assert self._connect is not None
                self._redis = self._connect()
            return self._redis
        finally:
            self._connecting.release()

    def _failed(self, operation: str, exc: BaseException) -> None:
        # The error's type only: messages can carry keys or values, and values name people's files.
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
            client = self._client(wait=False)
            raw = client.get(self.key(tenant, content_key)) if client is not None else None
        except _errors() as exc:
            self._failed("get", exc)
            return None
        return CachedDocument.model_validate_json(raw) if raw else None

    def put(self, tenant: str, content_key: str, document: CachedDocument) -> None:
        if not self._available():
            return
        try:
            client = self._client(wait=False)
            if client is not None:
                client.set(self.key(tenant, content_key), document.model_dump_json(), ex=self.ttl_seconds)
        except _errors() as exc:
            self._failed("set", exc)

    def delete(self, tenant: str, content_key: str) -> None:
        """Erase an entry. Unlike lookups this must not be skipped (not even while backing off): a
        stale entry would point at an erased document, so a failure raises (the caller answers 503
        and the client retries)."""
        if not self.enabled:
            return
        try:
            client = self._client(wait=True)
            assert client is not None
            client.delete(self.key(tenant, content_key))
        except _errors() as exc:
            self._failed("delete", exc)
            raise DependencyUnavailable("the cache") from exc
