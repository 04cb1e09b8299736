"""``docpipe dev``: the local stack in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading

from docpipe_local.api_server import LOCAL_TENANT
from docpipe_local.stack import DevStack


def run_dev(*, host: str, port: int, workers: int, api_processes: int, verbose: bool) -> int:
    stopped = threading.Event()

    def on_sigterm(*_: object) -> None:
        # While starting, SIGTERM unwinds like Ctrl-C, so nothing started so far is left running.
        if not stopped.is_set():
            stopped.set()
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    with (
        contextlib.suppress(KeyboardInterrupt),
        DevStack(
            host=host, port=port, workers=workers, quiet=not verbose, api_processes=api_processes
        ) as stack,
    ):
        api = f"{api_processes} processes" if api_processes else "in-process"
        print(f"docpipe local stack: {stack.url}  (API docs: {stack.url}/docs)", flush=True)
        print(f"  API: {api}; render workers: {workers}", flush=True)
        print(
            f"  tenants: one per x-api-key header; requests without one are tenant {LOCAL_TENANT!r}",
            flush=True,
        )
        print(f"  moto (S3, SQS, DynamoDB): {stack.environment['DOCPIPE_AWS_ENDPOINT_URL']}", flush=True)
        print(f"  redis: {stack.environment['DOCPIPE_REDIS_URL']}    Ctrl-C stops everything.", flush=True)
        stopped.wait()
    print("stopped.", flush=True)
    return 0
