"""Domain errors. Each carries a stable ``code``; the HTTP layer and the CLI map them in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One problem with the input: where (``data.experience[0].startDate``) and what, for a person."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DocpipeError(Exception):
    code = "internal_error"

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidDocument(DocpipeError):
    """The input is not a valid document: every problem is listed in ``details``."""

    code = "invalid_document"


class DocumentTooLarge(InvalidDocument):
    code = "too_large"


class UnknownTemplate(InvalidDocument):
    code = "unknown_template"


class DoesNotFit(InvalidDocument):
    """``options.layout`` asked for at most N pages with ``fit: shrink``, and even the tightest
    layout allowed (layout.py) needs more. The message says by how much; ``details`` points at
    ``options.layout.maxPages``."""

    code = "does_not_fit"


class RenderFailed(DocpipeError):
    """TeX could not typeset the document. Caused by the input, so retrying will not help."""

    code = "render_failed"


class RenderTimeout(RenderFailed):
    code = "render_timeout"


class RenderCrashed(DocpipeError):
    """TeX was killed from outside (the OOM killer, say): not the document's fault, worth retrying.

    Deliberately not a RenderFailed, which tells the pipeline the input is at fault and retrying
    is useless.
    """

    code = "render_crashed"


class NotFound(DocpipeError):
    code = "not_found"


class Conflict(DocpipeError):
    code = "conflict"


class DependencyUnavailable(DocpipeError):
    """A service the request needs is down; the client should retry later (503 + Retry-After)."""

    code = "unavailable"

    def __init__(self, dependency: str, retry_after: int = 5) -> None:
        super().__init__(f"{dependency} is unavailable right now; retry in {retry_after} s")
        self.retry_after = retry_after


class Overloaded(DependencyUnavailable):
    """The render backlog is beyond what can be finished in time: accept nothing more for now."""

    code = "overloaded"

    def __init__(self, depth: int, retry_after: int = 10) -> None:
        DocpipeError.__init__(self, f"{depth} documents are waiting to render; retry in {retry_after} s")
        self.retry_after = retry_after


class TenantBacklogFull(DocpipeError):
    """This tenant already has its share of the render backlog on its way (429 + Retry-After): one
    tenant may not fill the backlog that every tenant shares. Not a DependencyUnavailable: nothing
    is down, and other tenants are still accepted."""

    code = "tenant_backlog_full"

    def __init__(self, cap: int, retry_after: int = 5) -> None:
        super().__init__(
            f"{cap} of your documents are already waiting to render, the most one API key may have "
            f"on their way; retry in {retry_after} s, once some have finished"
        )
        self.retry_after = retry_after
