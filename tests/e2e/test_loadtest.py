"""The load-test suite, smoke-sized: each scenario for a few seconds with a few users, through the
same orchestrator as ``make loadtest`` (local stack, warm-up, locust, CPU accounting, summaries).

Asserted: no request failed, every job a user followed (fresh, mixed) reached ``succeeded``, and the
answers were the ones the scenario promises (cache hits only for ``cached``, 202 only for ``async``).
Throughput is not asserted here: on a shared 2-core machine it is a benchmark figure, not a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from docpipe import catalog, validation
from docpipe.jobs import content_key
from docpipe.templates import render_source
from loadtest import documents

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


SCENARIOS = ("cached", "fresh", "mixed", "status", "async")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """All five scenarios, 4 s and 3 users each, on one local stack: what each one measured."""
    results = tmp_path_factory.mktemp("loadtest")
    command = [sys.executable, "-m", "loadtest.run", "--scenario", ",".join(SCENARIOS)]
    command += ["--one-stack", "--users", "3", "--duration", "4s", "--pool-size", "4"]
    command += ["--progress-interval", "2", "--api-processes", "1", "--results", str(results)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
    output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    measured = {}
    for scenario in SCENARIOS:
        assert (results / f"{scenario}.json").exists(), output
        assert (results / f"{scenario}.md").read_text().startswith("# Load test: ")
        assert (results / f"{scenario}_stats.csv").exists()  # locust's own CSV
        measured[scenario] = json.loads((results / f"{scenario}.json").read_text())["measured"]
    assert (results / "README.md").exists()  # the table of all of them
    assert " req/s " in done.stdout  # progress lines while it ran
    assert done.returncode == 0, output
    return measured


def assert_clean(measured: dict[str, Any]) -> None:
    assert measured["http"]["count"] > 0
    assert measured["http"]["failures"] == 0, measured["failure_reasons"]
    assert measured["error_rate"] == 0
    assert measured["time_to_pdf"]["failures"] == 0, measured["failure_reasons"]


def assert_followed_jobs_succeeded(measured: dict[str, Any]) -> None:
    jobs = measured["jobs"]
    assert jobs["followed"] > 0
    assert jobs["failed"] == 0, jobs
    assert jobs["unfinished"] == 0, jobs
    assert jobs["succeeded"] + jobs["succeeded_after_stop"] == jobs["followed"]


def test_cached_scenario_only_hits_the_cache(smoke: dict[str, dict[str, Any]]) -> None:
    measured = smoke["cached"]
    assert_clean(measured)
    assert set(measured["answers"]) == {"cache hit"}


def test_fresh_scenario_renders_every_document_to_a_pdf(smoke: dict[str, dict[str, Any]]) -> None:
    measured = smoke["fresh"]
    assert_clean(measured)
    assert_followed_jobs_succeeded(measured)
    assert set(measured["answers"]) == {"queued"}  # never a cache hit
    assert measured["time_to_pdf"]["count"] > 0
    cpu = measured["cpu"]
    for part in ("tex", "moto", "api", "locust"):  # the CPU split was measured
        assert cpu[part] > 0, cpu


def test_mixed_scenario_hits_and_renders(smoke: dict[str, dict[str, Any]]) -> None:
    measured = smoke["mixed"]
    assert_clean(measured)
    assert measured["answers"].get("cache hit", 0) > 0
    if measured["answers"].get("queued"):
        assert_followed_jobs_succeeded(measured)


def test_async_scenario_only_submits(smoke: dict[str, dict[str, Any]]) -> None:
    measured = smoke["async"]
    assert_clean(measured)
    assert set(measured["answers"]) == {"queued"}
    assert measured["jobs"]["followed"] == 0


def test_status_scenario_polls_finished_jobs(smoke: dict[str, dict[str, Any]]) -> None:
    measured = smoke["status"]
    assert_clean(measured)
    assert set(measured["endpoints"]) == {"GET /v1/jobs/{id}"}


# --- the documents the load test sends -----------------------------------------------------------


def test_generated_documents_are_valid_and_cover_every_template() -> None:
    seen: Counter[tuple[str, str, str]] = Counter()
    for index in range(300):
        request = validation.validate_request(json.loads(json.dumps(documents.document(7, index))))
        seen[(request.document_type, request.template, render_source(request).engine)] += 1
    for document_type in ("resume", "cover_letter"):
        assert documents.TEMPLATES[document_type] == catalog.template_names(document_type)
        for template in catalog.template_names(document_type):
            assert seen[(document_type, template, "pdftex")] > 0
    assert sum(n for (_, _, engine), n in seen.items() if engine == "xetex") > 0  # some need XeTeX


def test_documents_repeat_for_a_seed_and_fresh_ones_never_do() -> None:
    assert documents.pool(3, 5) == documents.pool(3, 5)
    assert documents.pool(3, 5) != documents.pool(4, 5)
    fresh = documents.FreshDocuments(3)
    batch = [fresh.next() for _ in range(200)] + documents.pool(3, 50)
    keys = {content_key(validation.validate_request(d), "local") for d in batch}
    assert len(keys) == len(batch)  # not one cache key shared
    # Another run with the same seed is still new to the cache; the same run id repeats itself.
    assert documents.FreshDocuments(3).next() != documents.FreshDocuments(3).next()
    assert documents.FreshDocuments(3, "r1").next() == documents.FreshDocuments(3, "r1").next()
