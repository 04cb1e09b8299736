"""Functions: submit and status (ZIP, arm64, Python 3.12) and render (container image with TeX Live).

Each function gets its own role with only the calls its handler makes; none gets the AWS managed
execution policies, whose log permissions cover every log group in the account.

Also the log groups of the functions CDK itself adds to back custom resources (``CustomResourceLogs``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict, cast

from aws_cdk import CfnResource, CustomResourceProviderBase, Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from docpipe_infra import constants as c
from docpipe_infra import nag
from docpipe_infra.bundling import python_function_code

# What a function in a VPC needs to manage its network interfaces: the actions of the AWS managed
# AWSLambdaVPCAccessExecutionRole, which we cannot narrow (Describe* has no resource-level permissions
# and the interfaces do not exist before Lambda creates them).
_ENI_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
_ARCHITECTURES = {
    "arm64": (lambda_.Architecture.ARM_64, ecr_assets.Platform.LINUX_ARM64),
    "x86_64": (lambda_.Architecture.X86_64, ecr_assets.Platform.LINUX_AMD64),
}


class _CommonProps(TypedDict):
    """Keyword arguments shared by the three functions."""

    role: iam.IRole
    log_group: logs.ILogGroup
    tracing: lambda_.Tracing
    environment: Mapping[str, str]
    vpc: ec2.IVpc
    vpc_subnets: ec2.SubnetSelection
    security_groups: Sequence[ec2.ISecurityGroup]


class Functions(Construct):
    """The three Lambda functions, their log groups and roles, and the render queue consumer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        bucket: s3.IBucket,
        table: dynamodb.ITable,
        queue: sqs.IQueue,
        redis_url: str,
        retention_days: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        bundle: bool,
        render_arch: str,
        render_max_concurrency: int,
        render_reserved_concurrency: int | None,
        cors_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._bucket = bucket
        self._vpc = vpc
        self._subnets = subnets
        self._security_group = security_group
        self._log_retention = log_retention
        self._removal_policy = removal_policy
        self._environment = {
            c.ENV_BUCKET: bucket.bucket_name,
            c.ENV_JOBS_TABLE: table.table_name,
            c.ENV_QUEUE_URL: queue.queue_url,
            c.ENV_REDIS_URL: redis_url,
            c.ENV_PRESIGN_SECONDS: str(c.PRESIGN_SECONDS),
            c.ENV_RETENTION_DAYS: str(retention_days),
            c.ENV_MAX_RECEIVES: str(c.MAX_RECEIVES),
            c.ENV_RENDER_TIMEOUT_SECONDS: str(c.RENDER_TIMEOUT_SECONDS),
            c.ENV_MAX_BACKLOG: str(c.MAX_BACKLOG),
            c.ENV_CACHE_TTL_SECONDS: str(c.CACHE_TTL_SECONDS),
            c.ENV_STALE_AFTER_SECONDS: str(c.STALE_AFTER_SECONDS),
            c.ENV_METRICS_NAMESPACE: c.METRICS_NAMESPACE,
            c.ENV_LOG_LEVEL: c.LOG_LEVEL,
        }
        # The API functions answer browsers themselves (CORS headers on every answer, errors included);
        # always set, as [] when no origins are configured, so the template says what the app does.
        http_environment = {c.ENV_CORS_ORIGINS: json.dumps(list(cors_origins))}
        self.submit = self._zip_function(
            c.SUBMIT, bundle=bundle, description="POST /v1/documents", environment=http_environment
        )
        self.status = self._zip_function(
            c.STATUS,
            bundle=bundle,
            description="jobs, templates, schema, health",
            environment=http_environment,
        )
        self.render = self._render_function(
            arch=render_arch, reserved_concurrency=render_reserved_concurrency
        )
        self._grant_submit(table=table, queue=queue)
        self._grant_status(table=table)
        self._grant_render(table=table)
        self._consume(queue, max_concurrency=render_max_concurrency)

    # --- functions ----------------------------------------------------------------------------------

    def _zip_function(
        self, name: str, *, bundle: bool, description: str, environment: Mapping[str, str]
    ) -> lambda_.Function:
        function = lambda_.Function(
            self,
            name.capitalize(),
            description=f"docpipe {name}: {description}",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler=c.HANDLER,
            code=python_function_code(function_name=name, install_dependencies=bundle),
            memory_size=c.API_FUNCTION_MEMORY_MB,
            timeout=Duration.seconds(c.API_FUNCTION_TIMEOUT_SECONDS),
            **self._common(name, extra_environment=environment),
        )
        nag.acknowledge(
            function,
            "AwsSolutions-L1",
            "Python 3.12 is pinned on purpose: the render image (python:3.12-slim-bookworm) and the "
            "wheels bundled for --python-version 3.12 must match; the three move to a newer runtime together.",
        )
        return self._finish(function, name)

    def _render_function(self, *, arch: str, reserved_concurrency: int | None) -> lambda_.DockerImageFunction:
        architecture, platform = _ARCHITECTURES[arch]
        # Lambda accepts a single image manifest, never an image index. BuildKit wraps an image in an
        # index when it attaches attestations (provenance by default in current buildx) or builds more
        # than one platform. aws-cdk-lib's image asset has no attestation switch (its options only
        # become `docker build` flags: outputs, cache, build args/contexts/secrets, none of which turns
        # attestations off); the CDK CLI's asset publisher runs `docker build` with
        # BUILDX_NO_DEFAULT_ATTESTATIONS=1 and `make deploy` exports it too. Here: one platform, and
        # no outputs or cache exports that would need another builder than Docker's own. The infra
        # tests pin both through the asset manifest and the pinned CLI.
        code = lambda_.DockerImageCode.from_image_asset(
            str(c.REPO_ROOT),
            file=c.RENDER_DOCKERFILE,
            platform=platform,
            ignore_mode=IgnoreMode.DOCKER,
            exclude=dockerignore_patterns(c.REPO_ROOT / c.RENDER_DOCKERIGNORE),
        )
        function = lambda_.DockerImageFunction(
            self,
            c.RENDER.capitalize(),
            description="docpipe render: SQS job -> TeX -> PDF in S3",
            code=code,
            # arm64 by default, like the ZIP functions: Graviton costs 20% less per GB-second and
            # Debian packages TeX Live for it (docs/performance.md should confirm the render time).
            # Building the image on an x86_64 machine then needs QEMU emulation; such deployers may
            # pass -c docpipe:renderArch=x86_64 instead.
            architecture=architecture,
            memory_size=c.RENDER_MEMORY_MB,
            timeout=Duration.seconds(c.RENDER_FUNCTION_TIMEOUT_SECONDS),
            reserved_concurrent_executions=reserved_concurrency,
            **self._common(c.RENDER, extra_environment={c.ENV_FORMAT_DIR: c.FORMAT_DIR}),
        )
        return cast(lambda_.DockerImageFunction, self._finish(function, c.RENDER))

    def _common(self, name: str, *, extra_environment: Mapping[str, str] | None = None) -> _CommonProps:
        """Role, log group, tracing, environment and VPC placement of one function."""
        log_group = logs.LogGroup(
            self,
            f"{name.capitalize()}Logs",
            retention=self._log_retention,
            removal_policy=self._removal_policy,
        )
        role = iam.Role(
            self,
            f"{name.capitalize()}Role",
            assumed_by=cast(iam.IPrincipal, iam.ServicePrincipal("lambda.amazonaws.com")),
            description=f"docpipe {name} function",
        )
        log_group.grant_write(role)
        role.add_to_policy(iam.PolicyStatement(actions=_ENI_ACTIONS, resources=["*"]))
        environment = {
            **self._environment,
            c.ENV_SERVICE_NAME: c.SERVICE_NAMES[name],
            **(extra_environment or {}),
        }
        return _CommonProps(
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            vpc=self._vpc,
            vpc_subnets=self._subnets,
            security_groups=[self._security_group],
        )

    def _finish(self, function: lambda_.Function, name: str) -> lambda_.Function:
        cast(lambda_.CfnFunction, function.node.default_child).override_logical_id(
            c.FUNCTION_LOGICAL_IDS[name]
        )
        nag.acknowledge(
            function.role or function,
            nag.iam5_resource("*"),
            "Only for actions without resource-level permissions: X-Ray PutTraceSegments/"
            "PutTelemetryRecords (active tracing) and the VPC network-interface calls Lambda makes for the role.",
        )
        return function

    # --- permissions --------------------------------------------------------------------------------

    # The grants follow the calls in src/docpipe (pipeline.py, jobstore.py, objectstore.py,
    # workqueue.py); TransactWriteItems is authorised through the PutItem of each of its items.

    def _grant_submit(self, *, table: dynamodb.ITable, queue: sqs.IQueue) -> None:
        role = self._role(self.submit)
        self._grant_objects(
            role,
            ["s3:PutObject", "s3:DeleteObject"],
            c.REQUESTS_PREFIX,
            "submit stores each request's JSON, and deletes it again when an identical job won the race",
        )
        self._grant_objects(
            role,
            ["s3:GetObject"],
            c.DOCUMENTS_PREFIX,
            "submit presigns links to finished documents on a cache hit",
        )
        _grant_table(role, table, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
        _grant_pointer_release(role, table)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes"], resources=[queue.queue_arn]
            )
        )

    def _grant_status(self, *, table: dynamodb.ITable) -> None:
        role = self._role(self.status)
        # Status never reads a request back, so it may only delete those (DELETE /v1/jobs/{id}).
        self._grant_objects(
            role, ["s3:DeleteObject"], c.REQUESTS_PREFIX, "status erases a job's request on DELETE"
        )
        self._grant_objects(
            role,
            ["s3:GetObject", "s3:DeleteObject"],
            c.DOCUMENTS_PREFIX,
            "status presigns downloads and erases a job's document on DELETE",
        )
        _grant_table(role, table, ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])

    def _grant_render(self, *, table: dynamodb.ITable) -> None:
        role = self._role(self.render)
        self._grant_objects(role, ["s3:GetObject"], c.REQUESTS_PREFIX, "render reads the submitted request")
        self._grant_objects(
            role,
            ["s3:PutObject", "s3:DeleteObject"],
            c.DOCUMENTS_PREFIX,
            "render writes the finished PDF, and deletes it again if the job was erased while it rendered",
        )
        _grant_table(role, table, ["dynamodb:GetItem", "dynamodb:UpdateItem"])
        _grant_pointer_release(role, table)

    def _grant_objects(self, role: iam.Role, actions: Sequence[str], prefix: str, reason: str) -> None:
        """Object actions under one key prefix; the wildcard is the key, never the bucket."""
        role.add_to_policy(
            iam.PolicyStatement(actions=list(actions), resources=[self._bucket.arn_for_objects(f"{prefix}*")])
        )
        nag.acknowledge(
            role,
            nag.iam5_resource(f"{nag.arn_of(self._bucket)}/{prefix}*"),
            f"Object keys are generated per job, so the grant names the prefix: {reason}.",
        )

    @staticmethod
    def _role(function: lambda_.Function) -> iam.Role:
        return cast(iam.Role, function.role)

    # --- queue consumer -----------------------------------------------------------------------------

    def _consume(self, queue: sqs.IQueue, *, max_concurrency: int) -> None:
        self.render.add_event_source(
            event_sources.SqsEventSource(
                queue,
                # One job per invocation, dispatched at once. Renders are CPU-bound, so a larger batch
                # would only serialise them inside one sandbox while the poller could run them in
                # parallel; a user is polling for the result, so no batching window either. One TeX
                # run (20 s) also always fits the 60 s timeout, which a batch of N would not.
                batch_size=c.RENDER_BATCH_SIZE,
                max_batching_window=Duration.seconds(c.RENDER_MAX_BATCHING_WINDOW_SECONDS),
                # The handler reports failed message ids, so one bad job never re-drives the others
                # (and keeps that true if the batch size is raised).
                report_batch_item_failures=True,
                # Caps the poller's fan-out instead of letting throttles bounce messages, which would
                # count receives and push healthy jobs to the DLQ.
                max_concurrency=max_concurrency,
            )
        )


def _grant_table(role: iam.Role, table: dynamodb.ITable, actions: Sequence[str]) -> None:
    # Item calls on the table itself; there are no indexes to grant.
    role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=[table.table_arn]))


def _grant_pointer_release(role: iam.Role, table: dynamodb.ITable) -> None:
    """Finishing a job deletes its content pointer item; the condition keeps jobs themselves and
    idempotency records out of reach of this DeleteItem."""
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:DeleteItem"],
            resources=[table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{c.POINTER_KEY_PREFIX}*"]}},
        )
    )


def dockerignore_patterns(path: Path) -> list[str]:
    """The patterns of a .dockerignore file, without comments and blank lines."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class CustomResourceLogs(Construct):
    """Log groups for the Lambda functions CDK adds to the stack to back its custom resources (today:
    emptying the buckets before deletion, stripping the default security group's rules).

    Left alone, Lambda creates ``/aws/lambda/<function name>`` on their first invocation, outside the
    stack, without retention, and it outlives ``cdk destroy``. Each provider function is pointed at a
    group the stack owns instead (``LoggingConfig``, as for our own functions): the function depends on
    its group, so the group exists before any custom resource invokes it and is deleted only after
    the function, on teardown. Create this last in the stack: it adopts the providers that exist.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # Providers are singletons directly under the stack, with ids like
        # "Custom::S3AutoDeleteObjectsCustomResourceProvider"; their function is the child "Handler".
        for provider in Stack.of(self).node.children:
            if not isinstance(provider, CustomResourceProviderBase):
                continue
            handler = provider.node.find_child("Handler")
            assert isinstance(handler, CfnResource)
            assert handler.cfn_resource_type == "AWS::Lambda::Function"
            name = provider.node.id.removeprefix("Custom::").removesuffix("CustomResourceProvider")
            log_group = logs.LogGroup(self, name, retention=log_retention, removal_policy=removal_policy)
            handler.add_property_override("LoggingConfig.LogGroup", log_group.log_group_name)
