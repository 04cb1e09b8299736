"""`docpipe dev` and `docpipe demo` import the local stack only when they run, and say clearly what
to install when it is missing; every other command works without it."""

from __future__ import annotations

import sys

import pytest

from docpipe import cli


@pytest.fixture
def without_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine with the runtime dependencies only: importing the local stack fails."""
    for name in [n for n in sys.modules if n == "docpipe_local" or n.startswith("docpipe_local.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "docpipe_local", None)  # None: "import docpipe_local" raises


@pytest.mark.parametrize("command", [["dev", "--port", "1"], ["demo", "--out", "unused"]])
def test_dev_and_demo_explain_a_missing_local_stack(
    without_local_stack: None, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(command) == cli.EXIT_UNAVAILABLE
    error = capsys.readouterr().err
    assert f"docpipe {command[0]} needs the local stack" in error
    assert "make setup" in error
    assert "uv sync --extra local" in error


def test_other_commands_never_import_the_local_stack(
    without_local_stack: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["templates"]) == 0
    assert "resume/" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["dev", "--help"])
    assert done.value.code == 0
