"""DynamoDB: the jobs table. One table, partition key ``pk``:

- ``job#<id>``                 the job (status, keys, result, error), TTL ``expires_at``
- ``key#<tenant>#<content>``   the job currently rendering that content (dedup of identical submits)
- ``idem#<tenant>#<key>``      the job an Idempotency-Key was answered with
- ``doc#<document key>``       the jobs holding a content-addressed document (jobs of one tenant with
                               the same content share it): it is deleted with the last of them

Every state change is a conditional write, so concurrent submits and duplicate SQS deliveries
cannot create a second job or move a finished job backwards. A failed condition is an answer (None,
False, the holder); any other AWS error leaves as :class:`~docpipe.errors.DependencyUnavailable`.
"""

from __future__ import annotations

import contextlib
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from docpipe.aws import translates_aws_errors
from docpipe.contract import (
    DOCUMENT_HOLDERS_KEY_PREFIX,
    IDEMPOTENCY_KEY_PREFIX,
    JOB_KEY_PREFIX,
    POINTER_KEY_PREFIX,
)
from docpipe.jobs import Job, JobError, JobStatus, iso, now

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def job_from_item(item: dict[str, Any]) -> Job:
    """A job from its item as DynamoDB returns it (``get_item``, ``scan``)."""
    values = _plain(item)
    values.pop("pk")
    for key in ("expires_at", "attempt", "pages", "bytes", "render_ms"):
        if key in values:
            values[key] = int(values[key])
    return Job.model_validate(values)


class JobStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self.table = table
        self._conditional = client.exceptions.ConditionalCheckFailedException
        self._cancelled = client.exceptions.TransactionCanceledException

    @property
    def client(self) -> Any:
        """The boto3 DynamoDB client, for tools and tests that read the table directly."""
        return self._db

    def _get(self, pk: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self.table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
        return _plain(item) if item else None

    @translates_aws_errors
    def get(self, job_id: str) -> Job | None:
        item = self._db.get_item(
            TableName=self.table, Key={"pk": {"S": f"{JOB_KEY_PREFIX}{job_id}"}}, ConsistentRead=True
        )
        return job_from_item(item["Item"]) if "Item" in item else None

    @translates_aws_errors
    def create(self, job: Job, *, replace_pointer_of: str | None = None) -> str | None:
        """Store a new job and point its content at it, atomically.

        Returns None on success, or the id of the job that already holds the content pointer
        (an identical document queued or rendering: the caller answers with that job instead).
        ``replace_pointer_of`` takes over a pointer whose job has finished.
        """
        pointer = f"{POINTER_KEY_PREFIX}{job.tenant}#{job.content_key}"
        if replace_pointer_of is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "job_id = :old",
                "ExpressionAttributeValues": {":old": {"S": replace_pointer_of}},
            }
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": _item(
                                {"pk": f"{JOB_KEY_PREFIX}{job.job_id}", **job.model_dump(mode="json")}
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": _item(
                                {"pk": pointer, "job_id": job.job_id, "expires_at": job.expires_at}
                            ),
                            **condition,
                        }
                    },
                ]
            )
        except self._cancelled:
            holder = self._get(pointer)
            return str(holder["job_id"]) if holder else ""
        return None

    @translates_aws_errors
    def pointer(self, tenant: str, content_key: str) -> str | None:
        holder = self._get(f"{POINTER_KEY_PREFIX}{tenant}#{content_key}")
        return str(holder["job_id"]) if holder else None

    @translates_aws_errors
    def claim(self, job_id: str, attempt: int) -> Job | None:
        """queued -> rendering for this delivery; None if the job is finished or another attempt
        at least as recent holds it (a duplicate delivery)."""
        try:
            item = self._db.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"{JOB_KEY_PREFIX}{job_id}"}},
                UpdateExpression="SET #s = :rendering, updated_at = :now, attempt = :attempt",
                ConditionExpression="attribute_exists(pk) AND (#s = :queued OR (#s = :rendering AND attempt < :attempt))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {
                        ":rendering": JobStatus.RENDERING.value,
                        ":queued": JobStatus.QUEUED.value,
                        ":now": iso(now()),
                        ":attempt": attempt,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except self._conditional:
            return None
        return job_from_item(item["Attributes"])

    @translates_aws_errors
    def finish(
        self,
        job: Job,
        status: JobStatus,
        *,
        error: JobError | None = None,
        result: dict[str, int] | None = None,
    ) -> bool:
        """Move an unfinished job to succeeded/failed and release its content pointer."""
        values: dict[str, Any] = {
            ":status": status.value,
            ":now": iso(now()),
            ":done1": "succeeded",
            ":done2": "failed",
        }
        sets = ["#s = :status", "updated_at = :now"]
        if error is not None:
            values[":error"] = error.model_dump()
            sets.append("#e = :error")
        for name, value in (result or {}).items():
            values[f":{name}"] = value
            sets.append(f"{name} = :{name}")
        try:
            self._db.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"{JOB_KEY_PREFIX}{job.job_id}"}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(pk) AND NOT #s IN (:done1, :done2)",
                ExpressionAttributeNames={"#s": "status", **({"#e": "error"} if error else {})},
                ExpressionAttributeValues=_item(values),
            )
        except self._conditional:
            return False
        self._release_pointer(job)
        return True

    def _release_pointer(self, job: Job) -> None:
        with contextlib.suppress(self._conditional):  # already taken over by a newer job
            self._db.delete_item(
                TableName=self.table,
                Key={"pk": {"S": f"{POINTER_KEY_PREFIX}{job.tenant}#{job.content_key}"}},
                ConditionExpression="job_id = :id",
                ExpressionAttributeValues={":id": {"S": job.job_id}},
            )

    @translates_aws_errors
    def hold_document(self, job: Job) -> None:
        """Record that ``job`` uses its document (before uploading it)."""
        self._db.update_item(
            TableName=self.table,
            Key={"pk": {"S": f"{DOCUMENT_HOLDERS_KEY_PREFIX}{job.document_key}"}},
            UpdateExpression="ADD holders :job SET expires_at = :expires",
            ExpressionAttributeValues={":job": {"SS": [job.job_id]}, ":expires": {"N": str(job.expires_at)}},
        )

    @translates_aws_errors
    def release_document(self, job: Job) -> int | None:
        """Drop ``job``'s hold on its document: how many jobs still hold it, or None if no job ever
        did (it was never uploaded, or uploaded before holds were recorded)."""
        try:
            item = self._db.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"{DOCUMENT_HOLDERS_KEY_PREFIX}{job.document_key}"}},
                UpdateExpression="DELETE holders :job",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":job": {"SS": [job.job_id]}},
                ReturnValues="ALL_NEW",
            )
        except self._conditional:
            return None
        return len(item.get("Attributes", {}).get("holders", {}).get("SS", []))

    @translates_aws_errors
    def remember_idempotency(
        self, tenant: str, key: str, job_id: str, request_hash: str, expires_at: int
    ) -> tuple[str, str] | None:
        """Record which job answered an Idempotency-Key; returns (job_id, request_hash) if already known."""
        pk = f"{IDEMPOTENCY_KEY_PREFIX}{tenant}#{key}"
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_item(
                    {"pk": pk, "job_id": job_id, "request_hash": request_hash, "expires_at": expires_at}
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._conditional:
            held = self._get(pk) or {}
            return str(held.get("job_id", "")), str(held.get("request_hash", ""))
        return None

    @translates_aws_errors
    def idempotency(self, tenant: str, key: str) -> tuple[str, str] | None:
        held = self._get(f"{IDEMPOTENCY_KEY_PREFIX}{tenant}#{key}")
        return (str(held["job_id"]), str(held["request_hash"])) if held else None

    @translates_aws_errors
    def delete(self, job: Job) -> None:
        self._release_pointer(job)
        self._db.delete_item(TableName=self.table, Key={"pk": {"S": f"{JOB_KEY_PREFIX}{job.job_id}"}})
