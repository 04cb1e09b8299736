"""``docpipe dev`` and ``docpipe demo``, as ``docpipe.cli`` imports them when one of them runs.

Importing this module imports everything the two commands need, so a missing ``local`` extra shows
up here as ``ModuleNotFoundError`` (which the CLI turns into a clear message) rather than as a child
process that never starts.
"""

from __future__ import annotations

import moto  # noqa: F401  (moto's server runs in a child process: check it is there before starting)

from docpipe_local.demo import run_demo
from docpipe_local.dev import run_dev

__all__ = ["run_demo", "run_dev"]
