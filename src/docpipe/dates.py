"""Partial dates as résumés use them: a year, a month or a day, or "Present"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# ASCII digits only, as the published JSON Schema says: ``\d`` alone also matches "２０２１" or "٢٠٢١".
_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to the year, month or day; ``year == 0`` means ongoing ("Present")."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def is_present(self) -> bool:
        return self.year == 0

    def iso(self) -> str:
        if self.is_present:
            return "Present"
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
        if self.day:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def short(self) -> str:
        """Month and year ("Mar 2021"): the one form used in every résumé range."""
        if self.is_present:
            return "Present"
        return f"{_MONTHS[self.month - 1]} {self.year}" if self.month else str(self.year)

    def long(self) -> str:
        """Letter form ("March 9, 2021"), falling back to what is known."""
        if self.is_present:
            return "Present"
        if not self.month:
            return str(self.year)
        month = _LONG_MONTHS[self.month - 1]
        return f"{month} {self.day}, {self.year}" if self.day else f"{month} {self.year}"


PRESENT = PartialDate(0)


def parse_partial_date(text: str) -> PartialDate:
    """Parse ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``Present``; raise ValueError with a reason."""
    value = text.strip()
    if value.lower() in {"present", "current", "now"}:
        return PRESENT
    match = _PATTERN.match(value)
    if not match:
        raise ValueError("must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if year < 1000:
        raise ValueError("year must have four digits")
    if month is not None and not 1 <= month <= 12:
        raise ValueError("month must be between 01 and 12")
    if month is not None and day is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            raise ValueError("is not a real calendar day") from None
    return PartialDate(year, month, day)


def date_range(start: PartialDate | None, end: PartialDate | None, *, open_ended: bool) -> str:
    """'Mar 2021 – Present'. With ``open_ended`` (jobs) an absent end means ongoing."""
    if start is None and end is None:
        return ""
    if start is None:
        assert end is not None
        return end.short()
    if end is None and not open_ended:
        return start.short()
    end_text = (end or PRESENT).short()
    return f"{start.short()} – {end_text}" if end_text != start.short() else start.short()
