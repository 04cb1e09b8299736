"""Chaos for the local stack: docpipe's adapters with faults injected at their boundary
(:mod:`.adapters`, decided by :class:`Faults`), a stack built from them (:class:`ChaosStack`), and an
audit of what the stores hold afterwards (:mod:`.audit`).

Shared by the fault tests (``tests/e2e``, scripted faults) and the soak (``loadtest/soak.py``, random
faults). The real ``redis-server`` can also be killed and restarted
(:class:`~docpipe_local.redis_server.RedisServer`).
"""

from docpipe_local.chaos.adapters import ChaosJobs, ChaosObjects, ChaosQueue, ChaosRedis, ChaosRenderer
from docpipe_local.chaos.audit import Audit, audit
from docpipe_local.chaos.documents import unique
from docpipe_local.chaos.faults import (
    AFTER,
    BEFORE,
    DUPLICATE,
    DYNAMODB_OPS,
    HANG,
    KILL,
    REDIS_OPS,
    S3_OPS,
    SLOW,
    Faults,
    WorkerKilled,
)
from docpipe_local.chaos.stack import ChaosStack, ChaosWorker

__all__ = [
    "AFTER",
    "BEFORE",
    "DUPLICATE",
    "DYNAMODB_OPS",
    "HANG",
    "KILL",
    "REDIS_OPS",
    "S3_OPS",
    "SLOW",
    "Audit",
    "ChaosJobs",
    "ChaosObjects",
    "ChaosQueue",
    "ChaosRedis",
    "ChaosRenderer",
    "ChaosStack",
    "ChaosWorker",
    "Faults",
    "WorkerKilled",
    "audit",
    "unique",
]
