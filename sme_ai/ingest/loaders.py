"""Loaders: one function per format, each path → Document (normalised text, sections, metadata)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sme_ai.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedPdfError,
    FileMissingError,
    FileTooLargeError,
    ScannedPdfError,
    UnsupportedFileTypeError,
)
from sme_ai.ingest.encoding import decode_text
from sme_ai.ingest.cleanup import repair_line_breaks, strip_repeated_lines
from sme_ai.text import normalize_text
from sme_ai.types import Document, Section

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _sections_from_markdown(text: str) -> list[Section]:
    """Split Markdown on headings; each section carries its heading path (outermost first)."""
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    buf: list[str] = []

    def flush():
        body = "\n".join(buf).strip()
        if body:
            sections.append(Section(text=body, heading_path=tuple(h for _, h in path)))
        buf.clear()

    in_code = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            path[:] = [(lv, h) for lv, h in path if lv < level] + [(level, m.group(2).strip())]
        else:
            buf.append(line)
    flush()
    return sections


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    end = re.search(r"^---\s*$", text[3:], flags=re.M)
    if not end:
        return {}, text
    import yaml

    raw = text[3 : 3 + end.start()]
    try:
        meta = yaml.safe_load(raw) or {}
    except yaml.YAMLError:
        return {}, text
    return (meta if isinstance(meta, dict) else {}), text[3 + end.end() :]


def load_markdown(path: Path, data: bytes) -> tuple[list[Section], dict[str, Any]]:
    meta, body = _split_front_matter(decode_text(data, path))
    sections = _sections_from_markdown(normalize_text(body))
    # the first level-1 heading is the title; drop it from section paths
    if not meta.get("title"):
        h1 = next((s.heading_path[0] for s in sections if s.heading_path), None)
        if h1:
            meta["title"] = h1
    return sections, meta


def load_text(path: Path, data: bytes) -> tuple[list[Section], dict[str, Any]]:
    text = normalize_text(decode_text(data, path))
    return [Section(text=text)] if text else [], {}


def load_html(path: Path, data: bytes) -> tuple[list[Section], dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data, path), "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript", "form", "aside"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    root = soup.find("article") or soup.find("main") or soup.body or soup
    lines = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "pre", "div"]):
        if el.name == "div" and el.find(["p", "div", "li", "h1", "h2", "h3", "table"]):
            continue
        txt = el.get_text(" ", strip=True)
        if not txt:
            continue
        lines.append(f"{'#' * int(el.name[1])} {txt}" if el.name[0] == "h" and el.name[1:].isdigit() else txt)
    sections = _sections_from_markdown(normalize_text("\n".join(lines)))
    return sections, {"title": normalize_text(title)} if title else {}


def load_docx(path: Path, data: bytes) -> tuple[list[Section], dict[str, Any]]:
    import io

    from docx import Document as Docx

    try:
        doc = Docx(io.BytesIO(data))
    except Exception as e:  # python-docx raises several types for a broken package
        raise CorruptFileError(path, type(e).__name__) from e
    lines: list[str] = []
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            from docx.text.paragraph import Paragraph

            p = Paragraph(child, doc)
            text = p.text.strip()
            style = (p.style.name if p.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if text and (m or style == "Title"):
                lines.append(f"{'#' * (int(m.group(1)) if m else 1)} {text}")
            elif text:
                lines.append(text)
        elif tag == "tbl":
            from docx.table import Table

            for row in Table(child, doc).rows:
                cells = [c.text.strip() for c in row.cells]
                if any(cells):
                    lines.append(" | ".join(cells))
    title = (doc.core_properties.title or "").strip()
    sections = _sections_from_markdown(normalize_text("\n".join(lines)))
    return sections, {"title": normalize_text(title)} if title else {}


def load_pdf(path: Path, data: bytes) -> tuple[list[Section], dict[str, Any]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedPdfError(path)
        raw_pages = [page.extract_text() or "" for page in reader.pages]
    except EncryptedPdfError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as e:
        if "encrypt" in str(e).lower() or "password" in str(e).lower():
            raise EncryptedPdfError(path) from e
        raise CorruptFileError(path, str(e) or type(e).__name__) from e
    except Exception as e:  # pypdf can raise almost anything on a mangled file
        if type(e).__name__ in ("DependencyError", "FileNotDecryptedError"):
            raise EncryptedPdfError(path) from e
        raise CorruptFileError(path, str(e) or type(e).__name__) from e
    if not any(p.strip() for p in raw_pages):
        raise ScannedPdfError(path, len(raw_pages))
    pages = strip_repeated_lines([normalize_text(p) for p in raw_pages])
    sections = [Section(text=repair_line_breaks(t), page=i + 1) for i, t in enumerate(pages) if t.strip()]
    info = reader.metadata or {}
    title = str(info.get("/Title") or "").strip()
    return sections, {"title": normalize_text(title)} if title else {}


LOADERS: dict[str, Callable[[Path, bytes], tuple[list[Section], dict[str, Any]]]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".docx": load_docx,
    ".pdf": load_pdf,
}


def supported_suffixes() -> tuple[str, ...]:
    return tuple(LOADERS)


def load_file(path: Path, *, max_bytes: int, source: str | None = None) -> Document:
    """Read, check and parse one file. Raises a specific IngestError naming the file."""
    path = Path(path)
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
    data = path.read_bytes()
    sections, meta = LOADERS[suffix](path, data)
    if not any(s.text.strip() for s in sections):
        raise EmptyFileError(path)
    title = str(meta.pop("title", "") or "").strip() or path.stem
    doc_type = str(meta.get("doc_type") or "other")
    clean_meta = {k: v for k, v in meta.items() if v not in (None, "")}
    return Document(
        source=source or path.name,
        title=normalize_text(title),
        sections=tuple(sections),
        doc_type=doc_type,
        metadata=clean_meta,
        file_hash=hashlib.sha256(data).hexdigest(),
    )
