"""POST /v1/documents — API Gateway → FastAPI (through Mangum) → docpipe.usecases.submit."""

from typing import Any

from mangum import Mangum

from docpipe import snapshots
from docpipe.api import create_app, submit_router
from docpipe.observability import logger, metrics, traced
from docpipe.settings import get_settings

settings = get_settings()  # configuration errors surface at cold start, not on the first request
asgi = Mangum(create_app(submit_router(), cors_origins=settings.cors_origins), lifespan="off")
snapshots.register()  # SnapStart: warm before the snapshot, reseed after each restore


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return asgi(event, context)
