"""The request envelope: the original service's `spacing_mode` is `options.spacing`."""

from __future__ import annotations

from typing import Any

import pytest

from docpipe.envelope import ResumeRequest
from docpipe.errors import InvalidDocument
from docpipe.jobs import content_key
from docpipe.validation import validate_request

DATA = {"personalInfo": {"name": "Ada Lovelace", "email": "ada@example.com"}}


def envelope(**fields: Any) -> dict[str, Any]:
    return {"document_type": "resume", "data": DATA, **fields}


@pytest.mark.parametrize("spacing", ["normal", "compact", "ultra-compact"])
def test_spacing_mode_is_options_spacing(spacing: str) -> None:
    original = validate_request(envelope(spacing_mode=spacing))
    ours = validate_request(envelope(options={"spacing": spacing}))
    assert original.options.spacing == spacing
    # The same document either way: the same cache key, and nothing of the old name is kept.
    assert content_key(original, "t") == content_key(ours, "t")
    assert "spacing_mode" not in original.model_dump(mode="json")


def test_spacing_mode_keeps_the_other_options() -> None:
    request = validate_request(envelope(spacing_mode="compact", options={"paper": "a4"}))
    assert (request.options.paper, request.options.spacing) == ("a4", "compact")


def test_both_names_is_an_error_at_the_old_name() -> None:
    with pytest.raises(InvalidDocument) as info:
        validate_request(envelope(spacing_mode="compact", options={"spacing": "normal"}))
    assert [d.path for d in info.value.details] == ["spacing_mode"]
    assert "options.spacing" in info.value.details[0].message


def test_an_unknown_spacing_mode_names_its_values() -> None:
    with pytest.raises(InvalidDocument) as info:
        validate_request(envelope(spacing_mode="roomy"))
    assert [d.path for d in info.value.details] == ["options.spacing"]
    assert "compact" in info.value.details[0].message


def test_the_schema_publishes_it() -> None:
    prop = ResumeRequest.model_json_schema(by_alias=True)["properties"]["spacing_mode"]
    assert "options.spacing" in prop["description"]
    assert {"normal", "compact", "ultra-compact"} <= {
        v for form in prop["anyOf"] for v in form.get("enum", [])
    }
