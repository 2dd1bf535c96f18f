"""PDF artefacts: line breaks inside Chinese sentences, and header/footer lines repeated on every page."""

from __future__ import annotations

import re
from collections import Counter

from sme_ai.text import HAN

def repair_line_breaks(text: str) -> str:
    """Join lines that a PDF broke inside a Chinese sentence (a Han/digit on both sides, no sentence end)."""
    out = re.sub(rf"(?<=[{HAN}，、“（0-9%])\n(?=[{HAN}，、。”）0-9])", "", text)
    return out


def _line_key(line: str) -> str:
    line = line.strip()
    return re.sub(r"\d+", "#", line) if len(line) <= 40 else line


def strip_repeated_lines(pages: list[str], min_pages: int = 3, share: float = 0.6) -> list[str]:
    """Drop header/footer lines (first or last two of a page) that repeat on most pages, page numbers included."""
    if len(pages) < min_pages:
        return pages
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln for ln in page.split("\n") if ln.strip()]
        edge = set(lines[:2] + lines[-2:])
        counts.update({_line_key(ln) for ln in edge})
    repeated = {k for k, c in counts.items() if c >= max(min_pages, share * len(pages))}
    if not repeated:
        return pages
    cleaned = []
    for page in pages:
        lines = page.split("\n")
        n = len(lines)
        keep = [ln for i, ln in enumerate(lines) if not ((i < 2 or i >= n - 2) and _line_key(ln) in repeated)]
        cleaned.append("\n".join(keep))
    return cleaned


