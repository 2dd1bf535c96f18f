"""BM25 over jieba tokens (bm25s), persisted as a folder and loaded once, never rebuilt per query."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sme_ai.text import tokenize
from sme_ai.types import Chunk


class BM25Index:
    def __init__(self, retriever, ids: list[str], meta: list[dict[str, str]]):
        self._retriever = retriever
        self.ids = ids
        self._meta = meta  # the filterable fields per row

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> "BM25Index":
        import bm25s

        retriever = None
        if chunks:
            retriever = bm25s.BM25()
            retriever.index([tokenize(c.index_text) or [""] for c in chunks], show_progress=False)
        meta = [{"doc_type": c.doc_type, "source": c.source, "issuer": c.issuer, "issued_date": c.issued_date,
                 "doc_number": c.doc_number} for c in chunks]  # the fields a filter may name, as in the vector store
        return cls(retriever, [c.id for c in chunks], meta)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(str(folder / "bm25s"))
        (folder / "rows.json").write_text(json.dumps({"ids": self.ids, "meta": self._meta}, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        import bm25s

        rows = json.loads((folder / "rows.json").read_text())
        retriever = bm25s.BM25.load(str(folder / "bm25s")) if (folder / "bm25s").exists() else None
        return cls(retriever, rows["ids"], rows["meta"])

    def search(self, query: str, k: int, filters: dict[str, list[str]] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; documents with score 0 are dropped (bm25s pads with them)."""
        if self._retriever is None or not self.ids:
            return []
        vocab = self._retriever.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        mask = None
        if filters:
            mask = np.array([all(m.get(f) in v for f, v in filters.items()) for m in self._meta], dtype=np.float32)
        scores = self._retriever.get_scores(tokens, weight_mask=mask)
        order = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
