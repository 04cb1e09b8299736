"""Turn raw input (bytes, JSON, YAML, a dict) into a validated request, or into a list of errors.

A valid request comes with warnings (:class:`Checked`): unknown fields are accepted and left out,
unknown simple résumé sections are shown as extra sections (extras.py), and each is reported with
its path. Misspelled fields stay errors (unknowns.py); ``strict`` makes every warning one. Paths are
always the input's: JSON Resume input is named by its own fields (``data.work[0].position``).
Decoding bytes is parsing.py's; :func:`parse_bytes` is here too for the callers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from docpipe import extras, fonts, jsonresume, unknowns
from docpipe.catalog import DOCUMENT_TYPES
from docpipe.envelope import CoverLetterRequest, DocumentRequest, ResumeRequest
from docpipe.errors import ErrorDetail, InvalidDocument, UnknownTemplate
from docpipe.parsing import parse_bytes

DocumentRequestT = ResumeRequest | CoverLetterRequest
_REQUEST: TypeAdapter[DocumentRequestT] = TypeAdapter(DocumentRequest)

# pydantic's wording, said the way a person filling in a résumé would understand it.
_MESSAGES = {
    "missing": "is required",
    "string_type": "must be text",
    # JSON may spell half of a surrogate pair ("\ud800") on its own: that is no character at all.
    "string_unicode": "is not valid Unicode text (it contains an unpaired surrogate)",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


# Errors pydantic reports at the root that belong to a field of the envelope.
_ROOT_FIELDS = {"union_tag_invalid": "document_type", "union_tag_not_found": "document_type"}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"is too short (at least {minimum} characters)"
    if kind == "too_long":
        return f"has too many items (at most {ctx.get('max_length')})"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"is required (one of {', '.join(DOCUMENT_TYPES)})"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def _path(loc: tuple[Any, ...]) -> str:
    """``data.experience[0].startDate``, from a path in the input (see :func:`_input_loc`)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part or not part.isprintable() or any(ch in part for ch in '[]."'):
            path += f"[{json.dumps(part)}]"  # an empty key, spaces, control characters: quoted
        else:
            path += f".{part}" if path else part
    return path


def _model_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic error location without the tags it adds: the discriminated union's (the document
    type, first) and our text-or-object ones (``#text``, ``#object``, after a list index)."""
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (i == 0 and part in DOCUMENT_TYPES)
        and not (i > 0 and isinstance(loc[i - 1], int) and part in ("#text", "#object"))
    )


def _problems(
    exc: ValidationError, gathered: extras.Gathered, *, json_resume: bool = False
) -> tuple[list[ErrorDetail], list[ErrorDetail]]:
    """(errors, warnings): an unknown field is a warning unless it is a mistake (see unknowns.py).
    Paths are the input's: a section extras.gather moved is named by its own key, a JSON Resume value
    by its JSON Resume path (both recorded in ``gathered``)."""
    errors: list[ErrorDetail] = []
    warnings: list[ErrorDetail] = []
    for e in exc.errors():
        if isinstance(e.get("input"), jsonresume.Unusable):  # the mapping says what is wrong, and where
            errors.extend(ErrorDetail(_path(("data", *at)), why) for at, why in e["input"].problems)
            continue
        raw = tuple(e["loc"])
        loc = _model_loc(raw)
        path = _path(gathered.source(loc)) or _ROOT_FIELDS.get(e["type"], "")
        if e["type"] != "extra_forbidden" or not raw or raw[0] not in DOCUMENT_TYPES:
            errors.append(ErrorDetail(path, _message(e)))
            continue
        why = unknowns.mistake(raw[0], loc, json_resume=json_resume)
        (errors if why else warnings).append(ErrorDetail(path, why or unknowns.LEFT_OUT))
    # a union can report one problem twice
    return list(dict.fromkeys(errors)), list(dict.fromkeys(warnings))


def error_details(exc: ValidationError) -> list[ErrorDetail]:
    """Every problem ``exc`` holds, unknown fields included, with its path."""
    errors, warnings = _problems(exc, extras.Gathered())
    return errors + warnings


def _unprintable(value: Any, loc: tuple[Any, ...] = ("data",)) -> list[tuple[tuple[Any, ...], str]]:
    """Strings holding characters that no installed font can print: (path, message) each."""
    if isinstance(value, str):
        missing = fonts.unprintable(value)
        if not missing:
            return []
        names = ", ".join(fonts.describe(ch) for ch in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return [(loc, f"contains characters no available font can print: {names}")]
    if isinstance(value, dict):
        return [d for key, child in value.items() for d in _unprintable(child, (*loc, key))]
    if isinstance(value, list):
        return [d for i, child in enumerate(value) for d in _unprintable(child, (*loc, i))]
    return []


@dataclass(frozen=True)
class Checked:
    """A valid request, and what the user should know about how it was read: fields left out
    (``data.experience[0].team``), sections shown as extra sections. Warnings never hold input text
    beyond a field's name (an extra section's title comes from its key)."""

    request: DocumentRequestT
    warnings: tuple[ErrorDetail, ...] = ()


def _invalid(details: list[ErrorDetail], exc: ValidationError | None = None) -> InvalidDocument:
    # Only a template name that is not in the catalog is "unknown"; `"template": 7` is invalid.
    unknown = exc is not None and all(
        _model_loc(tuple(e["loc"])) == ("template",) and e["type"] == "value_error" for e in exc.errors()
    )
    kind = UnknownTemplate if details and unknown else InvalidDocument
    return kind(f"{len(details)} problem(s) in the request", details)


def _validate(value: dict[str, Any]) -> tuple[DocumentRequestT, extras.Gathered, list[ErrorDetail]]:
    """The request, what extras.gather moved, and the unknown fields left out (raise on errors)."""
    gathered = extras.Gathered()
    json_resume = value.get("document_type") == "resume" and jsonresume.recognised(value.get("data"))
    try:
        return _REQUEST.validate_python(value, context={extras.CONTEXT_KEY: gathered}), gathered, []
    except ValidationError as exc:
        errors, left_out = _problems(exc, gathered, json_resume=json_resume)
        if errors:
            raise _invalid(errors, exc) from None
    # Only unknown fields are wrong: validate again ignoring them (pydantic skips them at any depth).
    gathered = extras.Gathered()
    try:
        request = _REQUEST.validate_python(value, extra="ignore", context={extras.CONTEXT_KEY: gathered})
    except ValidationError as exc:  # not expected: ignoring fields cannot make anything invalid
        raise _invalid(_problems(exc, gathered)[0], exc) from None
    return request, gathered, left_out


def check_request(value: Any, *, strict: bool = False) -> Checked:
    """Validate an envelope: raise InvalidDocument listing every problem at once, or answer the request
    with its warnings. With ``strict`` (or ``options.strict``) warnings are errors too."""
    if not isinstance(value, dict):
        raise InvalidDocument("the request must be a JSON object", [ErrorDetail("", "must be a JSON object")])
    request, gathered, left_out = _validate(value)
    dump = request.data.model_dump(mode="json", exclude_none=True)
    unprintable = [ErrorDetail(_path(gathered.source(loc)), why) for loc, why in _unprintable(dump)]
    if unprintable:
        raise _invalid(unprintable)
    shown = [
        ErrorDetail(_path(("data", key)), unknowns.SHOWN.format(title=title))
        for key, title in gathered.sections
    ]
    not_shown = [ErrorDetail(_path(("data", *loc)), unknowns.NOT_SHOWN) for loc in gathered.dropped]
    warnings = (*left_out, *shown, *not_shown)
    if warnings and (strict or request.options.strict):
        raise _invalid([ErrorDetail(w.path, w.message + unknowns.STRICT) for w in warnings])
    return Checked(request, warnings)


def validate_request(value: Any) -> DocumentRequestT:
    """:func:`check_request` for callers that do not pass warnings on."""
    return check_request(value).request


def infer_document_type(data: Any) -> str:
    """For bare data (no envelope): JSON Resume and anything with a letter body are unambiguous."""
    if isinstance(data, dict) and "body" in data:
        return "cover_letter"
    return "resume"


def envelope_from(
    value: Any,
    *,
    document_type: str | None = None,
    template: str | None = None,
    output_format: str | None = None,
) -> dict[str, Any]:
    """Accept an envelope, or bare résumé/letter data, or JSON Resume; flags fill in or override."""
    if isinstance(value, dict) and "document_type" in value and "data" in value:
        envelope = dict(value)
    else:
        envelope = {"document_type": document_type or infer_document_type(value), "data": value}
    if document_type:
        envelope["document_type"] = document_type
    if template:
        envelope["template"] = template
    if output_format:
        envelope["format"] = output_format
    return envelope


__all__ = [
    "Checked",
    "DocumentRequestT",
    "check_request",
    "envelope_from",
    "error_details",
    "parse_bytes",
    "validate_request",
]
