"""One request, one PDF: ``Prefer: wait=N`` and ``Accept: application/pdf`` on POST /v1/documents, and
YAML bodies, against the local stack (uvicorn, moto, redis-server) with the real render handler.

The session stack has no background workers: each test renders by polling the queue itself while its
request waits in another thread, so what finishes when is decided by the test, not by timing.
"""

from __future__ import annotations

import concurrent.futures
import json
import resource
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml

from docpipe_local.render_worker import RenderWorker
from docpipe_local.stack import DevStack

JSON = {"Content-Type": "application/json"}


def fresh_resume(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample under a new name: a document no other test has rendered (no cache hit)."""
    envelope: dict[str, Any] = json.loads(json.dumps(sample))
    envelope["data"]["personalInfo"]["name"] = f"Wait Test {uuid.uuid4().hex[:8]}"
    return envelope


def post(stack: DevStack, body: bytes, headers: dict[str, str], timeout: float = 60) -> httpx.Response:
    return httpx.post(f"{stack.url}/v1/documents", content=body, headers=headers, timeout=timeout)


def render_while(worker: RenderWorker, pending: concurrent.futures.Future[httpx.Response]) -> httpx.Response:
    """Render what is queued until the waiting request has answered."""
    for _ in range(200):
        if pending.done():
            break
        worker.poll_once(wait_seconds=1)
    return pending.result(timeout=60)


def submit_and_render(
    stack: DevStack, worker: RenderWorker, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return render_while(worker, pool.submit(post, stack, body, headers))


def test_prefer_wait_answers_200_with_the_link_once_the_document_is_ready(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    body = json.dumps(fresh_resume(sample_resume)).encode()
    response = submit_and_render(stack, worker, body, {**JSON, "Prefer": "wait=20"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "succeeded"
    assert answer["pages"] >= 1
    assert response.headers["Location"] == answer["status_url"] == f"/v1/jobs/{answer['job_id']}"
    assert httpx.get(answer["download_url"]).content.startswith(b"%PDF-")


def test_accept_pdf_redirects_to_the_document_and_a_cache_hit_does_so_at_once(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    body = json.dumps(fresh_resume(sample_resume)).encode()
    headers = {**JSON, "Prefer": "wait=20", "Accept": "application/pdf"}
    response = submit_and_render(stack, worker, body, headers)
    assert response.status_code == 303, response.text
    assert httpx.get(response.headers["Location"]).content.startswith(b"%PDF-")
    # Rendered now: the same request answers from the cache with no worker running, wait or not.
    for again in (headers, {**JSON, "Accept": "application/pdf"}):
        cached = post(stack, body, again)
        assert cached.status_code == 303
        assert httpx.get(cached.headers["Location"]).content.startswith(b"%PDF-")
    assert post(stack, body, JSON).json()["cached"] is True


def test_what_curl_sends_by_default_is_read_as_json(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """The README's `curl -L -H 'Prefer: wait=20' -H 'Accept: application/pdf' --data @resume.json`:
    curl sends form content type, and follows the 303 to the PDF."""
    body = json.dumps(fresh_resume(sample_resume)).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Prefer": "wait=20",
        "Accept": "application/pdf",
    }
    response = submit_and_render(stack, worker, body, headers)
    assert response.status_code == 303, response.text


def test_a_job_not_ready_in_time_answers_the_usual_202(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    body = json.dumps(fresh_resume(sample_resume)).encode()
    response = post(stack, body, {**JSON, "Prefer": "wait=1", "Accept": "application/pdf"})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    status_url = response.json()["status_url"]
    for _ in range(50):  # finish it, so no other test renders it by surprise
        if httpx.get(f"{stack.url}{status_url}").json()["status"] == "succeeded":
            break
        worker.poll_once(wait_seconds=1)
    assert httpx.get(f"{stack.url}{status_url}").json()["status"] == "succeeded"


def test_waiting_requests_hold_no_thread(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    """More waiting submits than the server has threads (40): it still answers others meanwhile. A
    wait that slept in a thread (or blocked the event loop) would leave /health queued behind them
    until some of them gave up, 10 s later."""
    body = json.dumps(fresh_resume(sample_resume)).encode()
    headers = {**JSON, "Prefer": "wait=10"}
    with concurrent.futures.ThreadPoolExecutor(48) as pool:
        waiting = [pool.submit(post, stack, body, headers) for _ in range(45)]
        health = httpx.get(f"{stack.url}/health", timeout=60)
        still_waiting = sum(not future.done() for future in waiting)
        answers = [future.result(timeout=60) for future in waiting]
    assert health.status_code == 200
    assert still_waiting == len(waiting)  # answered while every wait was still going on
    assert {answer.status_code for answer in answers} == {202}


YAML_CASES: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "block style": lambda envelope: yaml.safe_dump(envelope, allow_unicode=True).encode(),
    "flow style (JSON)": lambda envelope: json.dumps(envelope).encode(),
}


@pytest.mark.parametrize("name", YAML_CASES)
def test_yaml_bodies_are_read_like_json(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any], name: str
) -> None:
    body = YAML_CASES[name](fresh_resume(sample_resume))
    for content_type in ("application/yaml", "application/x-yaml", "text/yaml; charset=utf-8"):
        checked = httpx.post(f"{stack.url}/v1/validate", content=body, headers={"Content-Type": content_type})
        assert checked.status_code == 200, checked.text
    response = submit_and_render(
        stack, worker, body, {"Content-Type": "application/yaml", "Prefer": "wait=20"}
    )
    assert response.status_code == 200, response.text


def test_yaml_errors_are_the_json_errors(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    envelope = fresh_resume(sample_resume)
    del envelope["data"]["personalInfo"]["email"]
    for body, content_type in (
        (yaml.safe_dump(envelope).encode(), "application/yaml"),
        (json.dumps(envelope).encode(), "application/json"),
    ):
        response = post(stack, body, {"Content-Type": content_type})
        assert response.status_code == 422
        assert [d["path"] for d in response.json()["error"]["details"]] == ["data.personalInfo.email"]


def test_what_was_not_placed_is_reported_in_every_answer(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """Unknown fields are accepted and named: in /v1/validate, the 202, the 200 after a wait and a hit."""
    envelope = fresh_resume(sample_resume)
    envelope["data"]["experience"][0]["teamSize"] = 5
    body = json.dumps(envelope).encode()
    expected = ["data.experience[0].teamSize"]

    def paths(response: httpx.Response) -> list[str]:
        return [w["path"] for w in response.json()["warnings"]]

    checked = httpx.post(f"{stack.url}/v1/validate", content=body, headers=JSON)
    assert paths(checked) == expected
    assert paths(submit_and_render(stack, worker, body, {**JSON, "Prefer": "wait=20"})) == expected
    assert paths(post(stack, body, JSON)) == expected  # the cache hit
    strict = json.loads(body) | {"options": {"strict": True}}
    refused = post(stack, json.dumps(strict).encode(), JSON)
    assert refused.status_code == 422
    assert [d["path"] for d in refused.json()["error"]["details"]] == expected


def test_an_endless_upload_is_refused_without_being_held(stack: DevStack) -> None:
    """A 300 MB chunked body with no declared length: 413, and the server (uvicorn in this process)
    never holds it: its peak memory grows by far less than the body. Reading it whole first grew the
    API process by 610 MB."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def upload() -> Iterator[bytes]:
        for _ in range(300 * 16):
            yield b" " * (64 * 1024)

    try:
        response = httpx.post(f"{stack.url}/v1/documents", content=upload(), headers=JSON, timeout=120)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"
    except httpx.TransportError:
        pass  # the server answered and closed while the client was still writing: also a refusal
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak_before
    assert grown < 100 * 1024 * 1024, f"peak memory grew by {grown:,} bytes"
