"""The docpipe stack: composes one construct per concern and declares the outputs. Nothing else."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Tags
from constructs import Construct

from docpipe import contract
from docpipe_infra import constants as c
from docpipe_infra.api import Api
from docpipe_infra.cache import Cache
from docpipe_infra.config import DeployConfig
from docpipe_infra.custom_resource_logs import CustomResourceLogs
from docpipe_infra.functions import Functions
from docpipe_infra.monitoring import Monitoring
from docpipe_infra.network import Network
from docpipe_infra.queue import RenderQueue
from docpipe_infra.storage import Storage


class DocpipeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="docpipe: résumé/cover-letter JSON to PDF (API Gateway, Lambda, SQS, S3, DynamoDB, Valkey)",
            # No AWS::CDK::Metadata resource: the template stays identical across CDK CLI versions.
            analytics_reporting=False,
            **kwargs,
        )
        Tags.of(self).add(c.SERVICE_TAG_KEY, c.SERVICE_TAG_VALUE)
        if not config.bundle:
            Annotations.of(self).add_warning_v2(
                "docpipe:sourcesOnly",
                f"{c.CTX_BUNDLE}=false: the ZIP functions hold no dependencies; synth only, do not deploy.",
            )
        self._compose(config)

    def _compose(self, config: DeployConfig) -> None:
        removal_policy = RemovalPolicy.RETAIN if config.prod else RemovalPolicy.DESTROY

        network = Network(
            self,
            "Network",
            removal_policy=removal_policy,
            log_retention=config.log_retention,
            xray_endpoint=config.xray_endpoint,
        )
        cache = Cache(
            self, "Cache", subnet_ids=network.subnet_ids, security_group=network.cache_security_group
        )
        storage = Storage(self, "Storage", prod=config.prod, retention_days=config.retention_days)
        queue = RenderQueue(
            self,
            "RenderQueue",
            visibility_timeout=Duration.seconds(contract.VISIBILITY_TIMEOUT_SECONDS),
            removal_policy=removal_policy,
        )
        functions = self._functions(
            config, network=network, cache=cache, storage=storage, queue=queue, removal_policy=removal_policy
        )
        api = Api(
            self,
            "Api",
            handlers={c.SUBMIT: functions.submit, c.STATUS: functions.status},
            rate_limit=config.api_rate_limit,
            burst_limit=config.api_burst_limit,
            cors_origins=config.cors_origins,
            log_retention=config.log_retention,
            removal_policy=removal_policy,
        )
        monitoring = Monitoring(
            self,
            "Monitoring",
            api=api.api,
            queue=queue.queue,
            dead_letter_queue=queue.dead_letter_queue,
            render=functions.render,
            functions=[functions.submit, functions.status, functions.render],
        )
        # Last: it gives a log group to the custom-resource functions the constructs above made CDK add.
        CustomResourceLogs(
            self, "CustomResourceLogs", log_retention=config.log_retention, removal_policy=removal_policy
        )

        self._outputs(api=api, storage=storage, queue=queue, monitoring=monitoring)

    def _functions(
        self,
        config: DeployConfig,
        *,
        network: Network,
        cache: Cache,
        storage: Storage,
        queue: RenderQueue,
        removal_policy: RemovalPolicy,
    ) -> Functions:
        return Functions(
            self,
            "Functions",
            vpc=network.vpc,
            subnets=network.subnets,
            security_group=network.function_security_group,
            bucket=storage.bucket,
            table=storage.table,
            queue=queue.queue,
            redis_url=cache.redis_url,
            retention_days=config.retention_days,
            log_retention=config.log_retention,
            removal_policy=removal_policy,
            bundle=config.bundle,
            render_arch=config.render_arch,
            render_max_concurrency=config.render_max_concurrency,
            render_reserved_concurrency=config.render_reserved_concurrency,
            cors_origins=config.cors_origins,
            snap_start=config.snap_start,
        )

    def _outputs(self, *, api: Api, storage: Storage, queue: RenderQueue, monitoring: Monitoring) -> None:
        # Construct ids directly under the stack are the outputs' logical ids.
        CfnOutput(self, c.OUTPUT_API_URL, value=api.api.url, description="Base URL of the API stage")
        CfnOutput(self, c.OUTPUT_BUCKET, value=storage.bucket.bucket_name)
        CfnOutput(self, c.OUTPUT_TABLE, value=storage.table.table_name)
        CfnOutput(self, c.OUTPUT_QUEUE_URL, value=queue.queue.queue_url)
        CfnOutput(self, c.OUTPUT_DASHBOARD, value=monitoring.dashboard.dashboard_name)
        CfnOutput(
            self,
            c.OUTPUT_USAGE_PLAN,
            value=api.usage_plan.usage_plan_id,
            description="Attach tenants' API keys to this usage plan",
        )
