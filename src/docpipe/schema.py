"""The request envelope and the résumé / cover-letter models: the one boundary every input crosses.

Field names are camelCase on the wire (compatible with the original resume-agent-template-engine
payloads); unknown fields are errors, never silently dropped. The field types the models are built
from (bounded printable text, links, dates) are in ``fields.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Tag, field_validator, model_validator
from pydantic.alias_generators import to_camel

from docpipe import catalog, jsonresume
from docpipe.dates import PartialDate
from docpipe.fields import (
    TEXT_OR_OBJECT,
    DateField,
    Email,
    Items,
    RequiredText,
    ShortText,
    TaggedText,
    Text,
    Url,
    as_list,
    or_one_string,
    paragraphs,
)
from docpipe.limits import MAX_LIST_ITEMS


class Model(BaseModel):
    """camelCase on the wire, unknown fields rejected, immutable once validated."""

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
    description: Annotated[Items[Text], BeforeValidator(as_list), or_one_string(split=False)] = []
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
        Annotated[TaggedText | Annotated[SkillGroup, Tag("#object")], TEXT_OR_OBJECT]
    ] = []
    certifications: Items[
        Annotated[TaggedText | Annotated[Certification, Tag("#object")], TEXT_OR_OBJECT]
    ] = []
    achievements: Items[Text] = []
    articles_and_publications: Items[Publication] = []
    awards_and_honors: Items[Text] = []
    languages: Items[ShortText] = []
    volunteering: Items[Annotated[TaggedText | Annotated[Volunteering, Tag("#object")], TEXT_OR_OBJECT]] = []

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
        list[ShortText], Field(max_length=10), BeforeValidator(as_list), or_one_string(split=False)
    ] = []


class CoverLetter(Model):
    personal_info: PersonalInfo
    recipient: Recipient | None = None
    date: DateField | None = None
    salutation: ShortText = "Dear Hiring Manager,"
    body: Annotated[
        list[Text],
        BeforeValidator(paragraphs),
        Field(min_length=1, max_length=MAX_LIST_ITEMS),
        or_one_string(split=True),
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
