"""DynamoDB: the jobs table. One table, partition key ``pk``:

- ``job#<id>``                 the job (status, keys, result, error), TTL ``expires_at``
- ``key#<tenant>#<content>``   the job currently rendering that content (dedup of identical submits)
- ``idem#<tenant>#<key>``      the job an Idempotency-Key was answered with
- ``doc#<document key>``       the jobs holding a content-addressed document (jobs of one tenant with
                               the same content share it): it is deleted with the last of them
- ``tenant#<tenant>``          a ticket per job of the tenant on its way (queued or rendering): the
                               per-tenant backlog cap counts these (:mod:`docpipe.tickets`)

Every state change is a conditional write, so concurrent submits and duplicate SQS deliveries
cannot create a second job or move a finished job backwards. A failed condition is an answer (None,
False, the holder); any other AWS error leaves as :class:`~docpipe.errors.DependencyUnavailable`.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from docpipe import tickets
from docpipe.aws import translates_aws_errors
from docpipe.contract import (
    DOCUMENT_HOLDERS_KEY_PREFIX,
    IDEMPOTENCY_KEY_PREFIX,
    JOB_KEY_PREFIX,
    POINTER_KEY_PREFIX,
)
from docpipe.errors import DependencyUnavailable, TenantBacklogFull
from docpipe.jobs import ACTIVE, Job, JobError, JobStatus, iso, now
from docpipe.tickets import Ticket

_CONDITION_FAILED = "ConditionalCheckFailed"
_CONFLICT_ATTEMPTS = 4
"""A tenant's counter item is in every transaction of its jobs, so two of them meeting there is
ordinary: DynamoDB cancels one (TransactionConflict), and it is tried again this many times."""

_NEW: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
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
    if "layout" in values:  # JSON text: DynamoDB's number type is not a float (fitting.py's factors)
        values["layout"] = json.loads(values["layout"])
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

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Run one transaction: None once it committed, or each item's cancellation code when a
        condition failed. Conflicts with another transaction are tried again; anything else that
        cancels it is the table failing."""
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                self._db.transact_write_items(TransactItems=items)
                return None
            except self._cancelled as exc:
                reasons = exc.response.get("CancellationReasons") or []
                codes = [str(reason.get("Code") or "None") for reason in reasons]
            if "TransactionConflict" not in codes:
                if set(codes) <= {"None", _CONDITION_FAILED}:
                    return codes
                raise DependencyUnavailable("the jobs table", retry_after=1)
            time.sleep((attempt + 1) * (10 + secrets.randbelow(40)) / 1000)  # jitter: they met once
        raise DependencyUnavailable("the jobs table (busy)", retry_after=1)

    @translates_aws_errors
    def create(
        self, job: Job, *, cap: int | None = None, replace_pointer_of: str | None = None
    ) -> str | None:
        """Store a new job, point its content at it and count it as on its way, atomically.

        Returns None on success, or the id of the job that already holds the content pointer
        (an identical document queued or rendering: the caller answers with that job instead).
        ``replace_pointer_of`` takes over a pointer whose job has finished. With ``cap``, raises
        :class:`TenantBacklogFull` when the tenant already has ``cap`` jobs on their way.
        """
        pointer = f"{POINTER_KEY_PREFIX}{job.tenant}#{job.content_key}"
        condition = _NEW
        if replace_pointer_of is not None:
            condition = {
                "ConditionExpression": "job_id = :old",
                "ExpressionAttributeValues": {":old": {"S": replace_pointer_of}},
            }
        job_item = _item({"pk": f"{JOB_KEY_PREFIX}{job.job_id}", **job.model_dump(mode="json")})
        pointer_item = _item({"pk": pointer, "job_id": job.job_id, "expires_at": job.expires_at})
        codes = self._transact(
            [
                {"Put": {"TableName": self.table, "Item": job_item, **_NEW}},
                {"Put": {"TableName": self.table, "Item": pointer_item, **condition}},
                tickets.take(self.table, job, cap),
            ]
        )
        if codes is None:
            return None
        holder = self._get(pointer)
        current = str(holder["job_id"]) if holder else None
        if current != replace_pointer_of:
            return current or ""  # an identical job took the pointer: joining it is never refused
        if cap is not None and codes[tickets.TAKE_INDEX :][:1] == [_CONDITION_FAILED]:
            raise TenantBacklogFull(cap)
        return current or ""

    @translates_aws_errors
    def pointer(self, tenant: str, content_key: str) -> str | None:
        holder = self._get(f"{POINTER_KEY_PREFIX}{tenant}#{content_key}")
        return str(holder["job_id"]) if holder else None

    @translates_aws_errors
    def claim(self, job_id: str, tenant: str, attempt: int) -> Job | None:
        """queued -> rendering for this delivery; None if there is no such job of ``tenant``, it is
        finished, or another attempt at least as recent holds it (a duplicate delivery)."""
        try:
            item = self._db.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"{JOB_KEY_PREFIX}{job_id}"}},
                UpdateExpression="SET #s = :rendering, updated_at = :now, attempt = :attempt",
                ConditionExpression="attribute_exists(pk) AND tenant = :tenant AND "
                "(#s = :queued OR (#s = :rendering AND attempt < :attempt))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {
                        ":rendering": JobStatus.RENDERING.value,
                        ":queued": JobStatus.QUEUED.value,
                        ":now": iso(now()),
                        ":attempt": attempt,
                        ":tenant": tenant,
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
        result: dict[str, int | str] | None = None,
    ) -> bool:
        """Move an unfinished job to succeeded/failed, give back its ticket and release its content
        pointer; False if it was already finished (or is gone)."""
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
        update = {
            "TableName": self.table,
            "Key": {"pk": {"S": f"{JOB_KEY_PREFIX}{job.job_id}"}},
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "attribute_exists(pk) AND NOT #s IN (:done1, :done2)",
            "ExpressionAttributeNames": {"#s": "status", **({"#e": "error"} if error else {})},
            "ExpressionAttributeValues": _item(values),
        }
        # The ticket goes back in the same step the job leaves queued/rendering: only the attempt
        # whose condition held gives it back, so a redelivery or a second repair cannot.
        if self._transact([{"Update": update}, tickets.give_back(self.table, job)]) is not None:
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
    def held_tickets(self, tenant: str) -> list[Ticket]:
        """The tickets ``tenant`` holds: one per job counted as on its way, oldest first."""
        return tickets.parse_all(self._get(tickets.counter_pk(tenant)))

    @translates_aws_errors
    def drop_ticket(self, tenant: str, ticket: Ticket) -> None:
        """Give back a ticket whose job is gone or finished (a count that drifted, put right)."""
        with contextlib.suppress(self._conditional):
            self._db.update_item(**tickets.drop(self.table, tenant, ticket))

    @translates_aws_errors
    def delete(self, job: Job) -> None:
        self._release_pointer(job)
        key = {"pk": {"S": f"{JOB_KEY_PREFIX}{job.job_id}"}}
        if job.status not in ACTIVE:
            self._db.delete_item(TableName=self.table, Key=key)  # finished jobs hold no ticket
            return
        # An erased job is off its way too: its ticket goes in the same step. Give-back is
        # unconditional, so this also holds if the job finished meanwhile.
        self._transact(
            [{"Delete": {"TableName": self.table, "Key": key}}, tickets.give_back(self.table, job)]
        )
