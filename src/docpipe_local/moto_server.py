"""moto in server mode (S3, SQS, DynamoDB) as a child process: ``python -m docpipe_local.moto_server
HOST PORT`` runs it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from typing import Any

import httpx

from docpipe_local import moto_patches
from docpipe_local.polling import poll
from docpipe_local.processes import python_module


def start_moto(port: int, *, wait: bool = True) -> subprocess.Popen[bytes]:
    """moto's server (S3, SQS, DynamoDB) on ``port``, as :func:`serve_moto` runs it."""
    process = python_module(
        "docpipe_local.moto_server",
        "127.0.0.1",
        str(port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if wait:
        wait_for_moto(port)
    return process


def wait_for_moto(port: int, timeout: float = 20.0) -> None:
    poll(
        lambda: httpx.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1).is_success,
        what="moto server answering",
        timeout=timeout,
        retry_on=(httpx.TransportError,),
    )


def serve_moto(host: str, port: int) -> None:
    """What ``python -m moto.server`` runs (moto's app on werkzeug's threaded server, with moto's
    request handler), minus costs that are the emulator's, not the pipeline's (AWS has none of
    them); what moto answers is unchanged (see :mod:`docpipe_local.moto_patches`). Responses also
    leave without Nagle's wait for the client's delayed ACK (werkzeug writes head and body
    separately), and the per-request access log nobody reads is not formatted.
    """
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    moto_patches.apply()

    class Handler(MotoRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *_: Any) -> None:
            pass

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=True, request_handler=Handler)


if __name__ == "__main__":  # `python -m docpipe_local.moto_server HOST PORT`
    _, child_host, child_port = sys.argv
    serve_moto(child_host, int(child_port))
