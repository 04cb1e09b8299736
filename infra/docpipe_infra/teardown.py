"""What `make destroy` leaves behind: found while the stack still exists, checked once it is gone, and
reported with the command that removes each thing (lifecycle.destroy never deletes retained data)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from docpipe_infra import constants as c


@dataclass(frozen=True)
class Leftover:
    what: str
    name: str
    remove: str
    billable: bool


@dataclass(frozen=True)
class Inventory:
    """What to look for once the stack is gone, taken while it still exists."""

    retained: list[tuple[str, str]]  # (resource type, physical id) with DeletionPolicy Retain
    log_groups: list[str]  # names of log groups services create on their own
    api_keys: list[str]  # ids of the keys in the stack's usage plan


def inventory(current: Any, name: str) -> Inventory:
    cloudformation = current.client("cloudformation")
    template = cloudformation.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    if isinstance(template, str):
        template = json.loads(template)
    physical = {
        resource["LogicalResourceId"]: resource.get("PhysicalResourceId", "")
        for resource in _stack_resources(cloudformation, name)
    }
    retained = [
        (resource["Type"], physical.get(logical_id, logical_id))
        for logical_id, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    ]
    apis = [
        physical[lid] for lid, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::RestApi"
    ]
    functions = [
        physical[lid] for lid, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"
    ]
    log_groups = [f"API-Gateway-Execution-Logs_{api}/{c.API_STAGE}" for api in apis]
    log_groups += [f"/aws/lambda/{function}" for function in functions]
    plans = [
        physical[lid] for lid, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::UsagePlan"
    ]
    apigateway = current.client("apigateway")
    keys = [
        key["id"]
        for plan in plans
        for key in apigateway.get_usage_plan_keys(usagePlanId=plan).get("items", [])
    ]
    return Inventory(retained=retained, log_groups=log_groups, api_keys=keys)


def _stack_resources(cloudformation: Any, name: str) -> Iterable[dict[str, Any]]:
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        yield from page["StackResourceSummaries"]


def leftovers(current: Any, found: Inventory) -> list[Leftover]:
    """What of ``found`` still exists now, with the command that removes it."""
    from botocore.exceptions import ClientError

    logs, apigateway = current.client("logs"), current.client("apigateway")
    remaining = []
    for group in found.log_groups:
        existing = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        if any(g["logGroupName"] == group for g in existing):
            remaining.append(
                Leftover("log group", group, f"aws logs delete-log-group --log-group-name '{group}'", True)
            )
    for key in found.api_keys:
        try:
            apigateway.get_api_key(apiKey=key)
        except ClientError:
            continue
        remaining.append(Leftover("API key", key, f"aws apigateway delete-api-key --api-key {key}", False))
    remaining += [_retained(resource_type, physical_id) for resource_type, physical_id in found.retained]
    return remaining


_REMOVE_RETAINED = {
    "AWS::S3::Bucket": ("bucket (retained, holds documents)", "aws s3 rb s3://{id} --force", True),
    "AWS::DynamoDB::Table": (
        "table (retained, deletion protection on)",
        "aws dynamodb update-table --table-name {id} --no-deletion-protection-enabled && "
        "aws dynamodb delete-table --table-name {id}",
        True,
    ),
    "AWS::SQS::Queue": ("queue (retained)", "aws sqs delete-queue --queue-url {id}", False),
    "AWS::Logs::LogGroup": (
        "log group (retained)",
        "aws logs delete-log-group --log-group-name '{id}'",
        True,
    ),
    "AWS::IAM::Role": (
        "IAM role (retained, shared by the account's APIs)",
        "aws iam delete-role --role-name {id}",
        False,
    ),
    "AWS::ApiGateway::Account": ("API Gateway account setting (retained)", "nothing to remove: free", False),
}


def _retained(resource_type: str, physical_id: str) -> Leftover:
    what, command, billable = _REMOVE_RETAINED.get(
        resource_type, (f"{resource_type} (retained)", "see the AWS console", True)
    )
    return Leftover(what, physical_id, command.format(id=physical_id), billable)


def report(remaining: Sequence[Leftover], region: str) -> str:
    if not remaining:
        return f"docpipe: nothing of the stack is left in {region}."
    lines = [f"docpipe: the stack is gone; left in {region} (remove once the data may go):"]
    for item in remaining:
        cost = "billable" if item.billable else "free"
        lines.append(f"  - {item.what}: {item.name}  [{cost}]\n      {item.remove}")
    lines.append(
        "  - the CDK bootstrap stack (CDKToolkit) and its asset bucket and image repository are shared by "
        "every CDK app in the account and region; they stay (a few cents a month for stored images)."
    )
    return "\n".join(lines)
