"""boto3 clients, built once per process (container) from the settings, never per request."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from docpipe.settings import Settings, get_settings


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
