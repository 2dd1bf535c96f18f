"""Load files or folders: load → normalise → chunk every file. The composition root hands the result to the
knowledge base, which adds it in one transaction.

A file that fails to load is reported and skipped; the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sme_ai.errors import FileMissingError, IngestError
from sme_ai.ingest.chunk import chunk_document
from sme_ai.ingest.loaders import load_file
from sme_ai.types import Chunk, Document, Progress


@dataclass
class Loaded:
    documents: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, message)


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


def load_paths(paths: Iterable[Path | str], *, chunk_size: int, overlap: int, max_bytes: int,
               progress: Progress | None = None) -> Loaded:
    loaded = Loaded()
    files = list(iter_files(paths))
    for i, (path, source) in enumerate(files, start=1):
        try:
            if not path.exists():
                raise FileMissingError(path)
            doc = load_file(path, max_bytes=max_bytes, source=source)
            loaded.documents.append((doc, chunk_document(doc, size=chunk_size, overlap=overlap)))
        except IngestError as e:
            loaded.failures.append((str(path), str(e)))
        if progress:
            progress("load", i, len(files), str(path))
    return loaded
