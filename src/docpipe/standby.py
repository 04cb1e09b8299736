"""TeX that is already running: a process started ahead of time, waiting for its one document.

A warm pdfTeX render is mostly TeX starting and loading its format, and a XeLaTeX render mostly the
LaTeX kernel and packages. So after a job, a render worker starts the next TeX process for the same
kind of document (:meth:`Standby.prepare`) in a fresh private directory whose ``document.tex`` is a
named pipe: TeX loads its format (XeLaTeX also reads the template's static preamble, written beside
it) and blocks opening the pipe. A render takes that process (:meth:`Standby.take`), writes the
document into the pipe and waits for the PDF: only the typesetting is left.

The sandbox is the one every TeX run has (texprocess.py): the same minimal environment, paranoid
I/O and no shell escape; the process group is killed at the render's deadline. The resource limits
are set by ``prlimit`` before TeX starts (an ahead-of-time process cannot be limited from the parent
after the fact: it may have forked already), and ``timeout`` kills a process that waited longer than
it may (``idle_seconds`` plus one render's time), so even one whose worker died goes away. One
process serves exactly one document and is never reused; nothing of one job is in the next one's
directory. A process that died, grew too old, or was started for other inputs (another format,
engine, static preamble: the :class:`Plan` is the key) is never used: the render starts TeX as usual.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docpipe.errors import RenderTimeout
from docpipe.fontcache import prepare_fontconfig
from docpipe.texprocess import MAX_OUTPUT_BYTES, kill_group, tex_environment, wait_exit

DOCUMENT = "document.tex"
DRIVER = "standby.tex"
_OPEN_POLL_SECONDS = 0.002


ENGINES = {"pdftex": "pdflatex", "xetex": "xelatex"}


@dataclass(frozen=True)
class Plan:
    """How TeX starts for one kind of document; equal plans are interchangeable processes."""

    engine: str
    format_path: Path | None
    """The precompiled format (formats.py), if the document has one."""
    static: str | None = None
    """What TeX reads before the document (XeLaTeX: the template's preamble); None with a format."""

    @property
    def command(self) -> tuple[str, ...]:
        """The TeX command without its input file (the pipe, or the driver that reads ``static`` first)."""
        command = [ENGINES[self.engine], "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
        command += ["-file-line-error", "-no-parse-first-line", "-jobname=document"]
        if self.format_path is not None:
            command.append(f"-fmt={self.format_path.stem}")
        return tuple(command)

    @property
    def format_dir(self) -> Path | None:
        return self.format_path.parent if self.format_path else None


class Waiting:
    """One TeX process waiting for its document in its own directory."""

    def __init__(self, plan: Plan, root: Path, process: subprocess.Popen[bytes]) -> None:
        self.plan = plan
        self.root = root
        self.process = process
        self.started = time.monotonic()

    def run(self, text: str, deadline: float) -> int | None:
        """Hand TeX the document and wait for it to finish, by ``deadline`` (``time.monotonic()``):
        its exit code, or None when it could not take the document (it died first: start TeX anew)."""
        fd = self._open_pipe(deadline)
        if fd is None:
            return None
        try:
            _write_all(fd, text.encode("utf-8"), deadline)
        finally:
            os.close(fd)  # end of file: TeX reads to \end{document}
        try:
            return wait_exit(self.process, deadline - time.monotonic())
        except subprocess.TimeoutExpired:
            raise RenderTimeout("TeX did not finish in time") from None
        finally:
            kill_group(self.process)

    def _open_pipe(self, deadline: float) -> int | None:
        """The pipe's writing end, once TeX has opened it for reading (still loading: wait for it)."""
        while time.monotonic() < deadline:
            try:
                return os.open(self.root / DOCUMENT, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
            if self.process.poll() is not None:
                return None
            time.sleep(_OPEN_POLL_SECONDS)
        raise RenderTimeout("TeX did not start in time")

    def discard(self) -> None:
        kill_group(self.process)
        with contextlib.suppress(OSError):
            self.process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    """Write ``data`` to the pipe as TeX reads it; stop quietly if TeX stops reading (it failed: its
    log says why) and at the deadline (the caller's wait then times out)."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            return
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            continue
        except BrokenPipeError:
            return


class Standby:
    """At most ``limit`` waiting processes, one per plan, each for one document.

    With a ``record`` file, the plan of each document asked for is written there, and
    :meth:`prepare_recorded` starts a process for it: a process that renders one document and exits
    (the CLI) starts its TeX before its own imports and validation, for the kind of document rendered
    last on this machine, which is the next one's kind when someone works on their résumé."""

    def __init__(
        self,
        *,
        timeout: float,
        idle_seconds: float,
        work_root: Path | None = None,
        limit: int = 2,
        record: Path | None = None,
    ) -> None:
        self.timeout = timeout
        self.idle_seconds = idle_seconds
        self.work_root = work_root
        self.limit = limit
        self.record = record
        self._recorded: Plan | None = None
        self._waiting: dict[Plan, Waiting] = {}
        # The local stack's render workers are threads sharing one renderer: without it, two could
        # each start a process for one plan, and the one the dict forgot would wait for nothing.
        self._lock = threading.Lock()
        atexit.register(self.close)  # a worker that exits leaves no TeX waiting on a pipe

    def prepare_recorded(self) -> None:
        """Start a process for the plan in ``record``, if it holds one this installation can start."""
        if self.record is not None and (plan := _recall(self.record)) is not None:
            self._recorded = plan
            self.prepare(plan)

    def take(self, plan: Plan) -> Waiting | None:
        """The process waiting for ``plan``, if it is alive and young enough to finish a render."""
        if self.record is not None and plan != self._recorded:
            self._recorded = plan
            _remember(plan, self.record)
        with self._lock:
            waiting = self._waiting.pop(plan, None)
        if waiting is None:
            return None
        if waiting.process.poll() is not None or time.monotonic() - waiting.started > self.idle_seconds:
            waiting.discard()
            return None
        return waiting

    def prepare(self, plan: Plan) -> None:
        """Start a process for ``plan`` unless one waits already; the oldest other one makes room."""
        if plan.static is not None:
            prepare_fontconfig()  # XeTeX: a valid font cache first, or every run rebuilds it
        with self._lock:
            if plan in self._waiting:
                return
            while len(self._waiting) >= self.limit:
                self._waiting.pop(next(iter(self._waiting))).discard()
            with contextlib.suppress(OSError):  # no standby is only slower
                self._waiting[plan] = self._start(plan)

    def waiting(self) -> list[Waiting]:
        with self._lock:
            return list(self._waiting.values())

    def close(self) -> None:
        with self._lock:
            while self._waiting:
                self._waiting.popitem()[1].discard()

    def _start(self, plan: Plan) -> Waiting:
        root = Path(tempfile.mkdtemp(prefix="docpipe-", dir=self.work_root))
        try:
            os.mkfifo(root / DOCUMENT, 0o600)
            first = DOCUMENT
            if plan.static is not None:
                # TeX's own \input (LaTeX's opens a file twice, to test that it exists, and a pipe
                # gives its contents once).
                driver = f"{plan.static}\n\\csname @@input\\endcsname {DOCUMENT} \n"
                (root / DRIVER).write_text(driver, encoding="utf-8")
                first = DRIVER
            process = subprocess.Popen(
                [*self._guard(), *plan.command, first],
                cwd=root,
                env=tex_environment(root, plan.format_dir),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, killed whole
            )
        except OSError:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return Waiting(plan, root, process)

    def _guard(self) -> list[str]:
        """Limits in place before TeX starts, and a wall clock over its waiting and its render."""
        cpu = int(self.timeout) + 2
        lifetime = int(self.idle_seconds + self.timeout) + 5
        return [
            "prlimit", f"--cpu={cpu}:{cpu + 1}", f"--fsize={MAX_OUTPUT_BYTES}",
            "timeout", "--signal=KILL", str(lifetime),
        ]  # fmt: skip


def _recall(record: Path) -> Plan | None:
    """The plan ``record`` holds, if it names an engine and a format this installation has."""
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        engine, format_path, static = saved["engine"], saved["format"], saved["static"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if engine not in ENGINES or not isinstance(format_path, str | None) or not isinstance(static, str | None):
        return None
    if format_path is not None and not Path(format_path).is_file():
        return None  # rebuilt under another name since (TeX or the template changed)
    return Plan(engine, Path(format_path) if format_path else None, static)


def _remember(plan: Plan, record: Path) -> None:
    """Write ``plan`` to ``record`` whole (renames are atomic); a read-only directory records nothing."""
    saved = {"engine": plan.engine, "format": str(plan.format_path) if plan.format_path else None}
    with contextlib.suppress(OSError):
        record.parent.mkdir(parents=True, exist_ok=True)
        partial = record.with_name(f".{record.name}.{os.getpid()}")
        partial.write_text(json.dumps(saved | {"static": plan.static}), encoding="utf-8")
        partial.replace(record)
