"""Wait for a job to finish, for a client that asked to (``Prefer: wait=N``), without holding a thread.

The job store is the one place a job's outcome is recorded, so waiting is reading it: first soon
(a warm render takes well under a second), then less and less often, never more than once per
``LONGEST_PAUSE`` seconds. Each read runs in a worker thread (boto3 is synchronous) and the pauses
are ``asyncio.sleep``, so a waiting request holds no thread: the local server keeps serving others,
and in Lambda the invocation is the request anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from docpipe.jobs import ACTIVE
from docpipe.usecases.results import JobView

FIRST_PAUSE = 0.2
GROWTH = 1.5
LONGEST_PAUSE = 1.0


def pauses(seconds: float) -> list[float]:
    """The pauses between reads for a wait of ``seconds``: they add up to it, none longer than
    ``LONGEST_PAUSE`` (so a job that finishes is seen within a second)."""
    schedule: list[float] = []
    pause, left = FIRST_PAUSE, float(seconds)
    while left > 0:
        schedule.append(min(pause, left))
        left -= schedule[-1]
        pause = min(pause * GROWTH, LONGEST_PAUSE)
    return schedule


async def until_finished(
    read: Callable[[], Awaitable[JobView]],
    seconds: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> JobView | None:
    """The job once it has succeeded or failed, reading it with ``read``; None if it is still on its
    way after ``seconds`` (the caller answers as if it had not waited)."""
    deadline = clock() + seconds
    for pause in pauses(seconds):
        await sleep(min(pause, max(0.0, deadline - clock())))
        view = await read()
        if view.job.status not in ACTIVE:
            return view
        if clock() >= deadline:
            break
    return None
