"""The knowledge base: a vector store and a BM25 index kept consistent by one manifest file.

The manifest (`state.json`) is the commit point. An ingest embeds its new chunks into the store outside any lock
(harmless: chunks the manifest does not list are invisible to search, so questions and other writers go on), then,
holding the data folder's file lock, checks its plan against the latest manifest, writes a new BM25 snapshot folder
and atomically replaces the manifest (both fsynced; the previous manifest is kept as `state.json.bak`). Only then
are the chunks this commit made unreachable deleted. The previous BM25 snapshot and, after a re-index, the previous
collection are kept for one more commit, so a reader in another process that still holds the previous manifest
keeps working until it reloads (every search checks the manifest's stamp first). An ingest that fails or is killed
at any step leaves the visible knowledge base exactly as it was; its leftovers are invisible.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sme_ai.errors import (
    AmbiguousDocumentError,
    CorruptKnowledgeBaseError,
    DocumentNotFoundError,
    EmbedderMismatchError,
    KnowledgeBaseWriteError,
)
from sme_ai.index.bm25 import BM25Index
from sme_ai.index.embedder import Embedder
from sme_ai.index.store import Filters, VectorStore
from sme_ai.types import Chunk, Document

log = logging.getLogger(__name__)
FORMAT = 1
_META_CHARS, _META_ITEMS = 500, 50  # per metadata value: front matter is user input


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
    return {"format": FORMAT, "version": 0, "collection": "chunks_v0", "previous_collection": None,
            "embedder": {"name": embedder.name, "dim": None}, "docs": {}}


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _load_manifest(path: Path) -> dict[str, Any]:
    state = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(state, dict) or not isinstance(state.get("docs"), dict) or "version" not in state:
        raise ValueError("not a manifest")
    return state


def _write_durably(path: Path, text: str) -> None:
    """Write to a temporary file, fsync, rename over `path`, fsync the folder: all or nothing."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: folders cannot be opened; the rename is durable enough there
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


class KnowledgeBase:
    """Open with a folder, an embedder and a store factory (collection name → VectorStore)."""

    def __init__(self, data_dir: Path, embedder: Embedder, store_factory: Callable[[str], VectorStore]):
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self._store_factory = store_factory
        self._stamp: tuple[int, int, int] | None = None
        self._state = self._read_state()
        self._store: VectorStore | None = None
        self._bm25: BM25Index | None = None
        self._open_lock = threading.Lock()
        self._all_chunks: tuple[int, list[Chunk]] | None = None

    # --- state -------------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.data_dir / "state.json"

    @property
    def _backup_path(self) -> Path:
        return self.data_dir / "state.json.bak"

    def _read_state(self) -> dict[str, Any]:
        """The manifest; an unreadable one falls back to the backup of the previous commit, loudly."""
        stamp = _stamp(self._state_path)
        if stamp is None:
            self._stamp = None
            return _empty_state(self.embedder)
        try:
            state = _load_manifest(self._state_path)
        except (OSError, ValueError) as e:
            try:
                state = _load_manifest(self._backup_path)
            except (OSError, ValueError):
                raise CorruptKnowledgeBaseError(self._state_path, str(e)) from None
            log.warning("manifest %s unreadable (%s): using the backup of the previous commit", self._state_path, e)
        self._stamp = stamp
        return state

    def refresh(self) -> None:
        """Reload the manifest if anyone (another process, another object) has committed since it was read."""
        if _stamp(self._state_path) == self._stamp:
            return
        state = self._read_state()
        if state["collection"] != self._state["collection"]:
            self._store = None
        self._state, self._bm25 = state, None

    def _write_state(self, state: dict[str, Any]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._state["version"]:  # the manifest being replaced is known good: keep it as the backup
            _write_durably(self._backup_path, json.dumps(self._state, ensure_ascii=False))
        _write_durably(self._state_path, json.dumps(state, ensure_ascii=False, indent=1))  # the commit point

    @property
    def version(self) -> int:
        return int(self._state["version"])

    @property
    def store(self) -> VectorStore:
        with self._open_lock:  # two threads opening embedded Chroma at once crash inside chromadb
            if self._store is None:
                self._store = self._store_factory(self._state["collection"])
            return self._store

    def live_ids(self) -> set[str]:
        return {cid for d in self._state["docs"].values() for cid in d["chunk_ids"]}

    def documents(self) -> list[dict[str, Any]]:
        return [{"doc_id": k, **{f: v for f, v in d.items() if f != "chunk_ids"}, "chunks": len(d["chunk_ids"])}
                for k, d in sorted(self._state["docs"].items(), key=lambda kv: (kv[1]["source"], kv[0]))]

    def check_embedder(self) -> None:
        """Names are compared first: that needs no model load, so an unchanged re-ingest stays cheap."""
        stored = self._state["embedder"]
        if not self._state["docs"] or stored.get("dim") is None:
            return
        if stored["name"] != self.embedder.name:
            raise EmbedderMismatchError(stored["name"], stored["dim"], self.embedder.name, self.embedder.dim, self.data_dir)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """One writer at a time across processes (the CLI and the app on one folder); readers never wait."""
        from filelock import FileLock  # portable (fcntl on POSIX, msvcrt on Windows)

        self.data_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(self.data_dir / ".lock"):
            self.refresh()  # another process may have committed meanwhile
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

    def all_chunks(self) -> list[Chunk]:
        """Every live chunk, read once per committed version (the premise check looks terms up in all of them)."""
        version = self.version
        cached = self._all_chunks
        if cached is None or cached[0] != version:
            live = sorted(self.live_ids())
            cached = (version, self.store.get(live) if live else [])
            self._all_chunks = cached
        return cached[1]

    # --- writes ------------------------------------------------------------------------------

    def add_documents(self, docs: Sequence[tuple[Document, list[Chunk]]], stats: IngestStats | None = None,
                      on_embed: Callable[[int, int], None] | None = None) -> IngestStats:
        """Add or replace documents (with their chunks) in one transaction. The embedding happens before the lock;
        the commit re-checks everything against the manifest it finds then."""
        stats = stats or IngestStats()
        self.refresh()
        self.check_embedder()
        early = self._missing([c for doc, chunks in docs if _status(self._state, doc)[0] != "unchanged"
                               for c in chunks])
        self._embed_into_store(early, on_embed)
        with self._write_lock():
            self.check_embedder()
            state, previous_live = json.loads(json.dumps(self._state)), self.live_ids()
            changed: list[Chunk] = []
            for doc, chunks in docs:
                status, old_id = _status(state, doc)
                if status == "unchanged":
                    stats.unchanged.append(doc.source)
                    continue
                (stats.updated if status == "updated" else stats.added).append(doc.source)
                if old_id is not None:
                    state["docs"].pop(old_id)
                state["docs"][doc.id] = _doc_entry(doc, chunks)
                changed.extend(chunks)
            late = self._missing(changed)  # removed by another writer since the early embedding (rare)
            self._embed_into_store(late, None)
            new = {c.id for c in early} | {c.id for c in late}
            stats.chunks_embedded += len(new)
            stats.chunks_reused += len({c.id for c in changed} - new)
            if stats.added or stats.updated:
                self._commit(state, previous_live)
        return stats

    def _missing(self, chunks: list[Chunk]) -> list[Chunk]:
        if not chunks:
            return []
        have = self.store.ids()
        seen: set[str] = set()
        out = []
        for c in chunks:
            if c.id not in have and c.id not in seen:
                seen.add(c.id)
                out.append(c)
        return out

    def _embed_into_store(self, chunks: list[Chunk], on_embed: Callable[[int, int], None] | None,
                          store: VectorStore | None = None) -> None:
        store = store or self.store
        batch = 32
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            vectors = self.embedder.embed([c.index_text for c in part], "document")
            store.add(part, vectors)
            if on_embed:
                on_embed(start + len(part), len(chunks))

    def remove(self, key: str) -> list[str]:
        """Remove the document whose id or identity (its path or content key) is `key`; or the one document whose
        source is `key` (several with that source: an AmbiguousDocumentError listing their ids). Returns sources."""
        with self._write_lock():
            state, previous_live = json.loads(json.dumps(self._state)), self.live_ids()
            hits = _find(state["docs"], key)
            removed = [state["docs"].pop(k)["source"] for k in hits]
            self._commit(state, previous_live)
        return removed

    def reindex(self, on_embed: Callable[[int, int], None] | None = None) -> int:
        """Re-embed every chunk into a new collection with the current embedder, then switch over atomically."""
        with self._write_lock():
            chunks = self.store.get(sorted(self.live_ids()))
            state = json.loads(json.dumps(self._state))
            state["previous_collection"], state["collection"] = state["collection"], f"chunks_v{state['version'] + 1}"
            fresh = self._store_factory(state["collection"])  # searches keep the old collection until the commit
            try:
                self._embed_into_store(chunks, on_embed, fresh)
                self._store = fresh  # the same chunk ids as the manifest in use: readers see no gap
                self._commit(state, set())
            except BaseException:
                self._drop_collection(state["collection"])
                self._store = None
                raise
        return len(chunks)

    def _commit(self, state: dict[str, Any], previous_live: set[str]) -> None:
        """Write the BM25 snapshot, then the manifest (the commit point), then collect what became unreachable."""
        retired = self._state.get("previous_collection")
        if state["collection"] == self._state["collection"]:  # not a re-index: the retired collection can go now
            state["previous_collection"] = None
        else:  # a re-index: the collection it replaces serves stale readers until the next commit
            retired = None if retired == state["previous_collection"] else retired
        state["version"] = int(state["version"]) + 1
        state["embedder"] = {"name": self.embedder.name, "dim": self.embedder.dim if state["docs"] else None}
        state["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        live = {cid for d in state["docs"].values() for cid in d["chunk_ids"]}
        folder = self.data_dir / "bm25" / str(state["version"])
        try:
            shutil.rmtree(folder, ignore_errors=True)
            BM25Index.build(self.store.get(sorted(live)) if live else []).save(folder)
            _fsync_tree(folder)
            self._write_state(state)
        except OSError as e:  # a full disk, a read-only folder: nothing was committed
            shutil.rmtree(folder, ignore_errors=True)
            raise KnowledgeBaseWriteError(self.data_dir, f"{type(e).__name__}: {e}") from e
        self._state, self._bm25, self._stamp = state, None, _stamp(self._state_path)
        self._collect_garbage(previous_live - live, retired)

    def _collect_garbage(self, unreachable: set[str], retired_collection: str | None) -> None:
        """Only what this commit made unreachable: never the fresh chunks of another writer's ingest in flight."""
        try:
            if unreachable:
                self.store.delete(unreachable)
            keep = {str(self.version), str(self.version - 1)}  # the previous snapshot serves stale readers
            for folder in (self.data_dir / "bm25").iterdir():
                if folder.name not in keep:
                    shutil.rmtree(folder, ignore_errors=True)
            if retired_collection and retired_collection != self._state["collection"]:
                self._drop_collection(retired_collection)
        except Exception:  # leftovers are invisible and collected next time
            log.warning("garbage collection failed; will retry on the next write", exc_info=True)

    def _drop_collection(self, name: str) -> None:
        store = self._store_factory(name)
        drop = getattr(store, "drop", None)
        if drop:
            drop()
        else:
            store.delete(store.ids())


def _status(state: dict[str, Any], doc: Document) -> tuple[str, str | None]:
    """("added" | "updated" | "unchanged", the id of the manifest entry this document replaces)."""
    docs = state["docs"]
    old_id = doc.id if doc.id in docs else next(
        (i for i, d in docs.items() if d["source"] == doc.source and "key" not in d), None)  # a manifest of format 1
    if old_id is None:  # the same content under the same name from another place (a moved folder): the same document
        same = next((i for i, d in docs.items() if d["source"] == doc.source and d["file_hash"] == doc.file_hash), None)
        return ("unchanged", same) if same else ("added", None)
    if docs[old_id]["file_hash"] == doc.file_hash and old_id == doc.id:
        return "unchanged", old_id
    return "updated", old_id


def _find(docs: dict[str, dict[str, Any]], key: str) -> list[str]:
    if key in docs:
        return [key]
    by_key = [i for i, d in docs.items() if d.get("key") == key]
    if by_key:
        return by_key
    by_source = [i for i, d in docs.items() if d["source"] == key]
    if len(by_source) > 1:
        raise AmbiguousDocumentError(key, [(i, docs[i].get("key", docs[i]["source"])) for i in by_source])
    if not by_source:
        raise DocumentNotFoundError(key)
    return by_source


def _bounded(value: Any) -> Any:
    """A metadata value kept small and flat: front matter may be hostile (YAML aliases nest exponentially)."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple) and len(value) <= _META_ITEMS and all(
            isinstance(v, str | int | float | bool) for v in value):
        return [v if not isinstance(v, str) else v[:_META_CHARS] for v in value]
    if isinstance(value, str):
        return value[:_META_CHARS]
    return None  # nested structures are dropped rather than expanded


def _doc_entry(doc: Document, chunks: list[Chunk]) -> dict[str, Any]:
    pages = max((s.page or 0 for s in doc.sections), default=0)
    meta = {str(k)[:100]: b for k, v in doc.metadata.items() if (b := _bounded(v)) is not None}
    return {
        "source": doc.source,
        "key": doc.key or doc.source,
        "title": doc.title,
        "doc_type": doc.doc_type,
        "file_hash": doc.file_hash,
        "pages": pages or None,
        "added_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "metadata": meta,
        "chunk_ids": [c.id for c in chunks],
    }
