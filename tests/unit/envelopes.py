"""Requests for the unit tests: a minimal résumé or letter around the fields a test is about, and the
problems validation reports for one."""

from __future__ import annotations

from typing import Any

import pytest

from docpipe.errors import InvalidDocument
from docpipe.validation import validate_request

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com"}


def resume(**data: Any) -> dict[str, Any]:
    return {"document_type": "resume", "data": {"personalInfo": dict(PERSON), **data}}


def letter(**data: Any) -> dict[str, Any]:
    return {"document_type": "cover_letter", "data": {"personalInfo": dict(PERSON), "body": ["Hi."], **data}}


def problems(value: Any) -> dict[str, str]:
    """Validate, expecting failure: {path: message} of every problem reported."""
    with pytest.raises(InvalidDocument) as info:
        validate_request(value)
    details = info.value.details
    assert details, "an invalid document must say what is wrong"
    return {d.path: d.message for d in details}
