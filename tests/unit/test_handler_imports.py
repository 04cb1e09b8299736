"""A Lambda handler's import is its cold start: each imports what its path needs and nothing else
(issue 15). The submit and status functions never render, so they never load templates, TeX, the
output writers or YAML; no handler loads the X-Ray SDK (built at the first invocation) or redis-py
(loaded with the first cache client) while it is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.bench_speed import HANDLER_ENV

ROOT = Path(__file__).parents[2]
ENVIRONMENT = HANDLER_ENV  # what a handler needs to import: the settings the stack sets
NEVER = ("aws_xray_sdk", "redis", "docx", "pdfminer", "lxml")
API_NEVER = (
    *NEVER,
    "jinja2",
    "yaml",
    "docpipe.templates",
    "docpipe.formats",
    "docpipe.renderer",
    "docpipe.texprocess",
    "docpipe.latex",
    "docpipe.outline",
    "docpipe.previews",
)
# The layout analysis (its models and the fit search) only for the function that serves /v1/analyze.
STATUS_NEVER = (*API_NEVER, "docpipe.analysis", "docpipe.fitting", "docpipe.layout")
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(function: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCPIPE_", "POWERTOOLS_"))} | ENVIRONMENT
    folder = str(ROOT / "functions" / function)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, folder], capture_output=True, env=env, timeout=120, check=True
    )
    return set(json.loads(done.stdout))


def loaded(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f"{f}.") for f in forbidden))


@pytest.mark.parametrize("function", ["submit", "status"])
def test_the_api_functions_import_no_rendering_code(function: str) -> None:
    assert loaded(imported_by(function), API_NEVER) == []


def test_the_status_function_imports_no_layout_analysis() -> None:
    assert loaded(imported_by("status"), STATUS_NEVER) == []


def test_the_render_function_imports_no_tracing_sdk_or_cache_client() -> None:
    assert loaded(imported_by("render"), NEVER) == []
