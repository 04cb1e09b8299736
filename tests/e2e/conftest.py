"""End-to-end fixtures: chaos stacks (loadtest/chaos.py) on the session's moto server.

Every chaos stack has its own bucket, jobs table, queue and tenant, so the invariants checked after a
test (no orphan objects, no duplicate documents, every job finished) see only that test's work, and
nothing an e2e test queues is left for the integration tests' shared queue.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # loadtest/ is shared with the soak, not an installed package

from docpipe.devstack import DevStack  # noqa: E402
from loadtest.chaos import ChaosStack, RedisServer  # noqa: E402

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
