"""What the routes take and answer, for the OpenAPI schema only.

An answer names its body by reference (:func:`json_answer`); the models behind the references
(:mod:`.bodies`) are loaded and added to the schema only when it is built, not when a route is declared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from docpipe.envelope import DocumentRequest
from docpipe.limits import MAX_PDF_BYTES
from docpipe.usecases.check import MAX_CHECK_BODY_BYTES

_SAMPLES = Path(__file__).resolve().parents[1] / "samples"
_REF_TEMPLATE = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF_TEMPLATE.format(model=name)}


def json_answer(description: str, *bodies: str, **extra: Any) -> dict[str, Any]:
    """An answer whose JSON body is one of ``bodies`` (names of :mod:`.bodies` models)."""
    refs = [_ref(body) for body in bodies]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


_ERRORS = {
    404: "unknown job, template or document type",
    409: "Idempotency-Key already used with another request",
    413: "request body over 256 KiB",
    415: "not sent as application/json or application/yaml",
    422: "invalid request: every problem, with its path (the body is this error, never FastAPI's own)",
    429: "this API key already has its share of the render backlog on its way: retry after Retry-After seconds",
    503: "a dependency is down or the render backlog is full: retry after Retry-After seconds",
}


def path_parameter(name: str) -> dict[str, Any]:
    """``openapi_extra`` documenting the path parameter ``name``, which the route reads from
    ``request.path_params``: declared as a function parameter, FastAPI would build a validator for it
    at import, and import ``pydantic.v1`` to vet its type (~20 ms of a cold start), for a path segment
    that arrives as the string it is."""
    schema = {"title": name.replace("_", " ").title(), "type": "string"}
    return {"parameters": [{"in": "path", "name": name, "required": True, "schema": schema}]}


def answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, by status code."""
    documented: dict[int | str, dict[str, Any]] = {
        code: json_answer(_ERRORS[code], "ErrorResponse") for code in codes
    }
    for code in {429, 503} & documented.keys():
        documented[code]["headers"] = {
            "Retry-After": {"required": True, "schema": {"type": "integer"}, "description": "seconds"}
        }
    return documented


_ENVELOPE_REF = _ref("DocumentRequest")
_BODY_TYPES = ("application/json", "application/yaml")
REQUEST_BODY = {
    "requestBody": {"required": True, "content": {media: {"schema": _ENVELOPE_REF} for media in _BODY_TYPES}}
}


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


SUBMIT_OPERATION = {
    **REQUEST_BODY,
    "parameters": [
        _header("Idempotency-Key", "a retry with the same key and body answers as the first attempt did"),
        _header(
            "Prefer",
            "wait=N (N <= 25): wait up to N seconds for the document; 200 (or 303) if it is ready by then, "
            "202 otherwise",
        ),
        _header(
            "Accept",
            "the document's own type (application/pdf; for format docx "
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document; for txt text/plain; "
            "for png image/png, or application/zip for every page): a ready document answers 303 See Other "
            "to the document itself",
        ),
    ],
}
JOB_LINKS = {
    # What a client (and a stateful fuzzer) can do with the job_id a submit answers with.
    "GetJob": {"operationId": "get_job", "parameters": {"job_id": "$response.body#/job_id"}},
    "DeleteJob": {"operationId": "delete_job", "parameters": {"job_id": "$response.body#/job_id"}},
}


def _add_examples(schema: dict[str, Any]) -> None:
    """The bundled samples as request examples (for readers of /docs, and tried first by fuzzers)."""
    examples = {
        path.stem: {"value": json.loads(path.read_text())}
        for path in sorted(_SAMPLES.glob("*.json"))
        if path.stem in ("resume", "cover_letter")
    }
    for route in ("/v1/documents", "/v1/validate"):
        operation = schema.get("paths", {}).get(route, {}).get("post", {})
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is not None and examples:
            content["examples"] = examples


def _bodies(paths: dict[str, Any]) -> dict[str, Any]:
    """The schemas of the documented bodies the answers in ``paths`` refer to, and of their parts."""
    from docpipe.api.bodies import NAMES, body_named

    text = json.dumps(paths)
    used = sorted(name for name in NAMES if json.dumps(_ref(name)) in text)
    mode: JsonSchemaMode = "serialization"
    _, schemas = models_json_schema(
        [(body_named(name), mode) for name in used], by_alias=True, ref_template=_REF_TEMPLATE
    )
    found: dict[str, Any] = schemas.get("$defs", {})
    return found


def schema_builder(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: FastAPI's schema, with the request envelope (a discriminated union the routes
    read as raw bytes) and the samples added; built once."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            envelope = TypeAdapter(DocumentRequest).json_schema(by_alias=True, ref_template=_REF_TEMPLATE)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(envelope.pop("$defs", {}))
            components["DocumentRequest"] = envelope
            components.update(_bodies(schema["paths"]))
            _add_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


_LOCATION = {"Location": {"required": True, "schema": {"type": "string"}}}
SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: json_answer(
        "rendered before (a download link from the cache), or finished while waiting",
        "CachedResponse",
        "FinishedResponse",
        links=JOB_LINKS,
    ),
    202: json_answer("queued: poll status_url", "QueuedResponse", headers=_LOCATION, links=JOB_LINKS),
    303: {
        "description": "with Accept naming the document's type, it is ready: Location is its link",
        "headers": _LOCATION,
    },
    **answers(404, 409, 413, 415, 422, 429, 503),
}
ANALYZE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: json_answer(
        "the analysis: pages, the last page's fill, and what fitting would change", "AnalyzeResponse"
    ),
    202: json_answer("still running: poll status_url", "QueuedResponse", headers=_LOCATION),
    **answers(404, 409, 413, 415, 422, 429, 503),
}
_CHECK_FORMS = [
    {
        "title": "JobCheck",
        "type": "object",
        "required": ["jobId"],
        "additionalProperties": False,
        "properties": {"jobId": {"type": "string", "description": "a finished PDF job of this API key"}},
    },
    {
        "title": "SentCheck",
        "type": "object",
        "required": ["pdf", "document"],
        "additionalProperties": False,
        "properties": {
            "pdf": {
                "type": "string",
                "contentEncoding": "base64",
                "description": f"the PDF in base64, at most {MAX_PDF_BYTES:,} bytes decoded",
            },
            "document": _ENVELOPE_REF,
        },
    },
]
CHECK_OPERATION = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": _CHECK_FORMS}}}}
}
CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: json_answer("what a résumé parser recovers: clean, or every problem found", "CheckReport"),
    **answers(404, 415, 422, 503),
    409: json_answer("the job has not finished, or made no PDF", "ErrorResponse"),
    413: json_answer(
        f"body over {MAX_CHECK_BODY_BYTES:,} bytes, or a PDF over {MAX_PDF_BYTES:,} bytes", "ErrorResponse"
    ),
}
