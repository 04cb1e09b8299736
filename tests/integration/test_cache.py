"""The document cache against real cluster-mode redis-servers, plain and TLS, as ElastiCache Serverless
(Valkey, cluster mode only, TLS only) is in AWS.

What this can catch: a client that is not a cluster client (a two-node cluster answers MOVED to it), a
client that does not verify certificates or host names, a client built eagerly or whose construction
errors escape, a broken back-off. What it cannot: ElastiCache's own endpoint behaviour (its DNS name,
what its CLUSTER SLOTS reports, its certificate chain, scaling events) and real VPC latencies; those
need a deployed stack.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster
from redis.connection import SSLConnection
from redis.crc import key_slot

from docpipe import cache as cache_module
from docpipe.cache import DocumentCache
from docpipe.errors import DependencyUnavailable
from docpipe.jobs import CachedDocument
from docpipe_local.processes import free_port
from docpipe_local.redis_server import RedisProcess, start_redis, wait_for_redis
from docpipe_local.redis_tls import RedisTls, make_redis_tls

DOCUMENT = CachedDocument(
    job_id="job-1", document_key="documents/t/abc.pdf", filename="Ada_Lovelace_Resume.pdf"
)


@dataclass
class Observed:
    """What the cache reported: metric names, warnings (message, extra), client constructions."""

    metrics: list[str] = field(default_factory=list)
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    connects: int = 0


class _Metrics:
    def __init__(self, seen: Observed) -> None:
        self.seen = seen

    def add_metric(self, *, name: str, unit: str, value: float) -> None:
        self.seen.metrics.append(name)


class _Logger:
    def __init__(self, seen: Observed) -> None:
        self.seen = seen

    def warning(self, message: str, *, extra: dict[str, Any]) -> None:
        self.seen.warnings.append((message, extra))


@pytest.fixture
def observed(monkeypatch: pytest.MonkeyPatch) -> Observed:
    seen = Observed()
    real = cache_module.cluster_client

    def counting(url: str) -> RedisCluster:
        seen.connects += 1
        return real(url)

    monkeypatch.setattr(cache_module, "metrics", _Metrics(seen))
    monkeypatch.setattr(cache_module, "logger", _Logger(seen))
    monkeypatch.setattr(cache_module, "cluster_client", counting)
    return seen


def stop(process: RedisProcess) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def plain_port() -> Iterator[int]:
    """A one-node cluster-mode redis-server, as the local stack runs it."""
    port = free_port()
    process = start_redis(port)
    yield port
    stop(process)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, RedisTls]]:
    """A one-node cluster-mode redis-server on TLS only, its certificate signed by a throwaway CA."""
    tls = make_redis_tls(tmp_path_factory.mktemp("redis-tls"))
    port = free_port()
    process = start_redis(port, tls=tls)
    yield port, tls
    stop(process)


def client_of(cache: DocumentCache) -> Any:
    return cache.client  # which client the cache built on first use


# --- the client ---------------------------------------------------------------------------------------


def test_nothing_connects_before_first_use(observed: Observed) -> None:
    cache = DocumentCache.from_url(f"redis://127.0.0.1:{free_port()}/0", ttl_seconds=60)
    assert observed.connects == 0
    assert client_of(cache) is None


def test_round_trip_through_a_cluster_node(plain_port: int, observed: Observed) -> None:
    cache = DocumentCache.from_url(f"redis://127.0.0.1:{plain_port}/0", ttl_seconds=60)
    assert cache.get("t", "round-trip") is None
    cache.put("t", "round-trip", DOCUMENT)
    assert cache.get("t", "round-trip") == DOCUMENT
    assert 0 < client_of(cache).ttl(DocumentCache.key("t", "round-trip")) <= 60
    cache.delete("t", "round-trip")
    assert cache.get("t", "round-trip") is None
    assert observed.metrics == []
    assert observed.connects == 1


def test_the_client_is_a_resp2_cluster_client_with_short_timeouts(plain_port: int) -> None:
    cache = DocumentCache.from_url(f"redis://127.0.0.1:{plain_port}/0", ttl_seconds=60)
    cache.get("t", "shape")
    client = client_of(cache)
    assert isinstance(client, RedisCluster)
    options = client.nodes_manager.connection_kwargs
    assert options["protocol"] == 2
    assert options["socket_connect_timeout"] == cache_module.CONNECT_TIMEOUT_SECONDS <= 1
    assert options["socket_timeout"] == cache_module.SOCKET_TIMEOUT_SECONDS <= 1
    assert client.retry.get_retries() == cache_module.CLUSTER_RETRIES <= 1
    (node,) = client_of(cache).get_nodes()
    connection = node.redis_connection.connection_pool.get_connection()
    try:
        assert type(connection).__name__ == "Connection"  # plain for redis://
        assert connection.protocol == 2
    finally:
        node.redis_connection.connection_pool.release(connection)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1", "rediss:///0", "unix:///tmp/redis.sock"],
)
def test_a_wrong_url_is_refused_at_cold_start(url: str) -> None:
    with pytest.raises(ValueError, match="cache"):
        DocumentCache.from_url(url, ttl_seconds=60)


def test_no_url_turns_the_cache_off(observed: Observed) -> None:
    cache = DocumentCache.from_url("", ttl_seconds=60)
    cache.put("t", "off", DOCUMENT)
    assert cache.get("t", "off") is None
    cache.delete("t", "off")
    assert (observed.metrics, observed.connects) == ([], 0)


# --- a cluster of two nodes: why a standalone client is not enough --------------------------------------


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[tuple[int, int]]:
    """Two cluster-mode nodes that met: the first owns slots 0-8191, the second 8192-16383."""
    ports = free_port(), free_port()
    processes = [start_redis(port, wait=False) for port in ports]
    admins: list[Any] = [redis.Redis(port=port, protocol=2, socket_timeout=2) for port in ports]
    try:
        for admin in admins:
            deadline = time.monotonic() + 20
            while True:
                try:
                    admin.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        admins[0].execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 8191)
        admins[1].execute_command("CLUSTER", "ADDSLOTSRANGE", 8192, 16383)
        myself = next(
            line
            for line in admins[1].execute_command("CLUSTER", "NODES").decode().splitlines()
            if "myself" in line
        )
        bus_port = myself.split()[1].split("@")[1].split(",")[0]
        admins[0].execute_command("CLUSTER", "MEET", "127.0.0.1", ports[1], bus_port)
        for port in ports:
            wait_for_redis(port)  # both see all 16384 slots covered: cluster_state:ok
        yield ports
    finally:
        for admin in admins:
            admin.close()
        for process in processes:
            stop(process)


def tenant_on(low: bool) -> str:
    """A tenant whose cache key lands in the first node's slots (``low``) or in the second's."""
    for index in range(10_000):
        tenant = f"tenant-{index}"
        if (key_slot(DocumentCache.key(tenant, "moved").encode()) < 8192) == low:
            return tenant
    raise AssertionError("no such tenant")


def test_the_cluster_client_follows_keys_to_their_node(
    two_nodes: tuple[int, int], observed: Observed
) -> None:
    cache = DocumentCache.from_url(f"redis://127.0.0.1:{two_nodes[0]}/0", ttl_seconds=60)
    for tenant in (tenant_on(low=True), tenant_on(low=False)):
        cache.put(tenant, "moved", DOCUMENT)
        assert cache.get(tenant, "moved") == DOCUMENT
        cache.delete(tenant, "moved")
    assert observed.metrics == []


def test_the_former_standalone_client_fails_on_keys_of_another_node(
    two_nodes: tuple[int, int], observed: Observed
) -> None:
    """What the cache used before (a standalone redis.Redis) gets MOVED for every key the node it is
    pointed at does not own: against a cluster that is an outage of the cache, not a slowdown."""
    former = redis.Redis.from_url(
        f"redis://127.0.0.1:{two_nodes[0]}/0", socket_connect_timeout=0.25, socket_timeout=0.25
    )
    cache = DocumentCache(former, ttl_seconds=60, retry_after=0.0)
    cache.put(tenant_on(low=True), "moved", DOCUMENT)
    assert observed.metrics == []  # the node it talks to owns this key
    cache.put(tenant_on(low=False), "moved", DOCUMENT)
    assert cache.get(tenant_on(low=False), "moved") is None
    assert observed.metrics == ["CacheError", "CacheError"]
    assert {extra["error"] for _, extra in observed.warnings} == {"MovedError"}
    former.close()


# --- TLS (rediss://), as in AWS ---------------------------------------------------------------------------


def test_round_trip_over_tls_trusting_the_ca_in_ssl_cert_file(
    tls_server: tuple[int, RedisTls], observed: Observed, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, tls = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    cache = DocumentCache.from_url(f"rediss://127.0.0.1:{port}/0", ttl_seconds=60)
    cache.put("t", "tls", DOCUMENT)
    assert cache.get("t", "tls") == DOCUMENT
    cache.delete("t", "tls")
    assert observed.metrics == []
    client = client_of(cache)
    assert isinstance(client, RedisCluster)
    assert client.nodes_manager.connection_kwargs["protocol"] == 2
    (node,) = client_of(cache).get_nodes()
    connection = node.redis_connection.connection_pool.get_connection()
    try:
        assert isinstance(connection, SSLConnection)
        assert connection.check_hostname
        assert connection.cert_reqs.name == "CERT_REQUIRED"
    finally:
        node.redis_connection.connection_pool.release(connection)


@pytest.mark.parametrize("trusted", ["nothing", "another CA"])
def test_an_untrusted_certificate_leaves_the_request_uncached(
    trusted: str,
    tls_server: tuple[int, RedisTls],
    observed: Observed,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    port, _ = tls_server
    if trusted == "nothing":  # the system store only: it does not know the test CA
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    else:
        monkeypatch.setenv("SSL_CERT_FILE", str(make_redis_tls(tmp_path).ca))
    cache = DocumentCache.from_url(f"rediss://127.0.0.1:{port}/0", ttl_seconds=60, retry_after=3600)
    cache.put("t", "untrusted", DOCUMENT)  # no exception: the request goes on
    assert cache.get("t", "untrusted") is None  # backing off: not even tried
    assert observed.metrics == ["CacheError"]
    assert observed.connects == 1
    ((message, extra),) = observed.warnings
    assert extra == {"operation": "set", "error": "RedisClusterException"}
    assert DOCUMENT.filename not in f"{message} {extra}"  # never what the cache holds
    with pytest.raises(DependencyUnavailable):  # erasure is never skipped, and never silently lost
        cache.delete("t", "untrusted")


def test_a_certificate_for_another_address_is_refused(
    observed: Observed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Signed by the trusted CA, but for another address: the host name check refuses it. (Not
    ``localhost``: redis-py's cluster client turns that name into 127.0.0.1 before connecting.)"""
    tls = make_redis_tls(tmp_path, hosts=("127.0.0.2",))
    port = free_port()
    process = start_redis(port, tls=tls)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
        cache = DocumentCache.from_url(f"rediss://127.0.0.1:{port}/0", ttl_seconds=60)
        assert cache.get("t", "host") is None
        assert observed.metrics == ["CacheError"]
    finally:
        stop(process)


# --- outages --------------------------------------------------------------------------------------------


def test_redis_down_at_first_use_is_a_cache_error_then_backs_off(observed: Observed) -> None:
    port = free_port()
    retry_after = 0.3
    cache = DocumentCache.from_url(f"redis://127.0.0.1:{port}/0", ttl_seconds=60, retry_after=retry_after)
    assert cache.get("t", "down") is None
    cache.put("t", "down", DOCUMENT)
    assert cache.get("t", "down") is None
    assert (observed.metrics, observed.connects) == (["CacheError"], 1)  # one attempt per back-off
    assert observed.warnings[0][1] == {"operation": "get", "error": "RedisClusterException"}

    process = start_redis(port)
    try:
        time.sleep(retry_after)  # a lower bound only: any longer wait works the same
        cache.put("t", "down", DOCUMENT)
        assert cache.get("t", "down") == DOCUMENT
        assert (observed.metrics, observed.connects) == (["CacheError"], 2)
    finally:
        stop(process)


def test_redis_down_midway_leaves_requests_uncached_and_recovers(observed: Observed) -> None:
    port = free_port()
    retry_after = 0.3
    process = start_redis(port)
    try:
        cache = DocumentCache.from_url(f"redis://127.0.0.1:{port}/0", ttl_seconds=60, retry_after=retry_after)
        cache.put("t", "midway", DOCUMENT)
        assert cache.get("t", "midway") == DOCUMENT

        process.kill()
        process.wait()
        assert cache.get("t", "midway") is None
        cache.put("t", "midway", DOCUMENT)  # within the back-off: skipped
        assert observed.metrics == ["CacheError"]
        with pytest.raises(DependencyUnavailable):  # erasure is not skipped by the back-off
            cache.delete("t", "midway")
        assert observed.metrics == ["CacheError", "CacheError"]

        process = start_redis(port)  # same port, empty
        time.sleep(retry_after)
        assert cache.get("t", "midway") is None
        cache.put("t", "midway", DOCUMENT)
        assert cache.get("t", "midway") == DOCUMENT
        assert len(observed.metrics) == 2
        assert observed.connects == 1  # the same client found the node again
    finally:
        stop(process)


def test_a_request_never_waits_for_another_ones_connect(observed: Observed) -> None:
    """While one request builds the client (maybe waiting out a timeout), others go uncached."""
    started, release = threading.Event(), threading.Event()
    stored: dict[str, str] = {}

    class Client:
        def get(self, key: str) -> str | None:
            return stored.get(key)

        def set(self, key: str, value: str, ex: int) -> None:
            stored[key] = value

    def slow_connect() -> Client:
        started.set()
        release.wait(10)
        return Client()

    cache = DocumentCache(None, ttl_seconds=60, connect=slow_connect)
    first: list[CachedDocument | None] = []
    thread = threading.Thread(target=lambda: first.append(cache.get("t", "busy")))
    thread.start()
    try:
        assert started.wait(10)
        assert cache.get("t", "busy") is None  # answered at once, uncached
        cache.put("t", "busy", DOCUMENT)  # skipped as well
        assert stored == {}
    finally:
        release.set()
        thread.join(10)
    assert first == [None]
    cache.put("t", "busy", DOCUMENT)
    assert cache.get("t", "busy") == DOCUMENT
    assert observed.metrics == []
