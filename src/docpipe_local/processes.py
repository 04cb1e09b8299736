"""Child processes of the harness: free ports, starting a module of this package, stopping cleanly."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()
_draw = random.SystemRandom()  # tests that seed `random` must not make two runs draw alike


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is bound to now, and that no outgoing connection will
    take before our child process listens on it.

    A port from ``bind(0)`` lies in the kernel's ephemeral range, the same range every ``connect()``
    draws its source port from: in a busy test run, a client connection took such a port in the
    second between picking it and moto binding it, and moto exited with "address in use". Ports
    below that range are never given to outgoing connections, so one is drawn from there (never
    the same one twice in this process).
    """
    low = _ephemeral_low()
    for _ in range(200):
        port = _draw.randrange(max(1024, low - 12000), low) if low > 2048 else _kernel_port()
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
    raise RuntimeError("no free TCP port on 127.0.0.1")


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0  # not Linux: let the kernel choose


def _kernel_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


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
