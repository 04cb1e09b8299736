"""ZIP assets for the Python functions, built on the host without Docker.

A function's asset holds, at its root:
- the files of ``functions/<name>/`` (so the handler is ``handler.handler``),
- the ``docpipe`` package copied from ``src/docpipe`` with its data files (templates, schemas),
- the runtime dependencies from ``uv.lock``, as wheels for Lambda's arm64 Python 3.12,
- and, beside every module, its bytecode for that Python (:func:`compile_bytecode`).

Nothing of the local stack ships: not ``src/docpipe_local`` (the local stack, beside the package), not
``loadtest/``, not the ``local`` extra or the dev group (moto, locust, ...); a staged asset that holds
any of :data:`LOCAL_ONLY` stops the synth.

CDK calls ``try_bundle`` (its ``ILocalBundling`` hook) before it would start a bundling container; we
always bundle locally, so the Docker image named in the options is never pulled. With context
``docpipe:bundle=false`` the dependencies are skipped: synth is then offline and fast, for tests and
template checks, and the asset is not deployable.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, IgnoreMode, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from docpipe_infra import constants as c

LOCAL_ONLY: Final = frozenset({"docpipe_local", "loadtest", "moto", "locust"})
"""Top-level packages (or distributions) of the local stack and its tools: never in a Lambda asset."""

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")
_EXPORT = ("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--quiet")
_TASK_ROOT = "/var/task"  # where Lambda unpacks a ZIP function


class BundlingError(RuntimeError):
    """Local bundling failed; synth stops rather than falling back to a Docker build."""


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Stage one function's sources, and optionally its dependencies, into CDK's output directory."""

    def __init__(self, *, repo_root: Path, function_name: str, install_dependencies: bool) -> None:
        self._repo_root = repo_root
        self._function_name = function_name
        self._install_dependencies = install_dependencies

    # jsii spreads the BundlingOptions struct into keyword arguments; none of them matters here.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        out = Path(output_dir)
        copy_sources(self._repo_root, self._function_name, out)
        if self._install_dependencies:
            install_requirements(self._repo_root, out)
        compile_bytecode(out)
        check_runtime_only(out)
        return True


def python_function_code(
    *, function_name: str, install_dependencies: bool, repo_root: Path = c.REPO_ROOT
) -> lambda_.Code:
    """The ``lambda.Code`` of one ZIP function (see the module docstring for its layout)."""
    mode = "with-dependencies" if install_dependencies else "sources-only"
    return lambda_.Code.from_asset(
        str(repo_root),
        # The asset hash covers only what goes into the ZIP (plus the lock), so unrelated edits in the
        # repository do not re-upload the functions.
        asset_hash_type=AssetHashType.SOURCE,
        ignore_mode=IgnoreMode.DOCKER,
        exclude=source_patterns(function_name),
        bundling=BundlingOptions(
            image=lambda_.Runtime.PYTHON_3_12.bundling_image,
            local=LocalPythonBundling(
                repo_root=repo_root, function_name=function_name, install_dependencies=install_dependencies
            ),
            # Unused by local bundling, but part of the asset hash: the two modes never share a staged
            # asset, so a sources-only synth cannot leak into a deploy.
            environment={"DOCPIPE_BUNDLE_MODE": mode},
        ),
    )


def source_patterns(function_name: str) -> list[str]:
    """dockerignore-style patterns: everything is excluded except what the ZIP is built from."""
    return [
        "*",
        f"!{c.FUNCTIONS_DIR}/{function_name}",
        f"!{c.SOURCE_PACKAGE_DIR}",
        "!uv.lock",
        "!pyproject.toml",
        "**/__pycache__",
        "**/*.pyc",
    ]


def copy_sources(repo_root: Path, function_name: str, out: Path) -> None:
    function_dir = repo_root / c.FUNCTIONS_DIR / function_name
    package_dir = repo_root / c.SOURCE_PACKAGE_DIR
    if not (function_dir / "handler.py").is_file():
        raise BundlingError(f"{function_dir}/handler.py is missing")
    shutil.copytree(function_dir, out, ignore=_SKIP, dirs_exist_ok=True)
    shutil.copytree(package_dir, out / package_dir.name, ignore=_SKIP, dirs_exist_ok=True)


def check_runtime_only(out: Path) -> None:
    """Stop if a staged asset holds the local stack or its tools (a package folder, a module or a
    distribution's metadata named in :data:`LOCAL_ONLY`)."""
    found = sorted(
        entry.name
        for entry in out.iterdir()
        if entry.name.split("-", 1)[0].removesuffix(".py").lower() in LOCAL_ONLY
    )
    if found:
        raise BundlingError(f"{out} holds development tooling that must not ship: {', '.join(found)}")


def export_requirements(repo_root: Path, target: Path) -> str:
    """Write the runtime dependencies pinned by ``uv.lock`` to ``target`` and return them: no dev group,
    no extras (``local`` stays out). Written by uv itself, so no terminal colouring can leak in."""
    _run([_uv(), *_EXPORT, "--output-file", str(target)], cwd=repo_root)
    return target.read_text()


def install_requirements(repo_root: Path, out: Path) -> None:
    """Install the locked wheels for Lambda's platform into ``out``.

    This is pip's ``install --platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.12
    --target`` spelled for ``uv pip``: the project's virtualenv is managed by uv and has no pip, and
    uv evaluates environment markers for the target platform instead of the host's.
    """
    with tempfile.TemporaryDirectory(prefix="docpipe-reqs-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        export_requirements(repo_root, requirements)
        _run(
            [
                _uv(),
                "pip",
                "install",
                "--python",
                sys.executable,
                "--python-platform",
                c.LAMBDA_WHEEL_PLATFORM,
                "--python-version",
                c.LAMBDA_PYTHON_VERSION,
                "--only-binary",
                ":all:",
                "--no-deps",  # the export is already the full, locked closure
                "--target",
                str(out),
                "--requirement",
                str(requirements),
            ],
            cwd=repo_root,
        )
    # Console scripts carry the host interpreter's shebang and are useless in Lambda.
    shutil.rmtree(out / "bin", ignore_errors=True)


def compile_bytecode(out: Path) -> None:
    """Compile every module staged in ``out`` to bytecode for Lambda's Python (:func:`lambda_python`).

    Lambda's /var/task is read-only: without ``__pycache__`` in the ZIP, every cold start compiles every
    module from source in memory (importing the submit handler took 2.1-2.4 s instead of 0.7-1.1 s).
    The pycs are ``unchecked-hash`` (PEP 552): CDK zips the asset and Lambda unpacks it without the
    sources' mtimes, so timestamp pycs would be stale and ignored, and checked-hash ones would read and
    hash every source again; the sources of a deployed function never change, so nothing needs checking.

    Two stagings are byte-identical: ``-d`` records /var/task/... as the file names (what tracebacks
    show) instead of this staging directory, and the files are compiled one after another in one
    process (no ``-j``): marshal flags an object for sharing by its reference count, which depends on
    what the same process compiled before, so parallel workers, fed in scheduling order, wrote
    different bytes from run to run. ``-I`` keeps the caller's PYTHON* variables out (PYTHONOPTIMIZE
    would write .opt-1 pycs, which Lambda never reads) and the staged modules off ``sys.path``.
    """
    _run(
        [
            lambda_python(),
            "-I",
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "unchecked-hash",
            "-d",
            _TASK_ROOT,
            str(out),
        ],
        cwd=out,
    )


def lambda_python() -> str:
    """The path of a CPython of Lambda's version (``uv python find``, never a download), to compile the
    bytecode with: a pyc is only read by the minor version that wrote it (its ``cpython-312`` tag and
    magic number), and the project's own virtualenv may be another one.

    uv looks in virtualenvs, its managed Pythons (``uv python install``) and PATH. pyenv's versions are
    added to that PATH: pyenv's ``python3.12`` shim fails unless 3.12 is selected, and uv gives up on it.
    """
    version = c.LAMBDA_PYTHON_VERSION
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    pyenv_bins = [str(path) for path in sorted(pyenv_root.glob(f"versions/{version}.*/bin"))]
    return _find_python(version, os.pathsep.join([*pyenv_bins, os.environ.get("PATH", "")]))


# Once per process, not once per function staged: uv queries every interpreter it meets on the way.
@functools.cache
def _find_python(version: str, path: str) -> str:
    try:
        found = _run(
            [_uv(), "python", "find", "--no-project", f"cpython@{version}"], cwd=Path.cwd(), path=path
        )
    except BundlingError as error:
        raise BundlingError(
            f"no Python {version} found to compile the Lambda functions' bytecode for Lambda's Python"
            f" {version}: install one with `uv python install {version}` (or put a python{version} on"
            f" PATH)\n{error}"
        ) from error
    return found.stdout.strip()


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise BundlingError("uv is required to bundle the Lambda functions (see `make setup`)")
    return uv


def _run(command: list[str], *, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    # The CDK CLI forces colour for its children; uv must not colour what it writes.
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    if path is not None:
        env["PATH"] = path
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(
            f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result
