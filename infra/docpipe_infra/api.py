"""API: API Gateway REST API in front of the submit and status functions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from docpipe_infra import constants as c
from docpipe_infra import nag

_PATH_PARAMETER = re.compile(r"{(\w+)}")
# One JSON line per request. apiKeyId is the tenant (the key's id, never its value); bodies are never
# logged because they are résumés.
_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "apiKeyId": "$context.identity.apiKeyId",
    "sourceIp": "$context.identity.sourceIp",
    "xrayTraceId": "$context.xrayTraceId",
    "error": "$context.error.message",
}


class Api(Construct):
    """Routes from ``constants.ROUTES``, all Lambda proxy integrations.

    Tenants are API keys: every route but /health requires ``x-api-key``, and the usage plan throttles
    each key. The application reads the tenant from ``requestContext.identity.apiKeyId``.

    Body size: API Gateway's own limit is 10 MB and cannot be lowered; the application rejects bodies
    over 256 KiB itself (413). The gateway's request validator only checks that POST bodies are JSON
    objects and that path parameters are present, so malformed calls never cost a Lambda invocation.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handlers: Mapping[str, lambda_.IFunction],
        rate_limit: float,
        burst_limit: int,
        cors_origins: Sequence[str],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.api = apigw.RestApi(
            self,
            "RestApi",
            description="docpipe: résumé and cover-letter JSON to PDF",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Access logging needs the account-level CloudWatch role of API Gateway. CDK retains it on
            # teardown because other APIs in the account and region may rely on the same setting.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=c.API_STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # would log request bodies
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS)),
            ),
            default_cors_preflight_options=_cors(cors_origins),
        )
        self._validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self._json_object = self.api.add_model(
            "JsonObject",
            content_type="application/json",
            schema=apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT),
        )
        integrations = {
            name: apigw.LambdaIntegration(fn, allow_test_invoke=False) for name, fn in handlers.items()
        }
        for method, path, function_name in c.ROUTES:
            self._add_route(method, path, integrations[function_name])
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Per-API-key throttle; add each tenant's key to this plan",
            throttle=apigw.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        self._acknowledge()

    def _add_route(self, method: str, path: str, integration: apigw.Integration) -> None:
        resource = self.api.root.resource_for_path(path)
        parameters = {f"method.request.path.{name}": True for name in _PATH_PARAMETER.findall(path)}
        resource.add_method(
            method,
            integration,
            api_key_required=path != c.HEALTH_PATH,
            request_validator=self._validator,
            request_parameters=parameters or None,
            request_models={"application/json": self._json_object} if method == "POST" else None,
        )

    def _acknowledge(self) -> None:
        reasons = {
            "AwsSolutions-APIG3": "No WAF web ACL yet: each tenant's key is throttled by the usage plan and "
            "bodies are validated; a web ACL (about $5/month plus per-request fees) is the next step if "
            "abuse from unauthenticated sources appears.",
            "AwsSolutions-APIG4": "Callers are tenants identified by API keys with usage plans, as in the "
            "service this replaces; /health and CORS preflights are public by design.",
            "AwsSolutions-COG4": "No Cognito users exist: tenants are machine clients holding API keys.",
        }
        for finding, reason in reasons.items():
            nag.acknowledge(self.api, finding, reason)
        cloud_watch_role = self.api.node.try_find_child("CloudWatchRole")
        if cloud_watch_role is not None:
            nag.acknowledge(
                cloud_watch_role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level logging role; this managed policy is the one AWS documents "
                "for it and is scoped to what the service itself writes.",
            )


def _cors(origins: Sequence[str]) -> apigw.CorsOptions | None:
    """Preflight answers for the configured origins; none by default (server-to-server clients)."""
    if not origins:
        return None
    return apigw.CorsOptions(
        allow_origins=list(origins),
        allow_methods=sorted({method for method, _, _ in c.ROUTES} | {"OPTIONS"}),
        allow_headers=["Content-Type", c.API_KEY_HEADER],
        max_age=Duration.hours(1),
    )
