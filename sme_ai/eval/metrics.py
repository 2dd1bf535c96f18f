"""Ranking metrics over binary relevance lists (one bool per retrieved passage, best first)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def hit_at(rel: Sequence[bool], k: int) -> float:
    return 1.0 if any(rel[:k]) else 0.0


def reciprocal_rank(rel: Sequence[bool]) -> float:
    return next((1.0 / (i + 1) for i, r in enumerate(rel) if r), 0.0)


def ndcg_at(rel: Sequence[bool], k: int, n_relevant: int | None = None) -> float:
    """nDCG@k with binary gains; the ideal ranking puts min(k, n_relevant) relevant passages first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rel[:k]) if r)
    ideal_n = min(k, n_relevant if n_relevant is not None else sum(rel[:k]))
    if ideal_n == 0:
        return 0.0
    return dcg / sum(1.0 / math.log2(i + 2) for i in range(ideal_n))


def summarize(rels: list[Sequence[bool]], k: int = 5) -> dict[str, float]:
    n = max(1, len(rels))
    return {
        "hit@1": sum(hit_at(r, 1) for r in rels) / n,
        "hit@3": sum(hit_at(r, 3) for r in rels) / n,
        "hit@5": sum(hit_at(r, 5) for r in rels) / n,
        "mrr": sum(reciprocal_rank(r[:k]) for r in rels) / n,
        "ndcg@5": sum(ndcg_at(r, 5) for r in rels) / n,
        "n": len(rels),
    }
