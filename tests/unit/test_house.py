"""The house's size rules, checked on every run so they hold without anyone remembering them: a module
in src/ stays under 300 lines, a function under 50, a Lambda entry point at 25 (decorators plus one
call; the logic lives in src/docpipe)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "src").rglob("*.py"))
HANDLERS = sorted((ROOT / "functions").glob("*/handler.py"))
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_HANDLER_LINES = 300, 50, 25


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_there_is_something_to_check() -> None:
    assert len(SOURCES) > 30
    assert len(HANDLERS) == 3


@pytest.mark.parametrize("path", SOURCES, ids=_relative)
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_relative(path)} has {lines} lines: split it by what it holds"


@pytest.mark.parametrize("path", SOURCES, ids=_relative)
def test_functions_stay_short(path: Path) -> None:
    assert _long_functions(path) == []


@pytest.mark.parametrize("path", HANDLERS, ids=_relative)
def test_handlers_stay_thin(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_HANDLER_LINES, f"{_relative(path)} has {lines} lines"
