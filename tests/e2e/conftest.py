"""End-to-end fixtures: chaos stacks (docpipe_local.chaos) on the session's moto server.

Every chaos stack has its own bucket, jobs table, queue and tenant, so the invariants checked after a
test (no orphan objects, no duplicate documents, every job finished) see only that test's work, and
nothing an e2e test queues is left for the integration tests' shared queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from docpipe_local.chaos import ChaosStack
from docpipe_local.redis_server import RedisServer
from docpipe_local.stack import DevStack

StackFactory = Callable[..., ChaosStack]


@pytest.fixture(scope="session")
def e2e_redis() -> Iterator[RedisServer]:
    """A redis-server of the e2e tests' own (the session stack's is never touched)."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def chaos_stack(stack: DevStack, e2e_redis: RedisServer) -> Iterator[StackFactory]:
    """Build chaos stacks: ``chaos_stack(visibility_timeout=1, max_backlog=3, ...)``."""
    made: list[ChaosStack] = []

    def make(**kwargs: Any) -> ChaosStack:
        kwargs.setdefault("redis_url", e2e_redis.url)
        built = ChaosStack(stack.pipeline.settings, **kwargs)
        made.append(built)
        return built

    yield make
    for built in made:
        built.close()
