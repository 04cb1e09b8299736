"""A synthesized template, "deployed" onto local stand-ins: moto for S3, SQS and DynamoDB, a TLS
cluster-mode redis-server for ElastiCache Serverless.

Every resource the functions reach is created from its own definition in the template (the table's
keys, indexes and TTL, the queues' attributes and redrive, the bucket in the deployment's region), and
every environment variable of a function is the template's value with its references resolved, as
CloudFormation would resolve them. An intrinsic or attribute this module does not know raises, so a
template change that the stand-ins cannot follow fails loudly instead of passing by accident.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
# Types whose physical resources the functions call at run time; everything else in the template
# (VPC, roles, alarms, the API) has no stand-in and must not be referenced by a function's environment.
PROVISIONED = (
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::ElastiCache::ServerlessCache",
)


class UnresolvableError(LookupError):
    """The template uses something the stand-ins cannot provide."""


@dataclass
class CacheEndpoint:
    address: str
    port: int


@dataclass
class Deployment:
    """Physical resources of one template in one region, and the resolver for its intrinsics."""

    template: Mapping[str, Any]
    region: str
    clients: Any  # an object with .s3, .dynamodb, .sqs boto3 clients for ``region``
    cache: CacheEndpoint
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _physical: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def resources(self) -> Mapping[str, Any]:
        return self.template["Resources"]  # type: ignore[no-any-return]

    def of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def provision(self) -> Deployment:
        creators: dict[str, Callable[[str, Mapping[str, Any]], dict[str, Any]]] = {
            "AWS::SQS::Queue": self._queue,
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::ElastiCache::ServerlessCache": self._serverless_cache,
        }
        # Dead-letter queues first: a queue's RedrivePolicy references its DLQ's ARN.
        ordered = sorted(self.resources, key=lambda lid: "RedrivePolicy" in self._props(lid))
        for logical_id in ordered:
            creator = creators.get(self.resources[logical_id]["Type"])
            if creator is not None:
                self._physical[logical_id] = creator(logical_id, self._props(logical_id))
        return self

    def _props(self, logical_id: str) -> Mapping[str, Any]:
        return self.resources[logical_id].get("Properties", {})  # type: ignore[no-any-return]

    # --- stand-ins ----------------------------------------------------------------------------------

    def _name(self, logical_id: str) -> str:
        return f"docpipe-{logical_id.lower()[:30]}-{self.suffix}"

    def _queue(self, logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        attributes = {
            key: str(self.resolve(props[key]))
            for key in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
            )
            if key in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(self.resolve(props["RedrivePolicy"]))
        name = props.get("QueueName") or self._name(logical_id)
        url = self.clients.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return {"Ref": url, "QueueUrl": url, "Arn": arn, "QueueName": name}

    def _table(self, logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        name = props.get("TableName") or self._name(logical_id)
        arguments: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if arguments["BillingMode"] == "PROVISIONED":
            arguments["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        for index in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if index in props:
                arguments[index] = props[index]
        description = self.clients.dynamodb.create_table(**arguments)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            self.clients.dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        return {"Ref": name, "Arn": description["TableArn"]}

    def _bucket(self, logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        name = props.get("BucketName") or self._name(logical_id)
        location = {} if self.region == "us-east-1" else {"LocationConstraint": self.region}
        self.clients.s3.create_bucket(Bucket=name, CreateBucketConfiguration=location)
        return {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}

    def _serverless_cache(self, logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Ref": props.get("ServerlessCacheName", logical_id),
            "Endpoint.Address": self.cache.address,
            "Endpoint.Port": str(self.cache.port),
        }

    # --- intrinsics ---------------------------------------------------------------------------------

    def pseudo(self, name: str) -> str:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "Docpipe",
        }
        if name not in values:
            raise UnresolvableError(f"pseudo parameter {name}")
        return values[name]

    def attribute(self, logical_id: str, name: str) -> Any:
        if logical_id not in self.resources:
            raise UnresolvableError(f"no resource {logical_id}")
        physical = self._physical.get(logical_id)
        if physical is None:
            raise UnresolvableError(
                f"{logical_id} ({self.resources[logical_id]['Type']}) has no local stand-in "
                f"(provisioned types: {', '.join(PROVISIONED)})"
            )
        if name not in physical:
            raise UnresolvableError(f"attribute {name} of {logical_id}")
        return physical[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(item) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self.pseudo(argument) if argument.startswith("AWS::") else self.attribute(argument, "Ref")
        if function == "Fn::GetAtt":
            logical_id, name = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.attribute(logical_id, name)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(self.resolve(part)) for part in parts)
        if function == "Fn::Sub" and isinstance(argument, str):
            return self._substitute(argument)
        raise UnresolvableError(f"{function} {json.dumps(argument)[:120]}")

    def _substitute(self, text: str) -> str:
        import re

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("AWS::"):
                return self.pseudo(name)
            logical_id, _, attribute = name.partition(".")
            return str(self.attribute(logical_id, attribute or "Ref"))

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def environment(self, logical_id: str) -> dict[str, str]:
        """A function's environment variables exactly as the template gives them, resolved."""
        variables = self._props(logical_id).get("Environment", {}).get("Variables", {})
        return {name: str(self.resolve(value)) for name, value in variables.items()}
