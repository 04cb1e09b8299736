"""POST /v1/analyze through the real app over the local stack (moto, Redis, the render handler with real
TeX): the analysis is a job like any other, answered inline once it is done; and fit: shrink through
the whole pipeline, its fit in the job's result and in the cache hit's answer."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from fastapi.testclient import TestClient

from docpipe_local.render_worker import RenderWorker
from loadtest.bench_fit import longer_resume

NO_WAIT = {"Prefer": "wait=0"}


def document(bullets: int = 0, **options: Any) -> dict[str, Any]:
    """The sample résumé, ``bullets`` longer, under a name no other test renders (the cache keys on it)."""
    made = longer_resume(bullets)
    made["data"]["personalInfo"]["name"] = f"Layout Person {uuid.uuid4().hex[:8]}"
    return made | ({"options": options} if options else {})


def drain(worker: RenderWorker) -> None:
    while worker.poll_once():
        pass


def rendered(tenant: TestClient, worker: RenderWorker, body: dict[str, Any]) -> dict[str, Any]:
    """The job of ``body`` submitted to /v1/documents, once the worker has rendered it."""
    queued = tenant.post("/v1/documents", json=body)
    drain(worker)
    job: dict[str, Any] = tenant.get(f"/v1/jobs/{queued.json()['job_id']}").json()
    return job


def test_an_analysis_is_answered_inline_once_rendered(tenant: TestClient, worker: RenderWorker) -> None:
    body = document(bullets=4)
    queued = tenant.post("/v1/analyze", json=body, headers=NO_WAIT)
    assert queued.status_code == 202, queued.text
    drain(worker)
    job = tenant.get(f"/v1/jobs/{queued.json()['job_id']}").json()
    assert job["status"] == "succeeded"
    assert job["format"] == "analysis"
    answer = tenant.post("/v1/analyze", json=body)  # the same input: the cache has it
    assert answer.status_code == 200, answer.text
    analysis = answer.json()["analysis"]
    assert analysis["pages"] == 2
    assert analysis["maxPages"] == 1
    assert analysis["fits"] is False
    assert 0 < analysis["lastPageFill"] < 1
    shrink = analysis["shrink"]
    assert shrink["fits"] is True
    assert shrink["pages"] == 1
    assert shrink["texRuns"] <= 4
    assert min(shrink["changes"].values()) < 1


def test_the_analysis_waits_for_its_job_by_default(tenant: TestClient, worker: RenderWorker) -> None:
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(tenant.post("/v1/analyze", json=document())))
    asking.start()
    while asking.is_alive():  # the render worker of this test: the stack here runs none
        worker.poll_once()
        asking.join(timeout=0.05)
    [answer] = answers
    assert answer.status_code == 200, answer.text
    analysis = answer.json()["analysis"]
    assert analysis["pages"] == 1
    assert analysis["fits"] is True
    assert analysis["shrink"] is None


def test_a_document_that_cannot_fit_is_reported_not_failed(tenant: TestClient, worker: RenderWorker) -> None:
    body = document(bullets=60, layout={"maxPages": 1, "fit": "shrink"})
    queued = tenant.post("/v1/analyze", json=body, headers=NO_WAIT)
    drain(worker)
    answer = tenant.post("/v1/analyze", json=body)
    assert answer.status_code == 200, queued.text
    shrink = answer.json()["analysis"]["shrink"]
    assert shrink["fits"] is False
    assert shrink["overflowPages"] > 0
    assert shrink["overflowLines"] > 0


def test_shrink_through_the_pipeline_keeps_its_fit_in_the_job_and_the_cache(
    tenant: TestClient, worker: RenderWorker
) -> None:
    body = document(bullets=4, layout={"maxPages": 1, "fit": "shrink"})
    job = rendered(tenant, worker, body)
    assert job["status"] == "succeeded"
    assert job["pages"] == 1
    layout = job["layout"]
    assert layout["maxPages"] == 1
    assert layout["squeeze"] > 0
    assert layout["texRuns"] <= 4
    hit = tenant.post("/v1/documents", json=copy.deepcopy(body))
    assert hit.status_code == 200
    assert hit.json()["cached"] is True
    assert hit.json()["layout"] == layout  # no second search: the cache answers with the first


def test_a_document_too_long_to_fit_fails_its_job_with_the_overflow(
    tenant: TestClient, worker: RenderWorker
) -> None:
    body = document(bullets=60, layout={"maxPages": 1, "fit": "shrink"})
    job = rendered(tenant, worker, body)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "does_not_fit"
    assert "runs over by" in job["error"]["message"]
    waited = tenant.post("/v1/analyze", json=body | {"format": "pdf"}, headers=NO_WAIT)
    assert waited.status_code in (200, 202)  # the analysis of the same input is its own job
