"""The harness's waits for a job always end: the demo and the pipeline benchmark follow jobs through
the API, and a job that never finishes (no render worker, a stuck queue) must make them give up
after their timeout rather than poll forever.

The API here is a stand-in served over real HTTP that accepts every document and reports every job
as queued, for ever; what is tested is the harness's client side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from docpipe_local import demo
from docpipe_local.api_server import serve
from docpipe_local.client import ApiClient
from docpipe_local.polling import PollTimeout
from loadtest import bench_pipeline

HANG_GUARD = 60.0
"""Seconds after which a wait that should have given up after a fraction of one counts as endless."""


def never_finishing_api() -> FastAPI:
    app = FastAPI()
    polls: list[str] = []
    app.state.polls = polls

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/documents", status_code=202)
    def submit() -> dict[str, str]:
        return {"job_id": "job-1", "status": "queued"}

    @app.get("/v1/jobs/{job_id}")
    def job(job_id: str) -> dict[str, str]:
        polls.append(job_id)
        return {"job_id": job_id, "status": "queued"}

    return app


@pytest.fixture(scope="module")
def stuck() -> Iterator[tuple[ApiClient, FastAPI]]:
    app = never_finishing_api()
    with serve(app) as url, ApiClient(url) as client:
        yield client, app


def ends(call: Callable[[], Any]) -> BaseException | None:
    """Run ``call`` in a thread; what it raised (None if it returned). Fails if it is still running
    after HANG_GUARD seconds: a loop without a deadline."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert not thread.is_alive(), "still polling a job that never finishes: the loop has no deadline"
    return outcome[0]


def test_the_demo_gives_up_on_a_job_that_never_finishes(
    stuck: tuple[ApiClient, FastAPI], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, app = stuck
    sample = sorted(demo.SAMPLES.glob("*.json"))[0]
    rendered: list[bool] = []
    error = ends(lambda: rendered.append(demo.render_sample(client, sample, tmp_path, job_timeout=0.5)))
    assert error is None
    assert rendered == [False]
    assert f"{sample.name}: no result within 0.5 s" in capsys.readouterr().err
    assert app.state.polls  # it did poll, and then stopped
    assert not list(tmp_path.iterdir())  # no PDF written


def test_the_benchmark_gives_up_on_a_job_that_never_finishes(stuck: tuple[ApiClient, FastAPI]) -> None:
    client, _ = stuck
    assert isinstance(ends(lambda: bench_pipeline.wait_done(client, "job-1", timeout=0.5)), PollTimeout)


def test_the_benchmark_gives_up_on_a_batch_that_never_finishes(stuck: tuple[ApiClient, FastAPI]) -> None:
    client, _ = stuck
    error = ends(lambda: bench_pipeline.wait_all(client, ["job-1", "job-2"], timeout=0.5))
    assert isinstance(error, PollTimeout)
