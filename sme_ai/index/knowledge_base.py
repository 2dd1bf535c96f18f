"""The knowledge base: a vector store and a BM25 index kept consistent by one manifest file.

The manifest (`state.json`) is the commit point. An ingest first adds new chunks to the store (harmless: chunks
the manifest does not list are invisible to search), then builds a new BM25 snapshot folder, then atomically
replaces the manifest. Only after that are replaced chunks and old snapshots deleted. An ingest that fails or is
interrupted at any step therefore leaves the visible knowledge base exactly as it was; leftovers are collected
by the next successful write.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sme_ai.errors import DocumentNotFoundError, EmbedderMismatchError
from sme_ai.index.bm25 import BM25Index
from sme_ai.index.embedder import Embedder
from sme_ai.index.store import Filters, VectorStore
from sme_ai.types import Chunk, Document

log = logging.getLogger(__name__)
FORMAT = 1


@dataclass
class IngestStats:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _empty_state(embedder: Embedder) -> dict[str, Any]:
    return {"format": FORMAT, "version": 0, "collection": "chunks_v0",
            "embedder": {"name": embedder.name, "dim": None}, "docs": {}}


class KnowledgeBase:
    """Open with a folder, an embedder and a store factory (collection name → VectorStore)."""

    def __init__(self, data_dir: Path, embedder: Embedder, store_factory: Callable[[str], VectorStore]):
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self._store_factory = store_factory
        self._state = self._read_state()
        self._store: VectorStore | None = None
        self._bm25: BM25Index | None = None

    # --- state -------------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.data_dir / "state.json"

    def _read_state(self) -> dict[str, Any]:
        if self._state_path.is_file():
            return json.loads(self._state_path.read_text(encoding="utf-8"))
        return _empty_state(self.embedder)

    def _write_state(self, state: dict[str, Any]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._state_path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._state_path)  # the commit point

    @property
    def version(self) -> int:
        return int(self._state["version"])

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            self._store = self._store_factory(self._state["collection"])
        return self._store

    def live_ids(self) -> set[str]:
        return {cid for d in self._state["docs"].values() for cid in d["chunk_ids"]}

    def documents(self) -> list[dict[str, Any]]:
        return [{"doc_id": k, **{f: v for f, v in d.items() if f != "chunk_ids"}, "chunks": len(d["chunk_ids"])}
                for k, d in sorted(self._state["docs"].items(), key=lambda kv: kv[1]["source"])]

    def check_embedder(self) -> None:
        """Names are compared first: that needs no model load, so an unchanged re-ingest stays cheap."""
        stored = self._state["embedder"]
        if not self._state["docs"] or stored.get("dim") is None:
            return
        if stored["name"] != self.embedder.name:
            raise EmbedderMismatchError(stored["name"], stored["dim"], self.embedder.name, self.embedder.dim, self.data_dir)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock  # portable (fcntl on POSIX, msvcrt on Windows)

        with FileLock(self.data_dir / ".lock"):
            self._state = self._read_state()  # another process may have committed meanwhile
            self._bm25 = None
            yield

    # --- reads -------------------------------------------------------------------------------

    def bm25(self) -> BM25Index:
        if self._bm25 is None:
            folder = self.data_dir / "bm25" / str(self.version)
            self._bm25 = BM25Index.load(folder) if folder.is_dir() else BM25Index.build([])
        return self._bm25

    def dense_search(self, vector, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        live = self.live_ids()
        if not live:
            return []
        found = self.store.query(vector, k + 20, filters)  # slack for invisible leftovers of a failed ingest
        return [(i, s) for i, s in found if i in live][:k]

    def keyword_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        return self.bm25().search(query, k, filters)

    def chunks(self, ids: Sequence[str]) -> list[Chunk]:
        return self.store.get(list(ids))

    # --- writes ------------------------------------------------------------------------------

    def add_documents(self, docs: Sequence[tuple[Document, list[Chunk]]], stats: IngestStats | None = None,
                      on_embed: Callable[[int, int], None] | None = None) -> IngestStats:
        """Add or replace documents (with their chunks) in one transaction."""
        stats = stats or IngestStats()
        with self._write_lock():
            self.check_embedder()
            state = json.loads(json.dumps(self._state))
            existing = self.store.ids()
            todo: list[Chunk] = []
            for doc, chunks in docs:
                old = state["docs"].get(doc.id)
                if old and old["file_hash"] == doc.file_hash:
                    stats.unchanged.append(doc.source)
                    continue
                (stats.updated if old else stats.added).append(doc.source)
                fresh = [c for c in chunks if c.id not in existing]
                todo.extend(fresh)
                stats.chunks_reused += len(chunks) - len(fresh)
                state["docs"][doc.id] = _doc_entry(doc, chunks)
            if stats.added or stats.updated:
                self._embed_into_store(todo, on_embed)
                stats.chunks_embedded += len(todo)
                self._commit(state)
        return stats

    def _embed_into_store(self, chunks: list[Chunk], on_embed: Callable[[int, int], None] | None) -> None:
        batch = 32
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            vectors = self.embedder.embed([c.index_text for c in part], "document")
            self.store.add(part, vectors)
            if on_embed:
                on_embed(start + len(part), len(chunks))

    def remove(self, key: str) -> list[str]:
        """Remove documents whose id, source or title equals `key`. Returns the removed sources."""
        with self._write_lock():
            state = json.loads(json.dumps(self._state))
            hits = [k for k, d in state["docs"].items() if key in (k, d["source"], d["title"])]
            if not hits:
                raise DocumentNotFoundError(key)
            removed = [state["docs"].pop(k)["source"] for k in hits]
            self._commit(state)
        return removed

    def reindex(self, on_embed: Callable[[int, int], None] | None = None) -> int:
        """Re-embed every chunk into a new collection with the current embedder, then switch over atomically."""
        with self._write_lock():
            chunks = self.store.get(sorted(self.live_ids()))
            state = json.loads(json.dumps(self._state))
            old_collection = state["collection"]
            state["collection"] = f"chunks_v{state['version'] + 1}"
            self._store = self._store_factory(state["collection"])
            try:
                self._embed_into_store(chunks, on_embed)
                self._commit(state, old_collection=old_collection)
            except BaseException:
                self._drop_collection(state["collection"])
                self._store = None
                raise
        return len(chunks)

    def _commit(self, state: dict[str, Any], old_collection: str | None = None) -> None:
        state["version"] = int(state["version"]) + 1
        state["embedder"] = {"name": self.embedder.name, "dim": self.embedder.dim if state["docs"] else None}
        state["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        live = {cid for d in state["docs"].values() for cid in d["chunk_ids"]}
        chunks = self.store.get(sorted(live)) if live else []
        folder = self.data_dir / "bm25" / str(state["version"])
        shutil.rmtree(folder, ignore_errors=True)
        BM25Index.build(chunks).save(folder)
        self._write_state(state)
        self._state, self._bm25 = state, None
        self._collect_garbage(old_collection)

    def _collect_garbage(self, old_collection: str | None) -> None:
        try:
            stale = self.store.ids() - self.live_ids()
            if stale:
                self.store.delete(stale)
            for folder in (self.data_dir / "bm25").iterdir():
                if folder.name != str(self.version):
                    shutil.rmtree(folder, ignore_errors=True)
            if old_collection:
                self._drop_collection(old_collection)
        except Exception:  # leftovers are invisible and collected next time
            log.warning("garbage collection failed; will retry on the next write", exc_info=True)

    def _drop_collection(self, name: str) -> None:
        store = self._store_factory(name)
        drop = getattr(store, "drop", None)
        if drop:
            drop()
        else:
            store.delete(store.ids())


def _doc_entry(doc: Document, chunks: list[Chunk]) -> dict[str, Any]:
    pages = max((s.page or 0 for s in doc.sections), default=0)
    meta = {k: v if isinstance(v, (str, int, float, bool, list)) else str(v) for k, v in doc.metadata.items()}
    return {
        "source": doc.source,
        "title": doc.title,
        "doc_type": doc.doc_type,
        "file_hash": doc.file_hash,
        "pages": pages or None,
        "added_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "metadata": meta,
        "chunk_ids": [c.id for c in chunks],
    }
