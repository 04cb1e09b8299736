"""SnapStart runtime hooks of the API functions (submit, status): what the snapshot holds, and what
the execution environments restored from it must not share.

Lambda runs the before-snapshot hooks once per published version, after the handler module is
imported, then snapshots the process; every cold start after that is a restore of that snapshot,
followed by the after-restore hooks (billed, and limited to 10 s). So:

- **before the snapshot**, load what the first request would otherwise load lazily, without opening a
  connection: the X-Ray SDK (the tracer), redis-py's cluster client, and the use cases over their
  stores with boto3's clients (service models and endpoint rules parsed). Then make sure no
  connection is captured: a Redis client is closed and dropped (its sockets would be dead, or worse
  shared, in every restored copy), and every boto3 client's connection pools are emptied; botocore
  builds pools again on the first call, so that costs nothing after the restore;
- **after each restore**, reseed :mod:`random` from the OS: every restored copy starts with the
  snapshot's generator state, and botocore draws its retry jitter from it (identical jitter in every
  copy would retry in lockstep), redis-py its node choices and Powertools its log sampling. Job and
  request ids are ``uuid4``, which reads ``os.urandom`` on every call and holds no state of its own.
  Nothing else computed at init depends on the time: settings are the environment, presigned links
  and TTLs are computed per request, and the credentials are the runtime's (botocore refreshes the
  container credentials SnapStart functions get when they expire).

Importing this module costs what ``snapshot_restore_py`` costs (a few registries): the X-Ray SDK and
redis-py are imported when the hook runs, never with the handler (tests/unit/test_handler_imports.py).
"""

from __future__ import annotations

import functools
import importlib
import random

from snapshot_restore_py import register_after_restore, register_before_snapshot

from docpipe.aws import default_clients
from docpipe.observability import warm_tracer
from docpipe.pipeline import default_pipeline

# What docpipe.cache imports when it builds its first client (cluster_client, _errors).
REDIS_MODULES = ("redis", "redis.backoff", "redis.cluster", "redis.exceptions", "redis.retry")


@functools.cache
def register() -> None:
    """Register the hooks, once per process however many modules call this."""
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)


def before_snapshot() -> None:
    """Warm what is lazily loaded, then leave no connection open (see the module's docstring)."""
    warm_tracer()
    for module in REDIS_MODULES:
        importlib.import_module(module)
    close_connections()
    default_pipeline()


def close_connections() -> None:
    """Close the Redis client and empty boto3's connection pools, if an earlier call opened any.

    The pipeline that holds a Redis client is dropped with it, so the next one (built at once by
    :func:`before_snapshot`) connects on first use; the boto3 clients stay, with empty pools.
    """
    if default_pipeline.cache_info().currsize:
        redis_client = default_pipeline().stores.cache.client
        if redis_client is not None:
            # close() alone hands each node's connection back to its pool, still open (redis-py 8).
            redis_client.disconnect_connection_pools()
            redis_client.close()
            default_pipeline.cache_clear()
    if default_clients.cache_info().currsize:
        clients = default_clients()
        for client in (clients.s3, clients.dynamodb, clients.sqs):
            client.close()


def after_restore() -> None:
    """Give this execution environment its own pseudo-random sequence."""
    random.seed()  # no argument: from os.urandom
