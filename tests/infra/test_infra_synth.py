"""The app synthesizes through the CDK CLI and as a plain script, offline, without Docker or AWS
credentials; the template passes cfn-lint, the Dockerfile passes hadolint, and the staged assets hold
exactly what the functions need."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docpipe_infra import constants as c
from infra_support import REPO_ROOT, OfflineEnv, Synth

BIN = Path(sys.executable).parent
CDK_CLI = REPO_ROOT / "infra" / "node_modules" / ".bin" / "cdk"
# CDK declares explicit DependsOn on roles that the functions also reference through GetAtt.
CFN_LINT_IGNORED = "W3005"
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# A published version's logical id ends in a hash of its function, code included (SnapStart's versions).
_VERSION_HASH = re.compile(r"(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}\b")


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _without_asset_hashes(template: dict[str, Any]) -> dict[str, Any]:
    # Asset hashes follow the sources; only an edit between two synths changes them, so they are left
    # out of the comparison (test_zip_asset_layout checks what the assets hold), and so are the version
    # ids that follow them.
    text = _VERSION_HASH.sub(r"\1<function-hash>", _ASSET_HASH.sub("<asset-hash>", json.dumps(template)))
    normalized: dict[str, Any] = json.loads(text)
    return normalized


def _assert_same_template(outdir: Path, expected_template: dict[str, Any]) -> None:
    actual = _without_asset_hashes(json.loads((outdir / f"{c.DEFAULT_STACK_NAME}.template.json").read_text()))
    expected = _without_asset_hashes(expected_template)
    differing = sorted(
        key
        for key in set(actual["Resources"]) | set(expected["Resources"])
        if actual["Resources"].get(key) != expected["Resources"].get(key)
    )
    assert not differing, f"resources differ from the in-process synth: {differing}"
    assert actual == expected


def test_cdk_cli_synth(synth: Synth, offline_env: OfflineEnv, tmp_path: Path) -> None:
    if not CDK_CLI.exists():
        pytest.fail(f"CDK CLI missing at {CDK_CLI}: run `npm ci --prefix infra`")
    command = [
        str(CDK_CLI),
        "synth",
        "--quiet",
        "--no-notices",
        "-c",
        f"{c.CTX_BUNDLE}=false",
        "-o",
        str(tmp_path),
    ]
    _run(command, offline_env.env)
    offline_env.assert_docker_unused()
    # The CLI, `python infra/app.py` and these tests all build the same template.
    _assert_same_template(tmp_path, synth.template_json)


def test_plain_python_synth(synth: Synth, offline_env: OfflineEnv, tmp_path: Path) -> None:
    env = {
        **offline_env.env,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps({c.CTX_BUNDLE: False}),
    }
    _run([sys.executable, "infra/app.py"], env)
    offline_env.assert_docker_unused()
    _assert_same_template(tmp_path, synth.template_json)


def test_cfn_lint(synth: Synth) -> None:
    template = synth.outdir / f"{c.DEFAULT_STACK_NAME}.template.json"
    result = subprocess.run(
        [str(BIN / "cfn-lint"), "--ignore-checks", CFN_LINT_IGNORED, "--", str(template)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), c.RENDER_DOCKERFILE],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_render_image_is_staged_not_built(synth: Synth) -> None:
    images = synth.assets_manifest()["dockerImages"]
    assert len(images) == 1
    (image,) = images.values()
    source = image["source"]
    assert source["dockerFile"] == c.RENDER_DOCKERFILE
    assert source["platform"] == "linux/arm64"
    context = synth.outdir / source["directory"]
    files = {str(p.relative_to(context)) for p in context.rglob("*") if p.is_file()}
    # Exactly what the Dockerfile copies: no .venv, infra/, tests/ or other functions in the context.
    assert {f.split("/", 1)[0] for f in files} == {
        "README.md",
        "pyproject.toml",
        "uv.lock",
        "src",
        "functions",
        "layers",
    }
    assert {f for f in files if f.startswith("layers/")} == {
        c.RENDER_DOCKERFILE,
        "layers/texlive/packages.txt",
    }
    assert {f.split("/")[1] for f in files if f.startswith("functions/")} == {"render"}
    assert "functions/render/handler.py" in files
    assert not any("__pycache__" in f for f in files)


@pytest.mark.parametrize("name", [c.SUBMIT, c.STATUS])
def test_zip_asset_layout(synth: Synth, name: str) -> None:
    code = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Metadata"]["aws:asset:path"]
    asset = synth.outdir / code
    assert (asset / "handler.py").read_bytes() == (REPO_ROOT / "functions" / name / "handler.py").read_bytes()
    assert (asset / "docpipe" / "__init__.py").is_file()
    templates = {p.relative_to(asset) for p in (asset / "docpipe" / "templates").rglob("*") if p.is_file()}
    source = REPO_ROOT / c.SOURCE_PACKAGE_DIR
    expected = {
        Path("docpipe") / p.relative_to(source)
        for p in (source / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert templates == expected
    assert templates
    # Bytecode only for Lambda's Python (compiled at staging: tests/infra/test_bytecode.py).
    assert {p.name.split(".")[-2] for p in asset.rglob("*.pyc")} == {"cpython-312"}
    # Sources only in this mode: dependencies are bundled for real deploys, never in tests.
    assert not (asset / "fastapi").exists()
