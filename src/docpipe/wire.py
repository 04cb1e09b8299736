"""The base of every request model: how fields are spelled on the wire and what is done with the rest."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from docpipe import aliases


class Model(BaseModel):
    """camelCase on the wire, unknown fields rejected (``unknowns.py`` sorts them into errors and
    warnings), immutable once validated."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        frozen=True,
        json_schema_extra=aliases.publish,  # alias fields accept what their target accepts
    )
