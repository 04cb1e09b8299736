"""Every name, number and default of the docpipe deployment that the application does not share.

Constructs import from here instead of repeating literals. What the application must agree with
(environment variable names and the defaults behind them, key prefixes, the table's keys, service and
metric names, the queue timings the stale-job threshold derives from) is in ``docpipe.contract``, which
constructs import as well. Environment differences are not here: they come from CDK context (see
``config.py``), and only their defaults live in this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from docpipe import contract

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
CTX_SNAP_START: Final = "docpipe:snapStart"

# --- defaults of the context keys -------------------------------------------------------------------
DEFAULT_LOG_RETENTION_DAYS: Final = 14
DEFAULT_PROD_LOG_RETENTION_DAYS: Final = 90
DEFAULT_RENDER_ARCH: Final = "arm64"
# The SQS event source's maximum concurrency (2..1000): it caps render fan-out without reserving any
# account concurrency, which new accounts (limit 10) cannot spare.
DEFAULT_RENDER_MAX_CONCURRENCY: Final = 10
# The original service allowed 60 requests/min with a burst of 20 per client: 1 req/s steady, 20 burst.
DEFAULT_API_RATE_LIMIT: Final = 1.0
DEFAULT_API_BURST_LIMIT: Final = 20
# SnapStart for the ZIP functions (submit, status): on. Their init (imports, settings, the app, the
# boto3 clients) is most of a cold start, and the snapshot's price at this size is cents a month
# (docs/performance.md, "SnapStart"; docs/decisions.md).
DEFAULT_SNAP_START: Final = True

# --- application settings handed to the functions as environment variables --------------------------
# The others are the application's defaults: docpipe.contract.
LOG_LEVEL: Final = "INFO"

# --- storage ----------------------------------------------------------------------------------------
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
# One message per invocation, no batching window: see Functions._consume (functions.py) for why.
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
# ...except a submit that asked to wait for its document (`Prefer: wait=N`, N capped at
# MAX_WAIT_SECONDS): it may wait that long, then answer within the margin, still before the 29 s.
API_GATEWAY_TIMEOUT_SECONDS: Final = 29
SUBMIT_FUNCTION_TIMEOUT_SECONDS: Final = contract.MAX_WAIT_SECONDS + contract.SUBMIT_WAIT_MARGIN_SECONDS
# TeX is CPU-bound and Lambda allots CPU by memory: 2048 MB buys a bit more than one vCPU, enough for
# one TeX run plus Python, and a build directory in /tmp stays far below the default 512 MB of disk.
RENDER_MEMORY_MB: Final = 2048
# The render function's timeout, the queue's visibility timeout and the stale-job threshold derived from
# them are in docpipe.contract: the application's default for that threshold must match.

SUBMIT: Final = "submit"
STATUS: Final = "status"
RENDER: Final = "render"
FUNCTION_NAMES: Final = (SUBMIT, STATUS, RENDER)
# Fixed logical ids: `sam local invoke SubmitFunction -t cdk.out/Docpipe.template.json` and the tests
# address functions by these.
FUNCTION_LOGICAL_IDS: Final = {SUBMIT: "SubmitFunction", STATUS: "StatusFunction", RENDER: "RenderFunction"}
# With SnapStart, API Gateway invokes this alias of the ZIP functions' current version: SnapStart only
# applies to published versions, never to $LATEST.
LIVE_ALIAS: Final = "live"

# --- API --------------------------------------------------------------------------------------------
# The stage is part of the URL (https://<id>.execute-api.<region>.amazonaws.com/api/v1/documents); the
# application sees the path without it.
API_STAGE: Final = "api"
API_KEY_HEADER: Final = "x-api-key"
HEALTH_PATH: Final = "/health"
# (method, path, function): every route the API serves. All but /health need an API key.
ROUTES: Final = (
    ("POST", "/v1/documents", SUBMIT),
    ("POST", "/v1/check", SUBMIT),  # the ATS check: reads a job's request and document back
    ("POST", "/v1/analyze", SUBMIT),  # the layout analysis: a job, its report read back inline
    ("GET", "/v1/jobs/{job_id}", STATUS),
    ("DELETE", "/v1/jobs/{job_id}", STATUS),
    ("GET", "/v1/templates", STATUS),
    ("GET", "/v1/schema/{document_type}", STATUS),
    ("POST", "/v1/validate", STATUS),
    ("GET", HEALTH_PATH, STATUS),
)

# --- monitoring -------------------------------------------------------------------------------------
# Metric names and the `service` dimension: docpipe.contract.
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
