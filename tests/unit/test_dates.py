"""Partial dates: what parses, what does not (and why), and how each form is printed."""

from __future__ import annotations

import re

import pytest

from docpipe.dates import FORMS, PRESENT, SCHEMA_PATTERN, PartialDate, date_range, parse_partial_date

NOT_A_DATE = f"must be a date as {FORMS}"


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
        ("Current", PRESENT),
        ("NOW", PRESENT),
        # month first, as the original service's users write it
        ("03-2021", PartialDate(2021, 3)),
        ("12-31-1999", PartialDate(1999, 12, 31)),
        ("02-29-2024", PartialDate(2024, 2, 29)),
        # a month's name (or its abbreviation, or "Sept") and a year, in any case
        ("Jan 2020", PartialDate(2020, 1)),
        ("January 2020", PartialDate(2020, 1)),
        ("jan 2020", PartialDate(2020, 1)),
        ("JANUARY 2020", PartialDate(2020, 1)),
        ("Sept 2019", PartialDate(2019, 9)),
        ("Sept. 2019", PartialDate(2019, 9)),
        ("sep 2019", PartialDate(2019, 9)),
        ("September  2019", PartialDate(2019, 9)),
        ("May 2018", PartialDate(2018, 5)),
        ("june 2018", PartialDate(2018, 6)),
        ("Jul 2018", PartialDate(2018, 7)),
        ("dec. 2018", PartialDate(2018, 12)),
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
        ("21", NOT_A_DATE),
        ("2021-3", NOT_A_DATE),
        ("2021/03", NOT_A_DATE),
        ("2021-03-09T10:00:00", NOT_A_DATE),
        ("", NOT_A_DATE),
        ("tomorrow", NOT_A_DATE),
        ("２０２１", NOT_A_DATE),  # fullwidth digits
        ("٢٠٢١-٠٣", NOT_A_DATE),  # Arabic-Indic digits
        ("０３-２０２１", NOT_A_DATE),
        ("3-2021", NOT_A_DATE),
        ("03/2021", NOT_A_DATE),
        ("03-15-21", NOT_A_DATE),
        ("Janu 2020", NOT_A_DATE),
        ("Sepember 2020", NOT_A_DATE),
        ("March 15, 2024", NOT_A_DATE),
        ("Jan2020", NOT_A_DATE),
        ("2020 Jan", NOT_A_DATE),
        ("Jan 20", NOT_A_DATE),
        ("Present day", NOT_A_DATE),
        ("13-2021", "month must be between 01 and 12"),
        ("00-2021", "month must be between 01 and 12"),
        ("15-03-2024", "month must be between 01 and 12 (the month comes first: MM-DD-YYYY)"),
        ("02-30-2024", "is not a real calendar day"),
        ("02-29-2023", "is not a real calendar day"),
        ("Jan 0999", "year must have four digits"),
        ("01-0999", "year must have four digits"),
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


def test_the_error_lists_every_accepted_form() -> None:
    for form in (
        "YYYY",
        "YYYY-MM",
        "YYYY-MM-DD",
        "MM-YYYY",
        "MM-DD-YYYY",
        "Jan 2020",
        "January 2020",
        "Present",
    ):
        assert form in NOT_A_DATE


# Inputs for the published pattern: what the parser takes must match it, and what it refuses must not
# (except impossible days such as 02-30, which a pattern cannot know).
AGREEMENT_SAMPLES = [
    *(f"{y}" for y in ("1000", "1999", "2024", "9999", "0999", "0000", "202", "20245")),
    *(f"2021-{m}" for m in ("01", "09", "10", "12", "00", "13", "1", "001")),
    *(f"2021-03-{d}" for d in ("01", "09", "10", "19", "20", "29", "30", "31", "00", "32", "1")),
    *(f"{m}-2021" for m in ("01", "12", "00", "13", "1")),
    *(f"{m}-{d}-2021" for m in ("01", "12", "13") for d in ("01", "31", "32", "00")),
    *(f"{w} 2020" for w in ("Jan", "jan", "JAN", "January", "JANUARY", "Janu", "Sep", "Sept", "Septe",
                            "September", "sept.", "Sept..", "Jun", "June", "Junee", "Jul", "July", "Mai")),
    "Jan  2020", "Jan\t2020", " Jan 2020 ", "Jan2020", "Jan 20", "2020 Jan",
    "Present", "present", "PRESENT", "pResEnT", "Current", "now", "Now ", "Presently", "Today", "",
    "２０２１", "٢٠٢١", "2021-٠٣", "１２-2021", "2021/03", "2021-03-09T10:00", "2021-3-9",
]  # fmt: skip


@pytest.mark.parametrize("text", AGREEMENT_SAMPLES)
def test_the_published_pattern_accepts_what_the_parser_accepts(text: str) -> None:
    try:
        parse_partial_date(text)
        parsed = True
    except ValueError:
        parsed = False
    assert (re.search(SCHEMA_PATTERN, text) is not None) == parsed


@pytest.mark.parametrize("text", ["2021-02-30", "2023-02-29", "2021-04-31", "02-30-2021", "11-31-2021"])
def test_only_a_calendar_knows_these_are_not_days(text: str) -> None:
    assert re.search(SCHEMA_PATTERN, text)
    with pytest.raises(ValueError, match=r"^is not a real calendar day$"):
        parse_partial_date(text)


def test_the_agreement_samples_cover_both_answers() -> None:
    accepted = [t for t in AGREEMENT_SAMPLES if re.search(SCHEMA_PATTERN, t)]
    assert 20 < len(accepted) < len(AGREEMENT_SAMPLES) - 20
