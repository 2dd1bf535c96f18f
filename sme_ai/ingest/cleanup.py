"""PDF artefacts: line breaks inside Chinese sentences, and header/footer lines repeated on every page."""

from __future__ import annotations

import re
from collections import Counter

from sme_ai.text import HAN

_JOIN_END = re.compile(rf"[{HAN}，、“（0-9%]$")
_JOIN_START = re.compile(rf"^[{HAN}，、。”）0-9]")


def repair_line_breaks(text: str) -> str:
    """Join lines that a PDF broke inside a Chinese sentence (a Han/digit on both sides, no sentence end).

    A line that stops well short of the page's longest line ended by itself (a title, a 文号, a signature): the
    next line is not joined to it.
    """
    lines = text.split("\n")
    full = max((len(ln) for ln in lines), default=0)
    out = [lines[0]] if lines else []
    for line in lines[1:]:
        prev = out[-1]
        short = full >= 12 and len(prev) < 0.6 * full
        if not short and _JOIN_END.search(prev) and _JOIN_START.match(line):
            out[-1] = prev + line
        else:
            out.append(line)
    return "\n".join(out)


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


