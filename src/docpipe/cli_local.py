"""The commands that run the local stack, ``docpipe dev`` and ``docpipe demo`` (see cli.py).

The stack (``docpipe_local``) is development tooling, not part of what Lambda gets: it is imported only
when one of these runs, and is missing where docpipe was installed without the ``local`` extra.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

EXIT_UNAVAILABLE = 4
"""``dev`` or ``demo`` without the local stack installed."""


def add_commands(sub: Any) -> None:
    demo = sub.add_parser("demo", help="render the bundled sample résumé and cover letter")
    demo.add_argument("--out", default="out", help="output folder")
    demo.set_defaults(handler=cmd_demo)
    _add_dev(sub)


def _local_stack(command: str) -> ModuleType | None:
    """``docpipe_local.commands``, imported only when ``dev`` or ``demo`` runs: the local stack is
    development tooling, not part of what Lambda gets. None (with the reason on stderr) when it or
    the ``local`` extra is not installed."""
    try:
        return importlib.import_module("docpipe_local.commands")
    except ModuleNotFoundError as missing:
        print(
            f"docpipe {command} needs the local stack, which is not installed here ({missing}): "
            "in a checkout of the repository, run `make setup` (or `uv sync --extra local`).",
            file=sys.stderr,
        )
        return None


def cmd_demo(args: argparse.Namespace) -> int:
    local = _local_stack("demo")
    if local is None:
        return EXIT_UNAVAILABLE
    return int(local.run_demo(Path(args.out)))


def cmd_dev(args: argparse.Namespace) -> int:
    local = _local_stack("dev")
    if local is None:
        return EXIT_UNAVAILABLE
    return int(
        local.run_dev(
            host=args.host,
            port=args.port,
            workers=args.workers,
            api_processes=args.api_processes,
            verbose=args.verbose,
        )
    )


def _add_dev(sub: Any) -> None:
    dev = sub.add_parser("dev", help="run the whole pipeline locally (moto, redis, API, render workers)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--workers", type=int, default=2, help="render workers (one TeX each)")
    dev.add_argument(
        "--api-processes",
        type=int,
        default=0,
        metavar="N",
        help="serve the API from N processes sharing the port (default: a thread of this process)",
    )
    dev.add_argument("--verbose", action="store_true", help="log requests and the functions' JSON logs")
    dev.set_defaults(handler=cmd_dev)
