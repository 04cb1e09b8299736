"""Pipeline benchmarks through the local stack (part of `make bench`).

- cache-hit submit latency, in-process (the pipeline's submit) and over local HTTP;
- documents per second through the whole pipeline with two render workers.

Figures are medians and percentiles measured in one run; the machine is shared and noisy.
"""

from __future__ import annotations

import copy
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from docpipe_local.client import ApiClient
from docpipe_local.polling import poll
from docpipe_local.stack import DevStack
from loadtest.percentiles import percentile

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "docpipe" / "samples" / "resume.json"
JOB_TIMEOUT = 120.0
"""Seconds a job (or, for the throughput run, all of them) may take before the benchmark gives up."""


def wait_done(client: ApiClient, job_id: str, timeout: float = JOB_TIMEOUT) -> dict[str, Any]:
    """The job's status once it has finished; PollTimeout if it has not within ``timeout`` seconds."""
    return client.wait_for_job(job_id, timeout=timeout, interval=0.01)[1]


def distinct(document: dict[str, Any]) -> bytes:
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"Bench Person {uuid.uuid4().hex[:8]}"
    return json.dumps(fresh).encode()


def cache_hits(stack: DevStack, client: ApiClient, raw: bytes, runs: int = 500) -> dict[str, float]:
    _, body = client.submit(raw)
    if body.get("status") != "succeeded":
        wait_done(client, body["job_id"])
    code, body = client.submit(raw)
    if code != 200 or body.get("cached") is not True:
        raise RuntimeError(f"expected a cache hit, got HTTP {code}")
    in_process, over_http = [], []
    for _ in range(runs):
        started = time.perf_counter()
        stack.pipeline.submit(raw, "local")
        in_process.append((time.perf_counter() - started) * 1000)
    for _ in range(runs):
        started = time.perf_counter()
        code, _ = client.submit(raw)
        over_http.append((time.perf_counter() - started) * 1000)
        assert code == 200
    return {
        "hit_inprocess_median_ms": statistics.median(in_process),
        "hit_inprocess_p99_ms": percentile(in_process, 99),
        "hit_http_median_ms": statistics.median(over_http),
        "hit_http_p99_ms": percentile(over_http, 99),
    }


def throughput(
    client: ApiClient, document: dict[str, Any], jobs: int = 40, timeout: float = JOB_TIMEOUT
) -> dict[str, float]:
    wait_done(client, client.submit(distinct(document))[1]["job_id"])  # warm
    started = time.perf_counter()
    submitted = []
    for _ in range(jobs):
        code, body = client.submit(distinct(document))
        assert code == 202, body.get("error")
        submitted.append(str(body["job_id"]))
    finished = wait_all(client, submitted, timeout)
    elapsed = max(finished.values()) - started
    return {"jobs": jobs, "seconds": elapsed, "docs_per_second": jobs / elapsed}


def wait_all(client: ApiClient, job_ids: list[str], timeout: float) -> dict[str, float]:
    """When each job succeeded (perf_counter); raises if one fails or they are not all done in time."""
    finished: dict[str, float] = {}

    def all_succeeded() -> bool:
        for job_id in set(job_ids) - set(finished):
            _, body = client.job(job_id)
            if body.get("status") == "succeeded":
                finished[job_id] = time.perf_counter()
            elif body.get("status") == "failed":
                raise RuntimeError(f"job {job_id} failed: {(body.get('error') or {}).get('code')}")
        return len(finished) == len(job_ids)

    poll(all_succeeded, what=f"{len(job_ids)} jobs succeeding", timeout=timeout, interval=0.01)
    return finished


def run() -> dict[str, float]:
    document = json.loads(SAMPLE.read_text())
    print("pipeline: starting the local stack (moto, redis-server, API, 2 render workers)", flush=True)
    with DevStack(workers=2) as stack, ApiClient(stack.url) as client:
        print("pipeline: cache-hit latency (500 in-process, 500 over HTTP)", flush=True)
        results = cache_hits(stack, client, distinct(document))
        print("pipeline: 40 distinct documents through the pipeline", flush=True)
        results |= throughput(client, document)
    return results


def report(results: dict[str, float]) -> str:
    return "\n".join(
        [
            "| pipeline measure | value | target |",
            "|---|---|---|",
            f"| cache-hit submit, in-process, median / p99 | {results['hit_inprocess_median_ms']:.2f} / "
            f"{results['hit_inprocess_p99_ms']:.2f} ms | ≤ 2 ms median |",
            f"| cache-hit submit, local HTTP, median / p99 | {results['hit_http_median_ms']:.2f} / "
            f"{results['hit_http_p99_ms']:.2f} ms | ≤ 5 ms median |",
            f"| documents through the pipeline, 2 workers | {results['docs_per_second']:.1f} docs/s "
            f"({results['jobs']:.0f} in {results['seconds']:.1f} s) | ≥ 8 docs/s |",
        ]
    )


if __name__ == "__main__":
    print(report(run()))
