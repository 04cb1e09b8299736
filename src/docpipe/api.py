"""The HTTP API: FastAPI routers defined once, served by Mangum in Lambda and by uvicorn locally.

Domain errors become HTTP answers here, in one place:
``{"error": {"code", "message", "details": [{"path", "message"}], "request_id"}}``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from docpipe import catalog, validation
from docpipe.errors import (
    Conflict,
    DependencyUnavailable,
    DocpipeError,
    DocumentTooLarge,
    ErrorDetail,
    InvalidDocument,
    NotFound,
    UnknownTemplate,
)
from docpipe.observability import logger
from docpipe.pipeline import Pipeline, default_pipeline
from docpipe.schema import DOCUMENT_TYPES, REQUEST_MODELS, DocumentRequest

_JSON_TYPES = re.compile(r"^application/(json|[\w.+-]+\+json)\s*(;.*)?$", re.IGNORECASE)
_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATUS_CODES: dict[type[DocpipeError], int] = {
    DocumentTooLarge: 413,
    UnknownTemplate: 404,
    InvalidDocument: 422,
    NotFound: 404,
    Conflict: 409,
    DependencyUnavailable: 503,
}

# CORS, when origins are configured. Preflights: in AWS API Gateway answers them (infra/docpipe_infra/
# api.py) with the same methods and headers; locally this app does. Answers: the app adds the headers
# to every answer it gives, errors included. Exposed: what a browser client must read besides the body
# (Location of a queued job, Retry-After of a 503, Allow of a 405) and the id API Gateway puts on
# every answer, to quote when reporting a problem.
_CORS_ALLOW_METHODS = ("GET", "POST", "DELETE")
_CORS_ALLOW_HEADERS = ("Content-Type", "X-Api-Key", "Idempotency-Key")
_CORS_EXPOSE_HEADERS = ("Location", "Retry-After", "Allow", "x-amzn-RequestId")
_CORS_MAX_AGE_SECONDS = 3600

PipelineFactory = Callable[[], Pipeline]


def request_id(request: Request) -> str:
    context = request.scope.get("aws.context")
    if context is not None and getattr(context, "aws_request_id", None):
        return str(context.aws_request_id)
    return request.headers.get("x-request-id") or uuid.uuid4().hex


def tenant_of(request: Request) -> str:
    """The API key id in AWS (API Gateway sets it); the configured local tenant otherwise."""
    event = request.scope.get("aws.event") or {}
    key_id = ((event.get("requestContext") or {}).get("identity") or {}).get("apiKeyId")
    if key_id and _TENANT.match(key_id):
        return str(key_id)
    return str(request.app.state.local_tenant)


def public_prefix(request: Request) -> str:
    """The path prefix clients reach the API under: the stage (``/api``) on API Gateway's default URL,
    where the stage is part of the path the client sees but not of the path the function is given."""
    event = request.scope.get("aws.event") or {}
    seen = str((event.get("requestContext") or {}).get("path") or "")
    given = str(event.get("path") or "")
    return seen[: -len(given)] if given and seen.endswith(given) else ""


def error_response(
    request: Request, status: int, code: str, message: str, details: list[ErrorDetail] | None = None
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": [{"path": d.path, "message": d.message} for d in details or []],
            "request_id": request_id(request),
        }
    }
    return JSONResponse(body, status_code=status)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DocpipeError)
    status = next((code for kind, code in _STATUS_CODES.items() if isinstance(exc, kind)), 500)
    response = error_response(request, status, exc.code, exc.message, exc.details)
    if isinstance(exc, DependencyUnavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
        logger.warning("dependency unavailable", extra={"error_code": exc.code})
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = error_response(request, exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        # RFC 9110: Allow lists every method of the resource; Starlette names only the first route's.
        path = request.scope.get("path", "")
        methods = {
            method
            for route in request.app.routes
            if isinstance(route, APIRoute) and route.path_regex.match(path)
            for method in route.methods or ()
        }
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


async def _request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [ErrorDetail(".".join(str(p) for p in e["loc"]), str(e["msg"])) for e in exc.errors()]
    return error_response(request, 422, "invalid_request", "the request is not valid", details)


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", extra={"error": type(exc).__name__})
    return error_response(request, 500, "internal_error", "something went wrong on our side")


async def _pipeline(request: Request) -> Pipeline:
    # async although it does no I/O: a sync dependency costs a thread-pool handoff per request.
    factory: PipelineFactory = request.app.state.pipeline_factory
    return factory()


async def _json_body(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not _JSON_TYPES.match(content_type):
        raise _UnsupportedMedia(content_type)
    return await request.body()


class _UnsupportedMedia(DocpipeError):
    code = "unsupported_media_type"

    def __init__(self, content_type: str) -> None:
        super().__init__(f"send the document as application/json (got {content_type or 'no content type'!r})")


_STATUS_CODES[_UnsupportedMedia] = 415
# --- what the routes answer, for the OpenAPI schema only (``response_model=None``: the answers are
# built by the pipeline and sent as they are, never filtered or re-serialised through these) ---------


class ErrorDetailBody(BaseModel):
    path: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetailBody]
    request_id: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class QueuedResponse(BaseModel):
    job_id: str
    status: Literal["queued", "rendering"]
    status_url: str


class CachedResponse(BaseModel):
    job_id: str
    status: Literal["succeeded"]
    cached: bool
    download_url: str
    download_expires_at: str


class JobErrorBody(BaseModel):
    code: str
    message: str


class JobResponse(BaseModel):
    job_id: str
    status: Literal["queued", "rendering", "succeeded", "failed"]
    document_type: str
    template: str
    format: str
    created_at: str
    updated_at: str
    download_url: str | None = None
    download_expires_at: str | None = None
    pages: int | None = None
    bytes: int | None = None
    error: JobErrorBody | None = None


class TemplatesResponse(BaseModel):
    templates: dict[str, list[str]]


class ValidResponse(BaseModel):
    valid: bool
    document_type: str
    template: str


_ERRORS = {
    404: "unknown job, template or document type",
    409: "Idempotency-Key already used with another request",
    413: "request body over 256 KiB",
    415: "not sent as application/json",
    422: "invalid request: every problem, with its path (the body is this error, never FastAPI's own)",
    503: "a dependency is down or the render backlog is full: retry after Retry-After seconds",
}


def _answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse, "description": _ERRORS[code]} for code in codes
    }
    if 503 in answers:
        answers[503]["headers"] = {
            "Retry-After": {"required": True, "schema": {"type": "integer"}, "description": "seconds"}
        }
    return answers


PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
JsonBody = Annotated[bytes, Depends(_json_body)]
_ENVELOPE_REF = {"$ref": "#/components/schemas/DocumentRequest"}
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": _ENVELOPE_REF}}}}
# What a client (and a stateful fuzzer) can do with the job_id a submit answers with.
_JOB_LINKS = {
    "GetJob": {"operationId": "get_job", "parameters": {"job_id": "$response.body#/job_id"}},
    "DeleteJob": {"operationId": "delete_job", "parameters": {"job_id": "$response.body#/job_id"}},
}
_SAMPLES = Path(__file__).parent / "samples"


def submit_router() -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/documents",
        operation_id="submit_document",
        status_code=202,
        openapi_extra=_BODY,
        tags=["documents"],
        response_model=None,
        responses={
            200: {
                "model": CachedResponse,
                "description": "rendered before: a download link from the cache",
                "links": _JOB_LINKS,
            },
            202: {
                "model": QueuedResponse,
                "description": "queued: poll status_url",
                "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                "links": _JOB_LINKS,
            },
            **_answers(404, 409, 413, 415, 422, 503),
        },
    )
    def submit_document(request: Request, pipeline: PipelineDep, body: JsonBody) -> Response:
        """Submit a document: 200 with a download link from cache, or 202 with a job to poll."""
        answer = pipeline.submit(body, tenant_of(request), request.headers.get("idempotency-key"))
        if answer.location is None:
            return JSONResponse(answer.body, status_code=answer.status)
        location = public_prefix(request) + answer.location
        content = answer.body | {"status_url": location}
        return JSONResponse(content, status_code=answer.status, headers={"Location": location})

    return router


def status_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/v1/jobs/{job_id}",
        operation_id="get_job",
        tags=["jobs"],
        response_model=None,
        responses={200: {"model": JobResponse, "description": "the job"}, **_answers(404, 422, 503)},
    )
    def get_job(job_id: str, request: Request, pipeline: PipelineDep) -> dict[str, Any]:
        """A job's status, with a presigned download link once it has succeeded."""
        return pipeline.status(job_id, tenant_of(request))

    @router.delete(
        "/v1/jobs/{job_id}",
        operation_id="delete_job",
        status_code=204,
        tags=["jobs"],
        responses=_answers(404, 422, 503),
    )
    def delete_job(job_id: str, request: Request, pipeline: PipelineDep) -> Response:
        """Erase the job, its request, its document and its cache entry now."""
        pipeline.delete(job_id, tenant_of(request))
        return Response(status_code=204)

    @router.get(
        "/v1/templates",
        tags=["reference"],
        response_model=None,
        responses={200: {"model": TemplatesResponse, "description": "templates by document type"}},
    )
    def list_templates() -> dict[str, Any]:
        return {"templates": {t: list(catalog.template_names(t)) for t in DOCUMENT_TYPES}}

    @router.get("/v1/schema/{document_type}", tags=["reference"], responses=_answers(404, 422))
    def get_schema(document_type: str) -> dict[str, Any]:
        if document_type not in REQUEST_MODELS:
            raise NotFound(
                f"unknown document type {document_type!r}; choose one of {', '.join(DOCUMENT_TYPES)}"
            )
        return REQUEST_MODELS[document_type].model_json_schema(by_alias=True)

    @router.post(
        "/v1/validate",
        openapi_extra=_BODY,
        tags=["documents"],
        response_model=None,
        responses={200: {"model": ValidResponse, "description": "valid"}, **_answers(404, 413, 415, 422)},
    )
    def validate_document(body: JsonBody) -> dict[str, Any]:
        """Validate a document without rendering it."""
        request = validation.validate_request(validation.parse_bytes(body))
        return {"valid": True, "document_type": request.document_type, "template": request.template}

    @router.get("/health", tags=["reference"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return router


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


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            envelope = TypeAdapter(DocumentRequest).json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}"
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(envelope.pop("$defs", {}))
            components["DocumentRequest"] = envelope
            _add_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


class _App(FastAPI):
    """FastAPI with CORS outside everything else.

    Starlette runs the ``Exception`` handler (our 500 answer) in its outermost middleware, so a
    CORSMiddleware added the usual way would leave 500s without CORS headers and the browser would hide
    them from the client. Wrapping the whole stack gives every answer the same headers.
    """

    cors_origins: tuple[str, ...] = ()

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        if not self.cors_origins:
            return app
        return CORSMiddleware(
            app,
            allow_origins=self.cors_origins,
            allow_methods=_CORS_ALLOW_METHODS,
            allow_headers=_CORS_ALLOW_HEADERS,
            expose_headers=_CORS_EXPOSE_HEADERS,
            max_age=_CORS_MAX_AGE_SECONDS,
        )


def create_app(
    *routers: APIRouter,
    pipeline_factory: PipelineFactory = default_pipeline,
    local_tenant: str = "local",
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """The app over ``routers``.

    ``cors_origins``: browser origins whose answers carry CORS headers (the handlers and the local
    stack pass ``Settings.cors_origins``); none, no CORS headers at all.
    """
    app = _App(title="docpipe", version="1.0", description="Résumé and cover-letter JSON to PDF.")
    app.cors_origins = tuple(cors_origins)
    app.state.pipeline_factory = pipeline_factory
    app.state.local_tenant = local_tenant
    for router in routers:
        app.include_router(router)
    app.add_exception_handler(DocpipeError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app
