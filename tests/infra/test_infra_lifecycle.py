"""`make deploy` / `make destroy` (docpipe_infra.lifecycle): what can be proven without an AWS account.

moto stands in for CloudFormation, CloudWatch Logs and API Gateway; the CDK CLI and Docker are never
started here (deploy stops at its preconditions, destroy's inventory and report run against moto).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from docpipe_infra import lifecycle, teardown
from infra_support import REPO_ROOT, c
from moto import mock_aws

REGION = "ap-southeast-2"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.session.Session()


def test_stack_name_follows_the_context_flag() -> None:
    assert lifecycle.stack_name([]) == c.DEFAULT_STACK_NAME
    assert lifecycle.stack_name(["-c", f"{c.CTX_STACK_NAME}=DocpipeProd"]) == "DocpipeProd"
    assert lifecycle.stack_name([f"--context={c.CTX_STACK_NAME}=Stage2", "-c", "x=y"]) == "Stage2"


def test_deploy_builds_the_image_without_attestations() -> None:
    assert lifecycle.BUILD_ENVIRONMENT["BUILDX_NO_DEFAULT_ATTESTATIONS"] == "1"


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docpipe_infra.lifecycle", command],
        env={**env, "PYTHONPATH": str(REPO_ROOT / "infra")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _bare_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true"
    )
    return env


@pytest.mark.parametrize("command", ["deploy", "destroy"])
def test_without_a_region_it_says_how_to_choose_one(command: str) -> None:
    result = _run(command, _bare_environment())
    assert result.returncode == 1
    assert "no AWS region" in result.stderr
    assert "AWS_REGION" in result.stderr


def test_without_credentials_it_says_so_before_touching_anything() -> None:
    env = {**_bare_environment(), "AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1"}
    # Any AWS call goes nowhere: a closed local port answers at once.
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    result = _run("deploy", env)
    assert result.returncode == 1
    assert "credentials" in result.stderr


def test_next_steps_print_the_api_and_the_key_commands() -> None:
    text = lifecycle.next_steps(
        {c.OUTPUT_API_URL: "https://abc.execute-api.eu-west-1.amazonaws.com/api/", c.OUTPUT_USAGE_PLAN: "p1"},
        "Docpipe",
        "eu-west-1",
    )
    assert "https://abc.execute-api.eu-west-1.amazonaws.com/api/health" in text
    assert "--usage-plan-id p1" in text
    assert "--include-value" in text


def test_destroy_reports_exactly_what_is_left(aws: Any) -> None:
    logs, apigateway = aws.client("logs"), aws.client("apigateway")
    logs.create_log_group(logGroupName="API-Gateway-Execution-Logs_abc123/api")
    key = apigateway.create_api_key(name="tenant-1", enabled=True)["id"]
    found = teardown.Inventory(
        retained=[
            ("AWS::S3::Bucket", "docpipeprod-documents-1"),
            ("AWS::DynamoDB::Table", "docpipeprod-jobs"),
        ],
        log_groups=["API-Gateway-Execution-Logs_abc123/api", "/aws/lambda/Docpipe-Submit-gone"],
        api_keys=[key, "deleted-key"],
    )
    remaining = teardown.leftovers(aws, found)
    names = [item.name for item in remaining]
    assert names == [
        "API-Gateway-Execution-Logs_abc123/api",
        key,
        "docpipeprod-documents-1",
        "docpipeprod-jobs",
    ]
    text = teardown.report(remaining, REGION)
    assert "aws logs delete-log-group --log-group-name 'API-Gateway-Execution-Logs_abc123/api'" in text
    assert f"aws apigateway delete-api-key --api-key {key}" in text
    assert "aws s3 rb s3://docpipeprod-documents-1 --force" in text
    assert "--no-deletion-protection-enabled" in text
    assert teardown.report([], REGION) == f"docpipe: nothing of the stack is left in {REGION}."
