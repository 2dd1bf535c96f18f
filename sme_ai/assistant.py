"""The composition root: every front end (CLI, app, API, LangChain adapter) calls one of these methods."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from sme_ai.config import Settings
from sme_ai.index.knowledge_base import IngestStats, KnowledgeBase
from sme_ai.ingest.pipeline import Progress, ingest_paths
from sme_ai.types import Hit

log = logging.getLogger(__name__)


def _store_factory(settings: Settings):
    from sme_ai.index.store import ChromaStore, InMemoryStore

    memory: dict[str, InMemoryStore] = {}

    def chroma(name: str):
        return ChromaStore(name, path=settings.data_dir / "chroma")

    def chroma_http(name: str):
        return ChromaStore(name, host=settings.chroma_host, port=settings.chroma_port)

    def in_memory(name: str):
        return memory.setdefault(name, InMemoryStore())

    return {"chroma": chroma, "chroma-http": chroma_http, "memory": in_memory}[settings.vector_store]


class Assistant:
    def __init__(self, settings: Settings | None = None, *, embedder=None, llm=None):
        self.settings = settings or Settings()
        self._embedder = embedder
        self._llm = llm

    @cached_property
    def embedder(self):
        if self._embedder is not None:
            return self._embedder
        from sme_ai.index.embedder import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def kb(self) -> KnowledgeBase:
        return KnowledgeBase(self.settings.data_dir, self.embedder, _store_factory(self.settings))

    # --- knowledge base --------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path | str], progress: Progress | None = None) -> IngestStats:
        s = self.settings
        return ingest_paths(self.kb, paths, chunk_size=s.chunk_size, overlap=s.chunk_overlap,
                            max_bytes=s.max_file_bytes, progress=progress)

    def documents(self) -> list[dict]:
        return self.kb.documents()

    def remove(self, key: str) -> list[str]:
        return self.kb.remove(key)

    def reindex(self, progress: Progress | None = None) -> int:
        on_embed = (lambda d, t: progress("embed", d, t, "")) if progress else None
        return self.kb.reindex(on_embed)

    # --- retrieval -----------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, *, filters: dict[str, list[str]] | None = None,
               mode: str = "hybrid") -> list[Hit]:
        from sme_ai.retrieve.hybrid import search

        s = self.settings
        return search(self.kb, query, k=k or s.top_k, dense_k=s.dense_k, bm25_k=s.bm25_k, rrf_k=s.rrf_k,
                      filters=filters, mode=mode)
