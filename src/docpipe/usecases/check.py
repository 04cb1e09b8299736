"""The ATS check of a PDF (:mod:`docpipe.atscheck`): either a finished job of the tenant's, read back
from the stores (``{"jobId": ...}``), or a PDF sent with the request it was made from
(``{"pdf": "<base64>", "document": {<request envelope>}}``).

The request envelope is read exactly as ``POST /v1/documents`` reads one (its size limit, its nesting
limit, every problem with its path, under ``document``); a sent PDF may be as large as a request.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from docpipe import validation
from docpipe.errors import Conflict, DocumentTooLarge, ErrorDetail, InvalidDocument
from docpipe.jobs import JobStatus
from docpipe.limits import MAX_PDF_BYTES, MAX_REQUEST_BYTES
from docpipe.usecases.status import owned_job
from docpipe.usecases.stores import Stores

if TYPE_CHECKING:
    from docpipe.atscheck import CheckReport

MAX_CHECK_BODY_BYTES = 3 * MAX_REQUEST_BYTES
"""A check body: a PDF as base64 (4/3 of at most the request limit) beside a request envelope."""
_MAX_BASE64_CHARS = 4 * -(-MAX_PDF_BYTES // 3)
_KEYS = ("jobId", "pdf", "document")
_FORMS = "send either jobId, or pdf (base64) and document (a request envelope)"


class CheckDocument:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    def __call__(self, raw: bytes, tenant: str) -> CheckReport:
        """Check what the JSON body ``raw`` names for ``tenant``: every problem of the body itself is
        an InvalidDocument with its path; another tenant's job is NotFound; an unfinished job or
        one that made no PDF is a Conflict."""
        # Loaded by the first check, not with the submit function it shares: its models cost every
        # cold start ~15-20 ms for a route few requests take.
        from docpipe import atscheck

        body = _body(raw)
        if "jobId" in body:
            return self._job(body["jobId"], tenant)
        return atscheck.check(_pdf(body["pdf"]), _document(body["document"]))

    def _job(self, job_id: Any, tenant: str) -> CheckReport:
        if not isinstance(job_id, str):
            raise _invalid("jobId", "must be text")
        job = owned_job(self.stores.jobs, job_id, tenant)
        if job.status is not JobStatus.SUCCEEDED:
            raise Conflict(f"job {job.job_id} is {job.status.value}: only a finished document can be checked")
        if job.format != "pdf":
            raise Conflict(f"job {job.job_id} made a {job.format} document: only a PDF can be checked")
        stored = json.loads(self.stores.objects.get_request(job.request_key))
        request = validation.validate_request(stored)
        # Our own rendering: trusted, so a long document is checked whatever its size.
        from docpipe import atscheck

        return atscheck.check(self.stores.objects.get_document(job.document_key), request, size_limit=None)


def _invalid(path: str, message: str) -> InvalidDocument:
    return InvalidDocument(f"{path}: {message}" if path else message, [ErrorDetail(path, message)])


def _body(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_CHECK_BODY_BYTES:
        message = f"the request is {len(raw):,} bytes; the limit is {MAX_CHECK_BODY_BYTES:,} bytes"
        raise DocumentTooLarge(message, [ErrorDetail("", message)])
    try:
        value = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _invalid("", f"the request is not valid UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise _invalid("", "the request is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise _invalid("", f"the request is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise _invalid("", f"must be an object: {_FORMS}")
    unknown = [ErrorDetail(key, f"is not a field of a check: {_FORMS}") for key in value if key not in _KEYS]
    if unknown:
        raise InvalidDocument("the request is not a check", unknown)
    if set(value) not in ({"jobId"}, {"pdf", "document"}):
        raise _invalid("", _FORMS)
    return value


def _pdf(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _invalid("pdf", "must be text: the PDF in base64")
    # Wrapped base64 (MIME's 76-character lines) is base64 too: its line breaks are dropped first.
    compact = "".join(value.split()) if len(value) <= 2 * _MAX_BASE64_CHARS else value
    if len(compact) > _MAX_BASE64_CHARS:
        message = f"the PDF is larger than the limit of {MAX_PDF_BYTES:,} bytes"
        raise DocumentTooLarge(message, [ErrorDetail("pdf", message)])
    try:
        pdf = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("pdf", "is not valid base64") from None
    if b"%PDF-" not in pdf[:1024]:
        raise _invalid("pdf", "is not a PDF (no %PDF- header)")
    return pdf


def _document(value: Any) -> validation.DocumentRequestT:
    """``value`` read as the body of ``POST /v1/documents``, its problems' paths under ``document``."""
    if not isinstance(value, dict):
        raise _invalid("document", "must be an object: a request envelope, as POST /v1/documents takes")
    try:
        return validation.check_request(validation.parse_bytes(_encoded(value))).request
    except InvalidDocument as exc:
        details = [
            ErrorDetail(f"document.{d.path}" if d.path else "document", d.message) for d in exc.details
        ]
        raise type(exc)(exc.message, details) from None


def _encoded(value: dict[str, Any]) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): escaped, so validation names its path
        return json.dumps(value).encode()
