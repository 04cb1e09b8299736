"""What `cdk deploy` ships, booted as Lambda boots it, in a region other than us-east-1.

The synthesized template is "deployed" onto moto and a TLS cluster-mode redis-server (deployed.py);
each function runs in its own process from the code CDK staged for it, with only the environment the
template and Lambda give it (lambda_function.py). One document then goes through the three functions
with the events/ fixtures: submit, the message the submit really sent handed to render as the SQS
event source would, status, the presigned download, and the same document again from the cache.

A setting the code needs that the template does not set, a default that only works in one region, or
a cache client that cannot talk to a TLS cluster fails here.
"""

from __future__ import annotations

import concurrent.futures
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from deployed import CacheEndpoint, Deployment
from infra_support import REPO_ROOT, Synth, c
from lambda_function import LambdaFunction

from docpipe import contract
from docpipe_local.moto_server import start_moto
from docpipe_local.processes import free_port
from docpipe_local.redis_server import start_redis
from docpipe_local.redis_tls import make_redis_tls

REGION = "eu-west-1"
EVENTS = REPO_ROOT / "events"
# Personal data of the submit fixture's résumé: none of it may reach a log line.
PERSONAL = ("Jordan Avery Lee", "jordan.lee@example.com", "555-0142", "Northwind Payments")


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return loaded


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """moto for S3, SQS and DynamoDB; redis-server in cluster mode behind TLS for ElastiCache."""
    tls = make_redis_tls(tmp_path_factory.mktemp("redis-tls"))
    moto_port, redis_port = free_port(), free_port()
    processes = [start_moto(moto_port), start_redis(redis_port, tls=tls)]
    try:
        yield {"endpoint": f"http://127.0.0.1:{moto_port}", "redis_port": redis_port, "tls": tls}
    finally:
        for process in processes:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployment(synth: Synth, cloud: dict[str, Any]) -> Deployment:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    config = Config(retries={"max_attempts": 2})
    clients = type(
        "Clients",
        (),
        {
            name: session.client(name, endpoint_url=cloud["endpoint"], config=config)
            for name in ("s3", "sqs", "dynamodb")
        },
    )
    cache = CacheEndpoint("127.0.0.1", cloud["redis_port"])
    return Deployment(template=synth.template_json, region=REGION, clients=clients, cache=cache).provision()


@pytest.fixture(scope="module")
def functions(
    synth: Synth, deployment: Deployment, cloud: dict[str, Any]
) -> Iterator[dict[str, LambdaFunction]]:
    stand_ins = {"AWS_ENDPOINT_URL": cloud["endpoint"], "SSL_CERT_FILE": str(cloud["tls"].ca)}
    started: dict[str, LambdaFunction] = {}
    try:
        for name, logical_id in c.FUNCTION_LOGICAL_IDS.items():
            started[name] = LambdaFunction(
                logical_id=logical_id,
                template=synth.template_json,
                environment=deployment.environment(logical_id),
                asset_root=synth.outdir,
                region=REGION,
                cloud_environment=stand_ins,
            )
        yield started
    finally:
        for function in started.values():
            function.close()


def test_every_function_boots_from_its_own_asset(functions: dict[str, LambdaFunction], synth: Synth) -> None:
    for name, function in functions.items():
        assert function.init.get("init") == "ok", (
            f"{name} failed its cold start:\n{function.init.get('traceback')}"
        )
        # The code that ran is the code CDK staged, not the repository's src/.
        assert Path(function.init["docpipe"]).is_relative_to(synth.outdir), function.init


def test_the_api_functions_run_from_a_snapshot(functions: dict[str, LambdaFunction]) -> None:
    """SnapStart (the default): submit and status pass their before-snapshot and after-restore hooks
    before the journey below; the render image starts cold."""
    snapshots = {name: function.init.get("snapshot") for name, function in functions.items()}
    assert snapshots == {c.SUBMIT: True, c.STATUS: True, c.RENDER: False}


def _render_event(deployment: Deployment, message: dict[str, Any]) -> dict[str, Any]:
    """The SQS event source's event for one received message (shape from events/render.json)."""
    (queue_id,) = [
        lid for lid, r in deployment.of_type("AWS::SQS::Queue").items() if "RedrivePolicy" in r["Properties"]
    ]
    records = event("render")
    record = records["Records"][0]
    record.update(
        messageId=message["MessageId"],
        receiptHandle=message["ReceiptHandle"],
        body=message["Body"],
        md5OfBody=message["MD5OfBody"],
        eventSourceARN=deployment.attribute(queue_id, "Arn"),
        awsRegion=REGION,
    )
    record["attributes"].update(message["Attributes"])
    return records


def _receive(deployment: Deployment, queue_url: str) -> dict[str, Any]:
    sqs = deployment.clients.sqs
    received = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=5, AttributeNames=["All"]
    )
    (message,) = received["Messages"]
    return dict(message)


@pytest.fixture(scope="module")
def journey(functions: dict[str, LambdaFunction], deployment: Deployment) -> dict[str, Any]:
    """One document through submit -> render -> status, and the same document again."""
    submit, render, status = functions[c.SUBMIT], functions[c.RENDER], functions[c.STATUS]
    queue_url = submit.environment[contract.ENV_QUEUE_URL]
    seen: dict[str, Any] = {"submitted": submit.invoke(event("submit"))}
    assert seen["submitted"]["statusCode"] == 202, seen["submitted"]
    job_id = json.loads(seen["submitted"]["body"])["job_id"]

    message = _receive(deployment, queue_url)
    seen["rendered"] = render.invoke(_render_event(deployment, message))
    deployment.clients.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    query = event("status")
    query["path"] = f"/v1/jobs/{job_id}"
    query["pathParameters"] = {"job_id": job_id}
    query["requestContext"]["path"] = f"/{c.API_STAGE}/v1/jobs/{job_id}"
    seen["status"] = json.loads(status.invoke(query)["body"])
    seen["again"] = submit.invoke(event("submit"))
    seen["job_id"] = job_id
    return seen


def test_submit_answers_with_the_deployed_stage_in_the_link(journey: dict[str, Any]) -> None:
    body = json.loads(journey["submitted"]["body"])
    assert body["status_url"] == f"/{c.API_STAGE}/v1/jobs/{journey['job_id']}"


def test_render_takes_the_message_submit_sent(journey: dict[str, Any]) -> None:
    assert journey["rendered"] == {"batchItemFailures": []}
    assert journey["status"]["status"] == "succeeded", journey["status"]


def test_download_link_is_signed_for_the_stack_region(journey: dict[str, Any]) -> None:
    url = journey["status"]["download_url"]
    credential = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Credential"][0]
    assert credential.endswith(f"/{REGION}/s3/aws4_request"), credential
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read().startswith(b"%PDF-")


def test_the_same_document_again_comes_from_the_tls_cluster_cache(journey: dict[str, Any]) -> None:
    again = journey["again"]
    assert again["statusCode"] == 200, again
    assert json.loads(again["body"])["cached"] is True


def test_no_personal_data_in_any_log(functions: dict[str, LambdaFunction], journey: dict[str, Any]) -> None:
    for name, function in functions.items():
        text = "".join(function.logs)
        assert text, f"{name} logged nothing"
        for value in PERSONAL:
            assert value not in text, f"{name} logged personal data"


def test_one_request_one_pdf_through_the_deployed_functions(
    functions: dict[str, LambdaFunction], deployment: Deployment
) -> None:
    """`Prefer: wait` + `Accept: application/pdf`: the deployed submit function waits for the job (its
    role and environment must let it read the job and presign) while render renders it, then answers
    303 to the PDF."""
    submit, render = functions[c.SUBMIT], functions[c.RENDER]
    queue_url = submit.environment[contract.ENV_QUEUE_URL]
    request = event("submit")
    envelope = json.loads(request["body"])
    envelope["data"]["personalInfo"]["title"] = "One request"  # a new document: no cache hit
    request["body"] = json.dumps(envelope)
    request["headers"] |= {"Prefer": "wait=20", "Accept": "application/pdf"}
    request["multiValueHeaders"] |= {"Prefer": ["wait=20"], "Accept": ["application/pdf"]}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(submit.invoke, request)
        message = _receive(deployment, queue_url)
        assert render.invoke(_render_event(deployment, message)) == {"batchItemFailures": []}
        deployment.clients.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        answer = waiting.result(timeout=120)
    assert answer["statusCode"] == 303, answer
    location = (answer.get("headers") or {}).get("location") or answer["multiValueHeaders"]["location"][0]
    with urllib.request.urlopen(location, timeout=10) as response:
        assert response.read().startswith(b"%PDF-")
