"""Core values: small frozen dataclasses with stable, content-derived ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[str, int, int, str], None]  # (stage, done, total, detail): fed by the library, drawn by front ends


def content_hash(*parts: str, length: int = 32) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:length]


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (or one PDF page). `kind` is "text" or "table" (one row a line, each
    row carrying its header, never cut inside a row); `ocr_confidence` is the mean OCR confidence (0–1) of text
    recognised from an image, None for text read from the file."""

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    kind: str = "text"
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Document:
    """A loaded, normalised document. `source` is what it is called (a file name or a path relative to the folder
    ingested) and is shown in citations; `key` is its identity in the knowledge base (the file's absolute path, or
    its content hash for uploads), so two different files called 通知.pdf are two documents."""

    source: str
    title: str
    sections: tuple[Section, ...]
    doc_type: str = "other"
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    file_hash: str = ""
    key: str = ""

    @property
    def id(self) -> str:
        return content_hash(self.key or self.source, length=16)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage. `index_text` (title + section path + text) is what is embedded and BM25-indexed."""

    id: str
    doc_id: str
    source: str
    title: str
    text: str
    section: str = ""
    page: int | None = None
    doc_type: str = "other"
    reliability: str = ""
    ocr_confidence: float | None = None  # set when the passage was recognised by OCR (a citation can say so)
    # of an official document (发文机关, 成文日期 as ISO, 文号), detected from its text: filters and citations use them
    issuer: str = ""
    issued_date: str = ""
    doc_number: str = ""

    @property
    def index_text(self) -> str:
        head = self.title + (f" > {self.section}" if self.section else "")
        return f"{head}\n{self.text}"

    def metadata(self) -> dict[str, Any]:
        meta = {k: getattr(self, k) for k in ("doc_id", "source", "title", "section", "doc_type", "reliability",
                                              "issuer", "issued_date", "doc_number")}
        meta["page"] = -1 if self.page is None else self.page
        meta["ocr_confidence"] = -1.0 if self.ocr_confidence is None else float(self.ocr_confidence)
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> "Chunk":
        page = meta.get("page", -1)
        ocr = meta.get("ocr_confidence", -1.0)
        return cls(
            id=chunk_id,
            doc_id=meta.get("doc_id", ""),
            source=meta.get("source", ""),
            title=meta.get("title", ""),
            text=text,
            section=meta.get("section", ""),
            page=None if page in (-1, None) else int(page),
            doc_type=meta.get("doc_type", "other"),
            reliability=meta.get("reliability", ""),
            ocr_confidence=None if ocr is None or float(ocr) < 0 else float(ocr),
            issuer=meta.get("issuer", ""),
            issued_date=meta.get("issued_date", ""),
            doc_number=meta.get("doc_number", ""),
        )


@dataclass(frozen=True)
class Hit:
    """A search result: the chunk, its fused score, the legs that found it with their ranks, and each leg's raw
    score (cosine similarity for "dense", BM25 score for "bm25")."""

    chunk: Chunk
    score: float
    legs: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    leg_scores: dict[str, float] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "id": c.id,
            "score": round(self.score, 6),
            "legs": self.legs,
            "leg_scores": {k: round(v, 4) for k, v in self.leg_scores.items()},
            "source": c.source,
            "title": c.title,
            "section": c.section,
            "page": c.page,
            "doc_type": c.doc_type,
            "reliability": c.reliability,
            "ocr_confidence": c.ocr_confidence,
            "issuer": c.issuer,
            "issued_date": c.issued_date,
            "doc_number": c.doc_number,
            "text": c.text,
        }


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    quote: str
    page: int | None = None
    section: str = ""
    chunk_id: str = ""
    ocr_confidence: float | None = None  # the quoted passage was recognised by OCR (mean confidence 0–1)
    doc_number: str = ""  # the cited document's 文号, when it has one

    @property
    def ocr_note(self) -> str:
        return "" if self.ocr_confidence is None else f"文字识别（OCR）所得，置信度 {self.ocr_confidence:.2f}，请核对原件"

    def to_dict(self) -> dict[str, Any]:
        out = {"n": self.n, "source": self.source, "title": self.title, "page": self.page,
               "section": self.section, "quote": self.quote}
        if self.ocr_confidence is not None:
            out["ocr_confidence"] = round(self.ocr_confidence, 3)
        if self.doc_number:
            out["doc_number"] = self.doc_number
        return out


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    hits: tuple[Hit, ...] = field(default=(), hash=False, compare=False)
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "model": self.model,
            "timings": {k: self.timings.get(k) for k in ("retrieve_ms", "first_token_ms", "total_ms")},
        }


# --- streaming events: evidence, the quoted draft, then text deltas, then the final verified answer ---------------


@dataclass(frozen=True)
class Evidence:
    hits: tuple[Hit, ...]
    question: str  # the standalone question actually searched (after follow-up rewriting)


@dataclass(frozen=True)
class Draft:
    """The answer quoted from the documents (extractive, verified, cited), shown within a second of asking; the
    model's composed answer replaces it. `answer.meta["draft"]` is True. A question refused before generation has
    no Draft."""

    answer: Answer


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Final:
    answer: Answer


@dataclass(frozen=True)
class Cached:
    """A front end's answer cache answered instead (its evidence is `answer.hits`): the only event, or the one after
    Evidence when a near-duplicate was found after retrieval."""

    answer: Answer


StreamEvent = Evidence | Draft | Delta | Final | Cached
