"""Fields docpipe does not know: which are mistakes (errors) and which are only left out (warnings).

An unknown field is accepted and reported as a warning, so data from other services is never refused
for what we cannot show, and nothing is left out without saying so. Two kinds stay errors, because
they are mistakes rather than data we lack a place for: a near-miss of a field at the same level
(``experiance``, ``titel``: the user meant ours, and leaving it out would lose their content quietly),
and a field of the other document type at the top of ``data`` (a letter's ``body`` sent as a résumé).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from docpipe import extras, jsonresume
from docpipe.envelope import REQUEST_MODELS

Loc = tuple[str | int, ...]

LEFT_OUT = "is not a known field; it is left out of the document (see `docpipe schema`)"
SHOWN = 'is not a known field; it is shown as an extra section titled "{title}"'
NOT_SHOWN = "is left out: an entry of an extra section shows only text, numbers, dates and one link"
NEAR_MISS = "is not a known field; did you mean `{name}`?"
OTHER_TYPE = {
    "resume": "is a cover-letter field, not a résumé field (check `document_type`)",
    "cover_letter": "is a résumé field, not a cover-letter field (check `document_type`)",
}
STRICT = " (not allowed in strict mode)"


@cache
def _schema(document_type: str) -> dict[str, Any]:
    return REQUEST_MODELS[document_type].model_json_schema(by_alias=True)


def _branch(root: dict[str, Any], node: dict[str, Any], want: str) -> dict[str, Any] | None:
    """``node``, or the part of it (through ``$ref`` and ``anyOf``/``oneOf``/``allOf``) that has ``want``."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    if want in node:
        return node
    for branch in (*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())):
        found = _branch(root, branch, want)
        if found is not None:
            return found
    return None


def known_fields(document_type: str, loc: Loc) -> list[str]:
    """Field names (wire spelling) of the object at ``loc`` in a request, read from its JSON Schema."""
    root = _schema(document_type)
    node: dict[str, Any] | None = root
    for part in loc:
        want = "items" if isinstance(part, int) else "properties"
        holder = _branch(root, node, want) if node is not None else None
        if holder is None:
            return []
        node = holder[want] if isinstance(part, int) else holder[want].get(part)
    found = _branch(root, node, "properties") if node is not None else None
    return list(found["properties"]) if found else []


def mistake(document_type: str, loc: Loc, *, json_resume: bool = False) -> str | None:
    """Why the unknown field at ``loc`` (a path in the request) is an error, or None if it is not.
    In a JSON Resume document (``json_resume``) a top-level near miss is one of JSON Resume's keys."""
    parent, key = loc[:-1], loc[-1]
    if not isinstance(key, str):
        return None
    if parent == ("data",):
        other = next(t for t in REQUEST_MODELS if t != document_type)
        if key in set(known_fields(other, parent)) - set(known_fields(document_type, parent)):
            return OTHER_TYPE[document_type]
    known = jsonresume.KEYS if json_resume and parent == ("data",) else known_fields(document_type, parent)
    name = extras.close_match(key, known)
    return NEAR_MISS.format(name=name) if name else None
