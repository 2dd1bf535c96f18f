"""Retrieval: dense + BM25 legs fused with reciprocal rank fusion."""
