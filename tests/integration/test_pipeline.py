"""The pipeline end to end through HTTP, against moto + a real Redis + real TeX."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from docpipe import contract
from docpipe.api import create_app, status_router, submit_router
from docpipe.cache import DocumentCache
from docpipe.errors import DependencyUnavailable, TenantBacklogFull
from docpipe.jobs import ACTIVE, JobError, JobStatus, RenderMessage, content_key
from docpipe.pipeline import Pipeline
from docpipe.tickets import Ticket
from docpipe.usecases.results import Queued
from docpipe.validation import validate_request
from docpipe.workqueue import WorkQueue
from docpipe_local.client import http_json
from docpipe_local.render_worker import RenderWorker
from docpipe_local.stack import DevStack


def unique(document: dict[str, Any]) -> dict[str, Any]:
    """A copy no earlier test has rendered (the cache and dedup key on content)."""
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"Test Person {uuid.uuid4().hex[:8]}"
    return fresh


def submit(stack: DevStack, document: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{stack.url}/v1/documents",
        data=json.dumps(document).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def drain(worker: RenderWorker) -> None:
    while worker.poll_once():
        pass


def stored(stack: DevStack, key: str) -> bool:
    """Whether the bucket holds ``key`` (asked of S3 itself, not of the code under test)."""
    listed = stack.pipeline.stores.objects.client.list_objects_v2(
        Bucket=stack.pipeline.settings.bucket, Prefix=key
    )
    return any(item["Key"] == key for item in listed.get("Contents", []))


def with_stores(pipeline: Pipeline, **changes: Any) -> Pipeline:
    """The same use cases (and renderer) over some other stores or settings."""
    settings = changes.pop("settings", pipeline.settings)
    stores = dataclasses.replace(pipeline.stores, **changes)
    return Pipeline.build(settings, stores, renderer=pipeline.render.renderer)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_submit_render_status_download(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    document = unique(sample_resume)
    code, body = submit(stack, document)
    assert code == 202
    assert body["status"] == "queued"
    assert body["status_url"] == f"/v1/jobs/{body['job_id']}"

    code, status = http_json("GET", f"{stack.url}{body['status_url']}")
    assert (code, status["status"]) == (200, "queued")

    drain(worker)
    code, status = http_json("GET", f"{stack.url}{body['status_url']}")
    assert status["status"] == "succeeded", status
    assert status["pages"] >= 1
    with urllib.request.urlopen(status["download_url"], timeout=30) as response:
        pdf = response.read()
        disposition = response.headers["Content-Disposition"]
        assert response.headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF")
    assert document["data"]["personalInfo"]["name"] in pdf_text(pdf)
    assert "Test_Person_" in disposition
    assert disposition.endswith('_Resume.pdf"')


def test_cache_hit_answers_200_without_rendering(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    document = unique(sample_resume)
    first = submit(stack, document)[1]
    drain(worker)
    code, body = submit(stack, document)
    assert code == 200
    assert body["cached"] is True
    assert body["job_id"] == first["job_id"]
    assert worker.poll_once() == 0  # nothing was queued for the hit
    with urllib.request.urlopen(body["download_url"], timeout=30) as response:
        assert response.read().startswith(b"%PDF")


def test_identical_concurrent_submits_share_one_job(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    document = unique(sample_resume)
    ids = {submit(stack, document)[1]["job_id"] for _ in range(3)}
    assert len(ids) == 1
    assert worker.poll_once() == 1  # exactly one message, one render
    assert worker.poll_once() == 0


def test_idempotency_key(stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]) -> None:
    key = uuid.uuid4().hex
    document = unique(sample_resume)
    first = submit(stack, document, **{"Idempotency-Key": key})
    again = submit(stack, document, **{"Idempotency-Key": key})
    assert first[1]["job_id"] == again[1]["job_id"]
    code, body = submit(stack, unique(sample_resume), **{"Idempotency-Key": key})
    assert code == 409
    assert body["error"]["code"] == "conflict"
    drain(worker)


def test_duplicate_delivery_of_a_finished_job_does_nothing(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    _code, body = submit(stack, unique(sample_resume))
    drain(worker)
    before = stack.pipeline.stores.jobs.get(body["job_id"])
    assert before is not None
    assert before.status is JobStatus.SUCCEEDED
    stack.pipeline.render(RenderMessage(job_id=body["job_id"], tenant="local"), receive_count=2)
    after = stack.pipeline.stores.jobs.get(body["job_id"])
    assert after == before


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"document_type": "resume", "data": {}}', "application/json", 422, "invalid_document"),
        (b"{not json", "application/json", 422, "invalid_document"),
        (b"\xff\xfe", "application/json", 422, "invalid_document"),
        (b"x" * (300 * 1024), "application/json", 413, "too_large"),
        (b"{}", "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_invalid_requests(stack: DevStack, body: bytes, content_type: str, status: int, code: str) -> None:
    request = urllib.request.Request(
        f"{stack.url}/v1/documents", data=body, method="POST", headers={"Content-Type": content_type}
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == status
    error = json.loads(info.value.read())["error"]
    assert error["code"] == code
    assert error["request_id"]


def test_validation_errors_list_every_path(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    document = unique(sample_resume)
    document["data"]["experience"][0]["startDate"] = "2021-13"
    document["data"]["personalInfo"]["email"] = "nope"
    document["template"] = "classic"
    code, body = submit(stack, document)
    assert code == 422
    paths = {d["path"] for d in body["error"]["details"]}
    assert paths == {"data.experience[0].startDate", "data.personalInfo.email"}


def test_unknown_template_and_job_are_404(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    document = unique(sample_resume)
    document["template"] = "does-not-exist"
    assert submit(stack, document)[0] == 404
    assert http_json("GET", f"{stack.url}/v1/jobs/{uuid.uuid4().hex}")[0] == 404
    assert http_json("GET", f"{stack.url}/v1/jobs/not-an-id")[0] == 404


def _resign(url: str) -> str:
    """Sign the same GET again with botocore's SigV4 query signer at the URL's own timestamp.

    moto accepts any signature, so this is the check that ours is the one AWS would compute."""
    import datetime as dt
    from unittest import mock

    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    signed_at = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    request = AWSRequest(method="GET", url=f"{parts.scheme}://{parts.netloc}{parts.path}")
    signer = S3SigV4QueryAuth(
        Credentials("testing", "testing"), "s3", "us-east-1", int(query["X-Amz-Expires"][0])
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):  # the verifier's clock
        signer.add_auth(request)
    return str(urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)["X-Amz-Signature"][0])


def test_presigned_url_is_sigv4_with_the_configured_expiry(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    import datetime as dt

    _, body = submit(stack, unique(sample_resume))
    drain(worker)
    status = http_json("GET", f"{stack.url}/v1/jobs/{body['job_id']}")[1]
    url = status["download_url"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].endswith("/us-east-1/s3/aws4_request")
    # Expiry: the configured lifetime, and the download_expires_at we report matches the URL's own.
    lifetime = stack.pipeline.settings.presign_seconds
    assert query["X-Amz-Expires"] == [str(lifetime)]
    signed_at = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    reported = dt.datetime.fromisoformat(status["download_expires_at"].replace("Z", "+00:00"))
    assert abs((reported - (signed_at + dt.timedelta(seconds=lifetime))).total_seconds()) <= 2
    # Signature: exactly what botocore computes for this key, bucket, time and lifetime ...
    assert _resign(url) == query["X-Amz-Signature"][0]
    # ... and it covers the object key: the same signature on another key would not verify.
    other = url.replace(".pdf?", ".tex?")
    assert _resign(other) != query["X-Amz-Signature"][0]


def test_delete_erases_job_request_document_and_cache(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    document = unique(sample_resume)
    body = submit(stack, document)[1]
    drain(worker)
    job = stack.pipeline.stores.jobs.get(body["job_id"])
    assert job is not None
    request = urllib.request.Request(f"{stack.url}/v1/jobs/{job.job_id}", method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204
    assert http_json("GET", f"{stack.url}/v1/jobs/{job.job_id}")[0] == 404
    assert not stored(stack, job.document_key)
    assert not stored(stack, job.request_key)
    code, _again = submit(stack, document)
    assert code == 202  # no cache entry survived the erasure
    drain(worker)


def test_redis_down_degrades_to_uncached(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    from docpipe_local.processes import free_port

    dead = DocumentCache.from_url(f"redis://127.0.0.1:{free_port()}/0", ttl_seconds=60)
    pipeline = with_stores(stack.pipeline, cache=dead)
    document = json.dumps(unique(sample_resume)).encode()
    answer = pipeline.submit(document, "local")
    assert isinstance(answer, Queued)
    message = RenderMessage(job_id=answer.job_id, tenant="local")
    pipeline.render(message, receive_count=1)
    assert pipeline.status(message.job_id, "local").job.status is JobStatus.SUCCEEDED
    assert isinstance(pipeline.submit(document, "local"), Queued)  # still works, just uncached


class FailingObjects:
    """The object store with document uploads failing as the adapter fails in an S3 outage."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def put_document(self, *args: Any, **kwargs: Any) -> None:
        raise DependencyUnavailable("a storage service")


def test_s3_failure_is_retried_then_failed_on_the_last_receive(
    stack: DevStack, sample_resume: dict[str, Any]
) -> None:
    real = stack.pipeline
    pipeline = with_stores(real, objects=FailingObjects(real.stores.objects))
    answer = pipeline.submit(json.dumps(unique(sample_resume)).encode(), "local")
    message = RenderMessage(job_id=answer.job_id, tenant="local")
    last = real.settings.max_receives
    for attempt in range(1, last):
        with pytest.raises(DependencyUnavailable):
            pipeline.render(message, receive_count=attempt)
        assert pipeline.status(message.job_id, "local").job.status is JobStatus.RENDERING  # SQS retries
    with pytest.raises(DependencyUnavailable):
        pipeline.render(message, receive_count=last)
    job = pipeline.status(message.job_id, "local").job
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error.code == "internal_error"


def test_other_tenants_cannot_see_a_job(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    from docpipe.errors import NotFound

    body = submit(stack, unique(sample_resume))[1]
    drain(worker)
    with pytest.raises(NotFound):
        stack.pipeline.status(body["job_id"], "another-tenant")


def test_a_lost_job_is_marked_failed_instead_of_staying_queued(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    real = stack.pipeline
    document = json.dumps(unique(sample_resume)).encode()
    answer = real.submit(document, "local")
    drain_without_rendering = real.stores.queue.client.purge_queue  # the message is lost: nothing renders it
    drain_without_rendering(QueueUrl=real.settings.queue_url)
    impatient = with_stores(real, settings=real.settings.model_copy(update={"stale_after_seconds": 0}))
    job = impatient.status(answer.job_id, "local").job
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error.code == "lost"
    # and the content is no longer pinned to the lost job: a resubmit gets a new one
    again = impatient.submit(document, "local")
    assert isinstance(again, Queued)
    assert again.job_id != answer.job_id
    drain(worker)


def test_dynamodb_down_answers_503_with_retry_after(stack: DevStack, sample_resume: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from docpipe.api import create_app, status_router, submit_router
    from docpipe.aws import make_clients
    from docpipe_local.processes import free_port

    settings = stack.pipeline.settings.model_copy(
        update={"aws_endpoint_url": f"http://127.0.0.1:{free_port()}"}
    )
    broken = Pipeline.from_clients(settings, make_clients(settings), cache=stack.pipeline.stores.cache)
    app = create_app(submit_router(), status_router(), pipeline_factory=lambda: broken, local_tenant="t")
    with TestClient(app) as client:
        response = client.post("/v1/documents", json=unique(sample_resume))
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert response.json()["error"]["code"] == "unavailable"
        assert client.get(f"/v1/jobs/{uuid.uuid4().hex}").status_code == 503


def test_the_adapters_answer_an_aws_outage_with_dependency_unavailable(stack: DevStack) -> None:
    """Above the adapters nothing sees botocore: S3, DynamoDB and SQS unreachable are all
    DependencyUnavailable (a client's 503, a render's retry), caused by what botocore raised."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    from docpipe.aws import AwsClients
    from docpipe.usecases.stores import Stores
    from docpipe_local.processes import free_port

    settings = stack.pipeline.settings
    endpoint = f"http://127.0.0.1:{free_port()}"
    config = Config(region_name=settings.aws_region, retries={"max_attempts": 1})
    s3, dynamodb, sqs = (
        boto3.client(name, endpoint_url=endpoint, config=config) for name in ("s3", "dynamodb", "sqs")
    )
    stores = Stores.from_clients(settings, AwsClients(s3=s3, dynamodb=dynamodb, sqs=sqs))
    for call in (
        lambda: stores.objects.get_request("requests/local/missing.json"),
        lambda: stores.jobs.get(uuid.uuid4().hex),
        stores.queue.depth,
    ):
        with pytest.raises(DependencyUnavailable) as raised:
            call()
        assert isinstance(raised.value.__cause__, BotoCoreError)


def test_delete_keeps_a_document_whose_holders_are_unknown(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """A document stored before holds were recorded has no record of its jobs: erasing one of them
    must keep what the others still link to (unknown holders count as holders)."""
    settings, stores = stack.pipeline.settings, stack.pipeline.stores
    document = unique(sample_resume)
    first = submit(stack, document)[1]["job_id"]
    drain(worker)
    job = stack.pipeline.stores.jobs.get(first)
    assert job is not None
    stack.pipeline.stores.cache.delete("local", job.content_key)  # uncached: the same content renders again
    second = submit(stack, document)[1]["job_id"]
    drain(worker)
    assert second != first
    # What a document stored before holds were recorded looks like: no record of its holders.
    stores.jobs.client.delete_item(
        TableName=settings.jobs_table, Key={"pk": {"S": f"doc#{job.document_key}"}}
    )

    request = urllib.request.Request(f"{stack.url}/v1/jobs/{first}", method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204
    assert stored(stack, job.document_key)
    status = http_json("GET", f"{stack.url}/v1/jobs/{second}")[1]
    with urllib.request.urlopen(status["download_url"], timeout=30) as response:
        assert response.read().startswith(b"%PDF")


def test_the_failure_metric_follows_the_configured_namespace(
    stack: DevStack,
    worker: RenderWorker,
    sample_resume: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from docpipe.observability import metrics

    monkeypatch.setattr(metrics, "namespace", "DocpipeElsewhere")  # what POWERTOOLS_METRICS_NAMESPACE sets
    settings = stack.pipeline.settings
    answer = stack.pipeline.submit(json.dumps(unique(sample_resume)).encode(), "local")
    job = stack.pipeline.stores.jobs.get(answer.job_id)
    assert job is not None
    # The stored request no longer validates: the render fails, for the input's sake.
    invalid = b'{"document_type": "resume", "data": {}}'
    stack.pipeline.stores.objects.client.put_object(Bucket=settings.bucket, Key=job.request_key, Body=invalid)
    capsys.readouterr()
    stack.pipeline.render(RenderMessage(job_id=job.job_id, tenant="local"), receive_count=1)
    printed = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if "RenderFailedByCode" in line
    ]
    assert [blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] for blob in printed] == ["DocpipeElsewhere"]
    drain(worker)  # the job's message: a finished job, ignored


# --- fair backlog: each tenant's share of it -------------------------------------------------------


def capped(stack: DevStack, cap: int, **changes: Any) -> Pipeline:
    """The stack's use cases with at most ``cap`` jobs of one tenant on their way."""
    settings = stack.pipeline.settings.model_copy(update={"max_tenant_backlog": cap, **changes})
    return with_stores(stack.pipeline, settings=settings)


@contextlib.contextmanager
def as_tenant(pipeline: Pipeline, tenant: str) -> Iterator[TestClient]:
    """The real app (both routers) over ``pipeline``, every request filed under ``tenant``."""
    app = create_app(submit_router(), status_router(), pipeline_factory=lambda: pipeline, local_tenant=tenant)
    with TestClient(app) as client:
        yield client


def fresh_tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:12]}"


def counted(stack: DevStack, tenant: str) -> set[str]:
    """The jobs ``tenant``'s counter item holds tickets for, read from the table itself."""
    item = stack.pipeline.stores.jobs.client.get_item(
        TableName=stack.pipeline.settings.jobs_table,
        Key={"pk": {"S": f"{contract.TENANT_KEY_PREFIX}{tenant}"}},
        ConsistentRead=True,
    ).get("Item", {})
    parsed = (Ticket.parse(text) for text in item.get("tickets", {}).get("SS", []))
    return {ticket.job_id for ticket in parsed if ticket is not None}


def on_their_way(stack: DevStack, job_ids: list[str]) -> set[str]:
    """Which of ``job_ids`` are queued or rendering, read from the table."""
    jobs = (stack.pipeline.stores.jobs.get(job_id) for job_id in job_ids)
    return {job.job_id for job in jobs if job is not None and job.status in ACTIVE}


def test_a_tenant_at_its_cap_gets_429_while_other_tenants_are_accepted(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    pipeline = capped(stack, 2)
    a, b = fresh_tenant(), fresh_tenant()
    rendered, first, second, more = (unique(sample_resume) for _ in range(4))
    with as_tenant(pipeline, a) as client_a, as_tenant(pipeline, b) as client_b:
        done = client_a.post("/v1/documents", json=rendered).json()["job_id"]
        drain(worker)
        queued = [client_a.post("/v1/documents", json=doc) for doc in (first, second)]
        assert [response.status_code for response in queued] == [202, 202]
        ids = [response.json()["job_id"] for response in queued]
        assert counted(stack, a) == set(ids)

        refused = client_a.post("/v1/documents", json=more)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        error = refused.json()["error"]
        assert error["code"] == "tenant_backlog_full"
        assert "2 of your documents are already waiting" in error["message"]
        assert error["request_id"]
        # Refused before anything was stored: no ticket, no content pointer.
        assert counted(stack, a) == set(ids)
        key = content_key(validate_request(more), a)
        assert stack.pipeline.stores.jobs.pointer(a, key) is None

        # What adds no work is still answered: a cached document, and one already on its way.
        hit = client_a.post("/v1/documents", json=rendered)
        assert (hit.status_code, hit.json()["job_id"]) == (200, done)
        joined = client_a.post("/v1/documents", json=first)
        assert (joined.status_code, joined.json()["job_id"]) == (202, ids[0])
        # Another tenant is not held back by A's backlog.
        other = client_b.post("/v1/documents", json=more)
        assert other.status_code == 202
        assert counted(stack, b) == {other.json()["job_id"]}

        drain(worker)  # A's documents render: their tickets go back
        assert counted(stack, a) == counted(stack, b) == set()
        again = client_a.post("/v1/documents", json=more)
        assert again.status_code == 202
        drain(worker)


def test_the_shared_backlog_still_answers_503_overloaded(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    real = stack.pipeline
    queue = WorkQueue(real.stores.queue.client, real.settings.queue_url, depth_ttl=0)
    strict = with_stores(capped(stack, 1, max_backlog=1), queue=queue)
    real.submit(json.dumps(unique(sample_resume)).encode(), fresh_tenant())  # one message waiting
    tenant = fresh_tenant()
    with as_tenant(strict, tenant) as client:
        response = client.post("/v1/documents", json=unique(sample_resume))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "overloaded"
    assert int(response.headers["Retry-After"]) > 0
    assert counted(stack, tenant) == set()
    drain(worker)


def test_a_ticket_goes_back_once_whatever_finishes_the_job(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """Render, a redelivery of its message, a late attempt, two repairs and an erasure: each job's
    ticket goes back exactly once, so the count is always the jobs on their way (never below)."""
    pipeline, tenant, jobs = capped(stack, 2), fresh_tenant(), stack.pipeline.stores.jobs
    ids = [pipeline.submit(json.dumps(unique(sample_resume)).encode(), tenant).job_id for _ in range(2)]
    first, second = ids

    def assert_counted() -> None:
        assert counted(stack, tenant) == on_their_way(stack, ids)

    message = RenderMessage(job_id=first, tenant=tenant)
    pipeline.render(message, receive_count=1)
    assert counted(stack, tenant) == {second}
    pipeline.render(message, receive_count=2)  # SQS delivers it again
    finished = jobs.get(first)
    assert finished is not None
    lost = JobError(code="internal_error", message="a late attempt")
    assert not jobs.finish(finished, JobStatus.FAILED, error=lost)  # an attempt that outlived the first
    assert_counted()

    impatient = with_stores(
        pipeline, settings=pipeline.settings.model_copy(update={"stale_after_seconds": 0})
    )
    for _ in range(2):
        assert impatient.status(second, tenant).job.status is JobStatus.FAILED  # repaired, then seen again
    assert counted(stack, tenant) == set()
    assert_counted()

    ids += [pipeline.submit(json.dumps(unique(sample_resume)).encode(), tenant).job_id for _ in range(2)]
    assert counted(stack, tenant) == set(ids[2:])  # the full cap again, not one more
    with pytest.raises(TenantBacklogFull):
        pipeline.submit(json.dumps(unique(sample_resume)).encode(), tenant)
    pipeline.erase(ids[2], tenant)  # erasing a job on its way gives its ticket back
    assert counted(stack, tenant) == {ids[3]}
    drain(worker)
    assert counted(stack, tenant) == set()
    assert_counted()


def test_a_ticket_that_outlived_its_job_is_given_back(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """A lost job nobody looked at until DynamoDB's TTL deleted it leaves its ticket behind; the
    tenant is not refused for good: a refusal first checks the tenant's old tickets."""
    pipeline, tenant = capped(stack, 2), fresh_tenant()
    settings, jobs = stack.pipeline.settings, stack.pipeline.stores.jobs
    gone, kept = (
        pipeline.submit(json.dumps(unique(sample_resume)).encode(), tenant).job_id for _ in range(2)
    )
    job = jobs.get(gone)
    assert job is not None
    # What the TTL leaves of a job created eight days ago: its ticket, and nothing else.
    counter = {"pk": {"S": f"{contract.TENANT_KEY_PREFIX}{tenant}"}}
    week_ago = Ticket(issued_at=int(time.time()) - 8 * 86_400, job_id=gone)
    for expression, ticket in (("DELETE tickets :t", Ticket.of(job)), ("ADD tickets :t", week_ago)):
        jobs.client.update_item(
            TableName=settings.jobs_table,
            Key=counter,
            UpdateExpression=expression,
            ExpressionAttributeValues={":t": {"SS": [str(ticket)]}},
        )
    jobs.client.delete_item(TableName=settings.jobs_table, Key={"pk": {"S": f"job#{gone}"}})
    assert counted(stack, tenant) == {gone, kept}

    answer = pipeline.submit(json.dumps(unique(sample_resume)).encode(), tenant)
    assert isinstance(answer, Queued)
    assert counted(stack, tenant) == {kept, answer.job_id}
    still = jobs.get(kept)
    assert still is not None
    assert still.status is JobStatus.QUEUED  # a young job on its way is left alone
    drain(worker)


def test_joining_an_identical_job_is_never_refused_even_at_the_cap(
    stack: DevStack, worker: RenderWorker, sample_resume: dict[str, Any]
) -> None:
    """Two identical submits racing past the pointer check: the one that loses joins the winner's job
    (the store answers with it), however full the tenant's backlog is."""
    pipeline, tenant, jobs = capped(stack, 1), fresh_tenant(), stack.pipeline.stores.jobs
    winner = pipeline.submit(json.dumps(unique(sample_resume)).encode(), tenant).job_id
    job = jobs.get(winner)
    assert job is not None
    twin = job.model_copy(update={"job_id": uuid.uuid4().hex, "request_key": f"{job.request_key}.twin"})
    assert jobs.create(twin, cap=1) == winner
    other = twin.model_copy(update={"content_key": uuid.uuid4().hex})
    with pytest.raises(TenantBacklogFull):
        jobs.create(other, cap=1)
    assert counted(stack, tenant) == {winner}
    assert jobs.get(twin.job_id) is None
    assert jobs.get(other.job_id) is None
    drain(worker)
