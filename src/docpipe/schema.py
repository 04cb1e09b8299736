"""The request envelope and the résumé / cover-letter models: the one boundary every input crosses.

Field names are camelCase on the wire (compatible with the original resume-agent-template-engine
payloads); unknown fields are errors, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from docpipe import catalog, jsonresume
from docpipe.dates import PartialDate, parse_partial_date
from docpipe.limits import MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_STRING_CHARS, MAX_URL_CHARS

# Bidi embeddings/overrides/isolates let text display in another order than it reads (spoofing).
# C0/C1 control characters (tab, newline and carriage return excepted), lone surrogates, and the bidi
# embeddings/overrides/isolates that let text display in another order than it reads (spoofing).
# One compiled class: this runs on every string of every request, on the cache-hit hot path.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _check_characters(value: str) -> str:
    bad = sorted(set(UNPRINTABLE.findall(value)))
    if bad:
        names = ", ".join(f"U+{ord(ch):04X}" for ch in bad)
        raise ValueError(f"contains control characters that cannot be printed ({names})")
    return value


def _text_type(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Text = Annotated[str, _text_type(MAX_STRING_CHARS), AfterValidator(_check_characters)]
ShortText = Annotated[str, _text_type(MAX_NAME_CHARS), AfterValidator(_check_characters)]
RequiredText = Annotated[str, _text_type(MAX_NAME_CHARS, min_length=1), AfterValidator(_check_characters)]
T = TypeVar("T")
Items = Annotated[list[T], Field(max_length=MAX_LIST_ITEMS)]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SCHEMES = ("http://", "https://", "mailto:")


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("is not an email address (expected name@example.com)")
    return value


def _check_url(value: str) -> str:
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    lowered = value.lower()
    if ":" in lowered.split("/")[0] and not lowered.startswith(_SCHEMES):
        raise ValueError("must be a web address (http or https) or a mailto: link")
    return value


Email = Annotated[ShortText, AfterValidator(_check_email)]
Url = Annotated[
    str,
    _text_type(MAX_URL_CHARS, min_length=1),
    AfterValidator(_check_characters),
    AfterValidator(_check_url),
]


def _as_list(value: Any) -> Any:
    """Accept one string where a list of strings is expected (descriptions, addresses)."""
    return [value] if isinstance(value, str) else value


def _or_one_string(*, split: bool) -> Any:
    """JSON Schema for a list field that also takes one string, so the published schema (`docpipe
    schema`) accepts what validation accepts. ``split``: the string is cut into paragraphs, so the
    per-item length limit does not apply to it as a whole."""

    def update(schema: dict[str, Any]) -> None:
        array = {key: schema.pop(key) for key in ("type", "items", "minItems", "maxItems") if key in schema}
        one = {"type": "string"} if split else dict(array.get("items") or {"type": "string"})
        schema["anyOf"] = [one, array]

    return Field(json_schema_extra=update)


def _paragraphs(value: Any) -> Any:
    """A letter body given as one string is split into paragraphs at blank lines."""
    if isinstance(value, str):
        return [p for p in re.split(r"\n\s*\n", value) if p.strip()]
    return value


def _parse_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date string such as 2021, 2021-03, 2021-03-09 or 'Present'")
    return parse_partial_date(value)


DateField = Annotated[
    PartialDate,
    PlainValidator(_parse_date),
    PlainSerializer(lambda d: d.iso(), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(\d{4}(-\d{2}(-\d{2})?)?|[Pp]resent)$",
            "description": "YYYY, YYYY-MM, YYYY-MM-DD or Present",
        }
    ),
]


def _text_or_object(value: Any) -> str | None:
    if isinstance(value, str):
        return "#text"
    return "#object" if isinstance(value, dict | BaseModel) else None


# A list item that is either plain text or an object; errors name only the branch the input took.
_TEXT_OR_OBJECT = Discriminator(
    _text_or_object, custom_error_type="text_or_object", custom_error_message="must be text or an object"
)
_TaggedText = Annotated[Text, Tag("#text")]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        frozen=True,
    )


class PersonalInfo(Model):
    name: RequiredText
    email: Email
    phone: ShortText | None = None
    location: ShortText | None = None
    website: Url | None = None
    linkedin: Url | None = None
    github: Url | None = None
    title: ShortText | None = None


class Experience(Model):
    title: RequiredText
    company: ShortText | None = None
    location: ShortText | None = None
    url: Url | None = None
    start_date: DateField | None = None
    end_date: DateField | None = None
    achievements: Items[Text] = []


class Education(Model):
    degree: ShortText | None = None
    institution: RequiredText
    location: ShortText | None = None
    start_date: DateField | None = None
    end_date: DateField | None = None
    focus: Text | None = None
    notable_course_works: Items[ShortText] = []


class Project(Model):
    name: RequiredText
    url: Url | None = None
    description: Annotated[Items[Text], BeforeValidator(_as_list), _or_one_string(split=False)] = []
    tools: Items[ShortText] = []
    achievements: Items[Text] = []


class SkillGroup(Model):
    category: RequiredText
    skills: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_LIST_ITEMS)]


class Certification(Model):
    name: RequiredText
    url: Url | None = None
    date: DateField | None = None


class Publication(Model):
    title: RequiredText
    date: DateField | None = None
    url: Url | None = None


class Volunteering(Model):
    role: ShortText | None = None
    organization: RequiredText
    start_date: DateField | None = None
    end_date: DateField | None = None
    description: Text | None = None


class Resume(Model):
    personal_info: PersonalInfo
    professional_summary: Text | None = None
    experience: Items[Experience] = []
    education: Items[Education] = []
    projects: Items[Project] = []
    technologies_and_skills: Items[
        Annotated[_TaggedText | Annotated[SkillGroup, Tag("#object")], _TEXT_OR_OBJECT]
    ] = []
    certifications: Items[
        Annotated[_TaggedText | Annotated[Certification, Tag("#object")], _TEXT_OR_OBJECT]
    ] = []
    achievements: Items[Text] = []
    articles_and_publications: Items[Publication] = []
    awards_and_honors: Items[Text] = []
    languages: Items[ShortText] = []
    volunteering: Items[
        Annotated[_TaggedText | Annotated[Volunteering, Tag("#object")], _TEXT_OR_OBJECT]
    ] = []

    @model_validator(mode="before")
    @classmethod
    def _accept_json_resume(cls, data: Any) -> Any:
        # JSON Resume (jsonresume.org v1) is recognised by its top-level "basics" object.
        if isinstance(data, dict) and "basics" in data:
            return jsonresume.to_docpipe(data)
        return data


class Recipient(Model):
    name: ShortText | None = None
    title: ShortText | None = None
    company: ShortText | None = None
    address: Annotated[
        list[ShortText], Field(max_length=10), BeforeValidator(_as_list), _or_one_string(split=False)
    ] = []


class CoverLetter(Model):
    personal_info: PersonalInfo
    recipient: Recipient | None = None
    date: DateField | None = None
    salutation: ShortText = "Dear Hiring Manager,"
    body: Annotated[
        list[Text],
        BeforeValidator(_paragraphs),
        Field(min_length=1, max_length=MAX_LIST_ITEMS),
        _or_one_string(split=True),
    ]
    closing: ShortText = "Sincerely,"

    @model_validator(mode="after")
    def _date_is_explicit(self) -> CoverLetter:
        # A letter is dated. When the user gives no date it is fixed to today *in the request*, so
        # the cache key includes it and yesterday's PDF is never served with yesterday's date.
        if self.date is None:
            today = dt.datetime.now(dt.UTC).date()
            object.__setattr__(self, "date", PartialDate(today.year, today.month, today.day))
            self.model_fields_set.add("date")  # as if given: dumps with exclude_unset keep it too
        return self


Paper = Literal["letter", "a4"]
Spacing = Literal["normal", "compact", "ultra-compact"]
OutputFormat = Literal["pdf", "tex"]


class RenderOptions(Model):
    paper: Paper = "letter"
    spacing: Spacing = "normal"


class _Envelope(Model):
    model_config = ConfigDict(alias_generator=None)
    template: str = catalog.DEFAULT_TEMPLATE
    format: OutputFormat = "pdf"
    options: RenderOptions = Field(default_factory=RenderOptions)


class ResumeRequest(_Envelope):
    document_type: Literal["resume"]
    data: Resume

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        return catalog.check_template("resume", value)


class CoverLetterRequest(_Envelope):
    document_type: Literal["cover_letter"]
    data: CoverLetter

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        return catalog.check_template("cover_letter", value)


DocumentRequest = Annotated[ResumeRequest | CoverLetterRequest, Field(discriminator="document_type")]
DocumentType = Literal["resume", "cover_letter"]
DOCUMENT_TYPES: tuple[DocumentType, ...] = ("resume", "cover_letter")
REQUEST_MODELS: dict[str, type[ResumeRequest] | type[CoverLetterRequest]] = {
    "resume": ResumeRequest,
    "cover_letter": CoverLetterRequest,
}
