"""The bodies the routes answer with, as models for the OpenAPI schema only.

The routes declare no response models: their bodies are built from the use cases' results and sent as
they are, never filtered or re-serialised through these. So this module is imported only when the
schema is built (``openapi.schema_builder``), never at a cold start: FastAPI turns every documented
response model into a serializer when a route is declared (25 of them, and the import of
``pydantic.v1`` it makes to check each one, ~40-50 ms per function), for a schema Lambda never serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field


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
    warnings: list[ErrorDetailBody]


class CachedResponse(BaseModel):
    job_id: str
    status: Literal["succeeded"]
    cached: bool
    download_url: str
    download_expires_at: str
    warnings: list[ErrorDetailBody]


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
    layout: dict[str, Any] | None = Field(
        None, description="how the PDF was fitted to options.layout.maxPages (fit: shrink)"
    )
    error: JobErrorBody | None = None


class FinishedResponse(JobResponse):
    status_url: str
    warnings: list[ErrorDetailBody]


class TemplatesResponse(BaseModel):
    templates: dict[str, list[str]]


class ValidResponse(BaseModel):
    valid: bool
    document_type: str
    template: str
    warnings: list[ErrorDetailBody]


def _analyze_response() -> type[BaseModel]:
    from docpipe.analysis import Analysis

    class AnalyzeResponse(BaseModel):
        job_id: str
        status: Literal["succeeded"]
        analysis: Analysis
        warnings: list[ErrorDetailBody]

    return AnalyzeResponse


def _check_report() -> type[BaseModel]:
    from docpipe.atscheck import CheckReport

    return CheckReport


_BODIES: dict[str, type[BaseModel]] = {
    model.__name__: model
    for model in (
        ErrorResponse,
        QueuedResponse,
        CachedResponse,
        JobResponse,
        FinishedResponse,
        TemplatesResponse,
        ValidResponse,
    )
}
# Loaded only for a schema whose routes answer with them: the status function serves neither.
_LOADED_LATER: dict[str, Callable[[], type[BaseModel]]] = {
    "AnalyzeResponse": _analyze_response,
    "CheckReport": _check_report,
}
NAMES = frozenset(_BODIES) | frozenset(_LOADED_LATER)


def body_named(name: str) -> type[BaseModel]:
    """The documented body the routes' answers refer to as ``name`` (one of :data:`NAMES`)."""
    return _BODIES[name] if name in _BODIES else _LOADED_LATER[name]()
