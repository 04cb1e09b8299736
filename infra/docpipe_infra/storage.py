"""Storage: the documents bucket (requests in, PDFs out), its access-log bucket, and the jobs table."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from docpipe import contract
from docpipe_infra import constants as c

# DynamoDB keeps at most 35 days of continuous backups.
_MAX_PITR_DAYS = 35
_ACCESS_LOG_RETENTION_DAYS = 90


class Storage(Construct):
    """Objects live under ``requests/`` (submitted JSON) and ``documents/`` (rendered PDFs), both
    expired by lifecycle after ``retention_days``; the jobs table expires items on ``expires_at``.

    S3 lifecycle and DynamoDB TTL delete lazily (S3 within about a day of the due date, TTL within
    about two), so the application must also treat expired items as gone.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prod: bool,
        retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        removal_policy = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        self.access_log_bucket = self._access_log_bucket(prod=prod, removal_policy=removal_policy)
        self.bucket = self._documents_bucket(
            prod=prod, removal_policy=removal_policy, retention_days=retention_days
        )
        self.table = self._jobs_table(prod=prod, removal_policy=removal_policy, retention_days=retention_days)

    def _documents_bucket(
        self, *, prod: bool, removal_policy: RemovalPolicy, retention_days: int
    ) -> s3.Bucket:
        expiry = Duration.days(retention_days)
        return s3.Bucket(
            self,
            "DocumentsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            # Versioning stays off on purpose. Keys are content-addressed and objects are written once
            # and never modified, so versions would protect nothing; and with versioning a DELETE only
            # adds a delete marker while the résumé stays stored as a noncurrent version. Erasure
            # (DELETE /v1/jobs/{id} and the retention expiry) must really remove the personal data.
            versioned=False,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-requests", prefix=contract.REQUESTS_PREFIX, expiration=expiry),
                s3.LifecycleRule(id="expire-documents", prefix=contract.DOCUMENTS_PREFIX, expiration=expiry),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
            ],
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=c.ACCESS_LOGS_PREFIX,
            removal_policy=removal_policy,
            # Outside prod a teardown should leave nothing behind; in prod the bucket is retained.
            auto_delete_objects=not prod,
        )

    def _access_log_bucket(self, *, prod: bool, removal_policy: RemovalPolicy) -> s3.Bucket:
        # cdk-nag's S1 (server access logs) does not flag this bucket: it recognises the log target of
        # another bucket, whose own logging would only log the log deliveries.
        return s3.Bucket(
            self,
            "AccessLogBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3 server access logging can only deliver to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(_ACCESS_LOG_RETENTION_DAYS))
            ],
            removal_policy=removal_policy,
            auto_delete_objects=not prod,
        )

    def _jobs_table(
        self, *, prod: bool, removal_policy: RemovalPolicy, retention_days: int
    ) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            "JobsTable",
            partition_key=dynamodb.Attribute(
                name=contract.TABLE_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=contract.TABLE_TTL_ATTRIBUTE,
            # Continuous backups no older than the data they back up: an erased job must not stay
            # restorable for the default 35 days.
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
                recovery_period_in_days=min(max(retention_days, 1), _MAX_PITR_DAYS),
            ),
            removal_policy=removal_policy,
            deletion_protection=prod,
        )
