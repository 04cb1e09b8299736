"""What TeX's log says: whether another pass is needed, how many pages came out, and why it failed."""

from __future__ import annotations

import re

# A second pass only when cross-references changed. hyperref's "Rerun to get /PageLabels entry"
# (printed by its XeTeX driver on every first run) is not one: without /PageLabels a viewer numbers
# pages 1, 2, ... which is exactly what the labels would say, so that pass would cost ~0.4 s for nothing.
_RERUN = re.compile(r"Rerun to get (?!/PageLabels)|Label\(s\) may have changed")
_OUTPUT = re.compile(r"Output written on \S+ \((\d+) pages?")
_FILE_LINE_ERROR = re.compile(r"^\./document\.tex:(\d+): (.*)$", re.MULTILINE)
_BANG_ERROR = re.compile(r"^! (.*)$", re.MULTILINE)
_CONTEXT_LINE = re.compile(r"^l\.(\d+) ", re.MULTILINE)


def needs_rerun(log: str) -> bool:
    return _RERUN.search(log) is not None


def pages_written(log: str) -> int:
    match = _OUTPUT.search(log)
    return int(match.group(1)) if match else 0


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
