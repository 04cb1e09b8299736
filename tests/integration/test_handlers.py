"""Each Lambda handler driven in-process with the events/ fixtures (the ones `sam local invoke` uses)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from docpipe_local.render_worker import LambdaContext
from docpipe_local.stack import DevStack

ROOT = Path(__file__).resolve().parents[2]
API_EVENTS = ("submit", "status", "health")


def load_file(module_name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(name: str) -> ModuleType:
    return load_file(f"handler_{name}", ROOT / "functions" / name / "handler.py")


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    return loaded


# The stage the CDK app deploys (infra/ is not an installed package; its constants need no CDK).
STAGE: str = load_file("docpipe_infra_constants", ROOT / "infra" / "docpipe_infra" / "constants.py").API_STAGE


@pytest.mark.parametrize("name", API_EVENTS)
def test_fixture_events_use_the_deployed_stage(name: str) -> None:
    context = event(name)["requestContext"]
    assert context["stage"] == STAGE
    # API Gateway gives the function the path without the stage; the client saw it with the stage.
    assert context["path"] == f"/{STAGE}{event(name)['path']}"


def test_submit_status_render_handlers_with_fixture_events(stack: DevStack) -> None:
    submit, status, render = load("submit"), load("status"), load("render")
    context = LambdaContext(aws_request_id="req-1")

    response = submit.handler(event("submit"), context)
    assert response["statusCode"] == 202, response
    job_id = json.loads(response["body"])["job_id"]
    # The stage is in the path the client sees: the status link must keep it.
    assert json.loads(response["body"])["status_url"] == f"/{STAGE}/v1/jobs/{job_id}"
    assert response["headers"]["location"] == f"/{STAGE}/v1/jobs/{job_id}"

    query = event("status")
    query["path"] = f"/v1/jobs/{job_id}"
    query["pathParameters"] = {"job_id": job_id}
    assert json.loads(status.handler(query, context)["body"])["status"] == "queued"

    records = event("render")
    records["Records"][0]["body"] = json.dumps({"job_id": job_id, "tenant": "example-key-id"})
    assert render.handler(records, context) == {"batchItemFailures": []}
    body = json.loads(status.handler(query, context)["body"])
    assert body["status"] == "succeeded"
    assert body["download_url"].startswith(stack.environment["DOCPIPE_AWS_ENDPOINT_URL"])

    # The job belongs to the API key that submitted it: another key sees nothing.
    other = json.loads(json.dumps(query))
    other["requestContext"]["identity"]["apiKeyId"] = "someone-else"
    assert status.handler(other, context)["statusCode"] == 404


def test_health_fixture(stack: DevStack) -> None:
    response = load("status").handler(event("health"), LambdaContext(aws_request_id="req-2"))
    assert response["statusCode"] == 200
