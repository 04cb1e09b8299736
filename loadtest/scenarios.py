"""The scenarios by name, the requests they make, and the original service's published figures.

Shared by the locustfile (which runs under gevent) and the orchestrator (which must not import
locust: importing it patches the standard library), so it imports nothing but the standard library.
"""

from __future__ import annotations

from typing import Any

USER_CLASSES = {
    "cached": "CachedUser",
    "fresh": "FreshUser",
    "mixed": "MixedUser",
    "async": "AsyncUser",
    "status": "StatusUser",
}
"""Scenario name → the locustfile's user class that plays it."""

TITLES = {
    "cached": "cached — 100 % cache hits",
    "fresh": "fresh — 0 % cache hits, each job followed to its PDF",
    "mixed": "mixed — 80 % cache hits, 20 % new documents followed to their PDF",
    "async": "async — submission only (202), nobody waits for the renders",
    "status": "status — polling finished jobs",
}

# Request names in locust's statistics.
SUBMIT_HIT = "POST /v1/documents (cached)"
SUBMIT_NEW = "POST /v1/documents (new)"
STATUS = "GET /v1/jobs/{id}"
DOWNLOAD = "GET download_url (S3)"
TIME_TO_PDF = "time-to-PDF"
"""Not a request: submit → 202 → polls → download, end to end, recorded as its own statistic."""

API_KEY_ENV = "DOCPIPE_LOADTEST_API_KEY"
"""How the orchestrator hands the API key to locust (never on a command line)."""

ORIGINAL_CORES = 16
ORIGINAL: dict[str, dict[str, Any]] = {
    "cached": {"label": "100 % cache hits", "rps": 4800, "latency": "p99 45 ms"},
    "fresh": {"label": "0 % cache hits", "rps": 150, "latency": "p99 1.2 s"},
    "mixed": {"label": "80/20 mix", "rps": 2500, "latency": "p99 950 ms"},
    "async": {"label": "async submissions", "rps": 3500, "latency": "35 ms"},
}
"""The original service's scaling table, as published (never measured with the cache or the async
path wired); ``status`` has no counterpart there."""

HEADLINE = {
    "cached": "HTTP requests/s (all are cached submissions)",
    "fresh": "PDFs/s (submit, poll, download completed)",
    "mixed": "submissions/s (POST /v1/documents, hits and new)",
    "async": "submissions/s (POST /v1/documents answered 202)",
    "status": "HTTP requests/s (GET /v1/jobs/{id})",
}
"""Which of our figures stands beside the original's."""

ALL = ("cached", "fresh", "mixed", "status", "async")
"""``--scenario all``: async last, since on a shared stack its backlog outlives it."""
