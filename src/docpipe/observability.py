"""Logger and Metrics, created once and imported everywhere; the Tracer, built when a handler is
first invoked (``traced``).

Logs carry job ids, sizes, timings and error codes — never document contents (personal data). Every
metric goes to one namespace, POWERTOOLS_METRICS_NAMESPACE (``metrics.namespace``): a metric emitted
on its own (``single_metric``) takes it from there too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

from docpipe import contract

# Each function sets POWERTOOLS_SERVICE_NAME (docpipe-submit / -status / -render) so logs and metrics
# split per function; "docpipe" outside Lambda.
SERVICE = os.environ.get(contract.ENV_SERVICE_NAME, "docpipe")
logger = Logger(service=SERVICE)
metrics = Metrics(
    namespace=os.environ.get(contract.ENV_METRICS_NAMESPACE, contract.METRICS_NAMESPACE), service=SERVICE
)


@cache
def _tracer() -> Tracer:
    return Tracer(service=SERVICE)


Result = TypeVar("Result")


def traced(handler: Callable[[Any, Any], Result]) -> Callable[[Any, Any], Result]:
    """``tracer.capture_lambda_handler``, with the tracer built at the first invocation rather than
    at import: a cold start's import phase does not load the X-Ray SDK (~0.25 s), and
    :func:`warm_tracer` builds it ahead of time where that is free (before a SnapStart snapshot)."""
    captured: Callable[[Any, Any], Result] | None = None

    @functools.wraps(handler)
    def invoke(event: Any, context: Any) -> Result:
        nonlocal captured
        if captured is None:
            captured = _tracer().capture_lambda_handler(handler)
        return captured(event, context)

    return invoke


def warm_tracer() -> None:
    """Build the tracer now (before a SnapStart snapshot)."""
    _tracer()
