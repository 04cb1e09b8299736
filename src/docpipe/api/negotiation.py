"""What the client asked for in its headers: the body's media type (JSON or YAML), how long it is
willing to wait for the document (``Prefer: wait=N``, RFC 7240) and whether it wants the document
itself (``Accept: application/pdf``, or a DOCX's, text's, PNG's or zip's own type) rather than JSON
about it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Literal

from docpipe import contract
from docpipe.api.errors import UnsupportedMediaType
from docpipe.errors import DocumentTooLarge
from docpipe.limits import MAX_REQUEST_BYTES
from docpipe.parsing import too_large

BodyFormat = Literal["json", "yaml"]

_JSON_TYPES = re.compile(r"^application/(json|[\w.+-]+\+json)\s*(;.*)?$", re.IGNORECASE)
# No registered type until RFC 9512 (application/yaml); the older spellings are still what tools send.
_YAML_TYPES = re.compile(r"^(application|text)/(yaml|x-yaml|[\w.+-]+\+yaml)\s*(;.*)?$", re.IGNORECASE)
_WAIT = re.compile(r"^\s*wait\s*=\s*\"?(\d{1,6})\"?\s*$", re.IGNORECASE)


# What `curl --data @resume.json` sends unless told otherwise. Its body is read as JSON (it is not
# form data: a form field would fail as invalid JSON, with a 422 that says so). Such requests need no
# CORS preflight, but in AWS every request must carry the API key header, which a form cannot send.
_CURL_DEFAULT = re.compile(r"^application/x-www-form-urlencoded\s*(;.*)?$", re.IGNORECASE)


def body_format(content_type: str) -> BodyFormat:
    """``json`` or ``yaml`` from the Content-Type; anything else is a 415."""
    if _JSON_TYPES.match(content_type) or _CURL_DEFAULT.match(content_type):
        return "json"
    if _YAML_TYPES.match(content_type):
        return "yaml"
    raise UnsupportedMediaType(content_type)


def wait_seconds(prefer: str | None) -> int:
    """The ``wait`` preference in seconds, capped at what API Gateway lets an answer take; 0 without one.

    RFC 7240: preferences are comma-separated and may carry parameters after ``;``; one the server
    does not understand is ignored, and so is a malformed one (a preference is never an error).
    """
    for preference in (prefer or "").split(","):
        match = _WAIT.match(preference.split(";")[0])
        if match:
            return min(int(match.group(1)), contract.MAX_WAIT_SECONDS)
    return 0


def wants_document(accept: str | None, media_type: str) -> bool:
    """Whether the document's own media type (``application/pdf`` for a PDF, ``application/zip`` for the
    PNGs of every page: ``ObjectStore.media_type``; its parameters aside) is acceptable (q > 0) and
    preferred to JSON; ``*/*`` keeps JSON."""
    document = media_type.split(";")[0].strip().lower()
    if document == "application/json":  # an analysis: JSON about the job is what JSON asks for
        return False
    quality = {document: 0.0, "application/json": 0.0}
    for entry in (accept or "").split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        if media.lower() in quality:
            quality[media.lower()] = _quality(params)
    return quality[document] > 0 and quality[document] >= quality["application/json"]


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


async def read_limited(
    content_length: str | None,
    chunks: AsyncIterator[bytes],
    *,
    limit: int = MAX_REQUEST_BYTES,
    refuse: Callable[[str], DocumentTooLarge] = too_large,
) -> bytes:
    """The body, read no further than ``limit``: a declared length over it is refused before a byte
    is read, and a chunked body as soon as it passes it (never held whole first, whatever its size).
    In Lambda the body arrives whole in the event (API Gateway caps it at 10 MB); the limit holds there
    too. ``refuse`` makes the 413 (one that names the limit)."""
    declared = content_length.strip() if content_length else ""
    if declared.isdigit() and int(declared) > limit:
        raise refuse(f"the request is {int(declared):,} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise refuse("the request is larger than that")
    return bytes(body)
