"""The shapes of a load-test run: how the local stack is started per scenario, what one invocation
asks for, and the stack it runs against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StackShape:
    """How the local stack is started for a scenario (each can be overridden on the command line)."""

    api_processes: int
    workers: int
    pool: int
    env: dict[str, str] = field(default_factory=dict)


SHAPES = {
    # Three API processes for two cores: one process (an event loop and a thread pool sharing a
    # GIL) leaves gaps a second and third fill; a fourth only adds switching.
    "cached": StackShape(api_processes=3, workers=2, pool=100),
    "fresh": StackShape(api_processes=1, workers=3, pool=0),
    "mixed": StackShape(api_processes=2, workers=3, pool=100),
    # Submission alone, as the original measured it: the render workers are off (in AWS they are
    # other machines), so the queue only grows; the backlog limits are raised for the run so that
    # backpressure (503 at 2,000 waiting jobs, 429 at 200 of one tenant's) does not turn the
    # measurement into refusals. One tenant's is at its ceiling (5,000: ~60 s of submits here).
    "async": StackShape(
        api_processes=2,
        workers=0,
        pool=0,
        env={"DOCPIPE_MAX_BACKLOG": "10000000", "DOCPIPE_MAX_TENANT_BACKLOG": "5000"},
    ),
    "status": StackShape(api_processes=2, workers=2, pool=50),
}


@dataclass(frozen=True)
class Options:
    """One invocation: which scenarios, how hard, against what."""

    scenarios: list[str]
    users: int
    duration: str
    target: str | None
    api_key: str | None
    api_processes: int | None
    workers: int | None
    pool_size: int | None
    one_stack: bool
    seed: str
    first_poll: float
    poll_interval: float
    unicode_share: float
    progress_interval: float
    results: Path


@dataclass(frozen=True)
class Target:
    url: str
    stack_pid: int | None
    shape: StackShape | None
    """None for a remote stack."""
    scenarios: tuple[str, ...] = ()
    """The scenarios run on this stack, one after the other."""
