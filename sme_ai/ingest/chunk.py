"""Heading-aware chunking: sections first, then sentences packed to a target size with sentence overlap.

A cut never falls inside a number, percentage, date or document number (文号): sentences end only at
。！？；or a line break, and an over-long sentence is split at a comma outside those spans. A table section is
packed row by row (a row is one line and carries its header), with no overlap between its chunks.
"""

from __future__ import annotations

import re

from sme_ai.text import split_sentences
from sme_ai.types import Chunk, Document, Section, content_hash

# spans that must never be cut: 文号, dates, numbers with units/percentages, ranges
PROTECTED = re.compile(
    r"[\u4e00-\u9fff]{1,12}〔\d{4}〕\d+号"  # 工信部联企业〔2024〕239号
    r"|[\u4e00-\u9fff]{1,12}[\[［(（]\d{4}[\]］)）]\d+号"
    r"|\d{4}\s*[—–\-~至到]\s*\d{4}\s*年?"  # 2025—2027年
    r"|\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?"
    r"|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"
    r"|\d+(?:[.,]\d+)*\s*(?:%|％|‰|万亿|亿元|万元|亿|万|元|家|个|项|分|倍|年|月|天|小时|人|台|套)?"
)
_SOFT_BREAK = re.compile(r"[，、,：:]")
_MARGIN = 64  # longer than any protected span worth keeping whole


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in PROTECTED.finditer(text) if m.end() > m.start()]


def _safe(pos: int, spans: list[tuple[int, int]]) -> bool:
    return all(not (a < pos < b) for a, b in spans)


def split_long(sentence: str, limit: int) -> list[str]:
    """Split a sentence longer than `limit` at commas (else anywhere) outside protected spans. Linear in the length:
    each cut looks only at the next `limit` characters and a margin for a span crossing the window's end (a long
    text without punctuation once took minutes)."""
    pieces: list[str] = []
    start = 0
    while len(sentence) - start > limit:
        window = sentence[start : start + limit + _MARGIN]
        spans = _protected_spans(window)
        soft = [m.end() for m in _SOFT_BREAK.finditer(window, 0, limit + 1) if _safe(m.end(), spans)]
        cut = soft[-1] if soft and soft[-1] > limit // 3 else None
        if cut is None:
            cut = next((p for p in range(limit, 0, -1) if _safe(p, spans)), limit)
        pieces.append(sentence[start : start + cut].strip(" "))
        start += cut
    rest = sentence[start:]
    if rest.strip():
        pieces.append(rest.strip(" "))
    return pieces


def _pack(sentences: list[str], size: int, overlap: int) -> list[str]:
    chunks: list[list[str]] = []
    cur: list[str] = []
    length = 0
    for s in sentences:
        if cur and length + len(s) > size:
            chunks.append(cur)
            cur = cur[-overlap:] if overlap else []
            # an overlap that alone fills the chunk is dropped to guarantee progress
            if sum(map(len, cur)) + len(s) > size:
                cur = []
            length = sum(map(len, cur))
        cur.append(s)
        length += len(s)
    if cur:
        chunks.append(cur)
    return [_join(c) for c in chunks]


def _join(parts: list[str]) -> str:
    """Concatenate sentences; a space only between two ASCII words (English text)."""
    out = ""
    for p in parts:
        out += " " + p if out and out[-1].isalnum() and out[-1].isascii() and p[0].isascii() else p
    return out.strip()


def _section_label(section: Section, title: str) -> str:
    path = list(section.heading_path)
    if path and path[0].strip() == title.strip():
        path = path[1:]
    return " > ".join(path)


def _units(section: Section, size: int) -> list[str]:
    """What the packer may not cut: sentences, or for a table its rows (a row is cut only when longer than a chunk)."""
    if section.kind == "table":
        rows = [r.strip() for r in section.text.split("\n") if r.strip()]
        return [p + "\n" if i == len(parts) - 1 else p
                for r in rows for parts in [split_long(r, size)] for i, p in enumerate(parts)]
    return [p for s in split_sentences(section.text) for p in split_long(s, size)]


def chunk_document(doc: Document, size: int = 360, overlap: int = 1) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    grade = doc.metadata.get("reliability")
    reliability = grade[:20] if isinstance(grade, str) else ""  # front matter is user input: never str() a structure
    official = {k: v[:120] for k in ("issuer", "issued_date", "doc_number")
                if isinstance(v := doc.metadata.get(k), str)}
    for section in doc.sections:
        label = _section_label(section, doc.title)
        for text in _pack(_units(section, size), size, 0 if section.kind == "table" else overlap):
            chunk = Chunk(id="", doc_id=doc.id, source=doc.source, title=doc.title, text=text, section=label,
                          page=section.page, doc_type=doc.doc_type, reliability=reliability,
                          ocr_confidence=section.ocr_confidence, **official)
            base = content_hash(doc.source, chunk.index_text)
            repeats = seen.get(base, 0)  # an identical passage again in one document: keep both, distinct ids
            seen[base] = repeats + 1
            cid = base if not repeats else content_hash(base) if repeats == 1 else content_hash(base, str(repeats))
            chunks.append(Chunk(**{**chunk.__dict__, "id": cid}))
    return chunks
