"""Reading what the client asked for: body media type, Prefer: wait=N, Accept: application/pdf."""

from __future__ import annotations

import pytest

from docpipe import contract
from docpipe.api.errors import UnsupportedMediaType
from docpipe.api.negotiation import body_format, wait_seconds, wants_pdf


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
    assert wants_pdf(accept) is pdf
