"""What the CDK stack creates in AWS, made on the local moto server, and the settings pointing at it."""

from __future__ import annotations

import json
from typing import Any

from docpipe import contract

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOCAL_VISIBILITY_TIMEOUT = 5
"""Seconds: locally a failed attempt is retried in seconds, not minutes."""


def local_environment(moto_port: int, redis_port: int, suffix: str) -> dict[str, str]:
    """The settings the functions read, pointed at the local services, and the runtime's own
    variables the deployed functions get too (``contract.RUNTIME_ENV``)."""
    return contract.RUNTIME_ENV | {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "DOCPIPE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "DOCPIPE_BUCKET": f"docpipe-local-{suffix}",
        "DOCPIPE_JOBS_TABLE": f"docpipe-jobs-{suffix}",
        "DOCPIPE_QUEUE_URL": f"http://127.0.0.1:{moto_port}/{ACCOUNT}/docpipe-render-{suffix}",
        "DOCPIPE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "POWERTOOLS_SERVICE_NAME": "docpipe-local",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def create_resources(clients: Any, settings: Any) -> None:
    """What the CDK stack creates in AWS: bucket, jobs table, render queue with its DLQ."""
    clients.s3.create_bucket(Bucket=settings.bucket)
    clients.dynamodb.create_table(
        TableName=settings.jobs_table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = settings.queue_url.rsplit("/", 1)[1]
    dlq = clients.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = clients.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(settings.max_receives)})
    clients.sqs.create_queue(
        QueueName=name,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT)},
    )
