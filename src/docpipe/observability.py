"""Logger, Metrics and Tracer: created once and imported everywhere.

Logs carry job ids, sizes, timings and error codes — never document contents (personal data).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

# Each function sets POWERTOOLS_SERVICE_NAME (docpipe-submit / -status / -render) so logs and metrics
# split per function; "docpipe" outside Lambda.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "docpipe")
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Docpipe"), service=SERVICE)
tracer = Tracer(service=SERVICE)
