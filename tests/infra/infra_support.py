"""Helpers shared by the infra tests (imported by conftest.py and the test modules).

Synth here never needs Docker or AWS credentials: context ``docpipe:bundle=false`` stages the function
sources without downloading wheels, and the render image is only staged (CDK builds images at deploy).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before the first aws_cdk import starts the jsii kernel: Node 20 is past jsii's support window.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parents[2]
# infra/ is an application folder, not an installed package.
sys.path.insert(0, str(REPO_ROOT / "infra"))

from aws_cdk import App, Stack  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from docpipe_infra import constants as c  # noqa: E402
from docpipe_infra.application import build_app  # noqa: E402

__all__ = ["OFFLINE_CONTEXT", "REPO_ROOT", "OfflineEnv", "Synth", "c", "synthesize"]

OFFLINE_CONTEXT: dict[str, Any] = {c.CTX_BUNDLE: False}


@dataclass(frozen=True)
class Synth:
    """One synthesized app: its construct tree, its cloud assembly folder and the stack's template."""

    app: App
    stack: Stack
    outdir: Path
    template_json: dict[str, Any]

    @property
    def template(self) -> Template:
        return Template.from_json(self.template_json)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template_json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def assets_manifest(self) -> dict[str, Any]:
        path = self.outdir / f"{self.stack.stack_name}.assets.json"
        manifest: dict[str, Any] = json.loads(path.read_text())
        return manifest


def synthesize(outdir: Path, context: Mapping[str, Any] | None = None) -> Synth:
    app = build_app(context={**OFFLINE_CONTEXT, **(context or {})}, outdir=str(outdir))
    assembly = app.synth()
    stack = app.node.find_child(c.DEFAULT_STACK_NAME)
    assert isinstance(stack, Stack)
    template = assembly.get_stack_by_name(stack.stack_name).template
    return Synth(app=app, stack=stack, outdir=outdir, template_json=template)


@dataclass(frozen=True)
class OfflineEnv:
    """Environment for subprocess synths, and where its fake `docker` records calls."""

    env: dict[str, str]
    docker_calls: Path

    def assert_docker_unused(self) -> None:
        assert not self.docker_calls.exists(), f"synth called docker: {self.docker_calls.read_text()}"
