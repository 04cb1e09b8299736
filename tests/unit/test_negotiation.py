"""Reading what the client asked for: body media type, Prefer: wait=N, Accept: application/pdf."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from docpipe import contract
from docpipe.api.errors import UnsupportedMediaType
from docpipe.api.negotiation import body_format, read_limited, wait_seconds, wants_document
from docpipe.errors import DocumentTooLarge
from docpipe.limits import MAX_REQUEST_BYTES


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("application/vnd.docpipe+json", "json"),
        ("application/yaml", "yaml"),
        ("application/x-yaml", "yaml"),
        ("text/yaml; charset=utf-8", "yaml"),
        ("TEXT/X-YAML", "yaml"),
        # curl --data's default: the README's one-request curl sends JSON under it.
        ("application/x-www-form-urlencoded", "json"),
    ],
)
def test_body_formats(content_type: str, expected: str) -> None:
    assert body_format(content_type) == expected


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/xml", "multipart/form-data", "yaml"])
def test_other_bodies_are_refused(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="application/yaml"):
        body_format(content_type)


@pytest.mark.parametrize(
    ("prefer", "seconds"),
    [
        (None, 0),
        ("", 0),
        ("wait=10", 10),
        ("WAIT = 7", 7),
        ('wait="3"', 3),
        ("respond-async, wait=12", 12),
        ("return=minimal; foo=bar, wait=5; x=y", 5),
        ("wait=0", 0),
        ("wait=600", contract.MAX_WAIT_SECONDS),
        ("wait=99999999999", 0),  # malformed (too many digits): ignored, never an error
        ("wait=-3", 0),
        ("wait=abc", 0),
        ("wait=2.5", 0),
        ("respond-async", 0),
    ],
)
def test_wait_preference(prefer: str | None, seconds: int) -> None:
    assert wait_seconds(prefer) == seconds


def test_the_cap_stays_inside_api_gateways_limit() -> None:
    assert contract.MAX_WAIT_SECONDS + contract.SUBMIT_WAIT_MARGIN_SECONDS < 29


@pytest.mark.parametrize(
    ("accept", "pdf"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/pdf", True),
        ("APPLICATION/PDF", True),
        ("application/pdf;q=0", False),
        ("application/pdf;q=0.5, application/json", False),
        ("application/json;q=0.1, application/pdf", True),
        ("application/pdf, */*;q=0.8", True),
        ("application/pdf;q=nonsense", False),
    ],
)
def test_accept(accept: str | None, pdf: bool) -> None:
    assert wants_document(accept, contract.MEDIA_TYPES["pdf"]) is pdf


DOCX = contract.MEDIA_TYPES["docx"]


@pytest.mark.parametrize(
    ("accept", "media_type", "document"),
    [
        (DOCX, DOCX, True),
        ("application/pdf", DOCX, False),  # a PDF was asked for: JSON about the DOCX, not the DOCX
        (DOCX, contract.MEDIA_TYPES["pdf"], False),
        ("text/plain", contract.MEDIA_TYPES["txt"], True),  # its charset parameter aside
        ("text/plain;q=0.2, application/json", contract.MEDIA_TYPES["txt"], False),
    ],
)
def test_accept_names_the_documents_own_type(accept: str, media_type: str, document: bool) -> None:
    assert wants_document(accept, media_type) is document


# --- the body, read no further than the limit ---------------------------------------------------------


class Chunks:
    """An upload arriving in chunks, counting how much of it the server pulled."""

    def __init__(self, total: int, size: int = 64 * 1024) -> None:
        self.total, self.size, self.pulled = total, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            chunk = b"x" * min(self.size, self.total - self.pulled)
            self.pulled += len(chunk)
            yield chunk


def read(content_length: str | None, chunks: Chunks) -> bytes:
    return asyncio.run(read_limited(content_length, aiter(chunks)))


def test_a_chunked_upload_is_cut_off_at_the_limit_not_read_whole() -> None:
    upload = Chunks(300 * 1024 * 1024)  # the 300 MB POST that once grew the API by 610 MB
    with pytest.raises(DocumentTooLarge, match="limit is 262,144 bytes"):
        read(None, upload)
    assert upload.pulled <= MAX_REQUEST_BYTES + upload.size


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    upload = Chunks(MAX_REQUEST_BYTES + 1)
    with pytest.raises(DocumentTooLarge, match=f"{MAX_REQUEST_BYTES + 1:,} bytes"):
        read(str(MAX_REQUEST_BYTES + 1), upload)
    assert upload.pulled == 0


@pytest.mark.parametrize("declared", [None, "12", "nonsense", str(MAX_REQUEST_BYTES)])
def test_a_body_within_the_limit_is_read_whole(declared: str | None) -> None:
    """A declared length is a hint for refusing early, never trusted to stop reading short."""
    upload = Chunks(MAX_REQUEST_BYTES, size=1000)
    assert len(read(declared, upload)) == MAX_REQUEST_BYTES
