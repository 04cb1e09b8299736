"""Whose request is it: API Gateway's key id in Lambda, the x-api-key locally; never a shared default.

A Lambda event without an API key id (a stage deployed without key checks, a hand-made test event) is
refused, not filed under the local stack's tenant; locally each x-api-key is a tenant of its own, and
requests without one are the stack's `local` tenant, as `docpipe dev` says when it starts.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from docpipe.api import create_app, status_router, submit_router
from docpipe_local.render_worker import LambdaContext
from docpipe_local.stack import DevStack

ROOT = Path(__file__).resolve().parents[2]
JSON = {"Content-Type": "application/json"}


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tenancy_{name}", ROOT / "functions" / name / "handler.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixture_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    return loaded


def new_document(sample: dict[str, Any]) -> bytes:
    envelope = json.loads(json.dumps(sample))
    envelope["data"]["personalInfo"]["name"] = f"Tenant Test {uuid.uuid4().hex[:8]}"
    return json.dumps(envelope).encode()


@pytest.mark.parametrize("identity", [{}, {"apiKeyId": None}, {"apiKeyId": ""}, {"apiKeyId": "bad/key id"}])
def test_a_lambda_event_without_an_api_key_id_is_refused(stack: DevStack, identity: dict[str, Any]) -> None:
    submit, status = load("submit"), load("status")
    context = LambdaContext(aws_request_id="req-tenancy")
    for handler, event in (
        (submit.handler, fixture_event("submit")),
        (status.handler, fixture_event("status")),
    ):
        event["requestContext"]["identity"] = identity
        response = handler(event, context)
        assert response["statusCode"] == 403, response
        assert json.loads(response["body"])["error"]["code"] == "forbidden"


def test_an_app_without_a_local_tenant_refuses_requests_without_a_key(sample_resume: dict[str, Any]) -> None:
    unused: Any = object()  # refused before any use case runs
    app = create_app(submit_router(), status_router(), pipeline_factory=lambda: unused)
    with TestClient(app) as client:
        response = client.post("/v1/documents", content=new_document(sample_resume), headers=JSON)
        assert response.status_code == 403
        assert "x-api-key" in response.json()["error"]["message"]
        assert client.get("/health").status_code == 200  # no tenant needed


def test_each_local_api_key_is_a_tenant_of_its_own(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    body = new_document(sample_resume)
    alice, bob = {"x-api-key": "alice-key"}, {"x-api-key": "bob-key"}
    queued = httpx.post(f"{stack.url}/v1/documents", content=body, headers=JSON | alice)
    assert queued.status_code == 202, queued.text
    job = queued.json()["status_url"]
    assert httpx.get(f"{stack.url}{job}", headers=alice).status_code == 200
    for stranger in (bob, {}):  # another key, and the keyless `local` tenant
        assert httpx.get(f"{stack.url}{job}", headers=stranger).status_code == 404
        assert httpx.delete(f"{stack.url}{job}", headers=stranger).status_code in (204, 404)
    assert httpx.get(f"{stack.url}{job}", headers=alice).status_code == 200  # untouched by strangers
    # The same document from another tenant is another job, never the first tenant's.
    again = httpx.post(f"{stack.url}/v1/documents", content=body, headers=JSON | bob)
    assert again.json()["job_id"] != queued.json()["job_id"]


def test_erasing_again_answers_as_the_first_time(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    """DELETE is idempotent for the job's owner (204 again, as the README says); an id that never
    existed, or another tenant's erased job, stays a 404."""
    owner, stranger = {"x-api-key": "eraser"}, {"x-api-key": "onlooker"}
    queued = httpx.post(
        f"{stack.url}/v1/documents", content=new_document(sample_resume), headers=JSON | owner
    )
    job = queued.json()["status_url"]
    assert httpx.delete(f"{stack.url}{job}", headers=owner).status_code == 204
    assert httpx.delete(f"{stack.url}{job}", headers=owner).status_code == 204
    assert httpx.get(f"{stack.url}{job}", headers=owner).status_code == 404
    assert httpx.delete(f"{stack.url}{job}", headers=stranger).status_code == 404
    assert httpx.delete(f"{stack.url}/v1/jobs/{uuid.uuid4().hex}", headers=owner).status_code == 404
