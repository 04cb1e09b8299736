"""One TeX process: its minimal environment, its resource limits, and its wall-clock deadline.

TeX runs with shell escape off and ``openin_any``/``openout_any`` paranoid (no absolute paths, no
``..``, no dotfiles); every writable TeX directory is inside the render's fresh temporary directory;
the whole process group is killed at the deadline; file size and CPU time are capped by rlimits.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import subprocess
from pathlib import Path

from docpipe.errors import RenderTimeout
from docpipe.fontcache import fontconfig_cache_home, fontconfig_environment

MAX_OUTPUT_BYTES = 64 * 1024 * 1024
# What a resource limit (see _limit_resources) looks like when it stops TeX.
LIMIT_SIGNALS: dict[int, str] = {
    signal.SIGXFSZ: f"TeX tried to write a file larger than {MAX_OUTPUT_BYTES // 2**20} MiB",
    signal.SIGXCPU: "TeX used more CPU time than the render may take",
}


def _limit_resources(pid: int, cpu_seconds: int) -> None:
    """TeX may not write huge files or spin past the timeout.

    Set from the parent with prlimit(2) right after the spawn rather than in a ``preexec_fn``: a
    ``preexec_fn`` forces CPython to ``fork()`` the whole interpreter (~2 ms with pydantic loaded)
    instead of ``vfork()``. Popen returns only once the child has exec'd, so the limits are in place
    while TeX is still initialising kpathsea, before it has read a byte of the document.
    """
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES))
    resource.prlimit(pid, resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def tex_environment(root: Path, format_dir: Path | None) -> dict[str, str]:
    """A minimal environment: writable TeX dirs under ``root`` (Lambda may write only to /tmp)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "TEXMFHOME": str(root / "texmf-home"),
        "TEXMFVAR": str(root / "texmf-var"),
        "TEXMFCONFIG": str(root / "texmf-config"),
        "TEXMFOUTPUT": str(root),
        "openin_any": "p",
        "openout_any": "p",
        "shell_escape": "f",
        # Never generate bitmap fonts on the fly: slow, blurry, and it writes outside the sandbox.
        "MKTEXPK": "0",
        "MKTEXTFM": "0",
        "MKTEXMF": "0",
        "max_print_line": "10000",
        "error_line": "254",
        "half_error_line": "238",
        # Identical input gives an identical PDF, so content-addressed objects are stable. The dates a PDF
        # shows and its trailer ID are the document's (pdfinfo.py, set in base/dynamic.tex.j2), so this
        # stays fixed: fontconfig, which XeTeX runs in-process, stamps its caches with this epoch
        # (fontcache.py), and a value that changed every day would change what it accepts.
        "SOURCE_DATE_EPOCH": "0",
        "FORCE_SOURCE_DATE": "1",
    }
    env.update(fontconfig_environment())
    env["XDG_CACHE_HOME"] = str(fontconfig_cache_home())  # see fontcache.fontconfig_cache_home
    if format_dir is not None:
        env["TEXFORMATS"] = f"{format_dir}:"  # the trailing colon keeps TeX's default formats
    return env


def wait_exit(process: subprocess.Popen[bytes], timeout: float) -> int:
    """The exit code; TimeoutExpired at the deadline.

    Sleeps in poll(2) on a pidfd, which wakes the moment TeX exits. ``Popen.wait(timeout=...)`` polls
    instead, backing off to one check every 50 ms, so a 65 ms run was noticed at ~113 ms.
    """
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux >= 5.3 (or already reaped): the slower way
        return process.wait(timeout=timeout)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if not poller.poll(max(timeout, 0.0) * 1000):
            raise subprocess.TimeoutExpired(process.args, timeout)
    finally:
        os.close(pidfd)
    return process.wait()


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def timed_out(seconds: float) -> RenderTimeout:
    return RenderTimeout(f"TeX did not finish within {seconds:g} s; the document is too large or complex")


def run_tex(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> int:
    """Run one TeX process in its own process group; kill the whole group at the deadline."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group (and no controlling terminal)
    )
    try:
        with contextlib.suppress(ProcessLookupError):  # already exited: wait() below reaps it
            _limit_resources(process.pid, int(timeout) + 2)
        return wait_exit(process, timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        process.wait()
        raise timed_out(timeout) from None
    finally:
        kill_group(process)  # xetex starts xdvipdfmx: nothing of the group may outlive the render


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill TeX's whole process group (it leads one: ``start_new_session``)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
