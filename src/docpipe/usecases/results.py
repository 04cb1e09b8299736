"""What the use cases answer with. The API chooses status codes, headers and paths from these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docpipe.errors import ErrorDetail
from docpipe.jobs import Job, JobStatus


@dataclass(frozen=True)
class Download:
    """A presigned link to a finished document, and when it stops working (ISO 8601)."""

    url: str
    expires_at: str
    media_type: str = "application/pdf"
    """The document's own type: what ``Accept`` asks for to be sent to the link itself (303)."""


@dataclass(frozen=True)
class Queued:
    """Accepted: a job is on its way (queued or rendering); its owner polls it."""

    job_id: str
    status: JobStatus
    warnings: tuple[ErrorDetail, ...] = ()
    """How the request was read: fields left out, sections shown as extra sections (validation.Checked)."""


@dataclass(frozen=True)
class Cached:
    """Rendered before: the finished job's document, with no new job."""

    job_id: str
    download: Download
    warnings: tuple[ErrorDetail, ...] = ()
    """As :attr:`Queued.warnings`."""
    layout: dict[str, Any] | None = None
    """How the cached PDF was fitted (fitting.py), when it was."""


Submitted = Queued | Cached
"""What a submit answers with."""


@dataclass(frozen=True)
class JobView:
    """A job as its owner sees it, with a download link once it has succeeded."""

    job: Job
    download: Download | None = None
