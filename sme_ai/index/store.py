"""Vector stores: a Protocol, an in-memory fake, and Chroma (embedded PersistentClient or a server via HttpClient).

The store holds chunk texts, metadata and vectors. It never embeds anything itself: vectors are always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from sme_ai.types import Chunk

Filters = dict[str, list[str]]  # metadata field → allowed values, e.g. {"doc_type": ["policy"]}


@runtime_checkable
class VectorStore(Protocol):
    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...

    def query(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        ...

    def get(self, ids: Sequence[str]) -> list[Chunk]: ...

    def ids(self) -> set[str]: ...

    def delete(self, ids: Iterable[str]) -> None: ...


def _matches(meta: dict[str, Any], filters: Filters | None) -> bool:
    return not filters or all(meta.get(k) in v for k, v in filters.items())


class InMemoryStore:
    """The fake: a dict and a matrix. Same contract as Chroma (`sme_ai.testing.contracts`)."""

    def __init__(self):
        self._chunks: dict[str, Chunk] = {}
        self._vecs: dict[str, np.ndarray] = {}

    def add(self, chunks, vectors):
        for c, v in zip(chunks, vectors, strict=True):
            self._chunks[c.id] = c
            self._vecs[c.id] = np.asarray(v, dtype=np.float32)

    def query(self, vector, k, filters=None):
        ids = [i for i, c in self._chunks.items() if _matches(c.metadata(), filters)]
        if not ids:
            return []
        sims = np.stack([self._vecs[i] for i in ids]) @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-sims)[:k]
        return [(ids[j], float(sims[j])) for j in order]

    def get(self, ids):
        return [self._chunks[i] for i in ids if i in self._chunks]

    def ids(self):
        return set(self._chunks)

    def delete(self, ids):
        for i in list(ids):
            self._chunks.pop(i, None)
            self._vecs.pop(i, None)


def _where(filters: Filters | None) -> dict | None:
    if not filters:
        return None
    clauses = [{k: {"$in": list(v)}} for k, v in filters.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaStore:
    """Chroma with cosine space; score = 1 − distance. Pass `path` (embedded) or `host`/`port` (a Chroma server)."""

    BATCH = 1000

    def __init__(self, collection: str, path: Path | None = None, host: str | None = None, port: int = 8000,
                 metadata: dict[str, Any] | None = None):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if host:
            self._client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self.name = collection
        self._col = self._client.get_or_create_collection(
            collection, embedding_function=None, metadata={"hnsw:space": "cosine", **(metadata or {})}
        )

    @property
    def collection_metadata(self) -> dict[str, Any]:
        return dict(self._col.metadata or {})

    def add(self, chunks, vectors):
        vectors = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(chunks), self.BATCH):
            part = chunks[start : start + self.BATCH]
            self._col.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + len(part)].tolist(),
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
            )

    def query(self, vector, k, filters=None):
        n = self._col.count()
        if n == 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(k, n),
            where=_where(filters),
            include=["distances"],
        )
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def get(self, ids):
        if not ids:
            return []
        res = self._col.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: Chunk.from_metadata(i, d, m or {}) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def ids(self):
        return set(self._col.get(include=[])["ids"])

    def delete(self, ids):
        ids = list(ids)
        for start in range(0, len(ids), self.BATCH):
            self._col.delete(ids=ids[start : start + self.BATCH])

    def drop(self) -> None:
        self._client.delete_collection(self.name)
