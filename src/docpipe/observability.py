"""Logger, Metrics and Tracer: created once and imported everywhere.

Logs carry job ids, sizes, timings and error codes — never document contents (personal data). Every
metric goes to one namespace, POWERTOOLS_METRICS_NAMESPACE (``metrics.namespace``): a metric emitted
on its own (``single_metric``) takes it from there too.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from docpipe import contract

# Each function sets POWERTOOLS_SERVICE_NAME (docpipe-submit / -status / -render) so logs and metrics
# split per function; "docpipe" outside Lambda.
SERVICE = os.environ.get(contract.ENV_SERVICE_NAME, "docpipe")
logger = Logger(service=SERVICE)
metrics = Metrics(
    namespace=os.environ.get(contract.ENV_METRICS_NAMESPACE, contract.METRICS_NAMESPACE), service=SERVICE
)
tracer = Tracer(service=SERVICE)
