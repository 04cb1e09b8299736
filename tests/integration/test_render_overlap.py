"""A render's store calls that need not wait for one another: the job's hold on its document is
recorded while TeX runs, and a render that fails gives that hold back. Against the local stack's
moto; TeX is stood in for by a renderer that watches the jobs table."""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
import uuid
from typing import Any

import pytest

from docpipe.contract import DOCUMENT_HOLDERS_KEY_PREFIX
from docpipe.errors import RenderFailed
from docpipe.jobs import JobStatus, RenderMessage
from docpipe.pipeline import Pipeline
from docpipe.renderer import RenderResult
from docpipe.validation import DocumentRequestT
from docpipe_local.polling import poll
from docpipe_local.render_worker import RenderWorker
from docpipe_local.stack import DevStack

GENEROUS = 20.0
"""Seconds to wait for something that takes milliseconds: far beyond any shared machine's hiccup."""


def holders(stack: DevStack, document_key: str) -> set[str]:
    """The jobs the table records as holding ``document_key`` (read from DynamoDB itself)."""
    item = stack.pipeline.stores.jobs.client.get_item(
        TableName=stack.pipeline.settings.jobs_table,
        Key={"pk": {"S": f"{DOCUMENT_HOLDERS_KEY_PREFIX}{document_key}"}},
        ConsistentRead=True,
    ).get("Item", {})
    return set(item.get("holders", {}).get("SS", []))


class WatchingRenderer:
    """Stands in for TeX: records, while "typesetting", whether the job already holds its document,
    then answers with the real renderer's PDF of a tiny document (or fails, with ``fail``)."""

    timeout = 20.0

    def __init__(self, stack: DevStack, real: Any, *, fail: bool = False) -> None:
        self.stack, self.real, self.fail = stack, real, fail
        self.document_key = ""
        self.job_id = ""
        self.held_while_rendering = threading.Event()

    def render(self, request: DocumentRequestT) -> RenderResult:
        def held() -> bool:
            return self.job_id in holders(self.stack, self.document_key)

        # The render does not end before the hold lands: a hold recorded only after it never would.
        poll(held, what="the hold recorded while the document renders", timeout=GENEROUS, interval=0.01)
        self.held_while_rendering.set()
        if self.fail:
            raise RenderFailed("the stand-in for TeX failed, as a document TeX cannot typeset does")
        result: RenderResult = self.real.render(request)
        return result

    def prepare_next(self) -> None:
        pass

    def search_fit(self, request: DocumentRequestT, max_pages: int) -> Any:
        raise AssertionError("no fit search here")


def submit_fresh(pipeline: Pipeline, document: dict[str, Any]) -> str:
    """The id of a new job for ``document`` under a name no earlier job had (never a cache hit)."""
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"Overlap Person {uuid.uuid4().hex[:8]}"
    return pipeline.submit(json.dumps(fresh).encode(), "local").job_id


def fresh_job(stack: DevStack, renderer: WatchingRenderer, document: dict[str, Any]) -> Pipeline:
    """A pipeline over the stack's stores rendering with ``renderer``, and a job queued for it."""
    pipeline = Pipeline.build(stack.pipeline.settings, stack.pipeline.stores, renderer=renderer)
    job = pipeline.stores.jobs.get(submit_fresh(pipeline, document))
    assert job is not None
    renderer.job_id, renderer.document_key = job.job_id, job.document_key
    return pipeline


@pytest.fixture
def drained(worker: RenderWorker) -> Any:
    """The messages these tests leave behind (their jobs are finished by hand) are taken off the queue."""
    yield
    while worker.poll_once():
        pass


def test_the_hold_on_the_document_is_recorded_while_it_renders(
    stack: DevStack, sample_resume: dict[str, Any], drained: None
) -> None:
    renderer = WatchingRenderer(stack, stack.pipeline.render.renderer)
    pipeline = fresh_job(stack, renderer, sample_resume)
    pipeline.render(RenderMessage(job_id=renderer.job_id, tenant="local"), receive_count=1)
    assert renderer.held_while_rendering.is_set()
    job = pipeline.stores.jobs.get(renderer.job_id)
    assert job is not None
    assert job.status is JobStatus.SUCCEEDED
    assert holders(stack, job.document_key) == {job.job_id}
    status = pipeline.status(job.job_id, "local")
    assert status.download is not None


def test_a_render_that_fails_gives_back_the_hold_it_took_meanwhile(
    stack: DevStack, sample_resume: dict[str, Any], drained: None
) -> None:
    renderer = WatchingRenderer(stack, stack.pipeline.render.renderer, fail=True)
    pipeline = fresh_job(stack, renderer, sample_resume)
    pipeline.render(RenderMessage(job_id=renderer.job_id, tenant="local"), receive_count=1)
    assert renderer.held_while_rendering.is_set()
    job = pipeline.stores.jobs.get(renderer.job_id)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error.code == "render_failed"
    assert holders(stack, job.document_key) == set()  # no hold outlives the failed job's release


class CountingJobs:
    """The jobs store, counting the reads made of it (every call goes to the real one)."""

    def __init__(self, real: Any) -> None:
        self._real, self.reads = real, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get(self, job_id: str) -> Any:
        self.reads += 1
        return self._real.get(job_id)


def test_a_render_claims_its_job_without_reading_it_first(
    stack: DevStack, sample_resume: dict[str, Any], drained: None
) -> None:
    jobs = CountingJobs(stack.pipeline.stores.jobs)
    pipeline = Pipeline.build(
        stack.pipeline.settings,
        dataclasses.replace(stack.pipeline.stores, jobs=jobs),
        renderer=stack.pipeline.render.renderer,
    )
    job_id = submit_fresh(pipeline, sample_resume)
    before = jobs.reads
    pipeline.render(RenderMessage(job_id=job_id, tenant="local"), receive_count=1)
    assert jobs.reads == before  # the claim's condition checked the job; its result carried it
    assert pipeline.status(job_id, "local").job.status is JobStatus.SUCCEEDED


def test_a_message_naming_another_tenant_claims_nothing(
    stack: DevStack, sample_resume: dict[str, Any], drained: None
) -> None:
    pipeline = stack.pipeline
    job_id = submit_fresh(pipeline, sample_resume)
    pipeline.render(RenderMessage(job_id=job_id, tenant="someone-else"), receive_count=1)
    pipeline.render(RenderMessage(job_id=uuid.uuid4().hex, tenant="local"), receive_count=1)  # no such job
    job = pipeline.stores.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.attempt) == (JobStatus.QUEUED, 0)  # untouched: not claimed, not failed
    pipeline.render(RenderMessage(job_id=job_id, tenant="local"), receive_count=1)
    assert pipeline.status(job_id, "local").job.status is JobStatus.SUCCEEDED
