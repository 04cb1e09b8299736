"""A Lambda handler's import is its cold start: each imports what its path needs and nothing else
(issue 15). The submit and status functions never render, so they never load templates, TeX, the
output writers or YAML; no handler loads the X-Ray SDK (built at the first invocation) or redis-py
(loaded with the first cache client) while it is imported, nor the models that only document the API
(built with the OpenAPI schema), nor pydantic-settings. The CLI loads none of the AWS side."""

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
NEVER = ("aws_xray_sdk", "redis", "docx", "pdfminer", "lxml", "pydantic_settings")
# Declaring a route whose answers name response models, or that takes a path parameter, makes FastAPI
# build validators and import pydantic.v1 (~20 ms) to vet each type (openapi.json_answer, path_parameter).
API_NEVER = (
    *NEVER,
    "pydantic.v1",
    "docpipe.api.bodies",
    "docpipe.atscheck",
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
CLI_NEVER = (*NEVER, "aws_lambda_powertools", "boto3", "fastapi", "docpipe.api", "docpipe.observability")
CLI_START_NEVER = (
    "pydantic",
    "pydantic_core",
    "jinja2",
    "yaml",
    "docpipe.settings",
    "docpipe.envelope",
    "docpipe.validation",
    "docpipe.templates",
    "docpipe.renderer",
)
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
print(json.dumps(sorted(sys.modules)))
"""
# The whole of `docpipe render` (a PDF) and `docpipe validate`, in one process.
CLI_PROBE = """
import contextlib, json, sys
from docpipe import cli
for args in (["render", sys.argv[1], "-o", sys.argv[2]], ["validate", sys.argv[1]]):
    with contextlib.suppress(SystemExit):
        cli.main(args)
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(code: str, *args: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCPIPE_", "POWERTOOLS_"))} | ENVIRONMENT
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=env, timeout=120, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def imported_by(function: str) -> set[str]:
    return modules_after(PROBE, str(ROOT / "functions" / function))


def loaded(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f"{f}.") for f in forbidden))


@pytest.mark.parametrize("function", ["submit", "status"])
def test_the_api_functions_import_no_rendering_code(function: str) -> None:
    assert loaded(imported_by(function), API_NEVER) == []


def test_the_status_function_imports_no_layout_analysis() -> None:
    assert loaded(imported_by("status"), STATUS_NEVER) == []


def test_the_command_line_loads_nothing_of_the_aws_side(tmp_path: Path) -> None:
    sample = ROOT / "src" / "docpipe" / "samples" / "resume.json"
    modules = modules_after(CLI_PROBE, str(sample), str(tmp_path / "out.pdf"))
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF-")
    assert "docpipe.renderer" in modules
    assert loaded(modules, CLI_NEVER) == []


def test_the_command_line_starts_tex_before_it_loads_the_models() -> None:
    # `docpipe render` starts TeX (cli._typesetting) once its arguments are parsed: everything the
    # CLI module loads is paid before TeX starts, so it loads no pydantic, Jinja2, YAML or models.
    modules = modules_after(
        "import json, sys\nfrom docpipe import cli\nprint(json.dumps(sorted(sys.modules)))"
    )
    assert "docpipe.formats" in modules
    assert loaded(modules, CLI_START_NEVER) == []


def test_the_render_function_imports_no_tracing_sdk_or_cache_client() -> None:
    assert loaded(imported_by("render"), NEVER) == []
