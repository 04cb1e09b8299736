"""Local bundling of the ZIP functions: the layout, the locked requirements and the pip flags, checked
without downloading anything."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docpipe_infra import bundling
from docpipe_infra import constants as c
from infra_support import REPO_ROOT, Synth


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
    # Each module with its bytecode for Lambda's Python (test_bytecode.py), none of the host's.
    assert files == {
        "handler.py",
        "__pycache__/handler.cpython-312.pyc",
        "docpipe/__init__.py",
        "docpipe/__pycache__/__init__.cpython-312.pyc",
        "docpipe/templates/resume/document.tex.j2",
    }


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


# --- nothing of the local stack ships ---------------------------------------------------------------

SHIPPED_NEVER = ("docpipe_local", "loadtest", "moto", "locust")
"""The local stack, the load-test harness, and the tools of the `local` extra and the dev group."""


def _shipped_never(paths: set[str]) -> list[str]:
    """The paths (relative, with "/") that belong to the local stack or its tools."""
    return sorted(
        path
        for path in paths
        if any(part.split("-", 1)[0].removesuffix(".py") in SHIPPED_NEVER for part in path.split("/"))
    )


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", [c.SUBMIT, c.STATUS])
def test_zip_assets_hold_no_local_stack(synth: Synth, name: str) -> None:
    code = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Metadata"]["aws:asset:path"]
    files = _files(synth.outdir / code)
    assert "docpipe/__init__.py" in files  # the asset is staged: the check looks at what ships
    assert (REPO_ROOT / "src" / "docpipe_local" / "__init__.py").is_file()  # and it could have leaked
    assert _shipped_never(files) == []


def test_zip_dependencies_hold_no_local_tooling(tmp_path: Path) -> None:
    """What `install_requirements` installs into a ZIP: the lock's runtime closure, no extras."""
    requirements = bundling.export_requirements(REPO_ROOT, tmp_path / "requirements.txt")
    names = {line.split("==")[0].strip().lower() for line in requirements.splitlines() if "==" in line}
    assert not names & {"moto", "locust", "uvicorn", "httpx", "psutil", "gevent"}


def test_staging_stops_on_local_tooling(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path / "repo")
    out = tmp_path / "out"
    out.mkdir()
    bundling.copy_sources(repo, "submit", out)
    bundling.check_runtime_only(out)  # the real layout passes
    for leaked in ("docpipe_local", "moto", "locust-2.32.0.dist-info"):
        (out / leaked).mkdir()
        with pytest.raises(bundling.BundlingError, match=leaked):
            bundling.check_runtime_only(out)
        (out / leaked).rmdir()


def _dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each instruction, continuation lines joined, comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")),
    )
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip()
    ]


def test_render_image_gets_no_local_stack(synth: Synth) -> None:
    """What the Dockerfile copies from the context and installs: src/docpipe alone, the lock's runtime
    dependencies (no dev group, no extra), and the Lambda runtime client."""
    (image,) = synth.assets_manifest()["dockerImages"].values()
    context = synth.outdir / image["source"]["directory"]
    assert "src/docpipe/__init__.py" in _files(context)
    assert _shipped_never(_files(context)) == []
    instructions = _dockerfile_instructions(context / c.RENDER_DOCKERFILE)
    copied = [
        arguments.split()[:-1]
        for instruction, arguments in instructions
        if instruction == "COPY" and "--from=" not in arguments
    ]
    sources = {source for sources in copied for source in sources}
    assert {source for source in sources if source.startswith("src")} == {"src/docpipe"}
    assert _shipped_never(sources) == []
    runs = " && ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    syncs = re.findall(r"uv sync\b[^&;]*", runs)
    assert syncs
    for sync in syncs:
        assert "--no-dev" in sync
        assert not re.search(r"--(all-)?extras?\b|--group\b|--all-groups\b", sync), sync
    installs = re.findall(r"uv pip install\b[^&;]*", runs)
    assert [re.findall(r"\b([a-z][a-z0-9_.-]*)==", install) for install in installs] == [["awslambdaric"]]
