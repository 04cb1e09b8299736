"""CORS on the app's own answers, when origins are configured (``DOCPIPE_CORS_ORIGINS``).

In AWS, API Gateway answers preflights and its own errors (tests/infra); everything a function answers
must carry the headers itself, errors included, or the browser hides the answer from the client.
The handlers are driven as Lambda runs them (an API Gateway event through Mangum); the error paths
that need a failing pipeline use the app directly.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from docpipe.api import create_app, status_router, submit_router
from docpipe.errors import DependencyUnavailable
from docpipe.settings import get_settings
from docpipe_local.render_worker import LambdaContext
from docpipe_local.stack import DevStack

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = "https://app.example"
SECOND = "https://admin.example"
STRANGER = "https://evil.example"
CONTEXT = LambdaContext(aws_request_id="req-cors")


def load(name: str) -> ModuleType:
    """A fresh copy of functions/<name>/handler.py: it builds its app from the settings at import."""
    spec = importlib.util.spec_from_file_location(
        f"cors_handler_{name}", ROOT / "functions" / name / "handler.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(name: str, origin: str | None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    if origin is not None:
        data["headers"]["Origin"] = origin
        data["multiValueHeaders"]["Origin"] = [origin]
    return data


def headers_of(response: dict[str, Any]) -> dict[str, str]:
    """Mangum splits headers into single- and multi-valued; a browser sees them joined."""
    merged = {key.lower(): value for key, value in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        merged[key.lower()] = ", ".join(values)
    return merged


def exposed(headers: dict[str, str]) -> set[str]:
    return {name.strip().lower() for name in headers["access-control-expose-headers"].split(",")}


def handlers(monkeypatch: pytest.MonkeyPatch, origins: list[str] | None) -> Iterator[dict[str, ModuleType]]:
    if origins is None:
        monkeypatch.delenv("DOCPIPE_CORS_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("DOCPIPE_CORS_ORIGINS", json.dumps(origins))
    get_settings.cache_clear()
    try:
        yield {name: load(name) for name in ("submit", "status")}
    finally:
        get_settings.cache_clear()  # the next test reads the environment monkeypatch restores


@pytest.fixture
def with_origins(stack: DevStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    yield from handlers(monkeypatch, [ALLOWED, SECOND])


@pytest.fixture
def without_origins(stack: DevStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    yield from handlers(monkeypatch, None)


def new_document(submit: dict[str, Any]) -> dict[str, Any]:
    """The fixture submit with a name no other test used: queued (202), never a cache hit (200)."""
    envelope = json.loads(submit["body"])
    envelope["data"]["personalInfo"]["name"] += f" {uuid.uuid4().hex[:8]}"
    submit["body"] = json.dumps(envelope)
    return submit


def unknown_job(origin: str | None) -> dict[str, Any]:
    query = event("status", origin)
    query["path"] = query["resource"].replace("{job_id}", "f" * 32)
    query["requestContext"]["path"] = f"/{query['requestContext']['stage']}{query['path']}"
    query["pathParameters"] = {"job_id": "f" * 32}
    return query


# --- through the handlers, as Lambda runs them --------------------------------------------------------


@pytest.mark.parametrize("origin", [ALLOWED, SECOND])
def test_allowed_origin_on_200_202_and_404(with_origins: dict[str, ModuleType], origin: str) -> None:
    submit, status = with_origins["submit"], with_origins["status"]
    health = status.handler(event("health", origin), CONTEXT)
    queued = submit.handler(new_document(event("submit", origin)), CONTEXT)
    missing = status.handler(unknown_job(origin), CONTEXT)
    assert [health["statusCode"], queued["statusCode"], missing["statusCode"]] == [200, 202, 404]
    for response in (health, queued, missing):
        headers = headers_of(response)
        assert headers["access-control-allow-origin"] == origin  # one origin, never a list or "*"
        assert "origin" in headers["vary"].lower()
        assert "access-control-allow-credentials" not in headers  # API keys, not cookies
    headers = headers_of(queued)
    assert headers["location"].startswith("/api/v1/jobs/")
    assert {"location", "retry-after"} <= exposed(headers)


def test_rejected_body_keeps_cors_headers(with_origins: dict[str, ModuleType]) -> None:
    submit = with_origins["submit"]
    wrong_type = event("submit", ALLOWED)
    wrong_type["headers"]["Content-Type"] = "text/plain"
    wrong_type["multiValueHeaders"]["Content-Type"] = ["text/plain"]
    invalid = event("submit", ALLOWED)
    invalid["body"] = json.dumps({"document_type": "resume", "template": "classic", "data": {}})
    for request, status_code in ((wrong_type, 415), (invalid, 422)):
        response = submit.handler(request, CONTEXT)
        assert response["statusCode"] == status_code
        assert headers_of(response)["access-control-allow-origin"] == ALLOWED


def test_other_origins_get_no_allow_origin(with_origins: dict[str, ModuleType]) -> None:
    for request in (event("health", STRANGER), unknown_job(STRANGER)):
        headers = headers_of(with_origins["status"].handler(request, CONTEXT))
        assert "access-control-allow-origin" not in headers
        # The answer depends on the Origin, so a cache must not hand it to an allowed origin.
        assert "origin" in headers["vary"].lower()


def test_no_origins_configured_means_no_cors(without_origins: dict[str, ModuleType]) -> None:
    status = without_origins["status"]
    for request in (event("health", ALLOWED), unknown_job(ALLOWED), event("health", None)):
        headers = headers_of(status.handler(request, CONTEXT))
        assert not [name for name in headers if name.startswith("access-control-")]
        assert "vary" not in headers


# --- the app itself: error paths that need a failing pipeline, and preflights -------------------------


class _FailingPipeline:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def status(self, job_id: str, tenant: str) -> dict[str, Any]:
        raise self.error


def app_client(error: Exception) -> TestClient:
    pipeline: Any = _FailingPipeline(error)
    app = create_app(
        submit_router(),
        status_router(),
        pipeline_factory=lambda: pipeline,
        local_tenant="t",
        cors_origins=[ALLOWED],
    )
    return TestClient(app, raise_server_exceptions=False)


def test_unexpected_500_keeps_cors_headers() -> None:
    # Starlette answers unhandled exceptions outside the usual middleware: this is the case that
    # needs CORS to wrap the whole app.
    with app_client(RuntimeError("boom")) as client:
        response = client.get(f"/v1/jobs/{'a' * 32}", headers={"Origin": ALLOWED})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["access-control-allow-origin"] == ALLOWED


def test_503_exposes_retry_after() -> None:
    with app_client(DependencyUnavailable("the jobs table", retry_after=7)) as client:
        response = client.get(f"/v1/jobs/{'a' * 32}", headers={"Origin": ALLOWED})
    assert response.status_code == 503
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["retry-after"] == "7"
    assert "retry-after" in exposed(dict(response.headers))


def test_local_preflight_matches_the_gateway() -> None:
    """In AWS API Gateway answers preflights; locally the app does, with the same rules."""
    with app_client(RuntimeError("unused")) as client:
        response = client.options(
            "/v1/documents",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-api-key, idempotency-key",
            },
        )
        refused = client.options(
            "/v1/documents", headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"}
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key", "idempotency-key"} <= allowed
    assert refused.status_code == 400
