"""Builds the CDK app the same way for `cdk synth`, `python infra/app.py` and the tests."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from docpipe_infra import constants as c
from docpipe_infra import nag
from docpipe_infra.config import DeployConfig
from docpipe_infra.stack import DocpipeStack

# Set by the CDK CLI; absent when the app runs as a plain script.
_CLI_OUTDIR = "CDK_OUTDIR"
# What the CLI turns on by default, so that a plain run writes the same template: construct paths and
# asset paths in resource metadata (`sam local invoke` finds the function code through the latter).
_CLI_DEFAULTS = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of cdk.json (feature flags): the CLI passes it, a plain run must read it."""
    context = json.loads(c.CDK_JSON.read_text()).get("context", {})
    return dict(context)


def build_app(*, context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The docpipe app with its one stack and the cdk-nag checks.

    ``context`` adds to (and overrides) cdk.json's context; context the CLI passes (``-c``) still
    wins over both, as CDK gives the environment precedence over constructor context.
    """
    if outdir is None and _CLI_OUTDIR not in os.environ:
        # A plain `python infra/app.py` writes where `cdk synth` would, not to a temporary folder.
        outdir = str(c.REPO_ROOT / "cdk.out")
    app = App(context={**_CLI_DEFAULTS, **cdk_json_context(), **(context or {})}, outdir=outdir)
    config = DeployConfig.from_node(app.node)
    DocpipeStack(app, config.stack_name, stack_name=config.stack_name, config=config)
    nag.add_checks(app)
    return app
