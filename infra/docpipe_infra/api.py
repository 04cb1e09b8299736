"""API: API Gateway REST API in front of the submit and status functions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Fn, RemovalPolicy
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
# Headers a browser may read on API Gateway's own error answers: the request id to quote and the
# error type (missing key, throttled, ...). The functions expose their own (src/docpipe/api.py).
_GATEWAY_EXPOSE_HEADERS = ("x-amzn-RequestId", "x-amzn-ErrorType")


class Api(Construct):
    """Routes from ``constants.ROUTES``, all Lambda proxy integrations.

    Tenants are API keys: every route but /health requires ``x-api-key``, and the usage plan throttles
    each key. The application reads the tenant from ``requestContext.identity.apiKeyId``.

    Body size: API Gateway's own limit is 10 MB and cannot be lowered; the application rejects bodies
    over 256 KiB itself (413). The gateway's request validator only checks that POST bodies are JSON
    objects and that path parameters are present, so malformed calls never cost a Lambda invocation.

    CORS, when origins are configured: API Gateway answers the preflights and adds the headers to its
    own errors (gateway responses); the functions add them to everything they answer.

    ``handlers`` are what the routes invoke, and what API Gateway is allowed to invoke: with SnapStart
    the functions' ``live`` aliases (functions.py), since $LATEST is never restored from a snapshot.
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
        self.api = self._rest_api(cors_origins, log_retention=log_retention, removal_policy=removal_policy)
        self._own_execution_logs(log_retention=log_retention, removal_policy=removal_policy)
        self._add_cors_gateway_responses(cors_origins)
        self._add_routes(handlers)
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Per-API-key throttle; add each tenant's key to this plan",
            throttle=apigw.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        self._acknowledge()

    def _rest_api(
        self, cors_origins: Sequence[str], *, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        return apigw.RestApi(
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

    def _add_routes(self, handlers: Mapping[str, lambda_.IFunction]) -> None:
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

    def _own_execution_logs(
        self, *, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> None:
        """Execution logging (level ERROR) writes to a group API Gateway creates itself, under a name it
        chooses, outside the stack and without retention. The stack creates that group first, with that
        exact name, so it has a retention and goes with the stack. The stage depends on it: the group
        exists before logging starts and is deleted only after the stage is gone."""
        execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=Fn.join(
                "", ["API-Gateway-Execution-Logs_", self.api.rest_api_id, "/", c.API_STAGE]
            ),
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.api.deployment_stage.node.add_dependency(execution_logs)

    def _add_cors_gateway_responses(self, origins: Sequence[str]) -> None:
        """CORS headers on the errors API Gateway answers itself: 403 missing or unknown key, 429
        throttled, 413 too large, 400 from the validator, 5xx when a function fails or times out.
        Without them the browser hides the status from the client, which then cannot tell a throttle
        from a network failure.

        One origin: that origin, as a static value. Several: gateway responses cannot run the check the
        preflight's mapping template runs, so the caller's Origin is reflected, for any origin, with
        ``Vary: Origin``. That lets any site read these error bodies, which is harmless: they are fixed
        texts ("Forbidden", "Too Many Requests", ...) with no tenant data, no credentials are allowed,
        and a browser never attaches an API key by itself. The alternative, a single static origin,
        would leave every other configured origin with opaque errors. Reflecting rather than "*" keeps
        these answers shaped like the functions' (one origin, Vary: Origin).
        """
        if not origins:
            return
        headers = {"Access-Control-Expose-Headers": f"'{','.join(_GATEWAY_EXPOSE_HEADERS)}'"}
        if len(origins) == 1:
            headers["Access-Control-Allow-Origin"] = f"'{origins[0]}'"
        else:
            headers["Access-Control-Allow-Origin"] = "method.request.header.Origin"
            headers["Vary"] = "'Origin'"
        for response_id, response_type in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX),
        ):
            self.api.add_gateway_response(response_id, type=response_type, response_headers=headers)

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
        # What a browser client sends: the API key, and the submit's optional Idempotency-Key and
        # Prefer (wait=N). Accept is always allowed (CORS-safelisted).
        allow_headers=["Content-Type", c.API_KEY_HEADER, "Idempotency-Key", "Prefer"],
        max_age=Duration.hours(1),
    )
