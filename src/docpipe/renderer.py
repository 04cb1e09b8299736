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

from docpipe import contract, formats, latex
from docpipe.envelope import CoverLetterRequest, ResumeRequest
from docpipe.errors import RenderCrashed, RenderFailed, RenderTimeout
from docpipe.fontcache import prepare_fontconfig
from docpipe.observability import logger
from docpipe.templates import Source, render_source
from docpipe.texlog import explain_failure, needs_rerun, pages_written
from docpipe.texprocess import LIMIT_SIGNALS, run_tex, signal_name, tex_environment, timed_out

__all__ = ["ENGINES", "RenderResult", "Renderer", "run_tex", "tex_environment"]

ENGINES = {"pdftex": "pdflatex", "xetex": "xelatex"}
# When the render in progress must be done (time.monotonic()), for _typeset. A context variable
# rather than an argument: _typeset is the hook subclasses override (the tests keep TeX's log).
_DEADLINE: ContextVar[float | None] = ContextVar("docpipe_render_deadline", default=None)


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    pages: int
    engine: str
    passes: int
    used_format: bool
    elapsed_ms: float


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
        timeout: float = contract.RENDER_TIMEOUT_SECONDS,
        format_dir: Path | None = None,
        work_root: Path | None = None,
    ) -> None:
        self.timeout = timeout
        self.formats = formats.FormatStore(format_dir) if format_dir else None
        self.work_root = work_root

    def render(self, request: ResumeRequest | CoverLetterRequest) -> RenderResult:
        """The request's PDF, within ``timeout`` seconds from now: writing the LaTeX (templating,
        escaping, choosing fonts) counts against the same budget as TeX, which gets what is left."""
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        try:
            with latex.deadline(deadline):
                source = render_source(request)
        except TimeoutError:
            raise timed_out(self.timeout) from None
        result = self.compile(source, deadline=deadline)
        return dataclasses.replace(result, elapsed_ms=(time.perf_counter() - started) * 1000)

    def compile(self, source: Source, *, deadline: float | None = None) -> RenderResult:
        """Typeset LaTeX source, by ``deadline`` (``time.monotonic()``) or within ``timeout`` seconds."""
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
        root = Path(tempfile.mkdtemp(prefix="docpipe-", dir=self.work_root))
        try:
            (root / "document.tex").write_text(source.text, encoding="utf-8")
            pdf, pages, passes = self._typeset(source, root, format_path)
        finally:
            _DEADLINE.reset(token)
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
        deadline = _DEADLINE.get()
        if deadline is None:  # called on its own, not from compile
            deadline = time.monotonic() + self.timeout
        for passes in (1, 2):
            left = deadline - time.monotonic()
            if left <= 0:  # writing the document took the whole budget, or pass 1 did
                raise timed_out(self.timeout)
            try:
                code = run_tex(command, root, env, left)
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
                raise RenderFailed(explain_failure(log, source.text))
            if passes == 1 and needs_rerun(log):
                continue  # cross-references changed: one more pass settles them
            break
        return pdf_path.read_bytes(), pages_written(log), passes
