"""What the application and its deployment must agree on: every shared name and default, once.

The functions read these values (through :class:`docpipe.settings.Settings`, the stores and the
metrics); the CDK app (``infra/docpipe_infra``) writes them into the template: environment
variables, key prefixes in IAM grants and lifecycle rules, the table's key schema, the service and
metric names the dashboard and alarms look up. Neither side spells them again.

Dependency-free on purpose: the CDK app imports it without loading the application.
"""

from __future__ import annotations

from typing import Final

# --- environment: read by Settings (env prefix + field name) ---------------------------------------
ENV_PREFIX: Final = "DOCPIPE_"
ENV_BUCKET: Final = f"{ENV_PREFIX}BUCKET"
ENV_JOBS_TABLE: Final = f"{ENV_PREFIX}JOBS_TABLE"
ENV_QUEUE_URL: Final = f"{ENV_PREFIX}QUEUE_URL"
ENV_REDIS_URL: Final = f"{ENV_PREFIX}REDIS_URL"
ENV_PRESIGN_SECONDS: Final = f"{ENV_PREFIX}PRESIGN_SECONDS"
ENV_RETENTION_DAYS: Final = f"{ENV_PREFIX}RETENTION_DAYS"
ENV_MAX_RECEIVES: Final = f"{ENV_PREFIX}MAX_RECEIVES"
ENV_RENDER_TIMEOUT_SECONDS: Final = f"{ENV_PREFIX}RENDER_TIMEOUT_SECONDS"
ENV_MAX_BACKLOG: Final = f"{ENV_PREFIX}MAX_BACKLOG"
ENV_MAX_TENANT_BACKLOG: Final = f"{ENV_PREFIX}MAX_TENANT_BACKLOG"
ENV_CACHE_TTL_SECONDS: Final = f"{ENV_PREFIX}CACHE_TTL_SECONDS"
ENV_STALE_AFTER_SECONDS: Final = f"{ENV_PREFIX}STALE_AFTER_SECONDS"
ENV_FORMAT_DIR: Final = f"{ENV_PREFIX}FORMAT_DIR"
ENV_CORS_ORIGINS: Final = f"{ENV_PREFIX}CORS_ORIGINS"

# --- environment: read by Powertools itself (docpipe/observability.py), not by Settings ------------
ENV_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
POWERTOOLS_ENV: Final = frozenset({ENV_SERVICE_NAME, ENV_METRICS_NAMESPACE, ENV_LOG_LEVEL})

# --- environment: read by pydantic itself ---------------------------------------------------------------
# docpipe uses no pydantic plugins; looking for them reads every installed distribution's entry points
# when the first model is built: ~10 ms of every cold start, ~35 ms of every `docpipe` command.
ENV_PYDANTIC_PLUGINS: Final = "PYDANTIC_DISABLE_PLUGINS"
RUNTIME_ENV: Final = {ENV_PYDANTIC_PLUGINS: "__all__"}

# --- defaults: Settings' defaults, and what the default deployment sets --------------------------------
PRESIGN_SECONDS: Final = 900
RETENTION_DAYS: Final = 7
# The render queue's maxReceiveCount AND the handler's DOCPIPE_MAX_RECEIVES: on this receive the handler
# marks the job failed, because SQS moves the message to the DLQ instead of delivering it again.
MAX_RECEIVES: Final = 3
# TeX's own time limit inside the render handler (not the Lambda timeout).
RENDER_TIMEOUT_SECONDS: Final = 20
# How long a TeX process started ahead of time may wait for its document (standby.py): an older one
# is replaced by a usual start. A Lambda container idle for longer is likely gone anyway.
STANDBY_IDLE_SECONDS: Final = 600
MAX_BACKLOG: Final = 2000
# One tenant's share of MAX_BACKLOG: its jobs on their way (queued or rendering) at once. A tenth, so
# one tenant alone cannot fill the backlog and ten busy tenants still fit.
MAX_TENANT_BACKLOG: Final = 200
# Each job on its way is one ticket (about 45 bytes) in its tenant's counter item; DynamoDB items stop
# at 400 KB, so no cap may let a tenant's item grow past about half of that.
MAX_TENANT_BACKLOG_CEILING: Final = 5000
CACHE_TTL_SECONDS: Final = 86_400
# One TeX run may take RENDER_TIMEOUT_SECONDS (20 s); 60 s leaves room for the cold start of a large
# image, the S3/DynamoDB/Redis calls and marking the job failed after a TeX timeout.
RENDER_FUNCTION_TIMEOUT_SECONDS: Final = 60
# AWS's guidance for SQS event sources: visibility timeout >= 6x the function timeout, so a message
# is not redelivered while batches are retried under throttling.
VISIBILITY_TIMEOUT_FACTOR: Final = 6
VISIBILITY_TIMEOUT_SECONDS: Final = RENDER_FUNCTION_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR


def stale_after_seconds(visibility_timeout_seconds: float, max_receives: int) -> int:
    """How long a job may stay queued/rendering before it counts as lost: every receive's visibility
    window (``max_receives`` of them) plus one for slack, so no legitimate retry is cut short."""
    return int(visibility_timeout_seconds * (max_receives + 1))


STALE_AFTER_SECONDS: Final = stale_after_seconds(VISIBILITY_TIMEOUT_SECONDS, MAX_RECEIVES)
# `Prefer: wait=N` on a submit is capped here: the answer must reach API Gateway before its 29 s
# integration timeout, with room for the submit itself and the presign (the submit function's
# timeout is MAX_WAIT_SECONDS + SUBMIT_WAIT_MARGIN_SECONDS).
MAX_WAIT_SECONDS: Final = 25
SUBMIT_WAIT_MARGIN_SECONDS: Final = 3
# Where the render image bakes its TeX formats (layers/texlive/Dockerfile sets DOCPIPE_FORMAT_DIR to it).
IMAGE_FORMAT_DIR: Final = "/opt/docpipe/formats"

# --- storage --------------------------------------------------------------------------------------------
# S3 keys: requests/<tenant>/<job>.json and documents/<tenant>/<content key>.<extension>; the download
# is named <Name>_Resume.<extension>. A request's extension is its format's (FORMAT_EXTENSIONS), but
# for a PNG of every page, which is a zip (outputs.extension, the one place that decides it).
# Each stored file's media type, by its extension: the S3 object's Content-Type, and what `Accept`
# asks for to get the document itself (303) rather than JSON about it.
EXTENSION_MEDIA_TYPES: Final = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
    "tex": "application/x-tex; charset=utf-8",
    "png": "image/png",
    "zip": "application/zip",
    "json": "application/json",
}
FORMAT_EXTENSIONS: Final = {
    "pdf": "pdf",
    "docx": "docx",
    "txt": "txt",
    "tex": "tex",
    "png": "png",  # the first page; every page (options.preview.pages "all") is a zip
    "analysis": "json",
}
# Each output format's usual media type (a PNG of every page is application/zip instead).
MEDIA_TYPES: Final = {name: EXTENSION_MEDIA_TYPES[ext] for name, ext in FORMAT_EXTENSIONS.items()}
REQUESTS_PREFIX: Final = "requests/"
DOCUMENTS_PREFIX: Final = "documents/"
# The jobs table: one partition key, items expire on a TTL attribute. Its items by key prefix:
TABLE_PARTITION_KEY: Final = "pk"
TABLE_TTL_ATTRIBUTE: Final = "expires_at"
JOB_KEY_PREFIX: Final = "job#"
# The "content pointer" items: the one kind of item that submit and render may delete.
POINTER_KEY_PREFIX: Final = "key#"
IDEMPOTENCY_KEY_PREFIX: Final = "idem#"
DOCUMENT_HOLDERS_KEY_PREFIX: Final = "doc#"
# One item per tenant: the tickets of its jobs on their way (DOCPIPE_MAX_TENANT_BACKLOG caps them).
TENANT_KEY_PREFIX: Final = "tenant#"
# Erased jobs, remembered for the retention period (no personal data: job id, tenant, expiry), so a
# second DELETE answers 204 as the first did while an id that never existed stays a 404.
ERASED_KEY_PREFIX: Final = "erased#"

# --- metrics --------------------------------------------------------------------------------------------
METRICS_NAMESPACE: Final = "Docpipe"
# Powertools Metrics adds a `service` dimension to every EMF metric: POWERTOOLS_SERVICE_NAME.
METRIC_SERVICE_DIMENSION: Final = "service"
METRIC_CACHE_HIT: Final = "CacheHit"
METRIC_CACHE_MISS: Final = "CacheMiss"
METRIC_CACHE_ERROR: Final = "CacheError"
METRIC_RENDER_MS: Final = "RenderMs"
METRIC_RENDER_FAILED: Final = "RenderFailed"


def service_name(function: str) -> str:
    """The POWERTOOLS_SERVICE_NAME of one function (``submit``, ``status``, ``render``): logs and
    metrics split per function."""
    return f"docpipe-{function}"
