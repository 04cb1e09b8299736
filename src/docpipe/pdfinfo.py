"""What a PDF says about itself: its subject, keywords, creation date and trailer ID, from the document
and the render date (base/dynamic.tex.j2 prints them; the templates give the title and the author).

The date is the render day at midnight UTC, never the clock of the machine that ran TeX (which runs
at ``SOURCE_DATE_EPOCH=0``, texprocess.py): the same request rendered on the same day gives the same
bytes, and a PDF says on which day it was made. The trailer ID is derived from the request, the
template's preamble and that date, so two different documents do not share one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from docpipe.envelope import CoverLetterRequest, ResumeRequest

MAX_KEYWORDS = 255
"""Characters of keywords at most, whole skills only (as many as the DOCX's core properties hold)."""


@dataclass(frozen=True)
class PdfInfo:
    subject: str
    keywords: str
    created: dt.date
    trailer_id: str
    """32 hexadecimal digits."""

    @property
    def date(self) -> str:
        """The PDF date string of ``created`` at midnight UTC."""
        return f"D:{self.created:%Y%m%d}000000Z"


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _subject(request: ResumeRequest | CoverLetterRequest) -> str:
    if isinstance(request, ResumeRequest):
        return request.data.personal_info.title or "Résumé"
    company = request.data.recipient.company if request.data.recipient else None
    if company:
        return f"Cover letter to {company}"
    return f"Cover letter for {request.data.job_title}" if request.data.job_title else "Cover letter"


def _keywords(request: ResumeRequest | CoverLetterRequest) -> str:
    """A résumé's skills, a letter's job title and company: each once, as many as fit, whole."""
    if isinstance(request, ResumeRequest):
        items = request.data.technologies_and_skills
        texts = [text for item in items for text in ([item] if isinstance(item, str) else item.skills)]
    else:
        recipient = request.data.recipient
        texts = [t for t in (request.data.job_title, recipient.company if recipient else None) if t]
    kept: dict[str, str] = {}
    for text in texts:
        if text.casefold() not in kept and len(", ".join([*kept.values(), text])) <= MAX_KEYWORDS:
            kept[text.casefold()] = text
    return ", ".join(kept.values())


def describe(request: ResumeRequest | CoverLetterRequest, created: dt.date, template_id: str) -> PdfInfo:
    """The request's PDF information, made on ``created``; ``template_id`` names the template and its
    preamble (templates.format_name), so an edited template also changes the ID."""
    digest = hashlib.sha256(f"{template_id}\n{created}\n{request.model_dump_json()}".encode())
    return PdfInfo(_subject(request), _keywords(request), created, digest.hexdigest()[:32])
