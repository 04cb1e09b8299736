"""Waiting for a job (Prefer: wait=N): read soon, then less often, never in a tight loop, and stop
at the deadline. The clock and sleep are a simulated pair, so nothing here depends on wall time."""

from __future__ import annotations

import asyncio
import json

import pytest

from docpipe.jobs import Job, JobStatus
from docpipe.usecases import wait
from docpipe.usecases.results import JobView


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def view(status: JobStatus) -> JobView:
    job = Job(
        job_id="0" * 32,
        tenant="t",
        status=status,
        document_type="resume",
        template="classic",
        format="pdf",
        content_key="k",
        request_key="requests/t/j.json",
        document_key="documents/t/k.pdf",
        filename="resume.pdf",
        expires_at=0,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )
    return JobView(job=job)


def run_wait(statuses: list[JobStatus], seconds: float, time: SimulatedTime) -> tuple[JobView | None, int]:
    reads = 0

    async def read() -> JobView:
        nonlocal reads
        reads += 1
        return view(statuses[min(reads, len(statuses)) - 1])

    result = asyncio.run(wait.until_finished(read, seconds, sleep=time.sleep, clock=time.clock))
    return result, reads


def test_a_job_that_finishes_is_returned_as_soon_as_it_is_read() -> None:
    time = SimulatedTime()
    statuses = [JobStatus.QUEUED, JobStatus.RENDERING, JobStatus.SUCCEEDED]
    result, reads = run_wait(statuses, 20, time)
    assert result is not None
    assert result.job.status is JobStatus.SUCCEEDED
    assert reads == 3
    assert time.now < 1.5


def test_a_failed_job_ends_the_wait_too() -> None:
    result, _ = run_wait([JobStatus.FAILED], 20, SimulatedTime())
    assert result is not None
    assert result.job.status is JobStatus.FAILED


@pytest.mark.parametrize("seconds", [1, 7, 25])
def test_a_job_still_on_its_way_after_the_wait_gives_none_at_the_deadline(seconds: int) -> None:
    time = SimulatedTime()
    result, reads = run_wait([JobStatus.QUEUED], seconds, time)
    assert result is None
    assert time.now == pytest.approx(seconds)
    # Never a tight loop: reads grow slower and at most ~one per second once settled.
    assert reads <= seconds + 5
    assert all(b >= a for a, b in zip(time.pauses, time.pauses[1:-1], strict=False))
    assert max(time.pauses) <= wait.LONGEST_PAUSE
    assert min(time.pauses[:-1], default=wait.FIRST_PAUSE) >= wait.FIRST_PAUSE


def test_the_schedule_adds_up_to_the_wait() -> None:
    for seconds in (0.1, 1, 2.5, 25):
        assert sum(wait.pauses(seconds)) == pytest.approx(seconds)
    assert wait.pauses(0) == []


@pytest.mark.parametrize(("code", "status"), [("render_failed", 422), ("render_timeout", 422), ("lost", 503)])
def test_a_failed_job_asked_for_as_a_pdf_answers_its_error(code: str, status: int) -> None:
    """There is no PDF to redirect to: the job's error, as an error answer (so `curl --fail` fails)."""
    from starlette.requests import Request

    from docpipe.api.answers import finished_response
    from docpipe.jobs import JobError

    failed = view(JobStatus.FAILED)
    failed = JobView(job=failed.job.model_copy(update={"error": JobError(code=code, message="why")}))
    request = Request({"type": "http", "method": "POST", "path": "/v1/documents", "headers": []})
    response = finished_response(request, failed, document=True)
    assert response.status_code == status
    assert response.headers["Location"] == f"/v1/jobs/{'0' * 32}"
    assert json.loads(bytes(response.body))["error"]["code"] == code
    as_json = finished_response(request, failed, document=False)
    assert as_json.status_code == 200
    assert json.loads(bytes(as_json.body))["error"] == {"code": code, "message": "why"}
