"""Wrong values in JSON Resume input and hostile addresses, through the CLI and the API: always a 422 /
exit 2 naming the user's own path, never a traceback or a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from docpipe import validation
from docpipe.api import create_app, status_router, submit_router

BASICS = {"name": "Ada", "email": "ada@example.com"}

CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "work-highlights-number": (
        {"basics": BASICS, "work": [{"highlights": 5}]},
        ["data.work[0].position: is required", "data.work[0].highlights: must be a list"],
    ),
    "volunteer-highlights-number": (
        {"basics": BASICS, "volunteer": [{"organization": "School", "highlights": 7}]},
        ["data.volunteer[0].highlights: must be a list"],
    ),
    "highlights-string": (
        {"basics": BASICS, "work": [{"position": "x", "highlights": "abc"}]},
        ["data.work[0].highlights: must be a list"],
    ),
}


class _ValidatingPipeline:
    """Submit's first step, validation, and nothing after it: these documents never get further."""

    def submit(self, raw: bytes, tenant: str, idempotency_key: str | None, *, yaml_ok: bool) -> Any:
        validation.check_request(validation.parse_bytes(raw, yaml_ok=yaml_ok))
        raise AssertionError("an invalid document was accepted")


@pytest.fixture(scope="module")
def api() -> Any:
    pipeline: Any = _ValidatingPipeline()
    app = create_app(submit_router(), status_router(), pipeline_factory=lambda: pipeline, local_tenant="t")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("case", list(CASES))
def test_cli_validate_exits_2_naming_the_json_resume_path(
    run: Any, tmp_path: Path, case: str, suffix: str
) -> None:
    document, expected = CASES[case]
    text = json.dumps(document) if suffix == ".json" else yaml.safe_dump(document)
    (tmp_path / f"cv{suffix}").write_text(text)
    done = run("validate", f"cv{suffix}", cwd=tmp_path)
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr
    assert done.returncode == 2, stderr
    assert stderr.splitlines() == expected


@pytest.mark.parametrize("route", ["/v1/validate", "/v1/documents"])
@pytest.mark.parametrize("case", list(CASES))
def test_api_answers_422_naming_the_json_resume_path(api: TestClient, route: str, case: str) -> None:
    document, expected = CASES[case]
    response = api.post(route, json={"document_type": "resume", "data": document})
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [f"{d['path']}: {d['message']}" for d in details] == expected


@pytest.mark.parametrize("email", ["a?bcc=x@evil.com", "a%0ABcc:x@evil.com"])
def test_hostile_email_addresses_are_refused_with_422_at_their_path(api: TestClient, email: str) -> None:
    envelope = {"document_type": "resume", "data": {"personalInfo": {"name": "Ada", "email": email}}}
    response = api.post("/v1/validate", json=envelope)
    assert response.status_code == 422, response.text
    assert [d["path"] for d in response.json()["error"]["details"]] == ["data.personalInfo.email"]
    basics = {"name": "Ada", "email": email}
    jsonresume = api.post("/v1/validate", json={"document_type": "resume", "data": {"basics": basics}})
    assert jsonresume.status_code == 422, jsonresume.text
    assert [d["path"] for d in jsonresume.json()["error"]["details"]] == ["data.basics.email"]
