"""Cache: ElastiCache Serverless (Valkey) in the isolated subnets, TLS only."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from constructs import Construct

from docpipe_infra import constants as c


class Cache(Construct):
    """The render-result cache (content hash -> finished document).

    Valkey rather than Redis OSS: the same protocol for the redis client, a lower price and a 100 MB
    minimum billed size instead of 1 GB. Serverless caches always encrypt in transit and at rest, so
    the URL scheme is ``rediss://``. Access is by security group: only the functions' group may
    connect. The contents are a rebuildable cache: no snapshots, and it is deleted with the stack even in
    prod.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        subnet_ids: Sequence[str],
        security_group: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cache = elasticache.CfnServerlessCache(
            self,
            "Cache",
            engine=c.CACHE_ENGINE,
            major_engine_version=c.CACHE_MAJOR_VERSION,
            # Names are unique per account and region: derive from the stack so that two stages coexist.
            serverless_cache_name=f"{Stack.of(self).stack_name}-cache".lower(),
            description="docpipe render cache",
            subnet_ids=list(subnet_ids),
            security_group_ids=[security_group.security_group_id],
            cache_usage_limits=elasticache.CfnServerlessCache.CacheUsageLimitsProperty(
                data_storage=elasticache.CfnServerlessCache.DataStorageProperty(
                    unit="GB", maximum=c.CACHE_MAX_DATA_GB
                ),
                ecpu_per_second=elasticache.CfnServerlessCache.ECPUPerSecondProperty(
                    maximum=c.CACHE_MAX_ECPU_PER_SECOND
                ),
            ),
        )
        self.redis_url = Fn.join(
            "",
            [
                "rediss://",
                self.cache.attr_endpoint_address,
                ":",
                self.cache.attr_endpoint_port,
                f"/{c.CACHE_DB}",
            ],
        )
