"""docpipe's adapters and renderer with faults injected at their boundary, so a fault shows up where a
real outage does and the code under test is the code that runs.

- S3, DynamoDB, SQS: a call fails *before* it takes effect (connection refused) or *after* it took
  effect (the answer was lost: a read timeout), raised as botocore raises them and translated as the
  adapters translate them (``aws.translates_aws_errors``); SQS can also deliver
  a message twice (:data:`DUPLICATE`, SQS is at-least-once);
- Redis: the client raises redis errors;
- render: the worker dies mid-render (:data:`KILL`), TeX never ends and is killed at its timeout
  (:data:`HANG`), a render outlasts the visibility timeout (:data:`SLOW`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from typing import Any, ClassVar

import redis
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from docpipe.aws import translates_aws_errors
from docpipe.renderer import Renderer, RenderResult
from docpipe.templates import render_source
from docpipe_local.chaos.faults import AFTER, BEFORE, DUPLICATE, HANG, KILL, SLOW, Faults, WorkerKilled


def _aws_error(op: str, mode: str) -> Exception:
    """What botocore raises when the endpoint is unreachable (before) or the answer never came (after)."""
    endpoint = f"chaos://{op}"
    error: Exception = (
        ReadTimeoutError(endpoint_url=endpoint)
        if mode == AFTER
        else EndpointConnectionError(endpoint_url=endpoint)
    )
    return error


class _Adapter:
    """Wraps one adapter; the listed operations consult :class:`Faults`, everything else passes."""

    service: ClassVar[str]
    operations: ClassVar[frozenset[str]]

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    @property
    def real(self) -> Any:
        return self._real

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name not in self.operations:
            return attribute
        op = f"{self.service}.{name}"

        @functools.wraps(attribute)
        @translates_aws_errors
        def call(*args: Any, **kwargs: Any) -> Any:
            mode = self._faults.decide(op)
            if mode is None or mode not in (BEFORE, AFTER):
                return self._call(attribute, mode, *args, **kwargs)
            if mode == BEFORE:
                raise _aws_error(op, mode)
            attribute(*args, **kwargs)
            raise _aws_error(op, mode)

        return call

    def _call(self, attribute: Callable[..., Any], mode: str | None, *args: Any, **kwargs: Any) -> Any:
        return attribute(*args, **kwargs)


class ChaosObjects(_Adapter):
    service = "s3"
    operations = frozenset({"put_request", "get_request", "put_document", "presign", "delete"})


class ChaosJobs(_Adapter):
    service = "dynamodb"
    operations = frozenset(
        {
            "get",
            "create",
            "pointer",
            "claim",
            "finish",
            "idempotency",
            "remember_idempotency",
            "delete",
            "hold_document",
            "release_document",
            "held_tickets",
            "drop_ticket",
        }
    )


class ChaosQueue(_Adapter):
    service = "sqs"
    operations = frozenset({"send", "depth"})

    def _call(self, attribute: Callable[..., Any], mode: str | None, *args: Any, **kwargs: Any) -> Any:
        result = attribute(*args, **kwargs)
        if mode == DUPLICATE:
            attribute(*args, **kwargs)  # at-least-once: the same message, delivered twice
        return result


class ChaosRedis:
    """A redis client whose get/set/delete fail as a dead or unreachable server would."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name not in ("get", "set", "delete"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            mode = self._faults.decide(f"redis.{name}")
            if mode == BEFORE:
                raise redis.ConnectionError("chaos: connection refused")
            result = attribute(*args, **kwargs)
            if mode == AFTER:
                raise redis.TimeoutError("chaos: timed out reading the answer")
            return result

        return call


def hanging(source: Any) -> Any:
    """The same document, except that TeX loops forever as soon as the body starts."""
    document = source.document.replace("\\begin{document}", "\\begin{document}\\loop\\iftrue\\repeat", 1)
    return dataclasses.replace(source, document=document)


class ChaosRenderer:
    """The real renderer, with render-time faults (``render`` operation: KILL, HANG, SLOW).

    KILL: TeX ran, then the sandbox is gone; nothing is recorded and the message is not deleted, so
    SQS redelivers it after the visibility timeout. SLOW: the render outlasts the visibility timeout,
    so SQS redelivers the message while the first attempt still runs.
    """

    def __init__(self, real: Renderer, faults: Faults, *, slow_seconds: float = 3.0) -> None:
        self.real = real
        self.faults = faults
        self.slow_seconds = slow_seconds
        self.on_render: Callable[[Any], None] | None = None
        """Called as a render starts (after the job was claimed): lets a test act mid-render."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def render(self, request: Any) -> RenderResult:
        if self.on_render is not None:
            self.on_render(request)
        mode = self.faults.decide("render")
        if mode == HANG:
            return self.real.compile(hanging(render_source(request)))  # killed at the timeout
        if mode == SLOW:
            time.sleep(self.slow_seconds)  # past the visibility timeout: SQS redelivers meanwhile
        result = self.real.render(request)
        if mode == KILL:
            raise WorkerKilled("chaos: the render sandbox died before uploading")
        return result
