"""The one percentile the evals and benchmarks report (nearest rank on the sorted values)."""

from __future__ import annotations

from collections.abc import Iterable


def percentile(values: Iterable[float | None], q: float, empty: float | None = None) -> float | None:
    """The `q`-quantile (0 ≤ q ≤ 1) of the values that are not None; `empty` when there are none."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return empty
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
