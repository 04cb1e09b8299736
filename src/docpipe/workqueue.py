"""SQS: render messages out, backlog depth in (for backpressure). AWS errors leave as
:class:`~docpipe.errors.DependencyUnavailable` (``aws.translates_aws_errors``)."""

from __future__ import annotations

import time
from typing import Any

from docpipe.aws import translates_aws_errors
from docpipe.jobs import RenderMessage


class WorkQueue:
    def __init__(self, client: Any, url: str, *, depth_ttl: float = 1.0) -> None:
        self._sqs = client
        self.url = url
        self._depth_ttl = depth_ttl
        self._depth: tuple[float, int] | None = None

    @property
    def client(self) -> Any:
        """The boto3 SQS client, for tools and tests that work the queue directly (receive, purge)."""
        return self._sqs

    @translates_aws_errors
    def send(self, message: RenderMessage) -> None:
        self._sqs.send_message(QueueUrl=self.url, MessageBody=message.model_dump_json())

    @translates_aws_errors
    def depth(self) -> int:
        """Messages waiting or in flight; read at most once a second per container."""
        now = time.monotonic()
        if self._depth is None or now - self._depth[0] > self._depth_ttl:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self.url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            depth = sum(int(v) for v in attributes.values())
            self._depth = (now, depth)
        return self._depth[1]
