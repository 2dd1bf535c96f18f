"""The answer cache the front ends share (the app's chat and batches, each API tenant): exact keys before
retrieval, near-duplicates (`similar`) after it."""

from sme_ai.cache.answers import AnswerCache, Flight, NearDuplicate, cache_key, cacheable
from sme_ai.cache.similar import Shape, shape

__all__ = ["AnswerCache", "Flight", "NearDuplicate", "Shape", "cache_key", "cacheable", "shape"]
