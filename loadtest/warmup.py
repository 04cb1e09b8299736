"""Warming a stack before a run: submit a pool of documents, wait until every one is rendered, and
check that each now answers from the cache.

The ``cached`` and ``mixed`` scenarios need their pool rendered before the clock starts, and the
``status`` scenario needs finished jobs to ask about. The orchestrator (``run.py``) warms before it
starts locust, so none of this is in locust's figures; the locustfile does the same when it is run
on its own. Standard library only (urllib), so it works in locust's gevent world as in a thread.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Progress = Callable[[str], None]


def api_headers(api_key: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    return headers


def call(
    method: str, url: str, body: bytes | None = None, api_key: str | None = None, timeout: float = 30
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method=method, headers=api_headers(api_key))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"{}")
        except ValueError:
            return error.code, {"error": raw[:200].decode(errors="replace")}


def _submit(base_url: str, body: bytes, api_key: str | None) -> dict[str, Any]:
    for attempt in range(20):
        code, answer = call("POST", f"{base_url}/v1/documents", body, api_key)
        if code in (200, 202):
            return answer
        if code in (429, 503):  # backpressure or a blip while warming: wait and retry
            time.sleep(0.25 * (attempt + 1))
            continue
        raise RuntimeError(f"warm-up submit answered {code}: {answer}")
    raise RuntimeError("warm-up submit kept answering 503")


def wait_for_jobs(
    base_url: str,
    job_ids: list[str],
    api_key: str | None = None,
    *,
    timeout: float = 300,
    progress: Progress | None = None,
    interval: float = 0.2,
) -> dict[str, str]:
    """Poll until every job is succeeded or failed (or the timeout); returns each job's last status."""
    status = dict.fromkeys(job_ids, "queued")
    deadline = time.monotonic() + timeout
    last_report = 0.0
    while time.monotonic() < deadline:
        pending = [j for j, s in status.items() if s not in ("succeeded", "failed")]
        if not pending:
            break
        for job_id in pending:
            code, answer = call("GET", f"{base_url}/v1/jobs/{job_id}", api_key=api_key)
            if code == 200:
                status[job_id] = str(answer.get("status"))
            elif code == 404:
                status[job_id] = "failed"
        done = sum(s in ("succeeded", "failed") for s in status.values())
        if progress and time.monotonic() - last_report > 2:
            progress(f"warm-up: {done}/{len(status)} rendered")
            last_report = time.monotonic()
        if done < len(status):
            time.sleep(interval)
    return status


def warm(
    base_url: str,
    documents: list[dict[str, Any]],
    api_key: str | None = None,
    *,
    progress: Progress | None = None,
    timeout: float = 600,
) -> list[str]:
    """Render every document (if the cache does not have it yet); return their (succeeded) job ids.

    Raises if a render fails or a document does not answer from the cache afterwards.
    """
    started = time.monotonic()
    bodies = [json.dumps(d, ensure_ascii=False).encode() for d in documents]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda b: _submit(base_url, b, api_key), bodies))
    queued = [a["job_id"] for a in answers if a.get("status") != "succeeded"]
    if progress:
        progress(f"warm-up: {len(documents)} documents submitted, {len(queued)} to render")
    final = wait_for_jobs(base_url, queued, api_key, timeout=timeout, progress=progress)
    broken = {j: s for j, s in final.items() if s != "succeeded"}
    if broken:
        raise RuntimeError(f"warm-up: {len(broken)} of {len(queued)} renders did not succeed: {broken}")
    with ThreadPoolExecutor(max_workers=8) as pool:
        again = list(pool.map(lambda b: _submit(base_url, b, api_key), bodies))
    misses = sum(1 for a in again if not a.get("cached"))
    if misses:
        raise RuntimeError(f"warm-up: {misses} of {len(documents)} documents still miss the cache")
    if progress:
        progress(f"warm-up: {len(documents)} documents cached in {time.monotonic() - started:.1f} s")
    return [str(a["job_id"]) for a in again]  # the jobs the cache answers with: all succeeded
