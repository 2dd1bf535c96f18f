"""Load files or folders: load → normalise → chunk every file. The composition root hands the result to the
knowledge base, which adds it in one transaction.

A file that fails to load is reported and skipped; the others go on. A document's identity (`Document.key`) is the
file's absolute path, or with `by_content` its content hash (uploads: two different files called 通知.pdf are two
documents, the same file uploaded twice is one); its `source` is only its name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sme_ai.errors import FileMissingError, IngestError
from sme_ai.ingest.chunk import chunk_document
from sme_ai.ingest.limits import Limits
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
               progress: Progress | None = None, by_content: bool = False, limits: Limits | None = None) -> Loaded:
    """`limits`: what one file may cost to read (decompressed size, pages, time, characters, OCR). OCR reports
    stage "ocr" per page."""
    file_limits = limits or Limits()
    loaded = Loaded()
    files = list(iter_files(paths))
    for i, (path, source) in enumerate(files, start=1):
        try:
            if not path.exists():
                raise FileMissingError(path)
            doc = load_file(path, max_bytes=max_bytes, source=source, limits=file_limits, progress=progress)
            key = f"sha256:{doc.file_hash}" if by_content else str(path.resolve())
            doc = dataclasses.replace(doc, key=key)
            loaded.documents.append((doc, chunk_document(doc, size=chunk_size, overlap=overlap)))
        except IngestError as e:
            loaded.failures.append((str(path), str(e)))
        except Exception as e:  # a parser bug on one odd file must not sink the others
            loaded.failures.append((str(path), f"{path}: 无法读取此文件 (unexpected {type(e).__name__}: {e})"))
        if progress:
            progress("load", i, len(files), str(path))
    return loaded
