"""Logger, Metrics and Tracer: created once and imported everywhere.

Logs carry job ids, sizes, timings and error codes — never document contents (personal data).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="docpipe")
metrics = Metrics(namespace="Docpipe", service="docpipe")
tracer = Tracer(service="docpipe")
