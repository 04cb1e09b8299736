"""The résumé and cover-letter models: the data every request carries (its envelope is ``envelope.py``).

Field names are camelCase on the wire (compatible with the original resume-agent-template-engine
payloads, whose snake_case ``*_display`` link texts are kept as they are); other names people use are
in ``aliases.py``. Nothing is silently dropped: an unknown top-level section is rendered as an extra
section (``extras.py``), any other unknown field is accepted and reported as a warning, and a near miss
of a known field is an error (``unknowns.py``). The field types the models are built from (bounded
printable text, links, dates) are in ``fields.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    Tag,
    ValidationInfo,
    model_validator,
)

from docpipe import aliases, extras, jsonresume
from docpipe.dates import PartialDate
from docpipe.fields import (
    TEXT_OR_OBJECT,
    DateField,
    Email,
    Items,
    LetterDate,
    NumberOrText,
    RequiredText,
    ShortText,
    TaggedText,
    Text,
    TextOr,
    Url,
    as_list,
    or_one_string,
    paragraphs,
)
from docpipe.limits import MAX_LIST_ITEMS
from docpipe.wire import Model


class PersonalInfo(Model):
    name: RequiredText
    email: Email
    phone: ShortText | None = None
    location: ShortText | None = None
    website: Url | None = None
    linkedin: Url | None = None
    github: Url | None = None
    twitter: Url | None = None
    x: Url | None = None
    title: ShortText | None = None
    # The text shown for a link instead of its address; snake_case on the wire, as the original had it.
    website_display: ShortText | None = Field(None, alias="website_display")
    linkedin_display: ShortText | None = Field(None, alias="linkedin_display")
    github_display: ShortText | None = Field(None, alias="github_display")
    twitter_display: ShortText | None = Field(None, alias="twitter_display")
    x_display: ShortText | None = Field(None, alias="x_display")


class Experience(Model):
    title: RequiredText
    company: ShortText | None = None
    location: ShortText | None = None
    url: Url | None = None
    start_date: DateField | None = None
    end_date: DateField | None = None
    description: Annotated[Items[Text], BeforeValidator(as_list), or_one_string(split=False)] = []
    achievements: Items[Text] = []
    # An alias (aliases.py renames it before validation): published in the schema, and reporting the
    # document that gives both names. Never set on a valid document, so never dumped.
    highlights: Annotated[None, aliases.AliasOf("achievements")] = Field(None, exclude=True)


class Project(Model):
    name: RequiredText
    url: Url | None = None
    description: Annotated[Items[Text], BeforeValidator(as_list), or_one_string(split=False)] = []
    tools: Items[ShortText] = []
    achievements: Items[Text] = []
    technologies: Annotated[None, aliases.AliasOf("tools")] = Field(None, exclude=True)


class Education(Model):
    degree: ShortText | None = None
    institution: RequiredText
    location: ShortText | None = None
    url: Url | None = None
    start_date: DateField | None = None
    end_date: DateField | None = None
    focus: Text | None = None
    gpa: NumberOrText | None = None
    honors: Items[ShortText] = []
    notable_course_works: Items[ShortText] = []
    projects: Items[TextOr[Project]] = []
    school: Annotated[None, aliases.AliasOf("institution")] = Field(None, exclude=True)
    graduation_date: Annotated[None, aliases.AliasOf("endDate")] = Field(None, exclude=True)


class SkillGroup(Model):
    category: RequiredText
    skills: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_LIST_ITEMS)]


# The alias ``skills`` may also be an object of groups: {"Languages": ["Python", "Go"]}.
SkillsByCategory = Annotated[
    dict[RequiredText, Annotated[list[ShortText], Field(min_length=1, max_length=MAX_LIST_ITEMS)]],
    Field(max_length=MAX_LIST_ITEMS),
]


class Certification(Model):
    name: RequiredText
    issuer: ShortText | None = None
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
    publications: Items[TextOr[Publication]] = []
    interests: Items[ShortText] = []
    summary: Annotated[None, aliases.AliasOf("professionalSummary")] = Field(None, exclude=True)
    skills: Annotated[SkillsByCategory | None, aliases.AliasOf("technologiesAndSkills")] = Field(
        None, exclude=True
    )
    # Sections we have no field for, after the known ones: given as such, or gathered by extras.gather
    # from unknown top-level keys of a simple shape.
    extra_sections: Items[extras.ExtraSection] = []

    @model_validator(mode="before")
    @classmethod
    def _accept_other_shapes(cls, data: Any, info: ValidationInfo) -> Any:
        # JSON Resume (jsonresume.org v1) is recognised by its top-level "basics" object; its unknown
        # sections are gathered like ours, and its errors name its own paths (jsonresume.read).
        if jsonresume.recognised(data):
            return jsonresume.read(data, info)
        data = aliases.resume(data)  # other names people use for our fields (summary, skills, ...)
        return extras.gather(data, info)  # unknown top-level sections, rendered as extra sections


class Recipient(Model):
    name: ShortText | None = None
    title: ShortText | None = None
    company: ShortText | None = None
    department: ShortText | None = None
    address: Annotated[
        list[ShortText], Field(max_length=10), BeforeValidator(as_list), or_one_string(split=False)
    ] = []


LetterBody = Annotated[
    list[Text],
    BeforeValidator(paragraphs),
    Field(min_length=1, max_length=MAX_LIST_ITEMS),
    or_one_string(split=True),
]


class LetterContent(Model):
    """The original service's structured letter; aliases.letter spreads it onto the letter's fields."""

    opening: Annotated[ShortText | None, aliases.RefuseTwice] = None
    body: Annotated[LetterBody | None, aliases.RefuseTwice] = None
    closing: Annotated[ShortText | None, aliases.RefuseTwice] = None


class CoverLetter(Model):
    model_config = ConfigDict(json_schema_extra=aliases.publish_letter)

    personal_info: PersonalInfo
    recipient: Recipient | None = None
    date: LetterDate | None = None
    job_title: ShortText | None = None
    salutation: ShortText = "Dear Hiring Manager,"
    body: LetterBody
    closing: ShortText = "Sincerely,"  # line breaks in it are kept ("Best regards,\nAda")
    content: LetterContent | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _spread_content(cls, data: Any) -> Any:
        return aliases.letter(data)

    @model_validator(mode="after")
    def _date_is_explicit(self) -> CoverLetter:
        # A letter is dated. When the user gives no date it is fixed to today *in the request*, so
        # the cache key includes it and yesterday's PDF is never served with yesterday's date.
        if self.date is None:
            today = dt.datetime.now(dt.UTC).date()
            object.__setattr__(self, "date", PartialDate(today.year, today.month, today.day))
            self.model_fields_set.add("date")  # as if given: dumps with exclude_unset keep it too
        return self
