"""The HTTP API: FastAPI routers defined once, served by Mangum in Lambda and by uvicorn locally.

- :mod:`.routes`: the routers; each route calls one use case;
- :mod:`.answers`: use-case results become status codes, headers, paths and bodies;
- :mod:`.negotiation`: what the client asked for (JSON or YAML, ``Prefer: wait``, ``Accept``);
- :mod:`.errors`: domain errors become HTTP answers there, in one place;
- :mod:`.openapi`: what the routes answer, for the schema;
- here: the app over chosen routers, with CORS around everything.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from docpipe.api.errors import add_error_handlers
from docpipe.api.openapi import schema_builder
from docpipe.api.routes import PipelineFactory, status_router, submit_router
from docpipe.pipeline import default_pipeline

__all__ = ["PipelineFactory", "create_app", "status_router", "submit_router"]

# CORS, when origins are configured. Preflights: in AWS API Gateway answers them (infra/docpipe_infra/
# api.py) with the same methods and headers; locally this app does. Answers: the app adds the headers
# to every answer it gives, errors included. Exposed: what a browser client must read besides the body
# (Location of a queued job, Retry-After of a 503, Allow of a 405) and the id API Gateway puts on
# every answer, to quote when reporting a problem.
_CORS_ALLOW_METHODS = ("GET", "POST", "DELETE")
_CORS_ALLOW_HEADERS = ("Content-Type", "X-Api-Key", "Idempotency-Key", "Prefer")
_CORS_EXPOSE_HEADERS = ("Location", "Retry-After", "Allow", "x-amzn-RequestId")
_CORS_MAX_AGE_SECONDS = 3600


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
    local_tenant: str | None = None,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """The app over ``routers``, calling the use cases of ``pipeline_factory()``.

    ``local_tenant``: outside Lambda, the tenant of requests without an ``x-api-key`` (the local stack
    passes ``local``); None, such requests are refused. In Lambda the tenant is always API Gateway's
    API key id.

    ``cors_origins``: browser origins whose answers carry CORS headers (the handlers and the local
    stack pass ``Settings.cors_origins``); none, no CORS headers at all.
    """
    app = _App(title="docpipe", version="1.0", description="Résumé and cover-letter JSON to PDF.")
    app.cors_origins = tuple(cors_origins)
    app.state.pipeline_factory = pipeline_factory
    app.state.local_tenant = local_tenant
    for router in routers:
        app.include_router(router)
    add_error_handlers(app)
    app.openapi = schema_builder(app)  # type: ignore[method-assign]
    return app
