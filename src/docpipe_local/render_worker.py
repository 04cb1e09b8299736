"""Lambda's SQS event source mapping, played locally: poll the render queue, call the render Lambda
handler (``functions/render/handler.py``, loaded as Lambda loads it) with SQS-shaped events, and
delete what it reports as done."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from docpipe_local.resources import ACCOUNT, REGION

REPO_ROOT = Path(__file__).resolve().parents[2]
RENDER_HANDLER = REPO_ROOT / "functions" / "render" / "handler.py"
FIRST_BACKOFF = 0.5
"""Seconds a worker waits after a failed poll; doubled after each further failure, up to MAX_BACKOFF."""
MAX_BACKOFF = 5.0

log = logging.getLogger("docpipe_local.render_worker")


def load_render_handler() -> ModuleType:
    """Import functions/render/handler.py exactly as Lambda would run it."""
    spec = importlib.util.spec_from_file_location("docpipe_render_handler", RENDER_HANDLER)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {RENDER_HANDLER}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "docpipe-render-local"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:docpipe-render-local"
    aws_request_id: str = ""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """Messages from ReceiveMessage, shaped as the SQS event Lambda's event source mapping sends."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", hashlib.md5(m["Body"].encode()).hexdigest()),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


class RenderWorker(threading.Thread):
    """Plays Lambda's SQS event source mapping: poll, invoke the handler, delete what succeeded."""

    def __init__(
        self, sqs: Any, queue_url: str, handler: Any, stop: threading.Event, batch_size: int = 1
    ) -> None:
        super().__init__(daemon=True, name="render-worker")
        self.sqs, self.queue_url, self.handler, self.stop_event = sqs, queue_url, handler, stop
        self.batch_size = batch_size
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def run(self) -> None:
        """Poll until stopped. A failed poll (SQS unreachable, a dependency blip) must not kill the
        worker, nor make it retry at once: it waits, longer after each failure in a row."""
        backoff = FIRST_BACKOFF
        while not self.stop_event.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception as error:
                log.warning(
                    "render worker: poll failed (%s); retrying in %.1f s", type(error).__name__, backoff
                )
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            else:
                backoff = FIRST_BACKOFF

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, self.queue_arn)
        try:
            response = self.handler(event, LambdaContext(aws_request_id=uuid.uuid4().hex))
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in messages}  # the whole batch fails, as in Lambda
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)
