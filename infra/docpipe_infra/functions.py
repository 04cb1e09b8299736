"""Functions: submit and status (ZIP, arm64, Python 3.12) and render (container image with TeX Live).

Each function gets its own role with only the calls its handler makes (permissions.py); none gets the
AWS managed execution policies, whose log permissions cover every log group in the account.
With SnapStart (``docpipe:snapStart``) the ZIP functions publish a version on every change and callers
invoke its ``live`` alias; render, a container image fed by SQS, starts cold (docs/decisions.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict, cast

from aws_cdk import Annotations, Duration, IgnoreMode, RemovalPolicy
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

from docpipe import contract
from docpipe_infra import constants as c
from docpipe_infra import nag, permissions
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
    """The three Lambda functions, their log groups and roles, and the render queue consumer;
    ``submit``/``status`` are what callers invoke (with SnapStart, the ``live`` alias)."""

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
        snap_start: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._vpc = vpc
        self._subnets = subnets
        self._security_group = security_group
        self._log_retention = log_retention
        self._removal_policy = removal_policy
        self._environment = _environment(
            bucket=bucket, table=table, queue=queue, redis_url=redis_url, retention_days=retention_days
        )
        # The API functions answer browsers themselves (CORS headers on every answer, errors included);
        # always set, as [] when no origins are configured, so the template says what the app does.
        http_environment = {contract.ENV_CORS_ORIGINS: json.dumps(list(cors_origins))}
        self.submit_function = self._zip_function(
            c.SUBMIT,
            bundle=bundle,
            description="POST /v1/documents",
            environment=http_environment,
            timeout_seconds=c.SUBMIT_FUNCTION_TIMEOUT_SECONDS,
            snap_start=snap_start,
        )
        self.status_function = self._zip_function(
            c.STATUS,
            bundle=bundle,
            description="jobs, templates, schema, health",
            environment=http_environment,
            snap_start=snap_start,
        )
        self.submit: lambda_.IFunction = _live(self.submit_function) if snap_start else self.submit_function
        self.status: lambda_.IFunction = _live(self.status_function) if snap_start else self.status_function
        self.render = self._render_function(
            arch=render_arch, reserved_concurrency=render_reserved_concurrency
        )
        permissions.grant_submit(_role(self.submit_function), bucket=bucket, table=table, queue=queue)
        permissions.grant_status(_role(self.status_function), bucket=bucket, table=table)
        permissions.grant_render(_role(self.render), bucket=bucket, table=table)
        self._consume(queue, max_concurrency=render_max_concurrency)

    # --- functions ----------------------------------------------------------------------------------

    def _zip_function(
        self,
        name: str,
        *,
        bundle: bool,
        description: str,
        environment: Mapping[str, str],
        timeout_seconds: int = c.API_FUNCTION_TIMEOUT_SECONDS,
        snap_start: bool,
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
            timeout=Duration.seconds(timeout_seconds),
            # Python 3.12 on arm64, no EFS or provisioned concurrency, 512 MB of /tmp: within SnapStart's
            # limits (hooks: src/docpipe/snapshots.py). Replaced versions go: each snapshot is billed.
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
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
            timeout=Duration.seconds(contract.RENDER_FUNCTION_TIMEOUT_SECONDS),
            reserved_concurrent_executions=reserved_concurrency,
            **self._common(c.RENDER, extra_environment={contract.ENV_FORMAT_DIR: contract.IMAGE_FORMAT_DIR}),
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
            contract.ENV_SERVICE_NAME: contract.service_name(name),
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


def _environment(
    *, bucket: s3.IBucket, table: dynamodb.ITable, queue: sqs.IQueue, redis_url: str, retention_days: int
) -> dict[str, str]:
    """What every function is given: where the resources are, and the application's settings."""
    return {
        contract.ENV_BUCKET: bucket.bucket_name,
        contract.ENV_JOBS_TABLE: table.table_name,
        contract.ENV_QUEUE_URL: queue.queue_url,
        contract.ENV_REDIS_URL: redis_url,
        contract.ENV_PRESIGN_SECONDS: str(contract.PRESIGN_SECONDS),
        contract.ENV_RETENTION_DAYS: str(retention_days),
        contract.ENV_MAX_RECEIVES: str(contract.MAX_RECEIVES),
        contract.ENV_RENDER_TIMEOUT_SECONDS: str(contract.RENDER_TIMEOUT_SECONDS),
        contract.ENV_MAX_BACKLOG: str(contract.MAX_BACKLOG),
        contract.ENV_MAX_TENANT_BACKLOG: str(contract.MAX_TENANT_BACKLOG),
        contract.ENV_CACHE_TTL_SECONDS: str(contract.CACHE_TTL_SECONDS),
        contract.ENV_STALE_AFTER_SECONDS: str(contract.STALE_AFTER_SECONDS),
        contract.ENV_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
        contract.ENV_LOG_LEVEL: c.LOG_LEVEL,
        **contract.RUNTIME_ENV,
    }


def _live(function: lambda_.Function) -> lambda_.Alias:
    """The function's current version (published on every change) under the alias callers invoke."""
    Annotations.of(function).acknowledge_warning("@aws-cdk/aws-lambda:snapStartRequirePublish", "published")
    return function.add_alias(c.LIVE_ALIAS, description="SnapStart restores published versions only")


def _role(function: lambda_.Function) -> iam.Role:
    return cast(iam.Role, function.role)


def dockerignore_patterns(path: Path) -> list[str]:
    """The patterns of a .dockerignore file, without comments and blank lines."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]
