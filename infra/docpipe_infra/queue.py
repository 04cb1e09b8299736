"""Queue: the render queue and its dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from docpipe import contract
from docpipe_infra import constants as c


class RenderQueue(Construct):
    """Submit sends one message per job; the render function consumes them.

    After ``MAX_RECEIVES`` receives SQS moves a message to the DLQ. The render handler gets the same
    number as ``DOCPIPE_MAX_RECEIVES`` and marks the job failed on that last receive, so a poisoned
    job is reported as failed instead of staying "queued" forever.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        visibility_timeout: Duration,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # Long enough to investigate a poisoned job after a weekend.
            retention_period=Duration.days(c.DLQ_RETENTION_DAYS),
            removal_policy=removal_policy,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=contract.MAX_RECEIVES, queue=self.dead_letter_queue
            ),
            removal_policy=removal_policy,
        )
