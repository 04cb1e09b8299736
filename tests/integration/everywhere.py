"""Documents with a value of the test's choosing in every text field every template prints.

The field sets are those of test_hostile.py (the original fields) and test_hostile_vocabulary.py
(link texts, GPA, honours, school projects, aliases, a free-text date ...): their generators are
run with a placeholder, and each marked placeholder is replaced by a fresh value from ``make``,
dictionary keys (a skill group's name) included. So a field added to those corpora is covered here
too, without listing it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import test_hostile
import test_hostile_vocabulary

from docpipe import catalog

_PLACEHOLDER = "PLACEHOLDER"
_COPY = re.compile(rf"ZQ\d\d {_PLACEHOLDER} QZ\d\d")

FieldSet = Callable[[str], tuple[dict[str, Any], list[str]]]
FIELD_SETS: dict[str, dict[str, FieldSet]] = {
    "resume": {
        "original": test_hostile._resume_fields,
        "vocabulary": test_hostile_vocabulary._resume_fields,
    },
    "cover_letter": {
        "original": test_hostile._letter_fields,
        "vocabulary": test_hostile_vocabulary._letter_fields,
    },
}
TEMPLATES = [(kind, name) for kind in ("resume", "cover_letter") for name in catalog.template_names(kind)]


def _fill(value: Any, make: Callable[[], str]) -> Any:
    if isinstance(value, str):
        return _COPY.sub(lambda _: make(), value)
    if isinstance(value, list):
        return [_fill(v, make) for v in value]
    if isinstance(value, dict):
        return {_fill(k, make): _fill(v, make) for k, v in value.items()}
    return value


def document(document_type: str, template: str, field_set: str, make: Callable[[], str]) -> dict[str, Any]:
    """An envelope with ``make()`` in every text field of ``field_set``."""
    data, _ = FIELD_SETS[document_type][field_set](_PLACEHOLDER)
    return {"document_type": document_type, "template": template, "data": _fill(data, make)}
