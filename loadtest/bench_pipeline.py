"""Pipeline benchmarks through the local stack (part of `make bench`).

- cache-hit submit latency, in-process (Pipeline.submit) and over local HTTP;
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

from docpipe.devstack import DevStack, http_json

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "docpipe" / "samples" / "resume.json"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_done(stack: DevStack, job_id: str) -> dict[str, Any]:
    while True:
        _, body = http_json("GET", f"{stack.url}/v1/jobs/{job_id}")
        if body.get("status") in ("succeeded", "failed"):
            return body
        time.sleep(0.01)


def distinct(document: dict[str, Any]) -> bytes:
    fresh = copy.deepcopy(document)
    fresh["data"]["personalInfo"]["name"] = f"Bench Person {uuid.uuid4().hex[:8]}"
    return json.dumps(fresh).encode()


def cache_hits(stack: DevStack, raw: bytes, runs: int = 500) -> dict[str, float]:
    _, body = http_json("POST", f"{stack.url}/v1/documents", raw)
    if body.get("status") != "succeeded":
        wait_done(stack, body["job_id"])
    assert stack.pipeline.submit(raw, "local").status == 200, "expected a cache hit"
    in_process, over_http = [], []
    for _ in range(runs):
        started = time.perf_counter()
        stack.pipeline.submit(raw, "local")
        in_process.append((time.perf_counter() - started) * 1000)
    for _ in range(runs):
        started = time.perf_counter()
        code, _ = http_json("POST", f"{stack.url}/v1/documents", raw)
        over_http.append((time.perf_counter() - started) * 1000)
        assert code == 200
    return {
        "hit_inprocess_median_ms": statistics.median(in_process),
        "hit_inprocess_p99_ms": percentile(in_process, 0.99),
        "hit_http_median_ms": statistics.median(over_http),
        "hit_http_p99_ms": percentile(over_http, 0.99),
    }


def throughput(stack: DevStack, document: dict[str, Any], jobs: int = 40) -> dict[str, float]:
    wait_done(stack, http_json("POST", f"{stack.url}/v1/documents", distinct(document))[1]["job_id"])  # warm
    started = time.perf_counter()
    submitted = {}
    for _ in range(jobs):
        code, body = http_json("POST", f"{stack.url}/v1/documents", distinct(document))
        assert code == 202, body
        submitted[body["job_id"]] = time.perf_counter()
    finished: dict[str, float] = {}
    while len(finished) < jobs:
        for job_id in set(submitted) - set(finished):
            _, body = http_json("GET", f"{stack.url}/v1/jobs/{job_id}")
            if body.get("status") == "succeeded":
                finished[job_id] = time.perf_counter()
            elif body.get("status") == "failed":
                raise RuntimeError(f"job {job_id} failed: {body.get('error')}")
        time.sleep(0.01)
    elapsed = max(finished.values()) - started
    return {"jobs": jobs, "seconds": elapsed, "docs_per_second": jobs / elapsed}


def run() -> dict[str, float]:
    document = json.loads(SAMPLE.read_text())
    print("pipeline: starting the local stack (moto, redis-server, API, 2 render workers)", flush=True)
    with DevStack(workers=2) as stack:
        print("pipeline: cache-hit latency (500 in-process, 500 over HTTP)", flush=True)
        results = cache_hits(stack, distinct(document))
        print("pipeline: 40 distinct documents through the pipeline", flush=True)
        results |= throughput(stack, document)
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
