"""What each function's role may do: the calls its handler makes, and nothing more.

The grants follow the calls the use cases make through the stores in src/docpipe (jobstore.py,
objectstore.py, workqueue.py); TransactWriteItems is authorised through the action of each of its
items (Put: PutItem, Update: UpdateItem, Delete: DeleteItem). The per-tenant counter item
(``tenant#<tenant>``) needs nothing of its own: submit takes a ticket (Update) in the transaction that
puts the job, and render, status and submit give it back (Update) in the one that finishes or erases
the job. tests/infra/test_infra_template.py holds the expected set of each role.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from docpipe import contract
from docpipe_infra import nag


def grant_submit(role: iam.Role, *, bucket: s3.IBucket, table: dynamodb.ITable, queue: sqs.IQueue) -> None:
    # Never DeleteObject: the job is recorded before its request is stored, so an identical job that
    # wins the race leaves nothing to clean up, and erasure is the status function's.
    _objects(
        role,
        bucket,
        ["s3:PutObject", "s3:GetObject"],
        contract.REQUESTS_PREFIX,
        "submit stores each request's JSON, and reads it back for POST /v1/check of a job",
    )
    _objects(
        role,
        bucket,
        ["s3:GetObject"],
        contract.DOCUMENTS_PREFIX,
        "submit presigns links to finished documents on a cache hit, and reads one for POST /v1/check "
        "and POST /v1/analyze",
    )
    _items(role, table, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
    _pointer_release(role, table)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["sqs:SendMessage", "sqs:GetQueueAttributes"], resources=[queue.queue_arn]
        )
    )


def grant_status(role: iam.Role, *, bucket: s3.IBucket, table: dynamodb.ITable) -> None:
    # Status never reads a request back, so it may only delete those (DELETE /v1/jobs/{id}).
    _objects(
        role, bucket, ["s3:DeleteObject"], contract.REQUESTS_PREFIX, "status erases a job's request on DELETE"
    )
    _objects(
        role,
        bucket,
        ["s3:GetObject", "s3:DeleteObject"],
        contract.DOCUMENTS_PREFIX,
        "status presigns downloads and erases a job's document on DELETE",
    )
    _items(role, table, ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])


def grant_render(role: iam.Role, *, bucket: s3.IBucket, table: dynamodb.ITable) -> None:
    """Reading the queue is the SQS event source's grant (functions.py)."""
    _objects(role, bucket, ["s3:GetObject"], contract.REQUESTS_PREFIX, "render reads the submitted request")
    _objects(
        role,
        bucket,
        ["s3:PutObject", "s3:DeleteObject"],
        contract.DOCUMENTS_PREFIX,
        "render writes the finished PDF, and deletes it again if the job was erased while it rendered",
    )
    _items(role, table, ["dynamodb:GetItem", "dynamodb:UpdateItem"])
    _pointer_release(role, table)


def _objects(role: iam.Role, bucket: s3.IBucket, actions: Sequence[str], prefix: str, reason: str) -> None:
    """Object actions under one key prefix; the wildcard is the key, never the bucket."""
    role.add_to_policy(
        iam.PolicyStatement(actions=list(actions), resources=[bucket.arn_for_objects(f"{prefix}*")])
    )
    nag.acknowledge(
        role,
        nag.iam5_resource(f"{nag.arn_of(bucket)}/{prefix}*"),
        f"Object keys are generated per job, so the grant names the prefix: {reason}.",
    )


def _items(role: iam.Role, table: dynamodb.ITable, actions: Sequence[str]) -> None:
    # Item calls on the table itself; there are no indexes to grant.
    role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=[table.table_arn]))


def _pointer_release(role: iam.Role, table: dynamodb.ITable) -> None:
    """Finishing a job deletes its content pointer item; the condition keeps jobs themselves and
    idempotency records out of reach of this DeleteItem."""
    leading_keys = [f"{contract.POINTER_KEY_PREFIX}*"]
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:DeleteItem"],
            resources=[table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": leading_keys}},
        )
    )
