"""Faults injected through the local stack: Redis killed and restarted, S3, DynamoDB and SQS calls
failing at the adapter boundary (before or after they take effect), SQS delivering a message twice or
redelivering it while the first attempt still runs, a worker dying mid-render, TeX past its timeout,
the backlog past its limit, and two tenants sharing the stack.

After each: every accepted job ends ``succeeded`` or ``failed`` with a reason, no document is stored
twice, and no object is left without its job (``ChaosStack.audit``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from docpipe.jobs import JobStatus, iso, now
from docpipe_local.chaos import (
    AFTER,
    BEFORE,
    DUPLICATE,
    HANG,
    KILL,
    SLOW,
    ChaosStack,
    unique,
)
from docpipe_local.redis_server import RedisServer

StackFactory = Callable[..., ChaosStack]
TEX_PROGRAMS = ("pdflatex", "xelatex", "pdftex", "xetex", "xdvipdfmx")


@contextlib.contextmanager
def api(stack: ChaosStack, tenant: str | None = None) -> Iterator[TestClient]:
    with TestClient(stack.app(tenant), raise_server_exceptions=False) as client:
        yield client


def accepted(response: httpx.Response) -> str:
    assert response.status_code in (200, 202), response.text
    return str(response.json()["job_id"])


def assert_unavailable(response: httpx.Response, code: str = "unavailable") -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"]


def assert_sound(stack: ChaosStack) -> None:
    report = stack.audit()
    problems = report.problems()
    assert not problems, "\n".join(problems)


def status_of(client: TestClient, job_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def document_objects(stack: ChaosStack) -> list[str]:
    return [key for key in stack.audit().objects if key.startswith("documents/")]


def tex_children() -> list[int]:
    """TeX processes whose parent is this test process (a render started them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == os.getpid() and name in TEX_PROGRAMS:
                found.append(int(entry.name))
    return found


# --- Redis ------------------------------------------------------------------------------------------


def test_redis_killed_and_restarted(chaos_stack: StackFactory, sample_resume: dict[str, Any]) -> None:
    redis_server = RedisServer().start()
    try:
        stack = chaos_stack(redis_url=redis_server.url, visibility_timeout=1, cache_retry_after=0.3)
        first = unique(sample_resume)
        with api(stack) as client:
            job_a = accepted(client.post("/v1/documents", json=first))
            stack.settle([job_a])
            hit = client.post("/v1/documents", json=first)
            assert (hit.status_code, hit.json()["job_id"]) == (200, job_a)

            redis_server.kill()
            # The cache is gone: submits still work (uncached), fast, and every job finishes.
            started = time.monotonic()
            again = client.post("/v1/documents", json=first)
            second = client.post("/v1/documents", json=unique(sample_resume))
            assert time.monotonic() - started < 2.0
            assert again.status_code == 202  # no cache: rendered again, into the same object
            jobs = [accepted(again), accepted(second)]
            assert {j.status for j in stack.settle(jobs).values() if j} == {JobStatus.SUCCEEDED}
            assert status_of(client, jobs[1])["status"] == "succeeded"
            # Erasure must not skip the cache: it answers 503 and erases nothing until Redis is back.
            assert_unavailable(client.delete(f"/v1/jobs/{job_a}"))
            assert status_of(client, job_a)["status"] == "succeeded"

            redis_server.start()  # same port, empty
            time.sleep(0.4)  # the cache is retried after cache_retry_after
            assert client.delete(f"/v1/jobs/{job_a}").status_code == 204
            third = unique(sample_resume)
            job_c = accepted(client.post("/v1/documents", json=third))
            stack.settle([job_c])
            hit = client.post("/v1/documents", json=third)
            assert (hit.status_code, hit.json()["job_id"]) == (200, job_c)  # cached again
        assert_sound(stack)
    finally:
        redis_server.stop()


def test_redis_errors_at_the_client_degrade_to_uncached(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1, cache_retry_after=0.0)
    document = unique(sample_resume)
    stack.faults.fail("redis.get", BEFORE).fail("redis.set", AFTER)
    with api(stack) as client:
        job = accepted(client.post("/v1/documents", json=document))
        assert stack.settle([job])[job].status is JobStatus.SUCCEEDED  # type: ignore[union-attr]
        # the set "failed" after storing: the entry is there, and it is right
        hit = client.post("/v1/documents", json=document)
        assert (hit.status_code, hit.json()["job_id"]) == (200, job)
    assert_sound(stack)


# --- S3 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [BEFORE, AFTER])
def test_s3_failing_while_storing_the_request(
    chaos_stack: StackFactory, sample_resume: dict[str, Any], mode: str
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    document = unique(sample_resume)
    stack.faults.fail("s3.put_request", mode)
    with api(stack) as client:
        assert_unavailable(client.post("/v1/documents", json=document))
        assert stack.queue_depth() == 0  # nothing will render a job the client was told failed
        assert_sound(stack)
        job = accepted(client.post("/v1/documents", json=document))  # the client's retry
        assert stack.settle([job])[job].status is JobStatus.SUCCEEDED  # type: ignore[union-attr]
    assert_sound(stack)


@pytest.mark.parametrize(
    ("op", "mode"),
    [("s3.get_request", BEFORE), ("s3.put_document", BEFORE), ("s3.put_document", AFTER)],
)
def test_s3_failing_during_a_render_is_retried(
    chaos_stack: StackFactory, sample_resume: dict[str, Any], op: str, mode: str
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    stack.faults.fail(op, mode)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        job = stack.settle([job_id])[job_id]
        assert job is not None
        assert (job.status, job.attempt) == (JobStatus.SUCCEEDED, 2)  # SQS redelivered it once
        assert status_of(client, job_id)["download_url"]
    assert len(document_objects(stack)) == 1
    assert_sound(stack)


def test_s3_down_for_every_attempt_fails_the_job_on_the_last_receive(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    stack.faults.always("s3.put_document", BEFORE)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        job = stack.settle([job_id])[job_id]
        assert job is not None
        assert (job.status, job.attempt) == (JobStatus.FAILED, stack.settings.max_receives)
        error = status_of(client, job_id)["error"]
        assert error["code"] == "internal_error"
        assert "resubmit" in error["message"]
    assert stack.faults.calls["s3.put_document"] == stack.settings.max_receives
    assert_sound(stack)


def test_s3_failing_on_status_and_erasure_answers_503_then_works(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        stack.settle([job_id])
        stack.faults.fail("s3.presign", BEFORE).fail("s3.delete", BEFORE)
        assert_unavailable(client.get(f"/v1/jobs/{job_id}"))
        assert_unavailable(client.delete(f"/v1/jobs/{job_id}"))
        assert status_of(client, job_id)["status"] == "succeeded"  # nothing was half-erased
        assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
        assert client.get(f"/v1/jobs/{job_id}").status_code == 404
    report = stack.audit()
    assert report.objects == []
    assert_sound(stack)


# --- DynamoDB ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [BEFORE, AFTER])
def test_dynamodb_failing_while_creating_the_job(
    chaos_stack: StackFactory, sample_resume: dict[str, Any], mode: str
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    document = unique(sample_resume)
    stack.faults.fail("dynamodb.create", mode)
    with api(stack) as client:
        assert_unavailable(client.post("/v1/documents", json=document))
        assert stack.queue_depth() == 0
        assert_sound(stack)  # a job created "after all" was closed, not left queued forever
        job = accepted(client.post("/v1/documents", json=document))  # the client's retry renders
        assert stack.settle([job])[job].status is JobStatus.SUCCEEDED  # type: ignore[union-attr]
    assert_sound(stack)


@pytest.mark.parametrize(
    ("op", "mode"),
    [  # a render reads no job before it claims one: the claim's condition checks it
        ("dynamodb.claim", BEFORE),
        ("dynamodb.claim", AFTER),
        ("dynamodb.finish", BEFORE),
        ("dynamodb.hold_document", BEFORE),
        ("dynamodb.hold_document", AFTER),
    ],
)
def test_dynamodb_failing_during_a_render_is_retried(
    chaos_stack: StackFactory, sample_resume: dict[str, Any], op: str, mode: str
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        stack.faults.fail(op, mode)
        job = stack.settle([job_id])[job_id]
        assert job is not None
        assert (job.status, job.attempt) == (JobStatus.SUCCEEDED, 2)
    assert len(document_objects(stack)) == 1
    assert_sound(stack)


def test_dynamodb_finish_failing_after_it_was_recorded(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        stack.faults.fail("dynamodb.finish", AFTER)
        job = stack.settle([job_id])[job_id]
        assert job is not None
        assert (job.status, job.attempt) == (JobStatus.SUCCEEDED, 1)
        time.sleep(stack.visibility_timeout + 0.2)
        stack.worker().poll_once(wait_seconds=1)  # the redelivery finds the job finished: dropped
        assert stack.queue_depth() == 0
    assert stack.faults.calls["s3.put_document"] == 1
    assert_sound(stack)


def test_dynamodb_failing_on_status_and_erasure(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        stack.settle([job_id])
        stack.faults.fail("dynamodb.get", BEFORE)
        assert_unavailable(client.get(f"/v1/jobs/{job_id}"))
        stack.faults.fail("dynamodb.release_document", BEFORE)
        assert_unavailable(client.delete(f"/v1/jobs/{job_id}"))
        stack.faults.fail("dynamodb.delete", BEFORE)
        assert_unavailable(client.delete(f"/v1/jobs/{job_id}"))
        assert client.delete(f"/v1/jobs/{job_id}").status_code == 204  # the retry finishes the erasure
    assert stack.audit().objects == []
    assert_sound(stack)


# --- SQS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [BEFORE, AFTER])
def test_sqs_send_failing(chaos_stack: StackFactory, sample_resume: dict[str, Any], mode: str) -> None:
    stack = chaos_stack(visibility_timeout=1)
    document = unique(sample_resume)
    stack.faults.fail("sqs.send", mode)
    with api(stack) as client:
        assert_unavailable(client.post("/v1/documents", json=document))
        report = stack.audit()
        (abandoned,) = report.jobs.values()  # closed with a reason, not left queued
        assert abandoned.status is JobStatus.FAILED
        assert abandoned.error is not None
        assert abandoned.error.code == "unavailable"
        job = accepted(client.post("/v1/documents", json=document))
        assert job != abandoned.job_id
        assert stack.settle([job])[job].status is JobStatus.SUCCEEDED  # type: ignore[union-attr]
        stack.worker().poll_once()  # a message that was sent "after all" is for a finished job: dropped
        assert stack.queue_depth() == 0
    assert stack.faults.calls["s3.put_document"] == 1
    assert_sound(stack)


def test_sqs_delivering_one_message_twice_renders_once(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    stack.faults.fail("sqs.send", DUPLICATE)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        assert stack.queue_depth() == 2
        workers = [stack.worker(), stack.worker()]
        threads = [threading.Thread(target=w.poll_once, kwargs={"wait_seconds": 1}) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        job = stack.settle([job_id])[job_id]
        assert job is not None
        assert job.status is JobStatus.SUCCEEDED
        assert stack.queue_depth() == 0  # both copies consumed
    assert stack.faults.calls["s3.put_document"] == 1  # one render, one upload
    assert_sound(stack)


def test_sqs_redelivering_while_the_first_attempt_still_renders(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1, slow_seconds=2.5)
    stack.faults.fail("render", SLOW)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        slow = stack.worker()
        first = threading.Thread(target=slow.poll_once)
        first.start()
        job = stack.settle([job_id], timeout=20)[job_id]  # a second worker gets the redelivery
        first.join()
        assert job is not None
        assert (job.status, job.attempt) == (JobStatus.SUCCEEDED, 2)
        final = stack.job(job_id)
        assert final == job  # the late first attempt could not move the finished job
        assert status_of(client, job_id)["status"] == "succeeded"
    assert len(document_objects(stack)) == 1  # both attempts wrote the same content-addressed key
    assert_sound(stack)


# --- a worker dying ---------------------------------------------------------------------------------


def test_worker_killed_mid_render_is_redelivered_and_completed(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    stack.faults.fail("render", KILL)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        dying = stack.worker()
        assert dying.poll_once() == 1
        assert dying.deaths == 1
        # claimed, then nothing recorded: the job says rendering and the message is in flight
        assert status_of(client, job_id)["status"] == "rendering"
        assert stack.queue_depth() == 1
        job = stack.settle([job_id])[job_id]
        assert job is not None
        assert (job.status, job.attempt) == (JobStatus.SUCCEEDED, 2)
    assert_sound(stack)


def test_worker_killed_on_every_receive_ends_failed_not_forever_rendering(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1, stale_after_seconds=3)
    stack.faults.always("render", KILL)
    document = unique(sample_resume)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=document))
        worker = stack.worker()
        deadline = time.monotonic() + 20
        while stack.dead_letters() == 0 and time.monotonic() < deadline:
            worker.poll_once(wait_seconds=1)
        assert worker.deaths == stack.settings.max_receives
        assert stack.dead_letters() == 1  # SQS gave up: nothing will deliver it again
        job = stack.job(job_id)
        assert job is not None
        assert job.status is JobStatus.RENDERING
        time.sleep(stack.settings.stale_after_seconds)
        status = status_of(client, job_id)  # the read notices the job stopped moving
        assert status["status"] == "failed"
        assert status["error"]["code"] == "lost"
        assert "submit it again" in status["error"]["message"]
        stack.faults.clear()
        retry = accepted(client.post("/v1/documents", json=document))
        assert retry != job_id  # the content is no longer pinned to the lost job
        assert stack.settle([retry])[retry].status is JobStatus.SUCCEEDED  # type: ignore[union-attr]
    assert_sound(stack)


# --- TeX --------------------------------------------------------------------------------------------


def test_tex_past_its_timeout_is_killed_and_the_job_fails_with_a_reason(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1, render_timeout_seconds=1.0)
    stack.faults.fail("render", HANG)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        started = time.monotonic()
        assert stack.worker().poll_once() == 1
        assert time.monotonic() - started < 5
        status = status_of(client, job_id)
        assert status["status"] == "failed"
        assert status["error"]["code"] == "render_timeout"
        assert re.search(r"within [\d.]+ s", status["error"]["message"])
        assert stack.queue_depth() == 0  # a user-caused failure is final: not retried
    assert tex_children() == []  # the whole process group was killed
    assert list(stack.work_root.iterdir()) == []  # its working directory was removed
    assert stack.faults.calls["s3.put_document"] == 0
    assert_sound(stack)


def test_tex_killed_by_a_signal_is_retried(chaos_stack: StackFactory, sample_resume: dict[str, Any]) -> None:
    """TeX killed from outside (the OOM killer, say), not by our timeout: the machine's fault, not the
    document's, so SQS retries it and the redelivery renders it (``RenderCrashed``)."""
    stack = chaos_stack(visibility_timeout=1, render_timeout_seconds=10.0)
    stack.faults.fail("render", HANG)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        worker = stack.worker()
        attempt = threading.Thread(target=worker.poll_once)
        attempt.start()
        deadline = time.monotonic() + 8
        while not tex_children() and time.monotonic() < deadline:
            time.sleep(0.02)
        (tex,) = tex_children()
        os.kill(tex, signal.SIGKILL)  # not our timeout: something else killed TeX
        attempt.join()
        job = stack.settle([job_id])[job_id]
        assert job is not None
        error = job.error.model_dump() if job.error else None
        assert job.status is JobStatus.SUCCEEDED, f"the job ended {job.status.value}: {error}"
        assert job.attempt == 2  # the first attempt was retried, not failed
    assert tex_children() == []
    assert_sound(stack)


# --- erasure racing a render ------------------------------------------------------------------------


def test_erasure_while_rendering_leaves_no_document_behind(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    with api(stack) as client:
        job_id = accepted(client.post("/v1/documents", json=unique(sample_resume)))
        erased: list[int] = []
        stack.renderer.on_render = lambda _request: erased.append(
            client.delete(f"/v1/jobs/{job_id}").status_code
        )
        assert stack.worker().poll_once() == 1
        assert erased == [204]
        assert client.get(f"/v1/jobs/{job_id}").status_code == 404
        assert stack.queue_depth() == 0
    report = stack.audit()
    assert report.objects == [], "the erased job's PDF was uploaded after the erasure"
    assert_sound(stack)


def test_erasing_one_of_two_jobs_sharing_a_document_keeps_the_others(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    """The same content rendered twice (the cache had expired) is stored once; erasing the first job
    must not take the second one's PDF with it, and erasing both removes it."""
    stack = chaos_stack(visibility_timeout=1)
    document = unique(sample_resume)
    with api(stack) as client:
        first = accepted(client.post("/v1/documents", json=document))
        stack.settle([first])
        stack.redis_client.flushdb()  # the cache entry expired
        second = accepted(client.post("/v1/documents", json=document))
        assert second != first
        stack.settle([second])
        assert len(document_objects(stack)) == 1
        assert client.delete(f"/v1/jobs/{first}").status_code == 204
        status = status_of(client, second)
        with urllib.request.urlopen(status["download_url"], timeout=10) as response:
            assert response.read().startswith(b"%PDF")
        assert client.delete(f"/v1/jobs/{second}").status_code == 204
        # A link handed out before the erasure stops working with it (S3 has nothing left to sign for).
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(status["download_url"], timeout=10)
        assert gone.value.code in (403, 404)
    assert stack.audit().objects == []
    assert_sound(stack)


# --- overload ---------------------------------------------------------------------------------------


def test_backlog_beyond_the_configured_depth_answers_503_with_retry_after(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1, max_backlog=3)
    cached = unique(sample_resume)
    with api(stack) as client:
        cached_job = accepted(client.post("/v1/documents", json=cached))
        stack.settle([cached_job])
        queued = [unique(sample_resume) for _ in range(3)]
        jobs = [accepted(client.post("/v1/documents", json=doc)) for doc in queued]
        before = stack.audit()

        rejected = client.post("/v1/documents", json=unique(sample_resume))
        assert_unavailable(rejected, code="overloaded")
        assert int(rejected.headers["Retry-After"]) == 10
        assert "waiting to render" in rejected.json()["error"]["message"]
        after = stack.audit()
        assert (len(after.jobs), len(after.objects)) == (len(before.jobs), len(before.objects))
        assert stack.queue_depth() == 3  # the rejected document was not queued

        # What adds no work is still answered: a document already queued, and a cached one.
        again = client.post("/v1/documents", json=queued[0])
        assert (again.status_code, again.json()["job_id"]) == (202, jobs[0])
        hit = client.post("/v1/documents", json=cached)
        assert (hit.status_code, hit.json()["job_id"]) == (200, cached_job)

        stack.settle(jobs)  # the backlog drains: submits are accepted again
        accepted(client.post("/v1/documents", json=unique(sample_resume)))
    stack.settle(stack.audit().jobs)
    assert_sound(stack)


# --- tenancy ----------------------------------------------------------------------------------------


def test_tenants_cannot_read_each_others_jobs_nor_learn_from_the_cache(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    stack = chaos_stack(visibility_timeout=1)
    shared = unique(sample_resume)
    with api(stack, "tenant-a") as alice, api(stack, "tenant-b") as bob:
        job_a = accepted(alice.post("/v1/documents", json=shared))
        stack.settle([job_a])
        assert alice.post("/v1/documents", json=shared).status_code == 200  # a's cache hit

        # b submits the very document a rendered, and a fresh one: the same answers, through the
        # same calls to every store in the same order, so neither the answer nor its timing tells b
        # that a rendered it.
        with stack.faults.trace() as seen_by_b:
            same = bob.post("/v1/documents", json=shared)
        with stack.faults.trace() as fresh_for_b:
            fresh = bob.post("/v1/documents", json=unique(sample_resume))
        assert (same.status_code, fresh.status_code) == (202, 202)
        assert same.json().keys() == fresh.json().keys()
        assert seen_by_b == fresh_for_b
        assert "redis.get" in seen_by_b
        job_b = accepted(same)
        assert job_b != job_a

        # a's job is indistinguishable from one that does not exist
        for method in ("GET", "DELETE"):
            theirs = bob.request(method, f"/v1/jobs/{job_a}")
            nobody = bob.request(method, f"/v1/jobs/{uuid.uuid4().hex}")
            assert theirs.status_code == nobody.status_code == 404
            assert theirs.json()["error"]["code"] == nobody.json()["error"]["code"] == "not_found"
        assert status_of(alice, job_a)["status"] == "succeeded"  # b's DELETE erased nothing

        # Idempotency keys are per tenant: b reusing a's key is not a conflict.
        key = uuid.uuid4().hex
        accepted(alice.post("/v1/documents", json=unique(sample_resume), headers={"Idempotency-Key": key}))
        accepted(bob.post("/v1/documents", json=unique(sample_resume), headers={"Idempotency-Key": key}))

        stack.settle(stack.audit().jobs)
    report = stack.audit()
    a, b = report.jobs[job_a], report.jobs[job_b]
    assert a.content_key != b.content_key
    assert a.document_key.startswith("documents/tenant-a/")
    assert b.document_key.startswith("documents/tenant-b/")
    assert a.request_key.startswith("requests/tenant-a/")
    cache_keys = {k.decode() if isinstance(k, bytes) else k for k in stack.redis_client.keys("docpipe:doc:*")}
    assert f"docpipe:doc:tenant-a:{a.content_key}" in cache_keys
    assert f"docpipe:doc:tenant-b:{b.content_key}" in cache_keys
    assert_sound(stack)


# --- the audit itself -------------------------------------------------------------------------------


def test_the_audit_sees_orphans_double_renders_and_unfinished_jobs(
    chaos_stack: StackFactory, sample_resume: dict[str, Any]
) -> None:
    """The checker every test above (and the soak) relies on must see what it claims to."""
    stack = chaos_stack(visibility_timeout=1)
    with api(stack) as client:
        first = accepted(client.post("/v1/documents", json=unique(sample_resume)))
    store = stack.pipeline.stores.jobs.real  # type: ignore[attr-defined]
    job = store.get(first)
    assert job is not None
    # A second job for the same content while the first is active (dedup bypassed): a double render.
    twin = job.model_copy(
        update={
            "job_id": uuid.uuid4().hex,
            "request_key": job.request_key + ".twin",
            "created_at": iso(now()),
        }
    )
    assert store.create(twin, replace_pointer_of=first) is None
    stack.clients.s3.put_object(Bucket=stack.settings.bucket, Key="requests/nobody/orphan.json", Body=b"{}")
    report = stack.audit()
    assert report.orphans == ["requests/nobody/orphan.json"]
    assert sorted(report.unfinished) == sorted([first, twin.job_id])
    for each in (job, twin):
        store.finish(each, JobStatus.SUCCEEDED)
    stack.clients.s3.put_object(Bucket=stack.settings.bucket, Key=job.document_key, Body=b"%PDF-")
    stem = job.document_key.rsplit(".", 1)[0]
    stack.clients.s3.put_object(Bucket=stack.settings.bucket, Key=stem + ".tex", Body=b"x")
    report = stack.audit()
    assert report.overlapping_jobs == [(first, twin.job_id)]
    assert report.duplicate_documents == [stem]
    assert report.duplicates == 2
