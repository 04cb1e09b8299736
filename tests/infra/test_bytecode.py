"""Lambda never compiles our modules at a cold start: its /var/task is read-only, so the ZIP assets carry
bytecode for Lambda's Python (PEP 552 unchecked-hash pycs, valid without the sources' mtimes) and the
render image compiles its virtualenv and handler at build time."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from docpipe_infra import bundling
from docpipe_infra import constants as c
from infra_support import REPO_ROOT, Synth

from docpipe import contract, errors

CACHE_TAG = f"cpython-{c.LAMBDA_PYTHON_VERSION.replace('.', '')}"
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, check_source off


@pytest.fixture(scope="module")
def lambda_python() -> str:
    """Lambda's Python version, found as bundling finds it: missing, the tests fail (never skip)."""
    return bundling.lambda_python()


@pytest.fixture(scope="module")
def magic_number(lambda_python: str) -> bytes:
    script = "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"
    result = subprocess.run([lambda_python, "-I", "-c", script], capture_output=True, text=True, check=True)
    return bytes.fromhex(result.stdout)


def _asset(synth: Synth, name: str) -> Path:
    resource = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]
    return synth.outdir / str(resource["Metadata"]["aws:asset:path"])


def _modules(asset: Path) -> Iterator[Path]:
    """The handler and every module of the docpipe package."""
    yield asset / "handler.py"
    yield from sorted((asset / "docpipe").rglob("*.py"))


def _pyc(source: Path) -> Path:
    return source.parent / "__pycache__" / f"{source.stem}.{CACHE_TAG}.pyc"


@pytest.mark.parametrize("name", [c.SUBMIT, c.STATUS])
def test_zip_assets_hold_unchecked_hash_bytecode_for_lambdas_python(
    synth: Synth, name: str, magic_number: bytes
) -> None:
    asset = _asset(synth, name)
    modules = list(_modules(asset))
    assert len(modules) > 30  # the package is staged: the check looks at what ships
    headers = {
        str(source.relative_to(asset)): _pyc(source).read_bytes()[:8] if _pyc(source).is_file() else None
        for source in modules
    }
    wrong = {
        module: header for module, header in headers.items() if header is None or header[:4] != magic_number
    }
    assert not wrong, f"no {CACHE_TAG} pyc (or another Python's) for: {sorted(wrong)}"
    flags = {module: int.from_bytes(header[4:8], "little") for module, header in headers.items() if header}
    assert set(flags.values()) == {UNCHECKED_HASH}, flags
    # Nothing but Lambda's version: no pyc of the host's Python slipped in beside them.
    assert {pyc.name.split(".")[-2] for pyc in asset.rglob("*.pyc")} == {CACHE_TAG}


def test_lambdas_python_imports_the_bytecode_without_reading_the_sources(
    synth: Synth, lambda_python: str, tmp_path: Path
) -> None:
    """Every docpipe source of a staged asset is replaced by a syntax error: the import still gets the
    real modules (contract and errors import only the standard library), so the sources are never read."""
    asset = tmp_path / "task"
    shutil.copytree(_asset(synth, c.SUBMIT), asset)
    for source in (asset / "docpipe").rglob("*.py"):
        source.write_text(f"this source must never be compiled: {source.name} (\n")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import docpipe.contract, docpipe.errors; "
        "print(docpipe.contract.ENV_BUCKET, docpipe.errors.InvalidDocument.code)"
    )
    # -I: no PYTHON* variable or user site interferes; -B: nothing new is written beside the sources.
    result = subprocess.run(
        [lambda_python, "-I", "-B", "-c", script, str(asset)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [contract.ENV_BUCKET, errors.InvalidDocument.code]


def test_a_missing_lambda_python_stops_the_synth_naming_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(c, "LAMBDA_PYTHON_VERSION", "3.99")  # a version no machine has
    with pytest.raises(bundling.BundlingError, match=r"`uv python install 3\.99`"):
        bundling.lambda_python()


# --- the render image -------------------------------------------------------------------------------


def _stages(dockerfile: Path) -> list[list[tuple[str, str]]]:
    """Each stage's (INSTRUCTION, arguments): continuation lines joined, comments dropped."""
    stages: list[list[tuple[str, str]]] = []
    pending = ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stages.append([])
        elif stages:
            stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def _env_at_each_run(stage: list[tuple[str, str]]) -> Iterator[tuple[str, dict[str, str]]]:
    """(command, the ENV set before it) for each RUN of a stage (ENV in its KEY=value form)."""
    env: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            env |= dict(word.split("=", 1) for word in shlex.split(arguments))
        elif keyword == "RUN":
            yield arguments, dict(env)


def test_the_render_image_compiles_its_virtualenv_and_handler_at_build_time() -> None:
    build, runtime = _stages(REPO_ROOT / c.RENDER_DOCKERFILE)
    installs = [
        (command, env)
        for run, env in _env_at_each_run(build)
        for command in run.split("&&")
        if "uv sync" in command or "uv pip install" in command
    ]
    assert len(installs) == 3
    for command, env in installs:
        assert env.get("UV_COMPILE_BYTECODE") == "1" or "--compile-bytecode" in command, command
        assert env.get("PYC_INVALIDATION_MODE") == "UNCHECKED_HASH", command
    # docpipe is installed into the virtualenv (so compiled with it), not linked to /build/src.
    (project,) = [
        command for command, _ in installs if "uv sync" in command and "--no-install-project" not in command
    ]
    assert "--no-editable" in project
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    # The handler, copied into the task root in the runtime stage, is compiled there.
    compiles = [run for run, _ in _env_at_each_run(runtime) if "compileall" in run]
    assert len(compiles) == 1
    assert "--invalidation-mode unchecked-hash /var/task" in compiles[0]
    assert ("WORKDIR", "/var/task") in runtime
