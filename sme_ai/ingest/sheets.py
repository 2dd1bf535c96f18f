"""Spreadsheets: XLSX (one section per sheet, merged cells repeated) and CSV; every row keeps its header."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sme_ai.errors import CorruptFileError
from sme_ai.ingest.encoding import decode_text
from sme_ai.ingest.limits import Limits, check_chars
from sme_ai.ingest.official import clean_title
from sme_ai.ingest.tables import table_section
from sme_ai.ingest.zipcheck import check_zip
from sme_ai.text import normalize_text
from sme_ai.types import Section


def _sheet_grid(ws, path: Path, limits: Limits) -> list[list[object]]:
    """Cell values row by row, a merged range's value repeated over the cells it covers."""
    merged = {}
    for rng in ws.merged_cells.ranges:
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                merged[(r, c)] = value
    grid: list[list[object]] = []
    chars = 0
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        values = [merged.get((r, c), v) for c, v in enumerate(row, start=1)]
        chars += sum(len(str(v)) for v in values if v is not None)
        check_chars(path, chars, limits)
        grid.append(values)
    return grid


def load_xlsx(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    check_zip(path, data, limits)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)  # cached values of formulas, not the formulas
    except Exception as e:  # openpyxl raises several types for a broken package
        raise CorruptFileError(path, type(e).__name__) from e
    sections: list[Section] = []
    several = len(wb.worksheets) > 1
    for ws in wb.worksheets:
        section = table_section(_sheet_grid(ws, path, limits), heading_path=(normalize_text(ws.title),) if several else ())
        if section:
            sections.append(section)
    title = clean_title(normalize_text(wb.properties.title or ""))
    return sections, {"title": title} if title else {}


def load_csv(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    text = decode_text(data, path)
    check_chars(path, len(text), limits)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|，")
    except csv.Error:
        dialect = csv.excel
    try:
        grid = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as e:
        raise CorruptFileError(path, f"CSV: {e}") from e
    section = table_section(grid)
    return [section] if section else [], {}
