"""Every name, number and default of the docpipe deployment, in one module.

Constructs import from here instead of repeating literals, so a value that two places must agree on
(the SQS maxReceiveCount and the render handler's DOCPIPE_MAX_RECEIVES, say) has one source.
Environment differences are not here: they come from CDK context (see ``config.py``), and only their
defaults live in this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

# --- repository layout ------------------------------------------------------------------------------
REPO_ROOT: Final = Path(__file__).resolve().parents[2]
CDK_JSON: Final = REPO_ROOT / "cdk.json"
SOURCE_PACKAGE_DIR: Final = "src/docpipe"
FUNCTIONS_DIR: Final = "functions"
RENDER_DOCKERFILE: Final = "layers/texlive/Dockerfile"
# BuildKit reads "<Dockerfile>.dockerignore" beside the Dockerfile; CDK's asset staging is given the same
# patterns, so `docker build -f layers/texlive/Dockerfile .` and `cdk deploy` see the same context.
RENDER_DOCKERIGNORE: Final = "layers/texlive/Dockerfile.dockerignore"

# --- stack ------------------------------------------------------------------------------------------
DEFAULT_STACK_NAME: Final = "Docpipe"
SERVICE_TAG_KEY: Final = "service"
SERVICE_TAG_VALUE: Final = "docpipe"

# --- CDK context keys (documented in the README, "Deploy") ------------------------------------------------
CTX_STACK_NAME: Final = "docpipe:stackName"
CTX_PROD: Final = "docpipe:prod"
CTX_BUNDLE: Final = "docpipe:bundle"
CTX_RETENTION_DAYS: Final = "docpipe:retentionDays"
CTX_LOG_RETENTION_DAYS: Final = "docpipe:logRetentionDays"
CTX_RENDER_ARCH: Final = "docpipe:renderArch"
CTX_RENDER_MAX_CONCURRENCY: Final = "docpipe:renderMaxConcurrency"
CTX_RENDER_RESERVED_CONCURRENCY: Final = "docpipe:renderReservedConcurrency"
CTX_API_RATE_LIMIT: Final = "docpipe:apiRateLimit"
CTX_API_BURST_LIMIT: Final = "docpipe:apiBurstLimit"
CTX_CORS_ORIGINS: Final = "docpipe:corsOrigins"
CTX_XRAY_ENDPOINT: Final = "docpipe:xrayEndpoint"

# --- defaults of the context keys -------------------------------------------------------------------
DEFAULT_RETENTION_DAYS: Final = 7
DEFAULT_LOG_RETENTION_DAYS: Final = 14
DEFAULT_PROD_LOG_RETENTION_DAYS: Final = 90
DEFAULT_RENDER_ARCH: Final = "arm64"
# The SQS event source's maximum concurrency (2..1000): it caps render fan-out without reserving any
# account concurrency, which new accounts (limit 10) cannot spare.
DEFAULT_RENDER_MAX_CONCURRENCY: Final = 10
# The original service allowed 60 requests/min with a burst of 20 per client: 1 req/s steady, 20 burst.
DEFAULT_API_RATE_LIMIT: Final = 1.0
DEFAULT_API_BURST_LIMIT: Final = 20

# --- application settings handed to the functions as environment variables --------------------------
PRESIGN_SECONDS: Final = 900
# The render queue's maxReceiveCount AND the handler's DOCPIPE_MAX_RECEIVES: on this receive the handler
# marks the job failed, because SQS moves the message to the DLQ instead of delivering it again.
MAX_RECEIVES: Final = 3
# TeX's own time limit inside the render handler (not the Lambda timeout).
RENDER_TIMEOUT_SECONDS: Final = 20
MAX_BACKLOG: Final = 2000
CACHE_TTL_SECONDS: Final = 86_400
METRICS_NAMESPACE: Final = "Docpipe"
LOG_LEVEL: Final = "INFO"
FORMAT_DIR: Final = "/opt/docpipe/formats"

ENV_BUCKET: Final = "DOCPIPE_BUCKET"
ENV_JOBS_TABLE: Final = "DOCPIPE_JOBS_TABLE"
ENV_QUEUE_URL: Final = "DOCPIPE_QUEUE_URL"
ENV_REDIS_URL: Final = "DOCPIPE_REDIS_URL"
ENV_PRESIGN_SECONDS: Final = "DOCPIPE_PRESIGN_SECONDS"
ENV_RETENTION_DAYS: Final = "DOCPIPE_RETENTION_DAYS"
ENV_MAX_RECEIVES: Final = "DOCPIPE_MAX_RECEIVES"
ENV_RENDER_TIMEOUT_SECONDS: Final = "DOCPIPE_RENDER_TIMEOUT_SECONDS"
ENV_MAX_BACKLOG: Final = "DOCPIPE_MAX_BACKLOG"
ENV_CACHE_TTL_SECONDS: Final = "DOCPIPE_CACHE_TTL_SECONDS"
ENV_STALE_AFTER_SECONDS: Final = "DOCPIPE_STALE_AFTER_SECONDS"
ENV_FORMAT_DIR: Final = "DOCPIPE_FORMAT_DIR"
ENV_CORS_ORIGINS: Final = "DOCPIPE_CORS_ORIGINS"
ENV_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"

# --- storage ----------------------------------------------------------------------------------------
REQUESTS_PREFIX: Final = "requests/"
DOCUMENTS_PREFIX: Final = "documents/"
TABLE_PARTITION_KEY: Final = "pk"
TABLE_TTL_ATTRIBUTE: Final = "expires_at"
# Partition-key prefix of the "content pointer" items (src/docpipe/jobstore.py): the one kind of item
# that submit and render may delete.
POINTER_KEY_PREFIX: Final = "key#"
ACCESS_LOGS_PREFIX: Final = "bucket/"

# --- network and cache ------------------------------------------------------------------------------
VPC_MAX_AZS: Final = 2
VPC_CIDR: Final = "10.80.0.0/16"
SUBNET_CIDR_MASK: Final = 24
HTTPS_PORT: Final = 443
CACHE_ENGINE: Final = "valkey"
CACHE_MAJOR_VERSION: Final = "8"
# Serverless caches always listen on 6379 (primary) with TLS; there is no plaintext port to close.
CACHE_PORT: Final = 6379
CACHE_DB: Final = 0
# Upper bounds, not reservations: they cap the bill if a bug floods the cache. Entries are small
# (content hash -> document key), so 1 GB is far above need.
CACHE_MAX_DATA_GB: Final = 1
CACHE_MAX_ECPU_PER_SECOND: Final = 5000

# --- queue ------------------------------------------------------------------------------------------
DLQ_RETENTION_DAYS: Final = 14
# One message per invocation, no batching window: see QueueConsumer in functions.py for why.
RENDER_BATCH_SIZE: Final = 1
RENDER_MAX_BATCHING_WINDOW_SECONDS: Final = 0

# --- functions --------------------------------------------------------------------------------------
HANDLER: Final = "handler.handler"
LAMBDA_PYTHON_VERSION: Final = "3.12"
# uv's spelling of pip's `--platform manylinux2014_aarch64` (Graviton ZIP functions).
LAMBDA_WHEEL_PLATFORM: Final = "aarch64-manylinux2014"
API_FUNCTION_MEMORY_MB: Final = 256
# API Gateway REST integrations give up at 29 s; the API handlers answer from Redis/DynamoDB/S3 in
# milliseconds, so 10 s only matters for a stuck dependency.
API_FUNCTION_TIMEOUT_SECONDS: Final = 10
# TeX is CPU-bound and Lambda allots CPU by memory: 2048 MB buys a bit more than one vCPU, enough for
# one TeX run plus Python, and a build directory in /tmp stays far below the default 512 MB of disk.
RENDER_MEMORY_MB: Final = 2048
# One TeX run may take RENDER_TIMEOUT_SECONDS (20 s); 60 s leaves room for the cold start of a large
# image, the S3/DynamoDB/Redis calls and marking the job failed after a TeX timeout.
RENDER_FUNCTION_TIMEOUT_SECONDS: Final = 60
# AWS's guidance for SQS event sources: visibility timeout >= 6x the function timeout, so a message
# is not redelivered while batches are retried under throttling.
VISIBILITY_TIMEOUT_FACTOR: Final = 6
VISIBILITY_TIMEOUT_SECONDS: Final = RENDER_FUNCTION_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR
# The application marks a job that stayed queued/rendering this long as lost. It must outlast every
# receive's visibility window (MAX_RECEIVES of them) plus one for slack, so it is derived from them.
STALE_AFTER_SECONDS: Final = VISIBILITY_TIMEOUT_SECONDS * (MAX_RECEIVES + 1)

SUBMIT: Final = "submit"
STATUS: Final = "status"
RENDER: Final = "render"
FUNCTION_NAMES: Final = (SUBMIT, STATUS, RENDER)
SERVICE_NAMES: Final = {name: f"docpipe-{name}" for name in FUNCTION_NAMES}
# Fixed logical ids: `sam local invoke SubmitFunction -t cdk.out/Docpipe.template.json` and the tests
# address functions by these.
FUNCTION_LOGICAL_IDS: Final = {SUBMIT: "SubmitFunction", STATUS: "StatusFunction", RENDER: "RenderFunction"}

# --- API --------------------------------------------------------------------------------------------
# The stage is part of the URL (https://<id>.execute-api.<region>.amazonaws.com/api/v1/documents); the
# application sees the path without it.
API_STAGE: Final = "api"
API_KEY_HEADER: Final = "x-api-key"
HEALTH_PATH: Final = "/health"
# (method, path, function): every route the API serves. All but /health need an API key.
ROUTES: Final = (
    ("POST", "/v1/documents", SUBMIT),
    ("GET", "/v1/jobs/{job_id}", STATUS),
    ("DELETE", "/v1/jobs/{job_id}", STATUS),
    ("GET", "/v1/templates", STATUS),
    ("GET", "/v1/schema/{document_type}", STATUS),
    ("POST", "/v1/validate", STATUS),
    ("GET", HEALTH_PATH, STATUS),
)

# --- monitoring -------------------------------------------------------------------------------------
# Powertools Metrics adds a `service` dimension to every EMF metric (the dashboard searches across its
# values, see monitoring.py).
METRIC_SERVICE_DIMENSION: Final = "service"
METRIC_CACHE_HIT: Final = "CacheHit"
METRIC_CACHE_MISS: Final = "CacheMiss"
METRIC_RENDER_MS: Final = "RenderMs"
METRIC_RENDER_FAILED: Final = "RenderFailed"
METRIC_CACHE_ERROR: Final = "CacheError"
ALARM_PERIOD_MINUTES: Final = 5
# A job waiting longer than this means renders are stuck or concurrency is too low for the load.
ALARM_OLDEST_MESSAGE_SECONDS: Final = 300
ALARM_API_5XX_PERCENT: Final = 5

# --- outputs (fixed logical ids: deploy scripts and docs read them back) ----------------------------
OUTPUT_API_URL: Final = "ApiUrl"
OUTPUT_BUCKET: Final = "BucketName"
OUTPUT_TABLE: Final = "JobsTableName"
OUTPUT_QUEUE_URL: Final = "RenderQueueUrl"
OUTPUT_DASHBOARD: Final = "DashboardName"
OUTPUT_USAGE_PLAN: Final = "UsagePlanId"
