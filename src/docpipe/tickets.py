"""A tenant's jobs on their way (queued or rendering), counted in one item of the jobs table.

``tenant#<tenant>`` holds one *ticket* per such job in a string set, and the set's size is what
``DOCPIPE_MAX_TENANT_BACKLOG`` caps. A ticket is taken in the transaction that creates its job and
given back in the one that moves the job out of queued/rendering or erases it, so the count is exact
whatever fails between two calls.

A set of tickets rather than a number, because:

- adding or removing an element is idempotent: a redelivered message, a second repair or a retried
  erasure cannot count a job twice, and the count can never go below zero;
- each ticket names its job and when it was issued, so a ticket outliving its job (a lost job that
  DynamoDB's TTL deleted before anyone repaired it) can be found and given back
  (``StaleJobRepair.reclaim``): the count is checked against the jobs, never trusted forever.

This module only builds the items' expressions; :class:`docpipe.jobstore.JobStore` runs them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from docpipe.contract import TENANT_KEY_PREFIX
from docpipe.jobs import Job

ATTRIBUTE = "tickets"
TAKE_INDEX = 2
"""Where :func:`take` sits in ``JobStore.create``'s transaction (job, pointer, ticket): which
cancellation reason is the cap's."""


@dataclass(frozen=True, order=True)
class Ticket:
    issued_at: int
    """Epoch seconds of the job's creation: old tickets are the only ones worth checking."""
    job_id: str

    @classmethod
    def of(cls, job: Job) -> Ticket:
        return cls(int(dt.datetime.fromisoformat(job.created_at).timestamp()), job.job_id)

    @classmethod
    def parse(cls, text: str) -> Ticket | None:
        issued, _, job_id = text.partition(":")
        return cls(int(issued), job_id) if issued.isdigit() and job_id else None

    def __str__(self) -> str:
        # Seconds, not the ISO time: every job on its way costs these bytes in its tenant's item.
        return f"{self.issued_at}:{self.job_id}"


def counter_pk(tenant: str) -> str:
    return f"{TENANT_KEY_PREFIX}{tenant}"


def counter_key(tenant: str) -> dict[str, Any]:
    return {"pk": {"S": counter_pk(tenant)}}


def take(table: str, job: Job, cap: int | None) -> dict[str, Any]:
    """The transaction item that counts ``job`` as on its way; with ``cap``, only while its tenant
    has fewer than ``cap`` jobs on their way."""
    update: dict[str, Any] = {
        "TableName": table,
        "Key": counter_key(job.tenant),
        # The item lives as long as the newest job it counted; a tenant that stops submitting leaves
        # nothing behind for good.
        "UpdateExpression": f"ADD {ATTRIBUTE} :ticket SET expires_at = :expires",
        "ExpressionAttributeValues": {
            ":ticket": {"SS": [str(Ticket.of(job))]},
            ":expires": {"N": str(job.expires_at)},
        },
    }
    if cap is not None:
        # DynamoDB drops a set that becomes empty: no attribute is no job on its way.
        update["ConditionExpression"] = f"attribute_not_exists({ATTRIBUTE}) OR size({ATTRIBUTE}) < :cap"
        update["ExpressionAttributeValues"][":cap"] = {"N": str(cap)}
    return {"Update": update}


def give_back(table: str, job: Job) -> dict[str, Any]:
    """The transaction item that stops counting ``job``; unconditional, so it never stops the change of
    state it goes with, and a no-op when the ticket is already gone."""
    return {
        "Update": {
            "TableName": table,
            "Key": counter_key(job.tenant),
            "UpdateExpression": f"DELETE {ATTRIBUTE} :ticket SET expires_at = if_not_exists(expires_at, :expires)",
            "ExpressionAttributeValues": {
                ":ticket": {"SS": [str(Ticket.of(job))]},
                ":expires": {"N": str(job.expires_at)},
            },
        }
    }


def drop(table: str, tenant: str, ticket: Ticket) -> dict[str, Any]:
    """The UpdateItem arguments that give back a ticket whose job is gone or finished."""
    return {
        "TableName": table,
        "Key": counter_key(tenant),
        "UpdateExpression": f"DELETE {ATTRIBUTE} :ticket",
        "ConditionExpression": "attribute_exists(pk)",  # never create the item just to empty it
        "ExpressionAttributeValues": {":ticket": {"SS": [str(ticket)]}},
    }


def parse_all(item: dict[str, Any] | None) -> list[Ticket]:
    """The tickets of a counter item as ``JobStore`` reads it (plain values), oldest first."""
    found = (Ticket.parse(text) for text in (item or {}).get(ATTRIBUTE, ()))
    return sorted(ticket for ticket in found if ticket is not None)
