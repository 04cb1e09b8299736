"""The API as the local stack serves it: the submit and status routers on one uvicorn app, in a thread
of this process (:func:`serve`) or in processes sharing one port (``python -m
docpipe_local.api_server HOST PORT``, :func:`serve_api`)."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psutil
import uvicorn

from docpipe_local.polling import poll
from docpipe_local.processes import free_port


class MetricsPerRequest:
    """Pure ASGI wrapper: what the Lambda handlers' ``log_metrics`` does per invocation, per request.

    Locally nothing else would emit the API's metrics, and Powertools prints a blob every 100 of them
    even when disabled. Verbose stacks print each request's metrics (EMF); quiet ones drop them.
    """

    def __init__(self, app: Any) -> None:
        from docpipe.observability import metrics

        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http" or not self.metrics.metric_set:
            return
        if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
            self.metrics.clear_metrics()
        else:
            self.metrics.flush_metrics()


LOCAL_TENANT = "local"
"""The tenant of local requests without an x-api-key header (each key is a tenant of its own)."""


def local_app(pipeline_factory: Callable[[], Any]) -> Any:
    """The submit and status routers on one app, as the local stack serves them."""
    from docpipe.api import create_app, status_router, submit_router
    from docpipe.settings import get_settings

    app = create_app(
        submit_router(),
        status_router(),
        pipeline_factory=pipeline_factory,
        local_tenant=LOCAL_TENANT,
        cors_origins=get_settings().cors_origins,
    )
    return MetricsPerRequest(app)


def wait_for_api(url: str, timeout: float = 20.0) -> None:
    """Until ``GET {url}/health`` answers 200."""
    poll(
        lambda: httpx.get(f"{url}/health", timeout=1).is_success,
        what=f"the API at {url}",
        timeout=timeout,
        retry_on=(httpx.TransportError,),
    )


@contextlib.contextmanager
def serve(app: Any, host: str = "127.0.0.1", port: int = 0, *, access_log: bool = False) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread of this process (on a free port unless ``port``);
    yields its base URL once ``/health`` answers, and stops the server when the block ends."""
    port = port or free_port()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=access_log)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="uvicorn")
    thread.start()
    url = f"http://{host}:{port}"
    try:
        wait_for_api(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def listening(pid: int) -> bool:
    """Whether process ``pid`` has a listening TCP socket (its uvicorn is accepting)."""
    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
        return any(c.status == psutil.CONN_LISTEN for c in psutil.Process(pid).net_connections("tcp"))
    return False


def serve_api(host: str, port: int, access_log: bool = False) -> None:
    """One API process of ``docpipe dev --api-processes N``: its own uvicorn on a port it shares.

    The stack's settings come from the environment the parent set; the pipeline is the handlers'
    ``default_pipeline``, one per process as one per Lambda container.
    """
    from docpipe.pipeline import default_pipeline

    default_pipeline()  # boto3 clients now, as a container's init would, not on the first request
    app = local_app(default_pipeline)
    if sys.stdin.buffer.readline() != b"ready\n":  # the parent says when the stores exist
        raise SystemExit("the local stack stopped before it was ready")
    # proto=IPPROTO_TCP, as uvicorn's own sockets: asyncio sets TCP_NODELAY on the connections of a
    # listener only when its proto says TCP. With proto 0, Nagle held back the body of every response
    # (uvicorn writes head and body separately) until the client's delayed ACK: +40 ms per request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)  # listening means ready: the parent waits for this
    config = uvicorn.Config(app, log_level="warning", access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":  # `python -m docpipe_local.api_server HOST PORT [--access-log]`
    _, child_host, child_port, *flags = sys.argv
    serve_api(child_host, int(child_port), access_log="--access-log" in flags)
