"""Which jobs were erased, for as long as a job would have been kept: the jobs table's ``erased#`` items.

Erasure deletes everything of a job; without a trace a second ``DELETE`` could not tell "already
erased" (204, as the README promises: erasing is idempotent) from "no such job" (404). The trace is
the job id, its tenant and an expiry, nothing a person could be identified by.
"""

from __future__ import annotations

import time
from typing import Any

from docpipe import contract
from docpipe.aws import translates_aws_errors


class Erasures:
    def __init__(self, client: Any, table: str, *, keep_seconds: int) -> None:
        self._db = client
        self.table = table
        self.keep_seconds = keep_seconds

    def _key(self, job_id: str) -> dict[str, Any]:
        return {contract.TABLE_PARTITION_KEY: {"S": f"{contract.ERASED_KEY_PREFIX}{job_id}"}}

    @translates_aws_errors
    def record(self, job_id: str, tenant: str) -> None:
        # UpdateItem, not PutItem: the status function's role has no PutItem, and an upsert is all this is.
        self._db.update_item(
            TableName=self.table,
            Key=self._key(job_id),
            UpdateExpression="SET tenant = :tenant, #ttl = :ttl",
            ExpressionAttributeNames={"#ttl": contract.TABLE_TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":tenant": {"S": tenant},
                ":ttl": {"N": str(int(time.time()) + self.keep_seconds)},
            },
        )

    @translates_aws_errors
    def was_erased(self, job_id: str, tenant: str) -> bool:
        """Whether ``tenant`` erased ``job_id`` (another tenant's erasure is none of its business)."""
        item = self._db.get_item(TableName=self.table, Key=self._key(job_id), ConsistentRead=True).get("Item")
        return bool(item) and item.get("tenant", {}).get("S") == tenant
