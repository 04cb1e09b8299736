"""The field types every request model is built from: bounded printable text, email addresses, web
links, partial dates, bounded lists, list items that are text or an object.

Limits come from ``limits.py``; the models themselves are in ``schema.py``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    Tag,
    WithJsonSchema,
)

from docpipe import addresses
from docpipe.dates import FORMS, SCHEMA_PATTERN, PartialDate, is_iso, parse_partial_date
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_STRING_CHARS, MAX_URL_CHARS

# C0/C1 control characters (tab, newline and carriage return excepted), lone surrogates, and the bidi
# embeddings/overrides/isolates that let text display in another order than it reads (spoofing).
# One compiled class: this runs on every string of every request, on the cache-hit hot path.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def check_characters(value: str) -> str:
    """``value``, or ValueError naming the characters of it that cannot be printed."""
    bad = sorted(set(UNPRINTABLE.findall(value)))
    if bad:
        names = ", ".join(f"U+{ord(ch):04X}" for ch in bad)
        raise ValueError(f"contains control characters that cannot be printed ({names})")
    return value


def _text_type(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Text = Annotated[str, _text_type(MAX_STRING_CHARS), AfterValidator(check_characters)]
ShortText = Annotated[str, _text_type(MAX_NAME_CHARS), AfterValidator(check_characters)]
RequiredText = Annotated[str, _text_type(MAX_NAME_CHARS, min_length=1), AfterValidator(check_characters)]
T = TypeVar("T")
Items = Annotated[list[T], Field(max_length=MAX_LIST_ITEMS)]

Email = Annotated[ShortText, AfterValidator(addresses.check_email)]
"""One mailbox (addresses.py): what becomes its ``mailto:`` link can carry no header or query."""
Url = Annotated[
    str,
    _text_type(MAX_URL_CHARS, min_length=1),
    AfterValidator(check_characters),
    AfterValidator(addresses.check_link),
]
"""A web address, a bare host, or a ``mailto:`` link to one mailbox (addresses.py)."""


def as_list(value: Any) -> Any:
    """Accept one string where a list of strings is expected (descriptions, addresses)."""
    return [value] if isinstance(value, str) else value


def or_one_string(*, split: bool) -> Any:
    """JSON Schema for a list field that also takes one string, so the published schema (`docpipe
    schema`) accepts what validation accepts. ``split``: the string is cut into paragraphs, so the
    per-item length limit does not apply to it as a whole."""

    def update(schema: dict[str, Any]) -> None:
        array = {key: schema.pop(key) for key in ("type", "items", "minItems", "maxItems") if key in schema}
        one = {"type": "string"} if split else dict(array.get("items") or {"type": "string"})
        schema["anyOf"] = [one, array]

    return Field(json_schema_extra=update)


def paragraphs(value: Any) -> Any:
    """A letter body given as one string is split into paragraphs at blank lines."""
    if isinstance(value, str):
        return [p for p in re.split(r"\n\s*\n", value) if p.strip()]
    return value


def _parse_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date string such as 2021, 2021-03, 2021-03-09, Mar 2021 or 'Present'")
    return parse_partial_date(value)


DateField = Annotated[
    PartialDate,
    PlainValidator(_parse_date),
    PlainSerializer(lambda d: d.iso(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": SCHEMA_PATTERN, "description": FORMS}),
]


def _letter_date(value: Any) -> PartialDate | str:
    # The original service printed a letter's date as given; an ISO date is typeset ("March 9, 2021").
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date (2021-03-09) or the date as text (March 9, 2021)")
    if is_iso(value):
        return parse_partial_date(value)
    text = check_characters(value.strip())
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_NAME_CHARS:
        raise ValueError(f"is too long (at most {MAX_NAME_CHARS} characters)")
    return text


LetterDate = Annotated[
    PartialDate | str,
    PlainValidator(_letter_date),
    PlainSerializer(lambda d: d.iso() if isinstance(d, PartialDate) else d, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_NAME_CHARS,
            "description": "YYYY, YYYY-MM or YYYY-MM-DD (printed as 'March 9, 2021'); any other text is "
            "printed as given",
        }
    ),
]


def _number_as_text(value: Any) -> Any:
    # A GPA is often a JSON number (3.8); it is printed as written, so it is kept as text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("must be a number or text")
        return str(value)
    return value


def _number_or_text_schema(schema: dict[str, Any]) -> None:
    text = {key: schema.pop(key) for key in ("type", "minLength", "maxLength") if key in schema}
    schema["anyOf"] = [{"type": "number"}, text]


NumberOrText = Annotated[
    ShortText, BeforeValidator(_number_as_text), Field(json_schema_extra=_number_or_text_schema)
]
"""Text that may also be given as a JSON number (a GPA): a number is kept as it prints."""


def _text_or_object(value: Any) -> str | None:
    if isinstance(value, str):
        return "#text"
    return "#object" if isinstance(value, dict | BaseModel) else None


# A list item that is either plain text or an object; errors name only the branch the input took.
# The tags start with "#" so that validation.py leaves them out of error paths.
TEXT_OR_OBJECT = Discriminator(
    _text_or_object, custom_error_type="text_or_object", custom_error_message="must be text or an object"
)
TaggedText = Annotated[Text, Tag("#text")]
TextOr = Annotated[TaggedText | Annotated[T, Tag("#object")], TEXT_OR_OBJECT]
"""A list item that is plain text or a ``T`` object (``Items[TextOr[Publication]]``)."""
