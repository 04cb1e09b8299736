"""Raw input to a value: size limit, strict UTF-8, JSON or YAML, nesting limit (validation.py then
makes the value a request). Everything here answers before any model sees the input."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from docpipe.errors import DocumentTooLarge, ErrorDetail, InvalidDocument
from docpipe.limits import MAX_NESTING, MAX_REQUEST_BYTES


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


@cache
def _no_alias_loader() -> type[Any]:
    """YAML without anchors/aliases: they let a small file expand into a huge document.

    Dates stay text: YAML 1.1 would turn an unquoted ``2021-03-09`` into a date object, which no JSON
    document can hold, so the same résumé would validate as JSON and fail as YAML. PyYAML is loaded
    here, when the first YAML document arrives: a process that only reads JSON never imports it.
    """
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                message = "YAML aliases are not supported"
                raise InvalidDocument("YAML aliases (*name) are not supported", [ErrorDetail("", message)])
            return super().compose_node(parent, index)

    NoAliasLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return NoAliasLoader


def _load_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_no_alias_loader())  # noqa: S506 - a SafeLoader, without aliases
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def too_large(what: str) -> DocumentTooLarge:
    """The one 413 for a body over the limit, whether it was read whole (here) or stopped while being
    read (api/negotiation.py)."""
    message = f"{what}; the limit is {MAX_REQUEST_BYTES:,} bytes"
    return DocumentTooLarge(message, [ErrorDetail("", message)])


def parse_bytes(raw: bytes, *, yaml_ok: bool = False) -> Any:
    """Decode a request body: size limit, strict UTF-8, JSON (or YAML), nesting limit."""
    if len(raw) > MAX_REQUEST_BYTES:
        raise too_large(f"the request is {len(raw):,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"the request is not valid UTF-8 (byte {exc.start})"
        raise InvalidDocument(message, [ErrorDetail("", message)]) from None
    try:
        value = _load_yaml(text) if yaml_ok else json.loads(text)
    except RecursionError:
        value = None
        _raise_nesting()
    except ValueError as exc:  # json.JSONDecodeError is one, and so is a YAML error from _load_yaml
        message = f"the request is not valid {'YAML' if yaml_ok else 'JSON'}: {exc}"
        raise InvalidDocument(message, [ErrorDetail("", message)]) from None
    if _depth(value) > MAX_NESTING:
        _raise_nesting()
    return value


def _raise_nesting() -> None:
    message = f"the request is nested more than {MAX_NESTING} levels deep"
    raise InvalidDocument(message, [ErrorDetail("", message)])
