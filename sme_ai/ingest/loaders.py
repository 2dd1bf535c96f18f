"""Loaders: the dispatch table (one function per format, each path → sections and metadata), Markdown and
plain text, and `load_file`, which checks a file, parses it and builds the Document.

Every loader has the signature `(path, data, limits, progress=None) -> (sections, metadata)`; the formats with
heavy parsers live in their own modules (pdf, ocr, office, sheets, web).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sme_ai.errors import EmptyFileError, FileMissingError, FileTooLargeError, UnsupportedFileTypeError
from sme_ai.ingest.encoding import decode_text
from sme_ai.ingest.limits import Limits, check_chars
from sme_ai.ingest.office import load_docx, load_pptx
from sme_ai.ingest.ocr import load_image
from sme_ai.ingest.official import official_metadata, title_from_lines
from sme_ai.ingest.outline import sections_from_markdown
from sme_ai.ingest.pdf import load_pdf
from sme_ai.ingest.sheets import load_csv, load_xlsx
from sme_ai.ingest.web import load_html
from sme_ai.text import normalize_text
from sme_ai.types import Document, Progress, Section

Loader = Callable[..., tuple[list[Section], dict[str, Any]]]
_FRONT_END = re.compile(r"^---\s*$", flags=re.M)


@lru_cache(maxsize=1)
def _no_alias_loader():
    """PyYAML's safe loader without aliases: `&a [*a, *a, …]` chains expand exponentially when anything walks them."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.events.AliasEvent):
                raise yaml.YAMLError("aliases are not accepted in front matter")
            return super().compose_node(parent, index)

    return NoAliases


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter between `---` lines at the top (blank lines before it are allowed)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("---"):
        return {}, text
    end = _FRONT_END.search(stripped, 3)
    if not end:
        return {}, text
    import yaml

    try:
        meta = yaml.load(stripped[3 : end.start()], Loader=_no_alias_loader()) or {}
    except yaml.YAMLError:  # malformed, or aliases (which can nest exponentially): no front matter then
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, stripped[end.end() :]


def load_markdown(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    meta, body = split_front_matter(decode_text(data, path))
    sections = sections_from_markdown(normalize_text(body))
    # the first level-1 heading is the title; drop it from section paths
    if not meta.get("title"):
        h1 = next((s.heading_path[0] for s in sections if s.heading_path), None)
        if h1:
            meta["title"] = h1
    return sections, meta


def load_text(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    meta, body = split_front_matter(decode_text(data, path))
    text = normalize_text(body)
    if not meta.get("title") and "\n" in text:  # a 公文's 关于…的通知 over its masthead, else a title-like first line
        title = title_from_lines(text.split("\n")[:12])
        if title:
            meta["title"] = title
    return [Section(text=text)] if text else [], meta


LOADERS: dict[str, Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    ".pptx": load_pptx,
    ".png": load_image,
    ".jpg": load_image,
    ".jpeg": load_image,
}


def supported_suffixes() -> tuple[str, ...]:
    return tuple(LOADERS)


def _read(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise FileMissingError(path)
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        raise UnsupportedFileTypeError(path, suffix, supported_suffixes())
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(path, size, max_bytes)
    if size == 0:
        raise EmptyFileError(path)
    return path.read_bytes()


def load_file(path: Path, *, max_bytes: int, source: str | None = None, limits: Limits | None = None,
              progress: Progress | None = None) -> Document:
    """Read, check and parse one file. Raises a specific IngestError naming the file."""
    path = Path(path)
    limits = limits or Limits()
    data = _read(path, max_bytes)
    sections, meta = LOADERS[path.suffix.lower()](path, data, limits, progress=progress)
    if not any(s.text.strip() for s in sections):
        raise EmptyFileError(path)
    check_chars(path, sum(len(s.text) for s in sections), limits)
    for key, value in official_metadata("\n".join(s.text for s in sections if s.kind == "text")).items():
        meta.setdefault(key, value)  # what the file says of itself (front matter, the PDF loader) comes first
    title = meta.pop("title", "")
    title = (title if isinstance(title, str | int | float) else "") or ""  # front matter is user input
    title = str(title).strip()[:300] or path.stem
    doc_type = meta.get("doc_type")
    doc_type = doc_type[:40] if isinstance(doc_type, str) and doc_type else "other"
    clean_meta = {k: v for k, v in meta.items() if v not in (None, "")}
    return Document(
        source=source or path.name,
        title=normalize_text(title),
        sections=tuple(sections),
        doc_type=doc_type,
        metadata=clean_meta,
        file_hash=hashlib.sha256(data).hexdigest(),
    )
