"""`make deploy` and `make destroy`: one command each, for a first-time user in any region.

    python -m docpipe_infra.lifecycle deploy  [CDK ARGS ...]   (run with infra/ on PYTHONPATH)
    python -m docpipe_infra.lifecycle destroy [CDK ARGS ...]

deploy: checks the account, the region and Docker, bootstraps the CDK in that account and region if it
has not been, deploys with Docker's build attestations off (Lambda refuses an image whose repository
holds an image index, which provenance attestations turn every push into), then prints the API URL
and how to make and read an API key.

destroy: notes what the stack owns that is not deleted with it (retained resources in prod, API keys
made by hand, log groups services create themselves), destroys the stack, then reports what is left
and the exact command to remove each thing. It never deletes a retained resource itself: retention
is there to keep data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from docpipe_infra import constants as c
from docpipe_infra.teardown import inventory, leftovers, report

CDK = str(c.REPO_ROOT / "infra" / "node_modules" / ".bin" / "cdk")
OUTPUTS_FILE = c.REPO_ROOT / "cdk.out" / "outputs.json"
BOOTSTRAP_STACK = "CDKToolkit"
# Docker BuildKit: no provenance/SBOM attestations, so the pushed image is a single manifest.
BUILD_ENVIRONMENT = {"BUILDX_NO_DEFAULT_ATTESTATIONS": "1", "DOCKER_BUILDKIT": "1"}


class DeployError(RuntimeError):
    """A precondition failed; the message says what to do."""


def stack_name(cdk_args: Sequence[str]) -> str:
    """The stack name a `-c docpipe:stackName=...` among the CDK arguments selects (else the default)."""
    for index, arg in enumerate(cdk_args):
        value = arg.split("=", 1)[1] if arg.startswith("--context=") else None
        if arg in ("-c", "--context") and index + 1 < len(cdk_args):
            value = cdk_args[index + 1]
        if value and value.startswith(f"{c.CTX_STACK_NAME}="):
            return value.split("=", 1)[1]
    return c.DEFAULT_STACK_NAME


def session() -> Any:
    import boto3

    current = boto3.session.Session()
    if not current.region_name:
        raise DeployError(
            "no AWS region: set AWS_REGION (or `aws configure set region eu-west-1`); docpipe deploys "
            "into whichever region you choose"
        )
    return current


def account_of(current: Any) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(current.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise DeployError(
            f"no usable AWS credentials ({exc}); `aws sts get-caller-identity` must answer"
        ) from exc


def check_docker() -> None:
    if shutil.which("docker") is None:
        raise DeployError("Docker is needed to build the render image: install Docker (with BuildKit)")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        raise DeployError("the Docker daemon is not running (`docker info` fails): start it and retry")


def is_bootstrapped(cloudformation: Any) -> bool:
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"]
    except ClientError:
        return False
    return bool(stacks) and not stacks[0]["StackStatus"].startswith(("DELETE_", "ROLLBACK_"))


def stack_outputs(cloudformation: Any, name: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError:
        return {}
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def cdk(arguments: Sequence[str], *, extra_env: dict[str, str] | None = None) -> None:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **(extra_env or {})}
    code = subprocess.run([CDK, *arguments], cwd=c.REPO_ROOT, env=env, check=False).returncode
    if code != 0:
        raise DeployError(f"`cdk {' '.join(arguments[:2])}` failed (exit {code}); its output is above")


def deploy(cdk_args: Sequence[str]) -> None:
    current = session()
    account, region = account_of(current), current.region_name
    check_docker()
    cloudformation = current.client("cloudformation")
    name = stack_name(cdk_args)
    print(f"docpipe: deploying stack {name} to account {account}, region {region}", flush=True)
    if not is_bootstrapped(cloudformation):
        print(
            f"docpipe: the CDK is not bootstrapped in {region}; bootstrapping (once per account and region)"
        )
        cdk(["bootstrap", f"aws://{account}/{region}", *cdk_args])
    cdk(["deploy", name, "--outputs-file", str(OUTPUTS_FILE), *cdk_args], extra_env=BUILD_ENVIRONMENT)
    print(next_steps(stack_outputs(cloudformation, name), name, region))


def next_steps(outputs: dict[str, str], name: str, region: str) -> str:
    api, plan = outputs.get(c.OUTPUT_API_URL, "?"), outputs.get(c.OUTPUT_USAGE_PLAN, "?")
    return f"""
docpipe is deployed: stack {name} in {region}
  API:        {api}
  usage plan: {plan}

Every route but /health needs an API key (one per tenant). Make one and read its value:
  KEY_ID=$(aws apigateway create-api-key --name tenant-1 --enabled --query id --output text)
  aws apigateway create-usage-plan-key --usage-plan-id {plan} --key-id "$KEY_ID" --key-type API_KEY
  KEY=$(aws apigateway get-api-key --api-key "$KEY_ID" --include-value --query value --output text)
Then:
  curl -sS {api}health
  curl -sS -X POST {api}v1/documents -H "x-api-key: $KEY" -H 'Content-Type: application/json' \\
       --data @src/docpipe/samples/resume.json
"""


# --- destroy ----------------------------------------------------------------------------------------


def destroy(cdk_args: Sequence[str]) -> None:
    current = session()
    name = stack_name(cdk_args)
    account_of(current)
    if not stack_outputs(current.client("cloudformation"), name) and not _exists(current, name):
        print(f"docpipe: no stack {name} in {current.region_name}; nothing to destroy")
        return
    found = inventory(current, name)
    # Destroying needs the stack's name, not its code: skip bundling the functions' wheels.
    cdk(["destroy", name, "--force", "-c", f"{c.CTX_BUNDLE}=false", *cdk_args])
    print(report(leftovers(current, found), current.region_name))


def _exists(current: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        current.client("cloudformation").describe_stacks(StackName=name)
    except ClientError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in ("deploy", "destroy"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        (deploy if arguments[0] == "deploy" else destroy)(arguments[1:])
    except DeployError as exc:
        print(f"docpipe: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
