"""Other names people use for our fields (``summary``, ``skills``, ``highlights`` ...), mapped onto ours.

Before validation an alias is renamed to its field, so errors name docpipe's field. When a document
gives both names, silently picking one would lose text: the alias keeps its place holding a
:class:`GivenTwice` marker, and the alias field the model declares (``AliasOf``) reports it at the
alias's own path. The same fields publish every alias in the JSON Schema (:func:`publish`), accepting
exactly what its target accepts, so ``docpipe schema`` accepts what validation accepts.

A cover letter's structured form ``content: {opening, body, closing}`` is spread onto ``salutation``,
``body`` and ``closing`` the same way (:func:`letter`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, BeforeValidator, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

RESUME = {"summary": "professionalSummary", "skills": "technologiesAndSkills"}
EXPERIENCE = {"highlights": "achievements"}
EDUCATION = {"school": "institution", "graduationDate": "endDate"}
PROJECT = {"technologies": "tools"}
LETTER_CONTENT = {"opening": "salutation", "body": "body", "closing": "closing"}


@dataclass(frozen=True, slots=True)
class GivenTwice:
    """Stands in for a value the document also gives under its other name. JSON cannot make one."""

    message: str


def _refuse_twice(value: Any) -> Any:
    if isinstance(value, GivenTwice):
        raise ValueError(value.message)
    return value


RefuseTwice = BeforeValidator(_refuse_twice)
"""Field metadata: the field reports a GivenTwice marker as its error."""


@dataclass(frozen=True, slots=True)
class AliasOf:
    """Field metadata: the field is another name for ``target`` (its wire name).

    The field's own type holds only the forms the alias adds to the target's (``None`` when it adds
    none): after renaming, only a GivenTwice marker ever reaches it.
    """

    target: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_twice, handler(source))


def _rename(obj: Any, table: dict[str, str]) -> Any:
    if not isinstance(obj, dict):
        return obj  # the model reports "must be an object" with the path
    out = dict(obj)
    for alias, target in table.items():
        if alias not in out:
            continue
        if target in out:
            out[alias] = GivenTwice(f"means the same as {target}, which is given too: keep one of them")
        else:
            out[target] = out.pop(alias)
    return out


def _skill_groups(value: Any) -> Any:
    """``{"Languages": ["Python", "Go"]}`` as skill groups."""
    if isinstance(value, dict):
        return [{"category": category, "skills": skills} for category, skills in value.items()]
    return value


def _each(value: Any, rename: Any) -> Any:
    return [rename(item) for item in value] if isinstance(value, list) else value


def _education(item: Any) -> Any:
    item = _rename(item, EDUCATION)
    if isinstance(item, dict) and "projects" in item:
        item["projects"] = _each(item["projects"], lambda p: _rename(p, PROJECT))
    return item


def resume(data: Any) -> Any:
    """Résumé data with every accepted alias renamed to its field (or marked when both are given)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if "skills" in out:
        out["skills"] = _skill_groups(out["skills"])
    out = _rename(out, RESUME)
    for key, rename in (
        ("experience", lambda item: _rename(item, EXPERIENCE)),
        ("education", _education),
        ("projects", lambda item: _rename(item, PROJECT)),
    ):
        if key in out:
            out[key] = _each(out[key], rename)
    return out


def letter(data: Any) -> Any:
    """Letter data with ``content`` spread onto salutation, body and closing.

    A key of ``content`` also given at the top level is marked (the model reports it at
    ``content.<key>``); keys it does not know stay in ``content``, where the model reports them.
    """
    if not isinstance(data, dict) or not isinstance(data.get("content", 0), dict | None):
        return data  # no content (or not an object: the model reports that)
    out = dict(data)
    content = dict(out.pop("content") or {})
    twice = [key for key in content if LETTER_CONTENT.get(key) in out]
    for key in twice:
        content[key] = GivenTwice(f"is also given as {LETTER_CONTENT[key]} outside content: keep one of them")
    if twice:
        return out | {"content": content}
    for key in [k for k in content if k in LETTER_CONTENT]:
        out[LETTER_CONTENT[key]] = content.pop(key)
    return out | {"content": content} if content else out


# --- the published JSON Schema ---------------------------------------------------------------------


def _alias_property(target: dict[str, Any], own: dict[str, Any], target_name: str) -> dict[str, Any]:
    """What the alias accepts: what its target accepts, and the forms its own type adds."""
    accepted = {key: value for key, value in target.items() if key not in ("title", "default")}
    added = [form for form in own.get("anyOf", [own]) if form.get("type") != "null"]
    schema = {"anyOf": [accepted, *added]} if added else accepted
    return {**schema, "description": f"alias of {target_name}"}


def _either(schema: dict[str, Any], target: str, other: dict[str, Any]) -> dict[str, Any]:
    """A rule: ``target`` and the other name for it (present when ``other`` holds) are not both given;
    when ``target`` is required, one of them is."""
    required = schema.get("required", [])
    if target in required:
        required.remove(target)
        if not required:
            del schema["required"]
        return {"oneOf": [{"required": [target]}, other]}
    return {"not": {"allOf": [{"required": [target]}, other]}}


def publish(schema: dict[str, Any], cls: type[Any]) -> None:
    """``json_schema_extra`` of every model: publishes its alias fields (see the module docstring)."""
    properties = schema.get("properties", {})
    rules = []
    fields = cls.model_fields if isinstance(cls, type) and issubclass(cls, BaseModel) else {}
    for name, field in fields.items():
        alias_of = next((m for m in field.metadata if isinstance(m, AliasOf)), None)
        key = field.alias or name
        if alias_of and key in properties and alias_of.target in properties:
            properties[key] = _alias_property(properties[alias_of.target], properties[key], alias_of.target)
            rules.append(_either(schema, alias_of.target, {"required": [key]}))
    if rules:
        schema["allOf"] = [*schema.get("allOf", []), *rules]


def publish_letter(schema: dict[str, Any], cls: type[Any]) -> None:
    """The cover letter's schema: ``content``'s keys are other names for top-level fields."""
    publish(schema, cls)
    rules = []
    for key, target in LETTER_CONTENT.items():
        gives = {"required": ["content"], "properties": {"content": {"type": "object", "required": [key]}}}
        rules.append(_either(schema, target, gives))
    schema["allOf"] = [*schema.get("allOf", []), *rules]
