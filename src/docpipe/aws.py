"""boto3 clients, built once per process (container) from the settings, never per request, and the
one translation of their errors for the adapters (S3, DynamoDB, SQS) that call them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, ParamSpec, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from docpipe.errors import DependencyUnavailable
from docpipe.observability import logger
from docpipe.settings import Settings, get_settings

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class AwsClients:
    s3: Any
    dynamodb: Any
    sqs: Any


def make_clients(settings: Settings) -> AwsClients:
    endpoint = settings.aws_endpoint_url or None
    base = Config(
        region_name=settings.aws_region,
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=2,
        read_timeout=10,
    )
    # Path-style addressing locally: presigned links to the moto endpoint must work with plain curl.
    s3_config = base.merge(
        Config(signature_version="s3v4", s3={"addressing_style": "path" if endpoint else "virtual"})
    )
    session = boto3.session.Session()
    return AwsClients(
        s3=session.client("s3", endpoint_url=endpoint, config=s3_config),
        dynamodb=session.client("dynamodb", endpoint_url=endpoint, config=base),
        sqs=session.client("sqs", endpoint_url=endpoint, config=base),
    )


@cache
def default_clients() -> AwsClients:
    return make_clients(get_settings())


def translates_aws_errors(call: Callable[P, R]) -> Callable[P, R]:
    """An adapter operation whose AWS errors become :class:`DependencyUnavailable`: a client gets 503 +
    Retry-After, a render is retried by SQS. Expected conditions (a failed condition check) are
    handled inside the operation; what reaches here means the service is down, throttling or
    misconfigured. Above the adapters, nothing sees botocore."""

    @functools.wraps(call)
    def translated(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            logger.warning("dependency error", extra={"error": type(exc).__name__})
            raise DependencyUnavailable("a storage service") from exc

    return translated
