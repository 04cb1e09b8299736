"""CPU used during a load test: by each component of the local stack, by locust, by the machine."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil

from loadtest.machine import busy_seconds

COMPONENTS = (
    ("docpipe_local.moto_server", "moto"),
    ("redis-server", "redis"),
    ("docpipe_local.api_server", "api"),
)
"""A marker in a process's command line → the component it belongs to."""


@dataclass
class CpuSample:
    at: float
    parts: dict[str, float]
    machine: float


class CpuMeter(threading.Thread):
    """Samples cumulative CPU seconds of the stack's process tree (by component), locust's, and the
    machine's, twice a second. A TeX process is counted live while it runs and, once the worker
    reaped it, in the stack root's children time, so short renders between samples are not lost."""

    def __init__(self, stack_pid: int | None, locust_pid: int) -> None:
        super().__init__(daemon=True, name="cpu-meter")
        self.stack = None if stack_pid is None else psutil.Process(stack_pid)
        self.locust = psutil.Process(locust_pid)
        self.samples: list[CpuSample] = []
        self.done = threading.Event()
        self._names: dict[psutil.Process, str] = {}

    def component(self, process: psutil.Process) -> str:
        if process not in self._names:
            line = " ".join(process.cmdline())
            named = [name for marker, name in COMPONENTS if marker in line]
            # The root runs the render workers (threads); its other children are TeX engines.
            self._names[process] = named[0] if named else "workers" if process == self.stack else "tex"
        return self._names[process]

    def sample(self) -> CpuSample:
        parts: dict[str, float] = {}
        if self.stack is not None:
            for process in self._tree(self.stack):
                try:
                    times, name = process.cpu_times(), self.component(process)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue  # it ended between the listing and the reading
                parts[name] = parts.get(name, 0.0) + times.user + times.system
                if process == self.stack:
                    parts["tex"] = parts.get("tex", 0.0) + times.children_user + times.children_system
        try:
            times = self.locust.cpu_times()
            parts["locust"] = times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
        return CpuSample(time.time(), parts, busy_seconds())

    @staticmethod
    def _tree(root: psutil.Process) -> list[psutil.Process]:
        try:
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append(self.sample())
            self.done.wait(0.5)

    def nearest(self, moment: float) -> CpuSample:
        return min(self.samples, key=lambda s: abs(s.at - moment))

    def cores(self, start: float, stop: float) -> dict[str, float]:
        """Cores used per component between two moments (CPU seconds / wall seconds)."""
        a, b = self.nearest(start), self.nearest(stop)
        wall = max(b.at - a.at, 1e-9)
        names = sorted(set(a.parts) | set(b.parts))
        used = {n: max(b.parts.get(n, 0.0) - a.parts.get(n, 0.0), 0.0) / wall for n in names}
        stack = sum(v for n, v in used.items() if n != "locust")
        used["stack"] = stack
        used["machine"] = (b.machine - a.machine) / wall
        used["other"] = max(used["machine"] - stack - used.get("locust", 0.0), 0.0)
        used["window_s"] = wall
        return used
