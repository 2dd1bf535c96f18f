"""What one file may cost to read: plain values handed down from the Settings by the composition root."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sme_ai.errors import DocumentTooLongError, ParseTimeoutError
from sme_ai.types import Progress

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_unzipped_bytes: int = 256 * MIB  # a DOCX/XLSX/PPTX is a zip: total decompressed size
    max_zip_ratio: float = 100.0  # decompressed / compressed
    max_pdf_pages: int = 1000
    max_parse_seconds: float = 300.0
    max_doc_chars: int = 3_000_000
    ocr: bool = True
    max_ocr_pages: int = 100


class Deadline:
    """The parse-time limit of one file, checked between pages (a single page is never interrupted)."""

    def __init__(self, path: Path, seconds: float):
        self.path, self.seconds = path, seconds
        self.start = time.monotonic()

    def check(self, done: int = 0, total: int = 0) -> None:
        spent = time.monotonic() - self.start
        if spent > self.seconds:
            raise ParseTimeoutError(self.path, spent, self.seconds, done, total)


def check_chars(path: Path, chars: int, limits: Limits) -> None:
    if chars > limits.max_doc_chars:
        raise DocumentTooLongError(path, chars, limits.max_doc_chars)


def report(progress: Progress | None, stage: str, done: int, total: int, detail: str) -> None:
    if progress:
        progress(stage, done, total, detail)
