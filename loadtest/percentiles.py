"""The one percentile of the harness (locust figures, benchmarks, progress lines)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def percentile(values: Iterable[float], pct: int) -> float:
    """The ``pct``-th percentile (1 to 99) of ``values``, interpolated between the two nearest values
    (:func:`statistics.quantiles`, inclusive method, so ``percentile(v, 50) == statistics.median(v)``);
    0 when there are none."""
    if not 1 <= pct <= 99:
        raise ValueError(f"a percentile is 1 to 99, not {pct}")
    data = list(values)
    if len(data) < 2:
        return float(data[0]) if data else 0.0
    return statistics.quantiles(data, n=100, method="inclusive")[pct - 1]
