"""Ingest files or folders: load → normalise → chunk every file, then add them all in one transaction.

A file that fails to load is reported and skipped; the others go on. Nothing becomes visible until the
knowledge base commits, so an error or an interruption during embedding leaves it exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sme_ai.errors import FileMissingError, IngestError
from sme_ai.index.knowledge_base import IngestStats, KnowledgeBase
from sme_ai.ingest.chunk import chunk_document
from sme_ai.ingest.loaders import load_file
from sme_ai.types import Chunk, Document

Progress = Callable[[str, int, int, str], None]  # (stage, done, total, detail)


def iter_files(paths: Iterable[Path | str]) -> Iterator[tuple[Path, str | None]]:
    """Files to ingest with their source key: a folder's files keyed by their path relative to it."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield f, rel.as_posix()
        else:
            yield p, None  # a missing path is reported by load_file


def ingest_paths(kb: KnowledgeBase, paths: Iterable[Path | str], *, chunk_size: int, overlap: int, max_bytes: int,
                 progress: Progress | None = None) -> IngestStats:
    stats = IngestStats()
    files = list(iter_files(paths))
    prepared: list[tuple[Document, list[Chunk]]] = []
    for i, (path, source) in enumerate(files, start=1):
        try:
            if not path.exists():
                raise FileMissingError(path)
            doc = load_file(path, max_bytes=max_bytes, source=source)
            prepared.append((doc, chunk_document(doc, size=chunk_size, overlap=overlap)))
        except IngestError as e:
            stats.failures.append((str(path), str(e)))
        if progress:
            progress("load", i, len(files), str(path))
    if prepared:
        on_embed = (lambda done, total: progress("embed", done, total, "")) if progress else None
        kb.add_documents(prepared, stats, on_embed=on_embed)
    return stats
