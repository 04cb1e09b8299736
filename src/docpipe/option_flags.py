"""Command-line flags that set a request's options, over what its file says: ``--max-pages`` and
``--fit`` into ``options.layout``, ``--width`` and ``--pages`` into ``options.preview``."""

from __future__ import annotations

import argparse
from typing import Any

# flag's dest -> (options group, field on the wire)
_FLAGS = {
    "max_pages": ("layout", "maxPages"),
    "fit": ("layout", "fit"),
    "width": ("preview", "width"),
    "pages": ("preview", "pages"),
}


def add(command: argparse.ArgumentParser) -> None:
    command.add_argument("--max-pages", type=int, metavar="N", help="pages the PDF may have (options.layout)")
    command.add_argument(
        "--fit", choices=("shrink", "off"), help="shrink: tighten the layout to fit --max-pages"
    )
    command.add_argument("--width", type=int, help="a PNG preview's width in pixels (options.preview)")
    command.add_argument(
        "--pages", choices=("first", "all"), help="a PNG preview of the first page, or all of them (a zip)"
    )


def apply(envelope: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``envelope`` with the flags given in ``args`` (a command without them changes nothing)."""
    for group in ("layout", "preview"):
        given = {
            field: getattr(args, dest)
            for dest, (flag_group, field) in _FLAGS.items()
            if flag_group == group and getattr(args, dest, None) is not None
        }
        envelope = _with(envelope, group, given)
    return envelope


def _with(envelope: dict[str, Any], group: str, given: dict[str, Any]) -> dict[str, Any]:
    options = envelope.get("options", {})
    if not given or not isinstance(options, dict) or not isinstance(options.get(group, {}), dict):
        return envelope  # nothing to set, or options that are not objects (reported as such)
    kept = {k: v for k, v in options.get(group, {}).items() if k not in {"max_pages", *given}}
    return envelope | {"options": options | {group: kept | given}}
