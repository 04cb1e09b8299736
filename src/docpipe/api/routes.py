"""The routers: each route calls one use case; ``answers`` turns its result into HTTP."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from docpipe import catalog, validation
from docpipe.api import negotiation
from docpipe.api.answers import (
    cached_response,
    finished_response,
    job_body,
    queued_response,
    see_other,
    warnings_body,
)
from docpipe.api.check import read_check_body
from docpipe.api.errors import NoTenant
from docpipe.api.openapi import (
    ANALYZE_RESPONSES,
    CHECK_OPERATION,
    CHECK_RESPONSES,
    REQUEST_BODY,
    SUBMIT_OPERATION,
    SUBMIT_RESPONSES,
    answers,
    json_answer,
    path_parameter,
)
from docpipe.catalog import DOCUMENT_TYPES
from docpipe.contract import MAX_WAIT_SECONDS
from docpipe.envelope import REQUEST_MODELS
from docpipe.errors import NotFound
from docpipe.objectstore import ObjectStore
from docpipe.pipeline import Pipeline
from docpipe.usecases import wait
from docpipe.usecases.results import Cached, Submitted

_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

PipelineFactory = Callable[[], Pipeline]


def tenant_of(request: Request) -> str:
    """Whose request this is. In AWS: the id of the API key API Gateway checked. Locally: the tenant the
    local stack was started with, or one of its own for each ``x-api-key`` a client sends (so two local
    clients are kept apart as two keys are in AWS). Anything else has no tenant and is refused (403):
    a request is never filed under a shared default."""
    event = request.scope.get("aws.event")
    if event is not None:
        key_id = ((event.get("requestContext") or {}).get("identity") or {}).get("apiKeyId")
        if key_id and _TENANT.match(str(key_id)):
            return str(key_id)
        raise NoTenant()
    local: str | None = request.app.state.local_tenant
    if local is None:
        raise NoTenant()
    key = request.headers.get("x-api-key")
    return f"key-{hashlib.sha256(key.encode()).hexdigest()[:16]}" if key else local


async def _pipeline(request: Request) -> Pipeline:
    # async although it does no I/O: a sync dependency costs a thread-pool handoff per request.
    factory: PipelineFactory = request.app.state.pipeline_factory
    return factory()


@dataclass(frozen=True)
class DocumentBody:
    raw: bytes
    yaml: bool


async def _document_body(request: Request) -> DocumentBody:
    body_format = negotiation.body_format(request.headers.get("content-type", ""))
    raw = await negotiation.read_limited(request.headers.get("content-length"), request.stream())
    return DocumentBody(raw=raw, yaml=body_format == "yaml")


PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
Body = Annotated[DocumentBody, Depends(_document_body)]


def submit_router() -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/documents",
        operation_id="submit_document",
        status_code=202,
        openapi_extra=SUBMIT_OPERATION,
        tags=["documents"],
        response_model=None,
        responses=SUBMIT_RESPONSES,
    )
    async def submit_document(request: Request, pipeline: PipelineDep, body: Body) -> Response:
        """Submit a document: 200 with a download link from cache, or 202 with a job to poll.

        ``Prefer: wait=N`` (N <= 25): wait up to N seconds for the job, answering 200 with the link if
        it finishes. ``Accept: application/pdf`` (or the DOCX, text, PNG or zip type, for those formats): a
        finished document answers 303 to the link itself.
        """
        tenant = tenant_of(request)
        result: Submitted = await run_in_threadpool(
            pipeline.submit, body.raw, tenant, request.headers.get("idempotency-key"), yaml_ok=body.yaml
        )
        accept = request.headers.get("accept")
        if isinstance(result, Cached):
            document = negotiation.wants_document(accept, result.download.media_type)
            return see_other(result.download) if document else cached_response(result)
        seconds = negotiation.wait_seconds(request.headers.get("prefer"))
        view = (
            await wait.until_finished(
                lambda: run_in_threadpool(pipeline.status, result.job_id, tenant), seconds
            )
            if seconds
            else None
        )
        if view is None:
            return queued_response(request, result)
        document = negotiation.wants_document(accept, ObjectStore.media_type(view.job.document_key))
        return finished_response(request, view, document=document, warnings=result.warnings)

    _add_check_route(router)
    add_analyze_route(router)
    return router


def add_analyze_route(router: APIRouter) -> None:
    """The layout analysis: a job like any other (the render function has TeX), answered inline."""

    @router.post(
        "/v1/analyze",
        operation_id="analyze_document",
        openapi_extra=SUBMIT_OPERATION,
        tags=["documents"],
        response_model=None,
        responses=ANALYZE_RESPONSES,
    )
    async def analyze_document(request: Request, pipeline: PipelineDep, body: Body) -> Response:
        """How the document lays out and what ``fit: "shrink"`` would change to fit it in
        ``options.layout.maxPages`` pages (1 if not given), from real TeX runs; no PDF is made for you.
        Waits up to 25 s by default (``Prefer: wait=N`` to change it): 200 with the report, or 202
        with the job, whose download link is the report as JSON."""
        tenant, prefer = tenant_of(request), request.headers.get("prefer") or ""
        result: Submitted = await run_in_threadpool(
            pipeline.submit,
            body.raw,
            tenant,
            request.headers.get("idempotency-key"),
            yaml_ok=body.yaml,
            output_format="analysis",
        )
        waited = negotiation.wait_seconds(prefer) if "wait" in prefer.lower() else MAX_WAIT_SECONDS
        if not isinstance(result, Cached):
            read = lambda: run_in_threadpool(pipeline.status, result.job_id, tenant)  # noqa: E731
            view = await wait.until_finished(read, waited) if waited else None
            if view is None:
                return queued_response(request, result)
            if view.download is None:  # failed: its error, as an error answer
                return finished_response(request, view, document=True, warnings=result.warnings)
        report = await run_in_threadpool(pipeline.analysis, result.job_id, tenant)
        body_out = {"job_id": result.job_id, "status": "succeeded", "analysis": report}
        return JSONResponse(body_out | {"warnings": warnings_body(result.warnings)})


def _add_check_route(router: APIRouter) -> None:
    """The ATS check, beside submit: a client checks what it submitted (pdfminer loads on first use)."""

    @router.post(
        "/v1/check",
        operation_id="check_document",
        openapi_extra=CHECK_OPERATION,
        tags=["documents"],
        response_model=None,
        responses=CHECK_RESPONSES,
    )
    async def check_document(request: Request, pipeline: PipelineDep) -> dict[str, Any]:
        """What a résumé parser recovers from a PDF: a finished job's (``{"jobId": ...}``) or one sent
        with the request it was made from (``{"pdf": "<base64>", "document": {...}}``)."""
        tenant, headers = tenant_of(request), request.headers  # no tenant: refused before reading
        raw = await read_check_body(
            headers.get("content-type", ""), headers.get("content-length"), request.stream()
        )
        report = await run_in_threadpool(pipeline.check, raw, tenant)
        return report.model_dump(mode="json")


def status_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/v1/jobs/{job_id}",
        operation_id="get_job",
        tags=["jobs"],
        response_model=None,
        responses={200: json_answer("the job", "JobResponse"), **answers(404, 422, 503)},
        openapi_extra=path_parameter("job_id"),
    )
    def get_job(request: Request, pipeline: PipelineDep) -> dict[str, Any]:
        """A job's status, with a presigned download link once it has succeeded."""
        return job_body(pipeline.status(request.path_params["job_id"], tenant_of(request)))

    @router.delete(
        "/v1/jobs/{job_id}",
        operation_id="delete_job",
        status_code=204,
        tags=["jobs"],
        responses=answers(404, 422, 503),
        openapi_extra=path_parameter("job_id"),
    )
    def delete_job(request: Request, pipeline: PipelineDep) -> Response:
        """Erase the job, its request, its document and its cache entry now."""
        pipeline.erase(request.path_params["job_id"], tenant_of(request))
        return Response(status_code=204)

    _add_reference_routes(router)
    return router


def _add_reference_routes(router: APIRouter) -> None:
    """Templates, schemas, validation and health: no store involved."""

    @router.get(
        "/v1/templates",
        tags=["reference"],
        response_model=None,
        responses={200: json_answer("templates by document type", "TemplatesResponse")},
    )
    def list_templates() -> dict[str, Any]:
        return {"templates": {t: list(catalog.template_names(t)) for t in DOCUMENT_TYPES}}

    @router.get(
        "/v1/schema/{document_type}",
        tags=["reference"],
        response_model=None,
        responses=answers(404, 422),
        openapi_extra=path_parameter("document_type"),
    )
    def get_schema(request: Request) -> dict[str, Any]:
        document_type: str = request.path_params["document_type"]
        if document_type not in REQUEST_MODELS:
            raise NotFound(
                f"unknown document type {document_type!r}; choose one of {', '.join(DOCUMENT_TYPES)}"
            )
        return REQUEST_MODELS[document_type].model_json_schema(by_alias=True)

    @router.post(
        "/v1/validate",
        openapi_extra=REQUEST_BODY,
        tags=["documents"],
        response_model=None,
        responses={200: json_answer("valid", "ValidResponse"), **answers(404, 413, 415, 422)},
    )
    def validate_document(body: Body) -> dict[str, Any]:
        """Validate a document without rendering it."""
        checked = validation.check_request(validation.parse_bytes(body.raw, yaml_ok=body.yaml))
        return {
            "valid": True,
            "document_type": checked.request.document_type,
            "template": checked.request.template,
            "warnings": warnings_body(checked.warnings),
        }

    @router.get("/health", tags=["reference"], response_model=None)
    def health() -> dict[str, str]:
        return {"status": "ok"}
