"""Run TeX on a document: sandboxed, time-boxed, one pass when one is enough, from a precompiled format.

Layers of the sandbox (see docs/security.md): user text is escaped before it reaches TeX; TeX runs
with shell escape off and ``openin_any``/``openout_any`` paranoid (no absolute paths, no ``..``,
no dotfiles); every writable TeX directory is inside a fresh temporary directory (only fontconfig's
font cache, which TeX itself cannot write to, is shared between renders: fontconfig_cache_home); the
whole process group is killed at the wall-clock timeout; file size and CPU time are capped by rlimits.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docpipe import formats
from docpipe.errors import RenderCrashed, RenderFailed, RenderTimeout
from docpipe.observability import logger
from docpipe.schema import CoverLetterRequest, ResumeRequest
from docpipe.templates import Source, render_source

ENGINES = {"pdftex": "pdflatex", "xetex": "xelatex"}
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
# A second pass only when cross-references changed. hyperref's "Rerun to get /PageLabels entry"
# (printed by its XeTeX driver on every first run) is not one: without /PageLabels a viewer numbers
# pages 1, 2, ... which is exactly what the labels would say, so that pass would cost ~0.4 s for nothing.
_RERUN = re.compile(r"Rerun to get (?!/PageLabels)|Label\(s\) may have changed")
# What a resource limit (see _limit_resources) looks like when it stops TeX.
_LIMIT_SIGNALS: dict[int, str] = {
    signal.SIGXFSZ: f"TeX tried to write a file larger than {MAX_OUTPUT_BYTES // 2**20} MiB",
    signal.SIGXCPU: "TeX used more CPU time than the render may take",
}
_OUTPUT = re.compile(r"Output written on \S+ \((\d+) pages?")
_FILE_LINE_ERROR = re.compile(r"^\./document\.tex:(\d+): (.*)$", re.MULTILINE)
_BANG_ERROR = re.compile(r"^! (.*)$", re.MULTILINE)
_CONTEXT_LINE = re.compile(r"^l\.(\d+) ", re.MULTILINE)


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    pages: int
    engine: str
    passes: int
    used_format: bool
    elapsed_ms: float


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
        # Identical input gives an identical PDF, so content-addressed objects are stable.
        "SOURCE_DATE_EPOCH": "0",
        "FORCE_SOURCE_DATE": "1",
    }
    env.update(_fontconfig_environment())
    env["XDG_CACHE_HOME"] = str(fontconfig_cache_home())  # see fontconfig_cache_home
    if format_dir is not None:
        env["TEXFORMATS"] = f"{format_dir}:"  # the trailing colon keeps TeX's default formats
    return env


def _fontconfig_environment() -> dict[str, str]:
    return {name: os.environ[name] for name in ("FONTCONFIG_PATH", "FONTCONFIG_FILE") if name in os.environ}


@cache
def fontconfig_cache_home() -> Path:
    """Where fontconfig may write font caches for XeTeX: one directory per user under the temp dir
    (Lambda: /tmp), shared by every render, never the render's own temporary directory.

    fontconfig trusts a cache only while the font directory's mtime (seconds *and* nanoseconds) is
    the one it recorded. The render image bakes its cache with whole-second mtimes so that it stays
    valid (layers/texlive/Dockerfile); if it is stale anyway, fontconfig rescans every font directory
    (0.2 to 1 s here, more on a cold disk) and writes new caches to the first writable cache dir.
    With HOME pointing into the render's temporary directory that was a rescan on *every* XeTeX
    render; here it is at most one per process (see prepare_fontconfig). TeX cannot write here itself
    (``openout_any=p``), and a cache is validated against the font directories whenever it is read.
    """
    base = Path(tempfile.gettempdir())
    home = base / f"docpipe-fontconfig-{os.getuid()}"
    with contextlib.suppress(OSError):
        with contextlib.suppress(FileExistsError):
            home.mkdir(mode=0o700)
        # In a shared /tmp, use it only if it is ours and no one else can write to it.
        info = home.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022:
            return home
    return Path(tempfile.mkdtemp(prefix="docpipe-fontconfig-", dir=base))


@cache
def prepare_fontconfig() -> None:
    """Once per process, before the first XeTeX run: make sure a valid font cache exists.

    TeX runs with ``SOURCE_DATE_EPOCH=0`` (reproducible PDFs), and fontconfig stamps the caches it
    writes under that variable with mtime 0, which it then never accepts again: a stale cache
    rebuilt by XeTeX itself would be rebuilt by every XeTeX run. ``fc-list`` without it loads every
    cache and rewrites the stale ones, correctly stamped, into ``fontconfig_cache_home``; with a
    valid baked cache it only reads (~10 ms). Best effort: if it fails, XeTeX rescans as before.
    """
    home = fontconfig_cache_home()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_CACHE_HOME": str(home)}
    env.update(_fontconfig_environment())
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["fc-list", "-q"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int:
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


def _signal_name(number: int) -> str:
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
        return _wait(process, timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise timed_out(timeout) from None
    finally:
        # xetex starts xdvipdfmx: nothing of the group may outlive the render.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def explain_failure(log: str, source: str) -> str:
    """The first TeX error and the input line it came from; never the whole log.

    TeX reports most errors as ``./document.tex:LINE: message`` (-file-line-error), but some still
    as ``! message`` with an ``l.LINE`` context line: a missing ``\\input`` file is reported so,
    followed by a file-line "Emergency stop". Whichever comes first in the log is the cause.
    """
    lines = source.splitlines()
    found = [m for m in (_FILE_LINE_ERROR.search(log), _BANG_ERROR.search(log)) if m]
    if not found:
        return "TeX stopped without producing a PDF"
    first = min(found, key=lambda m: m.start())
    if first.re is _FILE_LINE_ERROR:
        number: int | None = int(first.group(1))
        message = first.group(2).strip()
    else:
        message = first.group(1).strip()
        context = _CONTEXT_LINE.search(log, first.end())
        number = int(context.group(1)) if context else None
    if number is None or not 0 < number <= len(lines):
        return f"TeX error: {message}"
    return f"TeX error: {message} (input line {number}: {lines[number - 1].strip()[:200]!r})"


@cache
def _warn_no_format(directory: Path) -> None:
    """Once per process and directory: every render of the engine now compiles its whole preamble."""
    logger.warning(
        "no precompiled TeX format could be found or built; compiling the whole preamble (slower)",
        extra={"format_dir": str(directory)},
    )


class Renderer:
    """Typesets requests to PDF. One per process; formats are found or built once and reused."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        format_dir: Path | None = None,
        work_root: Path | None = None,
    ) -> None:
        self.timeout = timeout
        self.formats = formats.FormatStore(format_dir) if format_dir else None
        self.work_root = work_root

    def render(self, request: ResumeRequest | CoverLetterRequest) -> RenderResult:
        return self.compile(render_source(request))

    def compile(self, source: Source) -> RenderResult:
        started = time.perf_counter()
        format_path = self.formats.find_or_build(source) if self.formats else None
        if format_path is None and self.formats and source.engine in formats.FORMAT_ENGINES:
            _warn_no_format(self.formats.directory)
        if source.engine == "xetex":
            prepare_fontconfig()
        root = Path(tempfile.mkdtemp(prefix="docpipe-", dir=self.work_root))
        try:
            (root / "document.tex").write_text(source.text, encoding="utf-8")
            pdf, pages, passes = self._typeset(source, root, format_path)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        elapsed = (time.perf_counter() - started) * 1000
        return RenderResult(pdf, pages, source.engine, passes, format_path is not None, elapsed)

    def _typeset(self, source: Source, root: Path, format_path: Path | None) -> tuple[bytes, int, int]:
        env = tex_environment(root, format_path.parent if format_path else None)
        command = [ENGINES[source.engine], "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
        command += ["-file-line-error", "-no-parse-first-line"]
        if format_path is not None:
            command.append(f"-fmt={format_path.stem}")
        command.append("document.tex")
        deadline = time.monotonic() + self.timeout
        for passes in (1, 2):
            try:
                code = run_tex(command, root, env, max(deadline - time.monotonic(), 0.1))
            except RenderTimeout:
                raise timed_out(self.timeout) from None  # the whole budget, not what pass 2 had left
            log_path, pdf_path = root / "document.log", root / "document.pdf"
            log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
            if -code in _LIMIT_SIGNALS:
                raise RenderFailed(_LIMIT_SIGNALS[-code])
            if code < 0:  # killed, and not by our timeout or limits: the machine, not the document
                raise RenderCrashed(
                    f"TeX was killed by signal {_signal_name(-code)}; the render may be retried"
                )
            if code != 0 or not pdf_path.exists():
                raise RenderFailed(explain_failure(log, source.text))
            if passes == 1 and _RERUN.search(log):
                continue  # cross-references changed: one more pass settles them
            break
        match = _OUTPUT.search(log)
        return pdf_path.read_bytes(), int(match.group(1)) if match else 0, passes
