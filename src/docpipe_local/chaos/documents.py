"""Documents for chaos runs."""

from __future__ import annotations

import copy
import uuid
from typing import Any


def unique(document: dict[str, Any], label: str = "Person") -> dict[str, Any]:
    """A copy of ``document`` under a new name: the cache and dedup key on content, so it renders."""
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"{label} {uuid.uuid4().hex[:8]}"
    return fresh
