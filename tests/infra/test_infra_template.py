"""What the synthesized template must say: one test per promise of the infrastructure."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match
from docpipe_infra import constants as c
from infra_support import REPO_ROOT, Synth, synthesize

from docpipe import contract

REQUIRED_ENVIRONMENT = {
    contract.ENV_PRESIGN_SECONDS: "900",
    contract.ENV_RETENTION_DAYS: str(contract.RETENTION_DAYS),
    contract.ENV_MAX_RECEIVES: "3",
    contract.ENV_RENDER_TIMEOUT_SECONDS: "20",
    contract.ENV_MAX_BACKLOG: str(contract.MAX_BACKLOG),
    contract.ENV_MAX_TENANT_BACKLOG: str(contract.MAX_TENANT_BACKLOG),
    contract.ENV_CACHE_TTL_SECONDS: "86400",
    contract.ENV_STALE_AFTER_SECONDS: "1440",
    contract.ENV_METRICS_NAMESPACE: "Docpipe",
    contract.ENV_LOG_LEVEL: "INFO",
}
ENI_AND_XRAY = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


# --- helpers ------------------------------------------------------------------------------------------


def only(resources: dict[str, dict[str, Any]], prefix: str = "") -> tuple[str, dict[str, Any]]:
    matches = [(logical_id, r) for logical_id, r in resources.items() if logical_id.startswith(prefix)]
    assert len(matches) == 1, f"expected one resource starting with {prefix!r}, got {[m[0] for m in matches]}"
    return matches[0]


def resource_name(value: Any) -> str:
    """A readable name for an IAM resource: `*`, `Logical.Arn`, or `Logical.Arn/prefix/*`."""
    if value == "*":
        return "*"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"{logical_id}.{attribute}"
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(
            resource_name(part) if isinstance(part, dict) else part for part in value["Fn::Join"][1]
        )
    raise AssertionError(f"unexpected IAM resource {value!r}")


Permission = tuple[str, str, str]  # (action, resource, condition as JSON or "")


def role_permissions(synth: Synth, function_id: str) -> set[Permission]:
    """Every (action, resource, condition) the function's role is allowed, across all its policies."""
    role_id = synth.template_json["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synth.template_json["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role, "function roles must not use AWS managed policies"
    permissions: set[Permission] = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            condition = json.dumps(statement["Condition"], sort_keys=True) if "Condition" in statement else ""
            permissions |= {(a, resource_name(r), condition) for a in actions for r in resources}
    return permissions


def grants(actions: set[str] | list[str], resource: str, condition: str = "") -> set[Permission]:
    return {(action, resource, condition) for action in actions}


POINTER_ONLY = json.dumps({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["key#*"]}}, sort_keys=True)


def render_queues(synth: Synth) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """(queue, dead-letter queue): the queue is the one with a redrive policy."""
    queues = synth.resources("AWS::SQS::Queue")
    (queue,) = [(i, q) for i, q in queues.items() if "RedrivePolicy" in q["Properties"]]
    (dlq,) = [(i, q) for i, q in queues.items() if i != queue[0]]
    return queue, dlq


@pytest.fixture(scope="module")
def options_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The opt-in features the other two variants leave off: several CORS origins, the X-Ray endpoint."""
    return synthesize(
        tmp_path_factory.mktemp("cdk-options"),
        {c.CTX_CORS_ORIGINS: "https://app.example,https://admin.example", c.CTX_XRAY_ENDPOINT: "true"},
    )


def environment(synth: Synth, name: str) -> dict[str, Any]:
    variables: dict[str, Any] = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Properties"][
        "Environment"
    ]["Variables"]
    return variables


def gateway_responses(synth: Synth) -> dict[str, dict[str, Any]]:
    """Response type -> the headers API Gateway adds to its own answers of that type."""
    return {
        r["Properties"]["ResponseType"]: {
            name.removeprefix("gatewayresponse.header."): value
            for name, value in r["Properties"]["ResponseParameters"].items()
        }
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    }


def api_paths(synth: Synth) -> dict[str, str]:
    """Logical id of each API Gateway resource -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


# --- resources ----------------------------------------------------------------------------------------


def test_resource_counts(synth: Synth) -> None:
    expected = {
        # submit, status, render + CDK's two providers (empty buckets on teardown, default SG rules)
        "AWS::Lambda::Function": 5,
        "AWS::SQS::Queue": 2,
        "AWS::S3::Bucket": 2,
        "AWS::DynamoDB::Table": 1,
        "AWS::ElastiCache::ServerlessCache": 1,
        "AWS::EC2::VPC": 1,
        "AWS::EC2::Subnet": 2,
        "AWS::EC2::NatGateway": 0,
        "AWS::EC2::InternetGateway": 0,
        "AWS::EC2::Route": 0,
        "AWS::EC2::VPCEndpoint": 3,  # no X-Ray endpoint unless asked for
        "AWS::EC2::FlowLog": 1,
        "AWS::ApiGateway::RestApi": 1,
        "AWS::ApiGateway::Method": len(c.ROUTES),
        "AWS::ApiGateway::UsagePlan": 1,
        "AWS::ApiGateway::GatewayResponse": 0,  # no CORS unless origins are configured
        "AWS::Lambda::EventSourceMapping": 1,
        # DLQ, queue age, render errors, API 5xx rate, persistent cache errors (test_infra_cache_monitoring)
        "AWS::CloudWatch::Alarm": 5,
        "AWS::CloudWatch::Dashboard": 1,
        # three functions, API access and execution logs, VPC flow logs, CDK's two providers
        "AWS::Logs::LogGroup": 8,
    }
    for resource_type, count in expected.items():
        synth.template.resource_count_is(resource_type, count)


def test_outputs_have_fixed_logical_ids(synth: Synth) -> None:
    outputs = synth.template_json["Outputs"]
    for output_id in (
        c.OUTPUT_API_URL,
        c.OUTPUT_BUCKET,
        c.OUTPUT_TABLE,
        c.OUTPUT_QUEUE_URL,
        c.OUTPUT_DASHBOARD,
    ):
        assert output_id in outputs
    assert outputs[c.OUTPUT_DASHBOARD]["Value"] == {
        "Ref": only(synth.resources("AWS::CloudWatch::Dashboard"))[0]
    }


# --- network and cache --------------------------------------------------------------------------------


def test_vpc_has_isolated_subnets_and_endpoints(synth: Synth) -> None:
    for subnet in synth.resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
    endpoints = [e["Properties"] for e in synth.resources("AWS::EC2::VPCEndpoint").values()]
    kinds = sorted((e.get("VpcEndpointType", "Gateway"), json.dumps(e["ServiceName"])) for e in endpoints)
    assert [kind for kind, _ in kinds] == ["Gateway", "Gateway", "Interface"]
    assert any(".s3" in name for _, name in kinds)
    assert any(".dynamodb" in name for _, name in kinds)
    assert any(".sqs" in name for kind, name in kinds if kind == "Interface")
    assert not any(".xray" in name for _, name in kinds)  # opt-in: docpipe:xrayEndpoint


def test_xray_endpoint_when_asked_for(options_synth: Synth) -> None:
    endpoints = [e["Properties"] for e in options_synth.resources("AWS::EC2::VPCEndpoint").values()]
    (xray,) = [e for e in endpoints if ".xray" in json.dumps(e["ServiceName"])]
    (sqs,) = [e for e in endpoints if ".sqs" in json.dumps(e["ServiceName"])]
    assert xray["VpcEndpointType"] == "Interface"
    # The SDK and the X-Ray daemon call the public name; private DNS points it at the endpoint.
    assert xray["PrivateDnsEnabled"] is True
    # Same subnets and security group as the SQS endpoint: reachable from the functions on 443 only.
    assert sorted(xray["SubnetIds"], key=str) == sorted(sqs["SubnetIds"], key=str)
    assert xray["SecurityGroupIds"] == sqs["SecurityGroupIds"]


def test_only_the_functions_reach_the_cache(synth: Synth) -> None:
    cache_sg = only(synth.resources("AWS::EC2::SecurityGroup"), "NetworkCacheSecurityGroup")[0]
    function_sg = only(synth.resources("AWS::EC2::SecurityGroup"), "NetworkFunctionSecurityGroup")[0]
    ingress = [
        r["Properties"]
        for r in synth.resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [cache_sg, "GroupId"]}
    ]
    assert ingress == [
        {
            "IpProtocol": "tcp",
            "Description": "docpipe functions",
            "FromPort": c.CACHE_PORT,
            "ToPort": c.CACHE_PORT,
            "GroupId": {"Fn::GetAtt": [cache_sg, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [function_sg, "GroupId"]},
        }
    ]
    cache_group = synth.template_json["Resources"][cache_sg]["Properties"]
    assert "SecurityGroupIngress" not in cache_group  # no inline CIDR rules


def test_cache_is_valkey_serverless_with_tls_url(synth: Synth) -> None:
    cache_id, cache = only(synth.resources("AWS::ElastiCache::ServerlessCache"))
    assert cache["Properties"]["Engine"] == "valkey"
    cache_sg = only(synth.resources("AWS::EC2::SecurityGroup"), "NetworkCacheSecurityGroup")[0]
    assert cache["Properties"]["SecurityGroupIds"] == [{"Fn::GetAtt": [cache_sg, "GroupId"]}]
    url = synth.template_json["Resources"]["SubmitFunction"]["Properties"]["Environment"]["Variables"][
        contract.ENV_REDIS_URL
    ]
    assert url == {
        "Fn::Join": [
            "",
            [
                "rediss://",
                {"Fn::GetAtt": [cache_id, "Endpoint.Address"]},
                ":",
                {"Fn::GetAtt": [cache_id, "Endpoint.Port"]},
                "/0",
            ],
        ]
    }


# --- storage ------------------------------------------------------------------------------------------


def test_documents_bucket_is_private_encrypted_and_expires(synth: Synth) -> None:
    _bucket_id, bucket = only(synth.resources("AWS::S3::Bucket"), "StorageDocumentsBucket")
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "VersioningConfiguration" not in props
    log_bucket = only(synth.resources("AWS::S3::Bucket"), "StorageAccessLogBucket")[0]
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket}
    expiring = {
        rule["Prefix"]: rule["ExpirationInDays"]
        for rule in props["LifecycleConfiguration"]["Rules"]
        if "Prefix" in rule and rule["Status"] == "Enabled"
    }
    assert expiring == {
        contract.REQUESTS_PREFIX: contract.RETENTION_DAYS,
        contract.DOCUMENTS_PREFIX: contract.RETENTION_DAYS,
    }
    assert bucket["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize("bucket_prefix", ["StorageDocumentsBucket", "StorageAccessLogBucket"])
def test_buckets_deny_insecure_transport(synth: Synth, bucket_prefix: str) -> None:
    bucket_id = only(synth.resources("AWS::S3::Bucket"), bucket_prefix)[0]
    synth.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        ),
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}
                        ),
                    ]
                )
            },
        },
    )


def test_jobs_table(synth: Synth) -> None:
    _, table = only(synth.resources("AWS::DynamoDB::Table"))
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


# --- queue --------------------------------------------------------------------------------------------


def test_render_queue_dead_letter_wiring(synth: Synth) -> None:
    (queue_id, queue), (dlq_id, dlq) = render_queues(synth)
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": contract.MAX_RECEIVES,
    }
    render_env = synth.template_json["Resources"]["RenderFunction"]["Properties"]["Environment"]["Variables"]
    # The handler's last-receive check and SQS's redrive must agree.
    assert render_env[contract.ENV_MAX_RECEIVES] == str(redrive["maxReceiveCount"])
    for props in (queue["Properties"], dlq["Properties"]):
        assert props["SqsManagedSseEnabled"] is True
    for queue_ref in (queue_id, dlq_id):
        synth.template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue_ref}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                            )
                        ]
                    )
                },
            },
        )


def test_visibility_timeout_is_six_render_timeouts(synth: Synth) -> None:
    (_, queue), _ = render_queues(synth)
    render_timeout = synth.template_json["Resources"]["RenderFunction"]["Properties"]["Timeout"]
    visibility = queue["Properties"]["VisibilityTimeout"]
    assert visibility / render_timeout >= 6
    # A job is declared lost only after every receive's visibility window has passed.
    env = synth.template_json["Resources"]["RenderFunction"]["Properties"]["Environment"]["Variables"]
    assert int(env[contract.ENV_STALE_AFTER_SECONDS]) > visibility * contract.MAX_RECEIVES


def test_render_event_source(synth: Synth) -> None:
    (queue_id, _), _ = render_queues(synth)
    _, mapping = only(synth.resources("AWS::Lambda::EventSourceMapping"))
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "RenderFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == c.RENDER_BATCH_SIZE
    assert props["ScalingConfig"] == {"MaximumConcurrency": c.DEFAULT_RENDER_MAX_CONCURRENCY}
    # A whole batch of TeX runs must fit the function timeout.
    render_timeout = synth.template_json["Resources"]["RenderFunction"]["Properties"]["Timeout"]
    assert props["BatchSize"] * contract.RENDER_TIMEOUT_SECONDS < render_timeout


# --- functions ----------------------------------------------------------------------------------------


def test_a_waiting_submit_answers_before_api_gateway_gives_up(synth: Synth) -> None:
    """`Prefer: wait=N` may hold the submit function MAX_WAIT_SECONDS; its timeout covers that and
    stays under API Gateway's 29 s, and the status function keeps its short timeout."""
    resources = synth.template_json["Resources"]
    submit_timeout = resources["SubmitFunction"]["Properties"]["Timeout"]
    assert contract.MAX_WAIT_SECONDS < submit_timeout < c.API_GATEWAY_TIMEOUT_SECONDS
    assert resources["StatusFunction"]["Properties"]["Timeout"] == c.API_FUNCTION_TIMEOUT_SECONDS


@pytest.mark.parametrize("name", c.FUNCTION_NAMES)
def test_function_environment(synth: Synth, name: str) -> None:
    env = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Properties"]["Environment"][
        "Variables"
    ]
    for key, value in REQUIRED_ENVIRONMENT.items():
        assert env[key] == value, key
    assert env[contract.ENV_SERVICE_NAME] == f"docpipe-{name}"
    for key in (contract.ENV_BUCKET, contract.ENV_JOBS_TABLE, contract.ENV_QUEUE_URL, contract.ENV_REDIS_URL):
        assert isinstance(env[key], dict), f"{key} must reference the deployed resource"
    assert (contract.ENV_FORMAT_DIR in env) == (name == c.RENDER)
    if name == c.RENDER:
        assert env[contract.ENV_FORMAT_DIR] == "/opt/docpipe/formats"
    # The API functions always say which origins they answer (none by default); render answers no one.
    assert env.get(contract.ENV_CORS_ORIGINS) == (None if name == c.RENDER else "[]")


@pytest.mark.parametrize("name", [c.SUBMIT, c.STATUS])
def test_zip_functions(synth: Synth, name: str) -> None:
    props = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.handler"
    assert "S3Key" in props["Code"]


def test_render_image_builds_as_one_manifest(synth: Synth) -> None:
    """Lambda rejects an image index. Nothing the asset passes to `docker build` may produce one or
    need another builder: one platform, no outputs, cache exports, build contexts or secrets."""
    (image,) = synth.assets_manifest()["dockerImages"].values()
    assert image["source"] == {
        "directory": image["source"]["directory"],
        "dockerFile": c.RENDER_DOCKERFILE,
        "platform": "linux/arm64",
    }


def test_pinned_cdk_cli_builds_images_without_attestations() -> None:
    """The asset cannot switch attestations off (aws-cdk-lib has no option for it); the CLI's asset
    publisher does, with BUILDX_NO_DEFAULT_ATTESTATIONS=1 on its `docker build`. A CLI upgrade that
    dropped it would push an image index that Lambda refuses."""
    cli = REPO_ROOT / "infra" / "node_modules" / "aws-cdk" / "lib" / "index.js"
    if not cli.exists():
        pytest.fail(f"CDK CLI missing at {cli}: run `npm ci --prefix infra`")
    assert re.search(r"BUILDX_NO_DEFAULT_ATTESTATIONS[\"']?\s*:\s*[\"']1[\"']", cli.read_text())


def test_render_function_is_a_container_image(synth: Synth) -> None:
    props = synth.template_json["Resources"]["RenderFunction"]["Properties"]
    assert props["PackageType"] == "Image"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 2048
    assert props["Timeout"] == 60
    assert "ReservedConcurrentExecutions" not in props  # not reserved unless asked for


@pytest.mark.parametrize("name", c.FUNCTION_NAMES)
def test_functions_run_in_the_isolated_subnets(synth: Synth, name: str) -> None:
    props = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Properties"]
    subnets = [{"Ref": logical_id} for logical_id in synth.resources("AWS::EC2::Subnet")]
    function_sg = only(synth.resources("AWS::EC2::SecurityGroup"), "NetworkFunctionSecurityGroup")[0]
    assert sorted(props["VpcConfig"]["SubnetIds"], key=str) == sorted(subnets, key=str)
    assert props["VpcConfig"]["SecurityGroupIds"] == [{"Fn::GetAtt": [function_sg, "GroupId"]}]
    assert props["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("name", c.FUNCTION_NAMES)
def test_functions_log_to_their_own_group_with_retention(synth: Synth, name: str) -> None:
    props = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Properties"]
    group = synth.template_json["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert group["Properties"]["RetentionInDays"] == c.DEFAULT_LOG_RETENTION_DAYS


def _expected_permissions(synth: Synth, name: str) -> set[Permission]:
    """What each handler calls (src/docpipe/pipeline.py and the adapters), and nothing more."""
    bucket = only(synth.resources("AWS::S3::Bucket"), "StorageDocumentsBucket")[0] + ".Arn"
    table = only(synth.resources("AWS::DynamoDB::Table"))[0] + ".Arn"
    queue = render_queues(synth)[0][0] + ".Arn"
    props = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[name]]["Properties"]
    logs = props["LoggingConfig"]["LogGroup"]["Ref"] + ".Arn"
    requests, documents = f"{bucket}/{contract.REQUESTS_PREFIX}*", f"{bucket}/{contract.DOCUMENTS_PREFIX}*"
    common = grants(ENI_AND_XRAY, "*") | grants(["logs:CreateLogStream", "logs:PutLogEvents"], logs)
    release_pointer = grants(["dynamodb:DeleteItem"], table, POINTER_ONLY)
    by_function = {
        c.SUBMIT: grants(["s3:PutObject", "s3:GetObject"], requests)  # GetObject: POST /v1/check of a job
        | grants(["s3:GetObject"], documents)
        | grants(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], table)
        | release_pointer
        | grants(["sqs:SendMessage", "sqs:GetQueueAttributes"], queue),
        c.STATUS: grants(["s3:DeleteObject"], requests)
        | grants(["s3:GetObject", "s3:DeleteObject"], documents)
        | grants(["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], table),
        c.RENDER: grants(["s3:GetObject"], requests)
        | grants(["s3:PutObject", "s3:DeleteObject"], documents)
        | grants(["dynamodb:GetItem", "dynamodb:UpdateItem"], table)
        | release_pointer
        # what the SQS event source grants its consumer
        | grants(
            [
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueUrl",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            ],
            queue,
        ),
    }
    return common | by_function[name]


def test_submit_never_deletes_objects(synth: Synth) -> None:
    """Submit records the job before it stores the request, and deletes no object on any path
    (src/docpipe/pipeline.py); erasure is the status function's. A DeleteObject left on its role
    would let a compromised submit erase any tenant's requests."""
    permissions = role_permissions(synth, c.FUNCTION_LOGICAL_IDS[c.SUBMIT])
    assert not {(action, resource) for action, resource, _ in permissions if action == "s3:DeleteObject"}


@pytest.mark.parametrize("name", c.FUNCTION_NAMES)
def test_roles_are_least_privilege(synth: Synth, name: str) -> None:
    actual = role_permissions(synth, c.FUNCTION_LOGICAL_IDS[name])
    assert actual == _expected_permissions(synth, name)
    # `*` only where AWS offers no resource-level permission (acknowledged in the nag tests).
    assert {action for action, resource, _ in actual if resource == "*"} == ENI_AND_XRAY


# --- API ----------------------------------------------------------------------------------------------


def test_routes_and_api_keys(synth: Synth) -> None:
    paths = api_paths(synth)
    routes = set()
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        assert props["Integration"]["Type"] == "AWS_PROXY"
        parts = props["Integration"]["Uri"]["Fn::Join"][1]
        (target,) = [
            part
            for part in parts
            if isinstance(part, dict)
            and ("Fn::GetAtt" in part or not part.get("Ref", "AWS::").startswith("AWS::"))
        ]
        function_id = invoked_function(synth, target)
        routes.add(
            (props["HttpMethod"], paths[props["ResourceId"]["Ref"]], function_id, props["ApiKeyRequired"])
        )
    expected = {
        (method, path, c.FUNCTION_LOGICAL_IDS[fn], path != c.HEALTH_PATH) for method, path, fn in c.ROUTES
    }
    assert routes == expected


def invoked_function(synth: Synth, target: dict[str, Any]) -> str:
    """The function an integration URI names: by its ARN, or (SnapStart) through an alias of it."""
    if "Fn::GetAtt" in target:
        return str(target["Fn::GetAtt"][0])
    alias = synth.template_json["Resources"][target["Ref"]]
    assert alias["Type"] == "AWS::Lambda::Alias"
    return str(alias["Properties"]["FunctionName"]["Ref"])


def test_post_bodies_and_path_parameters_are_validated(synth: Synth) -> None:
    _, validator = only(synth.resources("AWS::ApiGateway::RequestValidator"))
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    paths = api_paths(synth)
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        assert "RequestValidatorId" in props
        assert ("RequestModels" in props) == (props["HttpMethod"] == "POST")
        if "{job_id}" in paths[props["ResourceId"]["Ref"]]:
            assert props["RequestParameters"] == {"method.request.path.job_id": True}


def test_usage_plan_throttles_each_key(synth: Synth) -> None:
    api_id = only(synth.resources("AWS::ApiGateway::RestApi"))[0]
    _, plan = only(synth.resources("AWS::ApiGateway::UsagePlan"))
    assert plan["Properties"]["Throttle"] == {
        "RateLimit": c.DEFAULT_API_RATE_LIMIT,
        "BurstLimit": c.DEFAULT_API_BURST_LIMIT,
    }
    assert plan["Properties"]["ApiStages"][0]["ApiId"] == {"Ref": api_id}


def test_stage_logs_and_traces(synth: Synth) -> None:
    _, stage = only(synth.resources("AWS::ApiGateway::Stage"))
    props = stage["Properties"]
    assert props["StageName"] == c.API_STAGE
    assert props["TracingEnabled"] is True
    parts = props["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1]
    (log_group,) = [p["Ref"] for p in parts if isinstance(p, dict) and not p["Ref"].startswith("AWS::")]
    assert synth.template_json["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"
    assert "$context.identity.apiKeyId" in props["AccessLogSetting"]["Format"]
    assert props["MethodSettings"][0]["LoggingLevel"] == "ERROR"
    assert props["MethodSettings"][0]["DataTraceEnabled"] is False


def test_stage_execution_logs_belong_to_the_stack(synth: Synth) -> None:
    """API Gateway would create this group itself (execution logging is on) and leave it behind."""
    api_id = only(synth.resources("AWS::ApiGateway::RestApi"))[0]
    stage_id, stage = only(synth.resources("AWS::ApiGateway::Stage"))
    expected_name = {"Fn::Join": ["", ["API-Gateway-Execution-Logs_", {"Ref": api_id}, f"/{c.API_STAGE}"]]}
    (group_id,) = [
        logical_id
        for logical_id, group in synth.resources("AWS::Logs::LogGroup").items()
        if group["Properties"].get("LogGroupName") == expected_name
    ]
    group = synth.template_json["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == c.DEFAULT_LOG_RETENTION_DAYS
    assert group["DeletionPolicy"] == "Delete"
    # The group exists before the stage starts logging, and outlives it on teardown.
    assert group_id in stage["DependsOn"], stage_id


def test_no_cors_by_default(synth: Synth) -> None:
    assert not [
        m
        for m in synth.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    assert not gateway_responses(synth)


# --- teardown -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["synth", "prod_synth"])
def test_every_function_logs_to_a_group_of_the_stack(request: pytest.FixtureRequest, variant: str) -> None:
    """Ours and the ones CDK adds for custom resources (S3 auto-delete, default SG): none may make
    Lambda create /aws/lambda/<name> outside the stack."""
    synth: Synth = request.getfixturevalue(variant)
    groups = synth.resources("AWS::Logs::LogGroup")
    functions = synth.resources("AWS::Lambda::Function")
    providers = {
        r["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        for r in synth.template_json["Resources"].values()
        if r["Type"].startswith("Custom::")
    }
    assert providers
    assert providers <= set(functions)
    for logical_id, function in functions.items():
        group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        group = groups[group_id]
        expected_days = (
            c.DEFAULT_PROD_LOG_RETENTION_DAYS if variant == "prod_synth" else c.DEFAULT_LOG_RETENTION_DAYS
        )
        assert group["Properties"]["RetentionInDays"] == expected_days, logical_id
        assert group["DeletionPolicy"] == ("Retain" if variant == "prod_synth" else "Delete"), logical_id


def test_non_prod_teardown_retains_only_the_account_logging_role(synth: Synth) -> None:
    """`cdk destroy` of a non-prod stack deletes everything it made, except API Gateway's account-wide
    CloudWatch role and setting, which other APIs in the account and region may rely on."""
    retained = {
        resource["Type"]
        for resource in synth.template_json["Resources"].values()
        if resource.get("DeletionPolicy", "Delete") != "Delete"
    }
    assert retained == {"AWS::IAM::Role", "AWS::ApiGateway::Account"}
    (role_id,) = [
        logical_id
        for logical_id, r in synth.resources("AWS::IAM::Role").items()
        if r.get("DeletionPolicy") == "Retain"
    ]
    assert role_id.startswith("ApiRestApiCloudWatchRole")
    # Every log group has a retention, so nothing the stack made keeps data forever.
    for group in synth.resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == c.DEFAULT_LOG_RETENTION_DAYS


# --- monitoring ---------------------------------------------------------------------------------------


def test_alarms(synth: Synth) -> None:
    alarms = {
        logical_id: a["Properties"] for logical_id, a in synth.resources("AWS::CloudWatch::Alarm").items()
    }
    by_metric = {props["MetricName"]: props for props in alarms.values() if "MetricName" in props}
    (_, _), (dlq, _) = render_queues(synth)
    assert by_metric["ApproximateNumberOfMessagesVisible"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": [dlq, "QueueName"]
    }
    assert by_metric["ApproximateNumberOfMessagesVisible"]["Threshold"] == 1
    assert by_metric["ApproximateAgeOfOldestMessage"]["Threshold"] == c.ALARM_OLDEST_MESSAGE_SECONDS
    assert by_metric["Errors"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "RenderFunction"}}]
    # Math alarms: the API's 5xx rate here; the cache-error alarm has its own tests.
    math = [
        {m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m}
        for props in alarms.values()
        if "Metrics" in props
    ]
    assert {"5XXError", "Count"} in math


def test_dashboard_shows_the_application_metrics(synth: Synth) -> None:
    _, dashboard = only(synth.resources("AWS::CloudWatch::Dashboard"))
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in (
        "CacheHit",
        "CacheMiss",
        "RenderMs",
        "RenderFailed",
        "p50",
        "p99",
        "Docpipe",
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "4XXError",
        "5XXError",
    ):
        assert needle in body, needle


# --- prod ---------------------------------------------------------------------------------------------


def test_prod_retains_data_and_reserves_concurrency(prod_synth: Synth) -> None:
    _, bucket = only(prod_synth.resources("AWS::S3::Bucket"), "StorageDocumentsBucket")
    _, table = only(prod_synth.resources("AWS::DynamoDB::Table"))
    assert bucket["DeletionPolicy"] == "Retain"
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    prod_synth.template.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    for group in prod_synth.resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == c.DEFAULT_PROD_LOG_RETENTION_DAYS
    assert (
        prod_synth.template_json["Resources"]["RenderFunction"]["Properties"]["ReservedConcurrentExecutions"]
        == 25
    )


def test_cors_preflights_are_public(prod_synth: Synth) -> None:
    options = [
        m["Properties"]
        for m in prod_synth.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    assert options
    for props in options:
        assert props["ApiKeyRequired"] is False
        headers = props["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'https://app.example'"
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert {"Content-Type", c.API_KEY_HEADER, "Idempotency-Key", "Prefer"} <= set(allowed)


@pytest.mark.parametrize("name", [c.SUBMIT, c.STATUS])
def test_api_functions_know_the_origins(prod_synth: Synth, options_synth: Synth, name: str) -> None:
    assert json.loads(environment(prod_synth, name)[contract.ENV_CORS_ORIGINS]) == ["https://app.example"]
    assert json.loads(environment(options_synth, name)[contract.ENV_CORS_ORIGINS]) == [
        "https://app.example",
        "https://admin.example",
    ]


def test_gateway_errors_carry_cors_for_one_origin(prod_synth: Synth) -> None:
    """403 missing key, 429 throttled, 413, validator 400s and 5xx come from API Gateway itself."""
    responses = gateway_responses(prod_synth)
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for headers in responses.values():
        assert headers["Access-Control-Allow-Origin"] == "'https://app.example'"
        assert "Vary" not in headers  # a static value does not vary
        assert "x-amzn-RequestId" in headers["Access-Control-Expose-Headers"]
        assert "Access-Control-Allow-Credentials" not in headers


def test_gateway_errors_reflect_the_origin_when_there_are_several(options_synth: Synth) -> None:
    responses = gateway_responses(options_synth)
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for headers in responses.values():
        assert headers["Access-Control-Allow-Origin"] == "method.request.header.Origin"
        assert headers["Vary"] == "'Origin'"
        assert "Access-Control-Allow-Credentials" not in headers
    # The gateway responses take effect with the deployment that includes them.
    _, deployment = only(options_synth.resources("AWS::ApiGateway::Deployment"))
    for logical_id in options_synth.resources("AWS::ApiGateway::GatewayResponse"):
        assert logical_id in deployment["DependsOn"]
