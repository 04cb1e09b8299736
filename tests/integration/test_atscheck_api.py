"""POST /v1/check through the real app over the local stack (moto, Redis, the render handler): a
finished job of the tenant's, or a PDF sent with its request; every refusal as the API's others."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from docpipe.api import create_app, submit_router
from docpipe_local.render_worker import RenderWorker
from docpipe_local.stack import DevStack

JSON = {"Content-Type": "application/json"}


def unique(document: dict[str, Any]) -> dict[str, Any]:
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"Check Person {uuid.uuid4().hex[:8]}"
    return fresh


def submitted(client: TestClient, document: dict[str, Any]) -> str:
    answer = client.post("/v1/documents", json=document)
    assert answer.status_code in (200, 202), answer.text
    job_id: str = answer.json()["job_id"]
    return job_id


def finished(client: TestClient, worker: RenderWorker, document: dict[str, Any]) -> str:
    job_id = submitted(client, document)
    while worker.poll_once():
        pass
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "succeeded"
    return job_id


def check(client: TestClient, body: Any, **headers: str) -> Any:
    return client.post("/v1/check", content=json.dumps(body), headers=JSON | headers)


def test_a_finished_job_is_checked(
    tenant: TestClient, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    job_id = finished(tenant, worker, unique(sample_resume))
    answer = check(tenant, {"jobId": job_id})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert set(report) == {"clean", "pages", "analysedPages", "extractions", "fonts", "contacts", "problems"}
    assert report["extractions"][0]["extractor"] == "pdfminer"
    assert report["extractions"][0]["textFound"] == 1.0
    assert report["pages"] == 1


def test_a_sent_pdf_is_checked_against_its_request(
    tenant: TestClient, worker: RenderWorker, stack: DevStack, sample_resume: dict[str, Any]
) -> None:
    document = unique(sample_resume)
    job = stack.pipeline.stores.jobs.get(finished(tenant, worker, document))
    pdf = stack.pipeline.stores.objects.get_document(job.document_key)
    swapped = copy.deepcopy(document)
    swapped["data"]["experience"].reverse()  # the PDF has them the other way round
    answer = check(tenant, {"pdf": base64.b64encode(pdf).decode(), "document": swapped})
    assert answer.status_code == 200, answer.text
    assert answer.json()["clean"] is False
    assert "order_inverted" in {problem["code"] for problem in answer.json()["problems"]}


def test_another_tenants_job_is_unknown(
    tenant: TestClient, worker: RenderWorker, stack: DevStack, sample_resume: dict[str, Any]
) -> None:
    job_id = finished(tenant, worker, unique(sample_resume))
    other = create_app(submit_router(), pipeline_factory=lambda: stack.pipeline, local_tenant="someone-else")
    with TestClient(other) as stranger:
        for unknown in (job_id, uuid.uuid4().hex, "not-a-job-id"):
            answer = check(stranger, {"jobId": unknown})
            assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found")


def test_a_job_still_on_its_way_is_a_conflict(tenant: TestClient, sample_resume: dict[str, Any]) -> None:
    job_id = submitted(tenant, unique(sample_resume))  # queued: no worker runs here
    answer = check(tenant, {"jobId": job_id})
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "conflict")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"pdf": "%%% not base64 %%%", "document": {}}, "pdf"),
        ({"pdf": base64.b64encode(b"<html>not a pdf</html>").decode(), "document": {}}, "pdf"),
        ({"pdf": 42, "document": {}}, "pdf"),
        ({"jobId": 7}, "jobId"),
        ({"jobId": "x", "pdf": "JVBERi0="}, ""),
        ({"jobid": "x"}, "jobid"),
        ([], ""),
    ],
)
def test_a_malformed_check_is_refused_with_its_path(tenant: TestClient, body: Any, path: str) -> None:
    answer = check(tenant, body)
    assert answer.status_code == 422, answer.text
    assert path in [detail["path"] for detail in answer.json()["error"]["details"]]


def test_the_sent_request_is_validated_as_a_submit_is(
    tenant: TestClient, sample_resume: dict[str, Any]
) -> None:
    document = unique(sample_resume)
    document["data"]["experience"][0]["startDate"] = "someday"
    pdf = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    answer = check(tenant, {"pdf": pdf, "document": document})
    assert answer.status_code == 422, answer.text
    assert "document.data.experience[0].startDate" in [d["path"] for d in answer.json()["error"]["details"]]


def test_an_unreadable_pdf_is_invalid_not_an_error(tenant: TestClient, sample_resume: dict[str, Any]) -> None:
    pdf = base64.b64encode(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n").decode()
    answer = check(tenant, {"pdf": pdf, "document": unique(sample_resume)})
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "unreadable_pdf")


def test_only_json_and_only_so_much_of_it(tenant: TestClient) -> None:
    yaml = tenant.post("/v1/check", content=b"jobId: x\n", headers={"Content-Type": "application/yaml"})
    assert yaml.status_code == 415
    huge = tenant.post("/v1/check", content=b"{" + b" " * (4 * 256 * 1024) + b"}", headers=JSON)
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "too_large")
    pdf = base64.b64encode(b"%PDF-1.4\n" + b" " * (256 * 1024)).decode()  # a body under its limit
    large = check(tenant, {"pdf": pdf, "document": {}})
    assert large.status_code == 413
    assert [detail["path"] for detail in large.json()["error"]["details"]] == ["pdf"]


def test_the_route_is_documented(tenant: TestClient) -> None:
    operation = tenant.get("/openapi.json").json()["paths"]["/v1/check"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CheckReport"
    }
    assert {"404", "409", "413", "415", "422", "503"} <= set(operation["responses"])
