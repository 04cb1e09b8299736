"""Which call fails, and how: the fault modes, the operations they apply to, and :class:`Faults`."""

from __future__ import annotations

import contextlib
import random
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator

BEFORE = "before"
"""The call fails and has no effect (connection refused, throttled, service down)."""
AFTER = "after"
"""The call takes effect, then fails (the answer was lost: a read timeout)."""
KILL = "kill"
HANG = "hang"
SLOW = "slow"
DUPLICATE = "duplicate"

S3_OPS = ("s3.put_request", "s3.get_request", "s3.put_document", "s3.presign", "s3.delete")
DYNAMODB_OPS = (
    "dynamodb.get",
    "dynamodb.create",
    "dynamodb.pointer",
    "dynamodb.claim",
    "dynamodb.finish",
    "dynamodb.idempotency",
    "dynamodb.remember_idempotency",
    "dynamodb.delete",
    "dynamodb.hold_document",
    "dynamodb.release_document",
)
REDIS_OPS = ("redis.get", "redis.set", "redis.delete")


class WorkerKilled(BaseException):
    """The render sandbox died (out of memory, Lambda timeout, host failure).

    A BaseException, so that no ``except Exception`` in the pipeline or in Powertools' batch processor
    can record anything: exactly as when the process is gone. The chaos worker catches it where
    Lambda would start a new sandbox.
    """


class Faults:
    """Decides, call by call, whether an operation fails, and how. Thread-safe.

    ``fail(op, *modes)`` scripts the next calls of one operation (deterministic tests); ``always``
    fails every call; ``random(ops, rate)`` fails a share of calls at random (the soak).
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._scripted: dict[str, deque[str]] = defaultdict(deque)
        self._always: dict[str, str] = {}
        self._rates: dict[str, tuple[float, tuple[str, ...]]] = {}
        self.injected: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._trace: list[str] | None = None

    def fail(self, op: str, *modes: str) -> Faults:
        """The next ``len(modes)`` calls of ``op`` fail in these modes (``BEFORE`` if none given)."""
        with self._lock:
            self._scripted[op].extend(modes or (BEFORE,))
        return self

    def always(self, op: str, mode: str = BEFORE) -> Faults:
        with self._lock:
            self._always[op] = mode
        return self

    def random(self, ops: Iterable[str], rate: float, modes: tuple[str, ...] = (BEFORE, AFTER)) -> Faults:
        with self._lock:
            for op in ops:
                self._rates[op] = (rate, modes)
        return self

    def clear(self) -> None:
        with self._lock:
            self._scripted.clear()
            self._always.clear()
            self._rates.clear()

    def decide(self, op: str) -> str | None:
        with self._lock:
            self.calls[op] += 1
            if self._trace is not None:
                self._trace.append(op)
            mode = self._mode(op)
            if mode is not None:
                self.injected[f"{op}:{mode}"] += 1
            return mode

    def _mode(self, op: str) -> str | None:
        if op in self._always:
            return self._always[op]
        if self._scripted[op]:
            return self._scripted[op].popleft()
        if op in self._rates:
            rate, modes = self._rates[op]
            if self._random.random() < rate:
                return self._random.choice(modes)
        return None

    @contextlib.contextmanager
    def trace(self) -> Iterator[list[str]]:
        """The operations called inside the block, in order (to compare two code paths)."""
        calls: list[str] = []
        with self._lock:
            self._trace = calls
        try:
            yield calls
        finally:
            with self._lock:
                self._trace = None

    def summary(self) -> str:
        with self._lock:
            return " ".join(f"{k}={v}" for k, v in sorted(self.injected.items())) or "none"
