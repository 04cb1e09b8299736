"""Jobs: their states, the queue message, and the content key that identifies a document."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
import uuid
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from docpipe import catalog, outputs
from docpipe.validation import DocumentRequestT

ENGINE_VERSION = "1"
"""Bump to invalidate every cached document when rendering changes in a way templates do not show."""


class JobStatus(StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RENDERING})


class JobError(BaseModel):
    code: str
    message: str


class Job(BaseModel):
    """A job as the jobs table holds it."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    tenant: str
    status: JobStatus
    document_type: str
    template: str
    format: str
    content_key: str
    request_key: str
    document_key: str
    filename: str
    created_at: str
    updated_at: str
    expires_at: int
    attempt: int = 0
    pages: int | None = None
    bytes: int | None = None
    render_ms: int | None = None
    layout: dict[str, Any] | None = None
    """How the PDF was fitted to ``options.layout.maxPages`` (fitting.py): stored as JSON text."""
    error: JobError | None = None


class RenderMessage(BaseModel):
    """The SQS message: a claim check. The request itself waits in S3, so messages stay tiny."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    tenant: str = Field(min_length=1, max_length=128)


class CachedDocument(BaseModel):
    """What the cache keeps for a rendered document: enough to answer a submit with a link."""

    job_id: str
    document_key: str
    filename: str
    layout: dict[str, Any] | None = None
    """The fit the job found (fitting.py): a cache hit answers with it, and never searches again."""


def new_job_id() -> str:
    return uuid.uuid4().hex


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@cache
def renderer_version() -> str:
    """Changes when any template file or the engine version changes: old cache entries stop matching."""
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for path in sorted(catalog.TEMPLATES_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(catalog.TEMPLATES_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def canonical_request(request: DocumentRequestT) -> dict[str, Any]:
    canonical = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    if request.format != "png":  # the preview's size changes nothing in any other format
        canonical["options"].pop("preview", None)
    return canonical


def content_key(request: DocumentRequestT, tenant: str) -> str:
    """Hash of everything that decides the output, scoped by tenant (no cross-tenant cache hits)."""
    canonical = {"tenant": tenant, "renderer": renderer_version(), "request": canonical_request(request)}
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def download_filename(request: DocumentRequestT) -> str:
    """``Jordan_Lee_Resume.pdf``: from the person's name, reduced to safe ASCII for the header."""
    name = unicodedata.normalize("NFKD", request.data.personal_info.name).encode("ascii", "ignore").decode()
    stem = "_".join("".join(ch for ch in word if ch.isalnum() or ch in "-") for word in name.split())
    stem = "_".join(part for part in stem.split("_") if part)[:80] or "document"
    kind = "Resume" if request.document_type == "resume" else "Cover_Letter"
    return f"{stem}_{kind}.{outputs.extension(request)}"
