"""Waiting for something to become true, always with a deadline: the one polling loop of the harness."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class PollTimeout(TimeoutError):
    """The condition did not hold before the deadline; ``last`` is what the probe returned last."""

    def __init__(self, message: str, last: object = None) -> None:
        super().__init__(message)
        self.last = last


def _truthy(value: object) -> bool:
    return bool(value)


def poll(
    probe: Callable[[], T],
    *,
    what: str,
    timeout: float,
    until: Callable[[T], bool] = _truthy,
    interval: float | Callable[[], float] = 0.05,
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``probe`` until ``until(result)`` holds and return that result.

    Between two calls it sleeps ``interval`` seconds (or what ``interval()`` says, for a back-off). An
    exception listed in ``retry_on`` counts as "not yet"; any other goes to the caller. After
    ``timeout`` seconds (one last call is made at the deadline) it raises :class:`PollTimeout` naming
    ``what``, with the last result (or the last retried error) attached.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = probe()
        except retry_on as error:
            last = error
        else:
            if until(result):
                return result
            last = result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            # The last result stays out of the message: it may quote a document.
            raise PollTimeout(f"{what} did not happen within {timeout:g} s", last)
        time.sleep(min(interval() if callable(interval) else interval, remaining))
