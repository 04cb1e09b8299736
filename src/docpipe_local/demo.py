"""``docpipe demo``: start the local stack, submit the bundled samples, follow each job to its PDF,
download it, print timings, stop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from docpipe_local.client import ApiClient
from docpipe_local.polling import PollTimeout
from docpipe_local.stack import DevStack

SAMPLES = Path(__file__).resolve().parents[1] / "docpipe" / "samples"
JOB_TIMEOUT = 120.0
"""Seconds one sample may take from submit to a finished job before the demo gives up."""


def run_demo(out: Path, *, workers: int = 2, job_timeout: float = JOB_TIMEOUT) -> int:
    out.mkdir(parents=True, exist_ok=True)
    samples = sorted(SAMPLES.glob("*.json"))
    started = time.perf_counter()
    with DevStack(workers=workers) as stack, ApiClient(stack.url) as client:
        print(f"local stack up in {time.perf_counter() - started:.1f} s at {stack.url}", flush=True)
        for sample in samples:
            if not render_sample(client, sample, out, job_timeout=job_timeout):
                return 1
        t0 = time.perf_counter()
        code, body = client.submit(samples[0].read_bytes())
        print(
            f"resubmit {samples[0].name}: HTTP {code}, cached={body.get('cached')}, "
            f"{1000 * (time.perf_counter() - t0):.1f} ms"
        )
    print(f"stack stopped; total {time.perf_counter() - started:.1f} s")
    return 0


def render_sample(client: ApiClient, sample: Path, out: Path, *, job_timeout: float) -> bool:
    """Submit one sample, wait for its job, save the PDF as ``out/<sample>.pdf``; False on failure
    (reported on stderr with the job's status or error code, never the document)."""
    t0 = time.perf_counter()
    code, body = client.submit(sample.read_bytes())
    if code not in (200, 202):
        print(f"{sample.name}: submit failed with HTTP {code}: {body.get('error')}", file=sys.stderr)
        return False
    if body.get("status") != "succeeded":
        try:
            code, body = client.wait_for_job(str(body["job_id"]), timeout=job_timeout)
        except PollTimeout:
            print(f"{sample.name}: no result within {job_timeout:g} s", file=sys.stderr)
            return False
    if body.get("status") != "succeeded":
        print(
            f"{sample.name}: HTTP {code}, status {body.get('status')}: {body.get('error')}", file=sys.stderr
        )
        return False
    pdf = client.download(body["download_url"])
    target = out / f"{sample.stem}.pdf"
    target.write_bytes(pdf)
    print(f"{target}: {len(pdf):,} bytes, submit→PDF {1000 * (time.perf_counter() - t0):.0f} ms", flush=True)
    return True
