"""This machine, as the benchmark and load-test reports describe it, and its busy time (psutil)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psutil


def cpu_model() -> str:
    """The CPU's model name (psutil does not report it: Linux's /proc/cpuinfo does)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot: everything but idle and iowait (and guest time,
    which the kernel counts in user time already)."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))
