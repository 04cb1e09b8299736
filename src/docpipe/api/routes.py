"""The routers: each route calls one use case and turns its result into a status code, headers, paths
(``/v1/jobs/...``, under the prefix the client reached the API by) and a JSON body."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from docpipe import catalog, validation
from docpipe.api.errors import UnsupportedMediaType
from docpipe.api.openapi import (
    JOB_LINKS,
    REQUEST_BODY,
    CachedResponse,
    JobResponse,
    QueuedResponse,
    TemplatesResponse,
    ValidResponse,
    answers,
)
from docpipe.errors import NotFound
from docpipe.jobs import JobStatus
from docpipe.pipeline import Pipeline
from docpipe.schema import DOCUMENT_TYPES, REQUEST_MODELS
from docpipe.usecases.results import Cached, JobView, Queued

_JSON_TYPES = re.compile(r"^application/(json|[\w.+-]+\+json)\s*(;.*)?$", re.IGNORECASE)
_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

PipelineFactory = Callable[[], Pipeline]


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


def job_path(request: Request, job_id: str) -> str:
    return f"{public_prefix(request)}/v1/jobs/{job_id}"


async def _pipeline(request: Request) -> Pipeline:
    # async although it does no I/O: a sync dependency costs a thread-pool handoff per request.
    factory: PipelineFactory = request.app.state.pipeline_factory
    return factory()


async def _json_body(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not _JSON_TYPES.match(content_type):
        raise UnsupportedMediaType(content_type)
    return await request.body()


PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
JsonBody = Annotated[bytes, Depends(_json_body)]


def queued_response(request: Request, queued: Queued) -> JSONResponse:
    """202 with the job to poll, at ``Location`` and in ``status_url``."""
    location = job_path(request, queued.job_id)
    body = {"job_id": queued.job_id, "status": queued.status.value, "status_url": location}
    return JSONResponse(body, status_code=202, headers={"Location": location})


def cached_response(cached: Cached) -> JSONResponse:
    """200 with the download link of the document rendered before."""
    body = {
        "job_id": cached.job_id,
        "status": JobStatus.SUCCEEDED.value,
        "cached": True,
        "download_url": cached.download.url,
        "download_expires_at": cached.download.expires_at,
    }
    return JSONResponse(body, status_code=200)


def job_body(view: JobView) -> dict[str, Any]:
    job = view.job
    body: dict[str, Any] = {
        "job_id": job.job_id,
        "status": job.status.value,
        "document_type": job.document_type,
        "template": job.template,
        "format": job.format,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }
    if view.download is not None:
        body |= {
            "download_url": view.download.url,
            "download_expires_at": view.download.expires_at,
            "pages": job.pages,
            "bytes": job.bytes,
        }
    if job.error is not None:
        body["error"] = job.error.model_dump()
    return body


def submit_router() -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/documents",
        operation_id="submit_document",
        status_code=202,
        openapi_extra=REQUEST_BODY,
        tags=["documents"],
        response_model=None,
        responses={
            200: {
                "model": CachedResponse,
                "description": "rendered before: a download link from the cache",
                "links": JOB_LINKS,
            },
            202: {
                "model": QueuedResponse,
                "description": "queued: poll status_url",
                "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                "links": JOB_LINKS,
            },
            **answers(404, 409, 413, 415, 422, 503),
        },
    )
    def submit_document(request: Request, pipeline: PipelineDep, body: JsonBody) -> Response:
        """Submit a document: 200 with a download link from cache, or 202 with a job to poll."""
        result = pipeline.submit(body, tenant_of(request), request.headers.get("idempotency-key"))
        if isinstance(result, Cached):
            return cached_response(result)
        return queued_response(request, result)

    return router


def status_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/v1/jobs/{job_id}",
        operation_id="get_job",
        tags=["jobs"],
        response_model=None,
        responses={200: {"model": JobResponse, "description": "the job"}, **answers(404, 422, 503)},
    )
    def get_job(job_id: str, request: Request, pipeline: PipelineDep) -> dict[str, Any]:
        """A job's status, with a presigned download link once it has succeeded."""
        return job_body(pipeline.status(job_id, tenant_of(request)))

    @router.delete(
        "/v1/jobs/{job_id}",
        operation_id="delete_job",
        status_code=204,
        tags=["jobs"],
        responses=answers(404, 422, 503),
    )
    def delete_job(job_id: str, request: Request, pipeline: PipelineDep) -> Response:
        """Erase the job, its request, its document and its cache entry now."""
        pipeline.erase(job_id, tenant_of(request))
        return Response(status_code=204)

    _add_reference_routes(router)
    return router


def _add_reference_routes(router: APIRouter) -> None:
    """Templates, schemas, validation and health: no store involved."""

    @router.get(
        "/v1/templates",
        tags=["reference"],
        response_model=None,
        responses={200: {"model": TemplatesResponse, "description": "templates by document type"}},
    )
    def list_templates() -> dict[str, Any]:
        return {"templates": {t: list(catalog.template_names(t)) for t in DOCUMENT_TYPES}}

    @router.get("/v1/schema/{document_type}", tags=["reference"], responses=answers(404, 422))
    def get_schema(document_type: str) -> dict[str, Any]:
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
        responses={200: {"model": ValidResponse, "description": "valid"}, **answers(404, 413, 415, 422)},
    )
    def validate_document(body: JsonBody) -> dict[str, Any]:
        """Validate a document without rendering it."""
        request = validation.validate_request(validation.parse_bytes(body))
        return {"valid": True, "document_type": request.document_type, "template": request.template}

    @router.get("/health", tags=["reference"])
    def health() -> dict[str, str]:
        return {"status": "ok"}
