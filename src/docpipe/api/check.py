"""The body of ``POST /v1/check``: JSON only, and larger than a document's, since it may carry a PDF
(see :mod:`docpipe.usecases.check`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from docpipe.api import negotiation
from docpipe.api.errors import UnsupportedMediaType
from docpipe.errors import DocpipeError, DocumentTooLarge, ErrorDetail
from docpipe.usecases.check import MAX_CHECK_BODY_BYTES


class CheckMediaType(UnsupportedMediaType):
    def __init__(self, content_type: str) -> None:
        got = content_type or "no content type"
        DocpipeError.__init__(self, f"send the check as application/json (got {got!r})")


def _too_large(what: str) -> DocumentTooLarge:
    message = f"{what}; the limit for a check is {MAX_CHECK_BODY_BYTES:,} bytes"
    return DocumentTooLarge(message, [ErrorDetail("", message)])


async def read_check_body(
    content_type: str, content_length: str | None, chunks: AsyncIterator[bytes]
) -> bytes:
    """The body, if it is JSON, read no further than the check's limit."""
    if negotiation.body_format(content_type) != "json":
        raise CheckMediaType(content_type)
    return await negotiation.read_limited(
        content_length, chunks, limit=MAX_CHECK_BODY_BYTES, refuse=_too_large
    )
