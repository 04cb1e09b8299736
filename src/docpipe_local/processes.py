"""Child processes of the harness: free ports, starting a module of this package, stopping cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_module(module: str, *args: str, **popen: Any) -> subprocess.Popen[bytes]:
    """``python -m module args...`` with this interpreter (so the venv's packages are there)."""
    return subprocess.Popen([sys.executable, "-m", module, *args], **popen)


def stop_process(
    process: subprocess.Popen[Any],
    *,
    timeout: float = 5.0,
    sig: int = signal.SIGTERM,
    whole_group: bool = False,
) -> int:
    """Ask ``process`` to stop (``sig``), give it ``timeout`` seconds, then kill it; its exit code.

    ``whole_group``: the process leads its own process group (``start_new_session=True``), and
    whatever of that group is still running afterwards is killed too, so nothing it started
    outlives it.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if whole_group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    return int(process.returncode)


def kill_process(process: subprocess.Popen[Any]) -> None:
    """Kill at once (a crash, not a shutdown) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
