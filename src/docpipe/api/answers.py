"""The answers the routes give, built from the use cases' results: status codes, headers, paths
(``/v1/jobs/...``, under the prefix the client reached the API by) and JSON bodies."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from docpipe.api.errors import error_response
from docpipe.errors import ErrorDetail
from docpipe.jobs import JobStatus
from docpipe.usecases.results import Cached, Download, JobView, Queued

# Failures that say nothing about the document: submitting it again may well succeed.
RETRYABLE_FAILURES = frozenset({"lost", "unavailable", "internal_error", "render_crashed"})


def public_prefix(request: Request) -> str:
    """The path prefix clients reach the API under: the stage (``/api``) on API Gateway's default URL,
    where the stage is part of the path the client sees but not of the path the function is given."""
    event = request.scope.get("aws.event") or {}
    seen = str((event.get("requestContext") or {}).get("path") or "")
    given = str(event.get("path") or "")
    return seen[: -len(given)] if given and seen.endswith(given) else ""


def job_path(request: Request, job_id: str) -> str:
    return f"{public_prefix(request)}/v1/jobs/{job_id}"


def warnings_body(warnings: tuple[ErrorDetail, ...]) -> list[dict[str, str]]:
    """What was accepted but not placed as given (unknown fields, extra sections), path by path."""
    return [{"path": w.path, "message": w.message} for w in warnings]


def queued_response(request: Request, queued: Queued) -> JSONResponse:
    """202 with the job to poll, at ``Location`` and in ``status_url``."""
    location = job_path(request, queued.job_id)
    body = {
        "job_id": queued.job_id,
        "status": queued.status.value,
        "status_url": location,
        "warnings": warnings_body(queued.warnings),
    }
    return JSONResponse(body, status_code=202, headers={"Location": location})


def cached_response(cached: Cached) -> JSONResponse:
    """200 with the download link of the document rendered before."""
    body = {
        "job_id": cached.job_id,
        "status": JobStatus.SUCCEEDED.value,
        "cached": True,
        "download_url": cached.download.url,
        "download_expires_at": cached.download.expires_at,
        "warnings": warnings_body(cached.warnings),
    }
    if cached.layout is not None:
        body["layout"] = cached.layout
    return JSONResponse(body, status_code=200)


def see_other(download: Download) -> Response:
    """303 to the document itself: ``curl -L`` follows it and saves the PDF."""
    return RedirectResponse(download.url, status_code=303)


def finished_response(
    request: Request, view: JobView, *, document: bool, warnings: tuple[ErrorDetail, ...] = ()
) -> Response:
    """A job that finished while the client waited: its status answer (200), or, when the client asked
    for the ``document`` itself, a 303 to it or, when it failed, the job's error as an error answer
    (there is no document to give)."""
    location = job_path(request, view.job.job_id)
    if view.download is not None and document:
        return see_other(view.download)
    if view.job.error is not None and document:
        error = view.job.error
        status = 503 if error.code in RETRYABLE_FAILURES else 422
        response = error_response(request, status, error.code, error.message)
        response.headers["Location"] = location
        return response
    body = job_body(view) | {"status_url": location, "warnings": warnings_body(warnings)}
    return JSONResponse(body, status_code=200, headers={"Location": location})


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
        if job.layout is not None:
            body["layout"] = job.layout
    if job.error is not None:
        body["error"] = job.error.model_dump()
    return body
