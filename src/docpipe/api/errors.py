"""Domain errors become HTTP answers here, in one place:
``{"error": {"code", "message", "details": [{"path", "message"}], "request_id"}}``."""

from __future__ import annotations

import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from docpipe.errors import (
    Conflict,
    DependencyUnavailable,
    DocpipeError,
    DocumentTooLarge,
    ErrorDetail,
    InvalidDocument,
    NotFound,
    TenantBacklogFull,
    UnknownTemplate,
)
from docpipe.observability import logger


class UnsupportedMediaType(DocpipeError):
    code = "unsupported_media_type"

    def __init__(self, content_type: str) -> None:
        got = content_type or "no content type"
        super().__init__(f"send the document as application/json or application/yaml (got {got!r})")


class NoTenant(DocpipeError):
    """No API key identified the request, so it belongs to no tenant: never a shared default."""

    code = "forbidden"

    def __init__(self) -> None:
        super().__init__("no API key identified this request: send it with the x-api-key header")


# Most specific first: the first match decides.
STATUS_CODES: dict[type[DocpipeError], int] = {
    DocumentTooLarge: 413,
    UnknownTemplate: 404,
    InvalidDocument: 422,
    NotFound: 404,
    Conflict: 409,
    TenantBacklogFull: 429,
    DependencyUnavailable: 503,
    UnsupportedMediaType: 415,
    NoTenant: 403,
}


def request_id(request: Request) -> str:
    context = request.scope.get("aws.context")
    if context is not None and getattr(context, "aws_request_id", None):
        return str(context.aws_request_id)
    return request.headers.get("x-request-id") or uuid.uuid4().hex


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
    status = next((code for kind, code in STATUS_CODES.items() if isinstance(exc, kind)), 500)
    response = error_response(request, status, exc.code, exc.message, exc.details)
    if isinstance(exc, DependencyUnavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
        logger.warning("dependency unavailable", extra={"error_code": exc.code})
    elif isinstance(exc, TenantBacklogFull):
        response.headers["Retry-After"] = str(exc.retry_after)
        logger.info("tenant backlog full", extra={"error_code": exc.code})
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


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DocpipeError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(Exception, _unexpected)
