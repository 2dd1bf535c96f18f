"""Tables as text a retriever can use: every row keeps its header ("项目：改造补助；金额：30万元").

A grid comes in with merged cells already repeated (a vertically merged cell appears in every row it covers,
a horizontally merged one in every column). The first non-empty row is the header; a row is one line, and the
chunker never cuts inside a line of a table section.
"""

from __future__ import annotations

import re

from sme_ai.text import normalize_text
from sme_ai.types import Section

_WS = re.compile(r"\s+")


def clean_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalize_text(str(value))
    return _WS.sub(" ", text).strip()


def _collapse(header: list[str], row: list[str]) -> list[tuple[str, str]]:
    """(header, value) pairs; neighbours repeated by a horizontal merge are kept once, their headers joined."""
    pairs: list[tuple[str, str]] = []
    for i, value in enumerate(row):
        head = header[i] if i < len(header) else ""
        if pairs and value and value == pairs[-1][1]:
            prev_head = pairs[-1][0]
            if head and head not in prev_head.split("/"):
                pairs[-1] = (f"{prev_head}/{head}" if prev_head else head, value)
            continue
        pairs.append((head, value))
    return [(h, v) for h, v in pairs if v]


def _dedupe_header(header: list[str]) -> list[str]:
    out: list[str] = []
    for i, h in enumerate(header):
        out.append("" if i and h == header[i - 1] else h)  # a merged header cell names its first column only
    return out


def table_lines(grid: list[list[object]]) -> list[str]:
    """One line per data row, each cell prefixed with its column header. A one-row table is one plain line."""
    rows = [[clean_cell(c) for c in row] for row in grid]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    if len(rows) == 1 or width == 1:
        return [" | ".join(c for c in _dedupe_row(r) if c) for r in rows]
    header, body = rows[0], rows[1:]
    header = header + [""] * (width - len(header))
    lines = []
    for row in body:
        pairs = _collapse(header, row + [""] * (width - len(row)))
        if not pairs:
            continue
        lines.append("；".join(f"{h}：{v}" if h and h != v else v for h, v in pairs))
    return lines


def _dedupe_row(row: list[str]) -> list[str]:
    return [c for i, c in enumerate(row) if not (i and c == row[i - 1])]


def table_section(grid: list[list[object]], heading_path: tuple[str, ...] = (), page: int | None = None,
                  caption: str = "") -> Section | None:
    lines = table_lines(grid)
    if caption and lines:
        lines.insert(0, caption)
    return Section(text="\n".join(lines), heading_path=heading_path, page=page, kind="table") if lines else None
