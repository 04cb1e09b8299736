"""Turn raw input (bytes, JSON, YAML, a dict) into a validated request, or into a list of errors."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from docpipe import fonts
from docpipe.errors import DocumentTooLarge, ErrorDetail, InvalidDocument, UnknownTemplate
from docpipe.limits import MAX_NESTING, MAX_REQUEST_BYTES
from docpipe.schema import DOCUMENT_TYPES, CoverLetterRequest, DocumentRequest, ResumeRequest

DocumentRequestT = ResumeRequest | CoverLetterRequest
_REQUEST: TypeAdapter[DocumentRequestT] = TypeAdapter(DocumentRequest)

# pydantic's wording, said the way a person filling in a résumé would understand it.
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field (check the spelling; see `docpipe schema`)",
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
    path = ""
    for index, part in enumerate(loc):
        if index == 0 and part in DOCUMENT_TYPES:
            continue  # the discriminated union's own tag, not a field of the input
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part.startswith("#"):
            continue  # our text-or-object tags (see fields.TEXT_OR_OBJECT)
        elif "[" in part or "." in part or " " in part:
            path += f"[{json.dumps(part)}]"
        else:
            path += f".{part}" if path else part
    return path


def error_details(exc: ValidationError) -> list[ErrorDetail]:
    details = [
        ErrorDetail(_path(tuple(e["loc"])) or _ROOT_FIELDS.get(e["type"], ""), _message(e))
        for e in exc.errors()
    ]
    return list(dict.fromkeys(details))  # a union can report one problem twice


def _depth(value: Any, limit: int = MAX_NESTING) -> int:
    """Nesting depth, stopping once past ``limit`` (never recursing without bound)."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors/aliases: they let a small file expand into a huge document."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise InvalidDocument(
                "YAML aliases (*name) are not supported", [ErrorDetail("", "YAML aliases are not supported")]
            )
        return super().compose_node(parent, index)


def parse_bytes(raw: bytes, *, yaml_ok: bool = False) -> Any:
    """Decode a request body: size limit, strict UTF-8, JSON (or YAML), nesting limit."""
    if len(raw) > MAX_REQUEST_BYTES:
        message = f"the request is {len(raw):,} bytes; the limit is {MAX_REQUEST_BYTES:,}"
        raise DocumentTooLarge(message, [ErrorDetail("", message)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"the request is not valid UTF-8 (byte {exc.start})"
        raise InvalidDocument(message, [ErrorDetail("", message)]) from None
    try:
        value = yaml.load(text, Loader=_NoAliasLoader) if yaml_ok else json.loads(text)  # noqa: S506
    except RecursionError:
        value = None
        _raise_nesting()
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        message = f"the request is not valid {'YAML' if yaml_ok else 'JSON'}: {exc}"
        raise InvalidDocument(message, [ErrorDetail("", message)]) from None
    if _depth(value) > MAX_NESTING:
        _raise_nesting()
    return value


def _raise_nesting() -> None:
    message = f"the request is nested more than {MAX_NESTING} levels deep"
    raise InvalidDocument(message, [ErrorDetail("", message)])


def _unprintable(value: Any, path: str = "data") -> list[ErrorDetail]:
    """Strings holding characters that no installed font can print, each with its path."""
    if isinstance(value, str):
        missing = fonts.unprintable(value)
        if not missing:
            return []
        names = ", ".join(fonts.describe(ch) for ch in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return [ErrorDetail(path, f"contains characters no available font can print: {names}")]
    if isinstance(value, dict):
        return [d for key, child in value.items() for d in _unprintable(child, f"{path}.{key}")]
    if isinstance(value, list):
        return [d for i, child in enumerate(value) for d in _unprintable(child, f"{path}[{i}]")]
    return []


def validate_request(value: Any) -> DocumentRequestT:
    """Validate an envelope; raise InvalidDocument listing every problem at once."""
    if not isinstance(value, dict):
        raise InvalidDocument("the request must be a JSON object", [ErrorDetail("", "must be a JSON object")])
    try:
        request = _REQUEST.validate_python(value)
    except ValidationError as exc:
        details = error_details(exc)
        # Only a template name that is not in the catalog is "unknown"; `"template": 7` is invalid.
        unknown = all(
            _path(tuple(e["loc"])) == "template" and e["type"] == "value_error" for e in exc.errors()
        )
        kind = UnknownTemplate if details and unknown else InvalidDocument
        raise kind(f"{len(details)} problem(s) in the request", details) from None
    details = _unprintable(request.data.model_dump(mode="json", exclude_none=True))
    if details:
        raise InvalidDocument(f"{len(details)} problem(s) in the request", details)
    return request


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


__all__ = ["DocumentRequestT", "envelope_from", "error_details", "parse_bytes", "validate_request"]
