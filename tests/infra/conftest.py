"""Fixtures of the infra tests: each app variant is synthesized once per session and shared."""

from __future__ import annotations

import os

import pytest

# infra_support puts infra/ on sys.path, so it is imported before anything from docpipe_infra.
from infra_support import OfflineEnv, Synth, c, synthesize


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The default (non-prod) app, as `make synth` and the CLI tests see it."""
    return synthesize(tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def prod_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        {
            c.CTX_PROD: "true",
            c.CTX_RENDER_RESERVED_CONCURRENCY: "25",
            c.CTX_CORS_ORIGINS: "https://app.example",
        },
    )


@pytest.fixture(scope="session")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> OfflineEnv:
    """No AWS credentials or config, no network side trips (telemetry, instance metadata), and a
    `docker` first on PATH that records any call, so a test can prove Docker was never used."""
    fake_bin = tmp_path_factory.mktemp("fake-bin")
    docker_calls = fake_bin / "docker-calls"
    docker = fake_bin / "docker"
    docker.write_text(f'#!/bin/sh\necho "$@" >> "{docker_calls}"\nexit 1\n')
    docker.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        PATH=f"{fake_bin}{os.pathsep}{env.get('PATH', '')}",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DISABLE_CLI_TELEMETRY="true",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        UV_PYTHON_DOWNLOADS="never",
    )
    return OfflineEnv(env=env, docker_calls=docker_calls)
