"""moto in server mode (S3, SQS, DynamoDB) as a child process: ``python -m docpipe_local.moto_server
HOST PORT`` runs it."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import tempfile

import httpx

from docpipe_local import moto_patches
from docpipe_local.polling import poll


class MotoProcess(subprocess.Popen[bytes]):
    """The moto server child; what it printed to stderr is kept for when it exits unasked."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.stderr_log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        command = [sys.executable, "-m", "docpipe_local.moto_server", "127.0.0.1", str(port)]
        super().__init__(command, stdout=subprocess.DEVNULL, stderr=self.stderr_log)

    def wait(self, timeout: float | None = None) -> int:
        code = super().wait(timeout)
        self.stderr_log.close()
        return code

    def log_tail(self, lines: int = 5) -> str:
        with contextlib.suppress(OSError, ValueError):
            self.stderr_log.seek(0)
            return "\n".join(self.stderr_log.read().decode(errors="replace").splitlines()[-lines:])
        return ""


def start_moto(port: int, *, wait: bool = True) -> MotoProcess:
    """moto's server (S3, SQS, DynamoDB) on ``port``, as :func:`serve_moto` runs it."""
    process = MotoProcess(port)
    if wait:
        wait_for_moto(process)
    return process


def wait_for_moto(process: MotoProcess, timeout: float = 20.0) -> None:
    """Until moto answers on its port; at once, with what it printed, if it exited instead."""

    def answering() -> bool:
        if process.poll() is not None:
            raise RuntimeError(
                f"the moto server on port {process.port} exited with code {process.returncode}: "
                f"{process.log_tail() or 'it printed nothing'}"
            )
        return httpx.get(f"http://127.0.0.1:{process.port}/moto-api/", timeout=1).is_success

    poll(answering, what="moto server answering", timeout=timeout, retry_on=(httpx.TransportError,))


def serve_moto(host: str, port: int) -> None:
    """What ``python -m moto.server`` runs (moto's app on werkzeug's threaded server), minus costs
    that are the emulator's, not the pipeline's (AWS has none of them); what moto answers is
    unchanged (see :mod:`docpipe_local.moto_patches`). Connections stay open between requests, as
    AWS's do, answers leave without Nagle's wait, and the access log nobody reads is not formatted
    (:mod:`docpipe_local.moto_http`).
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    from docpipe_local.moto_http import KeepAliveHandler

    moto_patches.apply()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=True, request_handler=KeepAliveHandler)


if __name__ == "__main__":  # `python -m docpipe_local.moto_server HOST PORT`
    _, child_host, child_port = sys.argv
    serve_moto(child_host, int(child_port))
