"""The local stack's render worker (Lambda's SQS event source mapping, played locally) when SQS is
unreachable: it must keep polling, but pause between failed polls instead of spinning a core."""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import EndpointConnectionError

from docpipe_local.render_worker import FIRST_BACKOFF, MAX_BACKOFF, RenderWorker

SPIN_GUARD = 50
"""Polls after which the fake gives up on a worker that never pauses (and the test fails)."""


class PausesRecorded(threading.Event):
    """The worker's stop event: records every pause the worker asks for instead of sleeping, and
    stops the worker after ``pauses`` of them."""

    def __init__(self, pauses: int) -> None:
        super().__init__()
        self.pauses: list[float | None] = []
        self._limit = pauses

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(timeout)
        if len(self.pauses) >= self._limit:
            self.set()
        return self.is_set()


class ScriptedSqs:
    """SQS whose ReceiveMessage follows a script: "down" raises as an unreachable endpoint does,
    "empty" answers no messages; past the script it stays down."""

    def __init__(self, stop: threading.Event, script: tuple[str, ...] = ()) -> None:
        self.stop, self.script, self.receives = stop, list(script), 0

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:render"}}

    def receive_message(self, **_: Any) -> dict[str, Any]:
        self.receives += 1
        if self.receives >= SPIN_GUARD:
            self.stop.set()  # a worker that never pauses would otherwise poll forever
        step = self.script.pop(0) if self.script else "down"
        if step == "empty":
            return {}
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")


def never_called(event: Any, context: Any) -> Any:
    raise AssertionError("no message was received, so the handler must not run")


def test_a_worker_pauses_after_every_failed_poll_and_backs_off() -> None:
    stop = PausesRecorded(pauses=6)
    sqs = ScriptedSqs(stop)
    RenderWorker(sqs, "http://127.0.0.1:9/123456789012/render", never_called, stop).run()
    assert sqs.receives < SPIN_GUARD, "the worker polled again and again without pausing"
    assert len(stop.pauses) == sqs.receives  # one pause after each failed poll
    assert stop.pauses[0] == FIRST_BACKOFF
    # longer after each failure in a row
    assert stop.pauses == sorted(p for p in stop.pauses if p is not None)
    assert stop.pauses[-1] == MAX_BACKOFF


def test_a_successful_poll_resets_the_pause() -> None:
    stop = PausesRecorded(pauses=3)
    sqs = ScriptedSqs(stop, script=("down", "down", "empty", "down"))
    RenderWorker(sqs, "http://127.0.0.1:9/123456789012/render", never_called, stop).run()
    assert stop.pauses == [FIRST_BACKOFF, 2 * FIRST_BACKOFF, FIRST_BACKOFF]
