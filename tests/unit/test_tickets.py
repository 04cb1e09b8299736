"""The per-tenant backlog's tickets: what the counter item holds for each job on its way, and the
conditions that cap it (the table itself is exercised in tests/integration/test_pipeline.py)."""

from __future__ import annotations

import pytest

from docpipe import contract, tickets
from docpipe.jobs import Job, JobStatus
from docpipe.tickets import Ticket

JOB = Job(
    job_id="0" * 32,
    tenant="tenant-a",
    status=JobStatus.QUEUED,
    document_type="resume",
    template="classic",
    format="pdf",
    content_key="c" * 64,
    request_key="requests/tenant-a/x.json",
    document_key="documents/tenant-a/c.pdf",
    filename="A_Resume.pdf",
    created_at="2026-01-02T03:04:05.678Z",
    updated_at="2026-01-02T03:04:05.678Z",
    expires_at=1_800_000_000,
)


def test_a_ticket_names_its_job_and_when_it_was_issued() -> None:
    ticket = Ticket.of(JOB)
    assert ticket == Ticket(issued_at=1_767_323_045, job_id=JOB.job_id)
    assert Ticket.parse(str(ticket)) == ticket
    assert len(str(ticket)) <= 45  # every job on its way costs these bytes in its tenant's item


@pytest.mark.parametrize("text", ["", "abc", "12:", ":abc", "-1:abc"])
def test_a_malformed_ticket_is_not_one(text: str) -> None:
    assert Ticket.parse(text) is None


def test_taking_a_ticket_is_capped_and_giving_it_back_is_not() -> None:
    take = tickets.take("jobs", JOB, 3)["Update"]
    assert take["Key"] == {"pk": {"S": f"{contract.TENANT_KEY_PREFIX}tenant-a"}}
    assert take["ConditionExpression"] == "attribute_not_exists(tickets) OR size(tickets) < :cap"
    assert take["ExpressionAttributeValues"][":cap"] == {"N": "3"}
    assert "ConditionExpression" not in tickets.take("jobs", JOB, None)["Update"]
    back = tickets.give_back("jobs", JOB)["Update"]
    assert "ConditionExpression" not in back  # it must never stop the job's own change of state
    assert back["ExpressionAttributeValues"][":ticket"] == take["ExpressionAttributeValues"][":ticket"]


def test_the_tickets_of_an_item_oldest_first() -> None:
    item = {"pk": "tenant#a", "tickets": {"20:b", "10:a", "junk"}}
    assert tickets.parse_all(item) == [Ticket(10, "a"), Ticket(20, "b")]
    assert tickets.parse_all(None) == []
