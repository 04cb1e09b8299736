"""Run TeX on a document: sandboxed, time-boxed, one pass when one is enough, from a precompiled format.

Layers of the sandbox (see docs/security.md): user text is escaped before it reaches TeX; TeX runs
with shell escape off and ``openin_any``/``openout_any`` paranoid (no absolute paths, no ``..``,
no dotfiles); every writable TeX directory is inside a fresh temporary directory (only fontconfig's
font cache, which TeX itself cannot write to, is shared between renders: fontcache.py); the
whole process group is killed at the wall-clock timeout; file size and CPU time are capped by rlimits
(one TeX process: texprocess.py; reading its log: texlog.py).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from docpipe import contract, fitting, formats, latex
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import RenderCrashed, RenderFailed, RenderTimeout
from docpipe.fontcache import prepare_fontconfig
from docpipe.layout import Fill, fill_from_log, fit_for
from docpipe.standby import DOCUMENT, ENGINES, Plan, Standby, Waiting
from docpipe.templates import Source, render_source
from docpipe.texlog import explain_failure, needs_rerun, pages_written
from docpipe.texprocess import LIMIT_SIGNALS, run_tex, signal_name, tex_environment, timed_out

__all__ = ["ENGINES", "RenderResult", "Renderer", "run_tex", "tex_environment"]

# When the render in progress must be done (time.monotonic()), for _typeset. A context variable
# rather than an argument: _typeset is the hook subclasses override (the tests keep TeX's log).
_DEADLINE: ContextVar[float | None] = ContextVar("docpipe_render_deadline", default=None)
# The TeX process started ahead of time that the render in progress was handed, if any (standby.py).
_WAITING: ContextVar[Waiting | None] = ContextVar("docpipe_render_waiting", default=None)


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    pages: int
    engine: str
    passes: int
    used_format: bool
    elapsed_ms: float
    used_standby: bool = False
    """Whether a TeX process started ahead of time typeset it (standby.py)."""
    fill: Fill | None = None
    """How full the last page is (layout.py); None if TeX did not say."""
    layout: dict[str, object] | None = None
    """How the layout was fitted to ``options.layout.maxPages`` (fitting.py), if it was asked to be."""


class Typeset(NamedTuple):
    """What one typesetting (one or two TeX passes) gave."""

    pdf: bytes
    pages: int
    passes: int
    fill: Fill | None


@cache
def _warn_no_format(directory: Path) -> None:
    """Once per process and directory: every render of the engine now compiles its whole preamble."""
    # Imported here: the renderer is also the CLI's, which has no use for Powertools (~30 ms to load).
    from docpipe.observability import logger

    logger.warning(
        "no precompiled TeX format could be found or built; compiling the whole preamble (slower)",
        extra={"format_dir": str(directory)},
    )


class Renderer:
    """Typesets requests to PDF. One per process; formats are found or built once and reused."""

    def __init__(
        self,
        *,
        timeout: float = contract.RENDER_TIMEOUT_SECONDS,
        format_dir: Path | None = None,
        work_root: Path | None = None,
        standby: bool | Standby = False,
    ) -> None:
        """``standby``: keep TeX processes started ahead of time (standby.py), in a pool of the
        renderer's own (True) or the one given."""
        self.timeout = timeout
        self.formats = formats.FormatStore(format_dir) if format_dir else None
        self.work_root = work_root
        if standby is True:
            standby = Standby(
                timeout=timeout, idle_seconds=contract.STANDBY_IDLE_SECONDS, work_root=work_root
            )
        self.standby = standby if isinstance(standby, Standby) else None
        self._last: Plan | None = None

    def prepare_next(self) -> None:
        """Start the next TeX process for the kind of document rendered last (with ``standby``), now
        that its answer is out: the next such render only typesets."""
        if self.standby is not None and self._last is not None:
            self.standby.prepare(self._last)

    def close(self) -> None:
        if self.standby is not None:
            self.standby.close()

    def render(self, request: ResumeRequest | CoverLetterRequest) -> RenderResult:
        """The request's PDF, within ``timeout`` seconds from now: writing the LaTeX (templating,
        escaping, choosing fonts) counts against the same budget as TeX, which gets what is left."""
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        source = self._source(request, deadline)
        layout = request.options.layout
        if layout.fit == "shrink" and layout.max_pages is not None:
            found = self._search(request, source, layout.max_pages, deadline)
            if isinstance(found, fitting.Overflow):
                raise found.error()
            result = dataclasses.replace(found.chosen.result, layout=found.describe(layout.max_pages))
        else:
            result = self.compile(source, deadline=deadline)
        return dataclasses.replace(result, elapsed_ms=(time.perf_counter() - started) * 1000)

    def search_fit(self, request: ResumeRequest | CoverLetterRequest, max_pages: int) -> fitting.Found:
        """The fit search (fitting.py) for ``max_pages``, its first run the document as it is; the
        whole search within ``timeout`` seconds from now."""
        deadline = time.monotonic() + self.timeout
        return self._search(request, self._source(request, deadline), max_pages, deadline)

    def _source(self, request: ResumeRequest | CoverLetterRequest, deadline: float) -> Source:
        try:
            with latex.deadline(deadline):
                return render_source(request)
        except TimeoutError:
            raise timed_out(self.timeout) from None

    def _search(
        self, request: ResumeRequest | CoverLetterRequest, source: Source, max_pages: int, deadline: float
    ) -> fitting.Found:
        curve = fitting.curve_for(request.document_type, request.template)
        return fitting.search(self._measurer(source, deadline), max_pages, curve)

    def _measurer(self, source: Source, deadline: float) -> fitting.Measure:
        """Typesets ``source`` at a squeeze (layout.py) for the fit search, by ``deadline``."""

        def measure(squeeze: float) -> fitting.Run:
            result = self.compile(source.with_fit(fit_for(squeeze)), deadline=deadline, another=True)
            fill = result.fill
            length = fill.length(result.pages) if fill else float(result.pages)
            return fitting.Run(squeeze, result.pages, length, fill.line_height if fill else 0.0, result)

        return measure

    def compile(
        self, source: Source, *, deadline: float | None = None, another: bool = False
    ) -> RenderResult:
        """Typeset LaTeX source, by ``deadline`` (``time.monotonic()``) or within ``timeout`` seconds.
        ``another``: a run of the same kind follows (the fit search), so with ``standby`` its TeX
        process starts now, loading its format while this one typesets."""
        started = time.perf_counter()
        set_up = time.monotonic()
        format_path = self.formats.find_or_build(source) if self.formats else None
        if format_path is None and self.formats and source.engine in formats.FORMAT_ENGINES:
            _warn_no_format(self.formats.directory)
        if source.engine == "xetex":
            prepare_fontconfig()
        if deadline is None:
            deadline = set_up + self.timeout
        # Building a format or fontconfig's cache happens once per process: not the document's time.
        token = _DEADLINE.set(deadline + time.monotonic() - set_up)
        self._last = plan = _plan(source, format_path)
        waiting = self.standby.take(plan) if self.standby else None
        if another and self.standby is not None:
            self.standby.prepare(plan)
        waiting_token = _WAITING.set(waiting)
        root = waiting.root if waiting else Path(tempfile.mkdtemp(prefix="docpipe-", dir=self.work_root))
        try:
            if waiting is None:
                (root / DOCUMENT).write_text(source.text, encoding="utf-8")
            typeset = self._typeset(source, root, format_path)
        finally:
            _DEADLINE.reset(token)
            _WAITING.reset(waiting_token)
            if waiting is not None:
                waiting.discard()  # its directory too: nothing of this job reaches the next
            shutil.rmtree(root, ignore_errors=True)
        elapsed = (time.perf_counter() - started) * 1000
        used_format = format_path is not None
        return RenderResult(
            typeset.pdf,
            typeset.pages,
            source.engine,
            typeset.passes,
            used_format,
            elapsed,
            waiting is not None,
            typeset.fill,
        )

    def _typeset(self, source: Source, root: Path, format_path: Path | None) -> Typeset:
        env = tex_environment(root, format_path.parent if format_path else None)
        command = [*_plan(source, format_path).command, DOCUMENT]
        deadline = _DEADLINE.get()
        if deadline is None:  # called on its own, not from compile
            deadline = time.monotonic() + self.timeout
        waiting, read = _WAITING.get(), source.text
        for passes in (1, 2):
            left = deadline - time.monotonic()
            if left <= 0:  # writing the document took the whole budget, or pass 1 did
                raise timed_out(self.timeout)
            try:
                if passes == 1 and waiting is not None:
                    code, read = self._hand_over(waiting, source, deadline)
                else:
                    _replace_pipe(root, source.text)
                    code, read = run_tex(command, root, env, left), source.text
            except RenderTimeout:
                raise timed_out(self.timeout) from None  # the whole budget, not what pass 2 had left
            log_path, pdf_path = root / "document.log", root / "document.pdf"
            log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
            if -code in LIMIT_SIGNALS:
                raise RenderFailed(LIMIT_SIGNALS[-code])
            if code < 0:  # killed, and not by our timeout or limits: the machine, not the document
                raise RenderCrashed(
                    f"TeX was killed by signal {signal_name(-code)}; the render may be retried"
                )
            if code != 0 or not pdf_path.exists():
                raise RenderFailed(explain_failure(log, read))
            if passes == 1 and needs_rerun(log):
                continue  # cross-references changed: one more pass settles them
            break
        return Typeset(pdf_path.read_bytes(), pages_written(log), passes, fill_from_log(log))

    def _hand_over(self, waiting: Waiting, source: Source, deadline: float) -> tuple[int, str]:
        """Pass 1 by the process started ahead of time: its exit code and the text it read (only the
        document part when it read the static preamble first). One that died first: a usual start."""
        read = source.document if waiting.plan.static is not None else source.text
        # XeTeX sniffs the first bytes of a file it opens for a byte-order mark and rewinds when there
        # is none, which a pipe cannot do: with the mark, the sniffing consumes exactly the mark.
        code = waiting.run("\ufeff" + read if source.engine == "xetex" else read, deadline)
        if code is not None:
            return code, read
        _replace_pipe(waiting.root, source.text)
        env = tex_environment(waiting.root, waiting.plan.format_dir)
        return run_tex(
            [*waiting.plan.command, DOCUMENT], waiting.root, env, deadline - time.monotonic()
        ), source.text


def _plan(source: Source, format_path: Path | None) -> Plan:
    """How TeX starts for ``source``. XeLaTeX has no format: ahead of time it reads the template's
    static preamble, the same for every document of the template (templates.Source.preamble)."""
    static = source.preamble if format_path is None and source.engine == "xetex" else None
    return Plan(source.engine, format_path, static)


def _replace_pipe(root: Path, text: str) -> None:
    """``document.tex`` as a file (a pass after a standby process, or its replacement, reads it)."""
    path = root / DOCUMENT
    if path.is_fifo():
        path.unlink()
    if not path.exists():
        path.write_text(text, encoding="utf-8")
