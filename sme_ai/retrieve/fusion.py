"""Reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(legs: Mapping[str, Sequence[str]], k: int = 60, weights: Mapping[str, float] | None = None
        ) -> list[tuple[str, float, dict[str, int]]]:
    """Fuse ranked id lists: score(id) = Σ w_leg / (k + rank). Returns (id, score, {leg: 1-based rank}), best first.

    Ties are broken by the best rank in any leg, then by id, so the order is deterministic.
    """
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for leg, ids in legs.items():
        w = (weights or {}).get(leg, 1.0)
        for rank, cid in enumerate(ids, start=1):
            if leg in ranks.get(cid, {}):
                continue  # a leg lists an id once
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
            ranks.setdefault(cid, {})[leg] = rank
    return sorted(((cid, s, ranks[cid]) for cid, s in scores.items()),
                  key=lambda t: (-t[1], min(t[2].values()), t[0]))
