"""Partial dates: what parses, what does not (and why), and how each form is printed."""

from __future__ import annotations

import pytest

from docpipe.dates import PRESENT, PartialDate, date_range, parse_partial_date


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2021", PartialDate(2021)),
        ("2021-03", PartialDate(2021, 3)),
        ("2021-03-09", PartialDate(2021, 3, 9)),
        ("2024-02-29", PartialDate(2024, 2, 29)),
        ("  2021-12 ", PartialDate(2021, 12)),
        ("Present", PRESENT),
        ("present", PRESENT),
        ("PRESENT", PRESENT),
        ("current", PRESENT),
        ("now", PRESENT),
    ],
)
def test_accepted_forms(text: str, parsed: PartialDate) -> None:
    assert parse_partial_date(text) == parsed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-13", "month must be between 01 and 12"),
        ("2021-00", "month must be between 01 and 12"),
        ("2021-00-10", "month must be between 01 and 12"),
        ("2021-02-29", "is not a real calendar day"),
        ("2021-04-31", "is not a real calendar day"),
        ("2021-01-00", "is not a real calendar day"),
        ("2021-01-32", "is not a real calendar day"),
        ("0999", "year must have four digits"),
        ("21", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("2021-3", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("2021/03", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("March 2021", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("2021-03-09T10:00:00", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("tomorrow", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),
        ("２０２１", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),  # fullwidth digits
        ("٢٠٢١-٠٣", "must be a date as YYYY, YYYY-MM or YYYY-MM-DD, or 'Present'"),  # Arabic-Indic digits
    ],
)
def test_refused_forms_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$".replace("(", r"\(").replace(")", r"\)")):
        parse_partial_date(text)


@pytest.mark.parametrize(
    ("date", "iso", "short", "long"),
    [
        (PartialDate(2021), "2021", "2021", "2021"),
        (PartialDate(2021, 3), "2021-03", "Mar 2021", "March 2021"),
        (PartialDate(2021, 3, 9), "2021-03-09", "Mar 2021", "March 9, 2021"),
        (PartialDate(1999, 12, 31), "1999-12-31", "Dec 1999", "December 31, 1999"),
        (PRESENT, "Present", "Present", "Present"),
    ],
)
def test_display_forms(date: PartialDate, iso: str, short: str, long: str) -> None:
    assert (date.iso(), date.short(), date.long()) == (iso, short, long)
    assert parse_partial_date(iso) == date  # iso() round-trips


@pytest.mark.parametrize(
    ("start", "end", "open_ended", "shown"),
    [
        (PartialDate(2021, 3), PRESENT, False, "Mar 2021 – Present"),
        (PartialDate(2021, 3), None, True, "Mar 2021 – Present"),  # a job with no end is ongoing
        (PartialDate(2013, 9), None, False, "Sep 2013"),  # a degree with no end is not
        (PartialDate(2017, 6), PartialDate(2021, 2), False, "Jun 2017 – Feb 2021"),
        (PartialDate(2020), PartialDate(2020), True, "2020"),  # no "2020 – 2020"
        (PartialDate(2020, 5, 1), PartialDate(2020, 5, 30), True, "May 2020"),
        (None, PartialDate(2019, 1), True, "Jan 2019"),
        (None, None, True, ""),
    ],
)
def test_date_ranges(
    start: PartialDate | None, end: PartialDate | None, open_ended: bool, shown: str
) -> None:
    assert date_range(start, end, open_ended=open_ended) == shown
