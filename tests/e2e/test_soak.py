"""The chaos soak, short: ``python -m loadtest.soak`` with a few dozen jobs, as ``make soak`` runs it with
hundreds. It runs as its own process (its own moto and redis-server), as a user would run it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULT = re.compile(r"submitted=(\d+) succeeded=(\d+) failed=(\d+) lost=(\d+) duplicates=(\d+)")


def soak(*args: str, timeout: float = 200) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.soak", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    lines = done.stdout.splitlines()
    assert lines, done.stderr[-3000:]
    return done.returncode, lines


def test_short_soak_loses_nothing_and_duplicates_nothing() -> None:
    code, lines = soak("--jobs", "30", "--seed", "20261129", "--deadline", "150")
    result = RESULT.fullmatch(lines[-1])
    assert result is not None, lines[-10:]
    submitted, succeeded, failed, lost, duplicates = map(int, result.groups())
    assert (lost, duplicates) == (0, 0), "\n".join(lines[-15:])
    assert submitted == 30
    assert succeeded + failed == submitted
    assert succeeded >= submitted * 0.8, "\n".join(lines[-15:])  # faults are rare: most jobs succeed
    assert code == 0, "\n".join(lines[-15:])
    assert any("faults injected: " in line and "=" in line.split("faults injected: ")[1] for line in lines)


def test_soak_exits_non_zero_when_a_job_is_lost() -> None:
    """The soak's own detector: a job erased behind the API's back must be reported lost."""
    code, lines = soak("--jobs", "4", "--seed", "1", "--fault-rate", "0", "--inject-loss", "1")
    result = RESULT.fullmatch(lines[-1])
    assert result is not None, lines[-10:]
    assert int(result.group(4)) == 1, lines[-10:]
    assert code == 1
    assert any(line.endswith("(the job is gone)") for line in lines)
