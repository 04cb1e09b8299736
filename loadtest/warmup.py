"""Warming a stack before a run: submit a pool of documents, wait until every one is rendered, and
check that each now answers from the cache.

The ``cached`` and ``mixed`` scenarios need their pool rendered before the clock starts, and the
``status`` scenario needs finished jobs to ask about. The orchestrator (``loadtest.run``) warms before
it starts locust, so none of this is in locust's figures; the locustfile does the same when it is run
on its own. Blocking I/O through the harness's client (httpx), so it works in locust's gevent world as
in a thread.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from docpipe_local.client import TERMINAL, ApiClient
from docpipe_local.polling import PollTimeout, poll

Progress = Callable[[str], None]
SUBMIT_PATIENCE = 60.0
"""Seconds one warm-up submit is retried while the stack answers 429 or 503 (backpressure, a blip)."""


def submit(client: ApiClient, body: bytes) -> dict[str, Any]:
    """POST one document until the stack accepts it (200 or 202); its answer."""
    code, answer = poll(
        lambda: client.submit(body),
        until=lambda reply: reply[0] not in (429, 503),
        what="a warm-up submit being accepted",
        timeout=SUBMIT_PATIENCE,
        interval=0.5,
    )
    if code not in (200, 202):
        raise RuntimeError(f"warm-up submit answered HTTP {code} {(answer.get('error') or {}).get('code')}")
    return answer


def wait_for_jobs(
    base_url: str,
    job_ids: list[str],
    api_key: str | None = None,
    *,
    timeout: float = 300,
    progress: Progress | None = None,
    interval: float = 0.2,
) -> dict[str, str]:
    """Poll until every job is succeeded or failed (or the timeout); returns each job's last status
    (a job that is gone counts as failed)."""
    status = dict.fromkeys(job_ids, "queued")
    last_report = [0.0]

    def all_finished() -> bool:
        for job_id in [j for j, s in status.items() if s not in TERMINAL]:
            code, answer = client.job(job_id)
            if code == 200:
                status[job_id] = str(answer.get("status"))
            elif code == 404:
                status[job_id] = "failed"
        done = sum(s in TERMINAL for s in status.values())
        if progress and time.monotonic() - last_report[0] > 2:
            progress(f"warm-up: {done}/{len(status)} rendered")
            last_report[0] = time.monotonic()
        return done == len(status)

    # Past the timeout, the caller reads what is still unfinished from the statuses.
    with ApiClient(base_url, api_key=api_key) as client, contextlib.suppress(PollTimeout):
        poll(all_finished, what="the warm-up renders", timeout=timeout, interval=interval)
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
    with ApiClient(base_url, api_key=api_key) as client, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda b: submit(client, b), bodies))
        queued = [str(a["job_id"]) for a in answers if a.get("status") != "succeeded"]
        if progress:
            progress(f"warm-up: {len(documents)} documents submitted, {len(queued)} to render")
        final = wait_for_jobs(base_url, queued, api_key, timeout=timeout, progress=progress)
        broken = {j: s for j, s in final.items() if s != "succeeded"}
        if broken:
            raise RuntimeError(f"warm-up: {len(broken)} of {len(queued)} renders did not succeed: {broken}")
        again = list(pool.map(lambda b: submit(client, b), bodies))
    misses = sum(1 for a in again if not a.get("cached"))
    if misses:
        raise RuntimeError(f"warm-up: {misses} of {len(documents)} documents still miss the cache")
    if progress:
        progress(f"warm-up: {len(documents)} documents cached in {time.monotonic() - started:.1f} s")
    return [str(a["job_id"]) for a in again]  # the jobs the cache answers with: all succeeded
