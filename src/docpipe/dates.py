"""Partial dates as résumés use them: a year, a month or a day, or "Present".

Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``MM-YYYY``, ``MM-DD-YYYY``, a month name and a year
(``Jan 2020``, ``January 2020``, ``Sept. 2020``, any case) and ``Present``/``Current``/``Now``.
:data:`SCHEMA_PATTERN` publishes the same set for JSON Schema (tests/unit/test_dates.py compares them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Month names as accepted (lower case): the full name, its three-letter abbreviation, and "sept".
_MONTH_WORDS = (
    "jan(?:uary)?", "feb(?:ruary)?", "mar(?:ch)?", "apr(?:il)?", "may", "june?",
    "july?", "aug(?:ust)?", "sep(?:t(?:ember)?)?", "oct(?:ober)?", "nov(?:ember)?", "dec(?:ember)?",
)  # fmt: skip
_MONTH_WORD = "(?:" + "|".join(_MONTH_WORDS) + ")"
_ONGOING = ("present", "current", "now")
# ASCII digits only, as the published JSON Schema says: ``\d`` alone also matches "２０２１" or "٢٠٢١".
# Two digits for month and day, so "2021-13" can be told "month must be between 01 and 12".
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)
_MONTH_FIRST = re.compile(r"^(\d{2})-(?:(\d{2})-)?(\d{4})$", re.ASCII)
_NAMED = re.compile(rf"^({_MONTH_WORD})\.? +(\d{{4}})$", re.ASCII | re.IGNORECASE)
FORMS = "YYYY, YYYY-MM, YYYY-MM-DD, MM-YYYY, MM-DD-YYYY or Month YYYY (Jan 2020, January 2020), or Present"
"""The accepted forms, as the error message and the published schema list them."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _any_case(pattern: str) -> str:
    """JSON Schema patterns (ECMA-262) have no case-insensitive flag: spell each letter both ways."""
    return "".join(f"[{ch}{ch.upper()}]" if "a" <= ch <= "z" else ch for ch in pattern)


def _schema_pattern() -> str:
    year, month, day = "[1-9][0-9]{3}", "(?:0[1-9]|1[0-2])", "(?:0[1-9]|[12][0-9]|3[01])"
    forms = (
        rf"{year}(?:-{month}(?:-{day})?)?",
        rf"{month}-(?:{day}-)?{year}",
        rf"{_any_case(_MONTH_WORD)}\.? +{year}",
        _any_case("(?:" + "|".join(_ONGOING) + ")"),
    )
    # Surrounding whitespace is allowed because the parser strips it.
    return r"^\s*(?:" + "|".join(forms) + r")\s*$"


SCHEMA_PATTERN = _schema_pattern()
"""What the parser accepts, as a JSON Schema pattern (calendar days aside: it allows 2021-02-30)."""


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


def _numbers(value: str) -> tuple[int, int | None, int | None, str] | None:
    """(year, month, day, form) of a numeric or month-name date, or None if it is neither."""
    if match := _ISO.match(value):
        year, month, day = match.groups()
        return int(year), int(month) if month else None, int(day) if day else None, "iso"
    if match := _MONTH_FIRST.match(value):
        month, day, year = match.groups()
        return int(year), int(month), int(day) if day else None, "month-first"
    if match := _NAMED.match(value):
        word, year = match.groups()
        return int(year), _MONTHS.index(word[:3].title()) + 1, None, "named"
    return None


def parse_partial_date(text: str) -> PartialDate:
    """Parse one of the accepted forms (see the module docstring); raise ValueError with a reason."""
    value = text.strip()
    if value.lower() in _ONGOING:
        return PRESENT
    parsed = _numbers(value)
    if parsed is None:
        raise ValueError(f"must be a date as {FORMS}")
    year, month, day, form = parsed
    if year < 1000:
        raise ValueError("year must have four digits")
    if month is not None and not 1 <= month <= 12:
        hint = " (the month comes first: MM-DD-YYYY)" if form == "month-first" and day else ""
        raise ValueError(f"month must be between 01 and 12{hint}")
    if month is not None and day is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            raise ValueError("is not a real calendar day") from None
    return PartialDate(year, month, day)


def is_iso(text: str) -> bool:
    """Whether ``text`` is written as YYYY, YYYY-MM or YYYY-MM-DD (a letter prints other dates as given)."""
    return _ISO.match(text.strip()) is not None


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
