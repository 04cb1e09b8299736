"""Local bundling of the ZIP functions: the layout, the locked requirements and the pip flags, checked
without downloading anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from docpipe_infra import bundling
from docpipe_infra import constants as c
from infra_support import REPO_ROOT


def test_runtime_requirements_come_from_the_lock_without_dev_or_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # the CDK CLI sets it for the app it runs
    requirements = bundling.export_requirements(REPO_ROOT, tmp_path / "requirements.txt")
    assert "\x1b" not in requirements
    names = {line.split("==")[0].strip().lower() for line in requirements.splitlines() if "==" in line}
    assert {"fastapi", "mangum", "pydantic", "redis", "aws-lambda-powertools"} <= names
    # the `local` extra and the dev group stay out of Lambda
    assert not names & {"uvicorn", "moto", "pytest", "aws-cdk-lib", "ruff"}
    assert "docpipe" not in names


def test_dependencies_are_installed_for_lambda_arm64(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    commands: list[list[str]] = []

    def fake_run(command: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        if "--output-file" in command:
            Path(command[command.index("--output-file") + 1]).write_text("fastapi==1.0\n")
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")

    monkeypatch.setattr(bundling, "_run", fake_run)
    (tmp_path / "bin").mkdir()
    bundling.install_requirements(REPO_ROOT, tmp_path)
    export, install = commands
    assert export[1:7] == ["export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--quiet"]
    flags = " ".join(install[1:])
    for flag in (
        "pip install",
        "--python-platform aarch64-manylinux2014",
        "--python-version 3.12",
        "--only-binary :all:",
        "--no-deps",
        f"--target {tmp_path}",
    ):
        assert flag in flags
    assert not (tmp_path / "bin").exists()


def _fake_repo(root: Path) -> Path:
    (root / "functions" / "submit").mkdir(parents=True)
    (root / "functions" / "submit" / "handler.py").write_text("def handler(event, context): ...\n")
    (root / "functions" / "submit" / "__pycache__").mkdir()
    package = root / "src" / "docpipe"
    (package / "templates" / "resume").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "templates" / "resume" / "document.tex.j2").write_text("\\documentclass{article}")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    return root


def test_sources_are_staged_at_the_zip_root(tmp_path: Path) -> None:
    repo, out = _fake_repo(tmp_path / "repo"), tmp_path / "out"
    out.mkdir()
    assert bundling.LocalPythonBundling(
        repo_root=repo, function_name="submit", install_dependencies=False
    ).try_bundle(
        str(out),
        image=None,  # type: ignore[arg-type]
    )
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == {"handler.py", "docpipe/__init__.py", "docpipe/templates/resume/document.tex.j2"}


def test_a_missing_handler_stops_the_synth(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path / "repo")
    with pytest.raises(bundling.BundlingError, match=r"handler\.py"):
        bundling.copy_sources(repo, "status", tmp_path / "out")


def test_asset_source_patterns_name_only_what_the_zip_needs() -> None:
    patterns = bundling.source_patterns(c.SUBMIT)
    assert patterns[0] == "*"
    assert {p for p in patterns if p.startswith("!")} == {
        "!functions/submit",
        "!src/docpipe",
        "!uv.lock",
        "!pyproject.toml",
    }
