"""The request envelope: which document, in which template and format, with which options, around the
data (``schema.py``). The original service's envelope names are accepted too (``spacing_mode``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from docpipe import aliases, catalog
from docpipe.catalog import OutputFormat
from docpipe.schema import CoverLetter, Resume
from docpipe.wire import Model

Paper = Literal["letter", "a4"]
Spacing = Literal["normal", "compact", "ultra-compact"]
MAX_FIT_PAGES = 20
MIN_PREVIEW_WIDTH, MAX_PREVIEW_WIDTH = 64, 3000


class LayoutOptions(Model):
    """Fit the PDF to at most maxPages pages. With fit "shrink", the layout is tightened only as far as
    needed, in this order: vertical gaps (to half), leading (to 95 %), font size (to 92 %, never below
    9 pt), margins (to 85 %, never below 0.4 in); nothing is dropped. A document that does not fit even
    then fails with does_not_fit, saying by how much. "off" (the default) lays it out as the spacing
    mode says. (docpipe.layout)"""

    max_pages: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_FIT_PAGES,
        # The house spelling, and the and the original service's (snake_case) alike.
        validation_alias=AliasChoices("maxPages", "max_pages"),
        description="pages the PDF may have",
    )
    fit: Literal["shrink", "off"] = Field("off", description="shrink: tighten the layout to fit maxPages")

    @model_validator(mode="after")
    def _shrink_needs_pages(self) -> LayoutOptions:
        if self.fit == "shrink" and self.max_pages is None:
            raise ValueError('fit "shrink" needs maxPages: the number of pages to fit in')
        return self


class PreviewOptions(Model):
    """The PNG preview of format "png": the first page, or every page in a zip, width pixels wide."""

    width: StrictInt = Field(800, ge=MIN_PREVIEW_WIDTH, le=MAX_PREVIEW_WIDTH, description="in pixels")
    pages: Literal["first", "all"] = Field(
        "first", description='"all": every page (the first 20 at most), as PNGs in a zip'
    )


class RenderOptions(Model):
    paper: Paper = "letter"
    spacing: Spacing = "normal"
    layout: LayoutOptions = Field(default_factory=LayoutOptions)
    preview: PreviewOptions = Field(default_factory=PreviewOptions)
    # Warnings (unknown fields, extra sections) become errors. It does not change the document, so it
    # is left out of dumps: not in the content key, not in the stored request.
    strict: StrictBool = Field(default=False, exclude=True)  # `0` or "no" is a mistake, not False


class _Envelope(Model):
    model_config = ConfigDict(alias_generator=None)
    template: str = catalog.DEFAULT_TEMPLATE
    format: OutputFormat = "pdf"
    options: RenderOptions = Field(default_factory=RenderOptions)
    # The original service's name for options.spacing, moved there before validation.
    spacing_mode: Annotated[Spacing | None, aliases.RefuseTwice] = Field(
        None, exclude=True, description="alias of options.spacing (the original service's name)"
    )

    @model_validator(mode="before")
    @classmethod
    def _original_names(cls, data: Any) -> Any:
        return _move_spacing_mode(data)


def _move_spacing_mode(data: Any) -> Any:
    """``spacing_mode`` into ``options.spacing``; marked (an error at its path) when both are given."""
    options = data.get("options", {}) if isinstance(data, dict) else None
    if not isinstance(options, dict) or "spacing_mode" not in data:
        return data  # nothing to move, or options is not an object (reported there)
    if "spacing" in options:
        return data | {"spacing_mode": aliases.GivenTwice(_BOTH_SPACINGS)}
    out = {key: value for key, value in data.items() if key != "spacing_mode"}
    return out | {"options": options | {"spacing": data["spacing_mode"]}}


_BOTH_SPACINGS = "means the same as options.spacing, which is given too: keep one of them"


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
REQUEST_MODELS: dict[str, type[ResumeRequest] | type[CoverLetterRequest]] = {
    "resume": ResumeRequest,
    "cover_letter": CoverLetterRequest,
}
