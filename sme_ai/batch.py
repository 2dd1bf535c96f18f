"""Batch question sets: read .txt/.csv/.xlsx/.jsonl, write .jsonl/.csv/.xlsx (for trainers and integrators)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sme_ai.errors import SmeAiError

INPUTS = (".txt", ".csv", ".xlsx", ".jsonl")
OUTPUTS = (".jsonl", ".csv", ".xlsx")
# a cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice or Google Sheets;
# the full-width forms are included because spreadsheet apps in Chinese locales accept them too
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """A spreadsheet cell that cannot be a formula (CSV/Excel injection, e.g. `=HYPERLINK(...)`): a text cell that
    starts like one gets a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_START:
        return "'" + value
    return value


def xlsx_cell(value: Any) -> Any:
    """`safe_cell`, without the control characters that openpyxl refuses (one would lose the whole file)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


class BatchFormatError(SmeAiError):
    def __init__(self, path: Path, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


def _column(header: list[Any], path: Path) -> int:
    names = [str(h or "").strip().lower() for h in header]
    for key in ("question", "问题", "提问"):
        if key in names:
            return names.index(key)
    raise BatchFormatError(path, f"no 'question' (问题) column; found {names}")


def read_questions(path: Path) -> list[str]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in INPUTS:
        raise BatchFormatError(path, f"unsupported input type; use one of {', '.join(INPUTS)}")
    if not path.is_file():
        raise BatchFormatError(path, "file not found")
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            rows = list(load_workbook(path, read_only=True, data_only=True).active.iter_rows(values_only=True))
        except Exception as e:
            raise BatchFormatError(path, f"not a readable .xlsx file ({type(e).__name__})") from e
        if not rows:
            return []
        col = _column(list(rows[0]), path)
        questions = [str(r[col]).strip() for r in rows[1:] if len(r) > col and r[col] not in (None, "")]
    else:
        from sme_ai.ingest.encoding import decode_text

        text = decode_text(path.read_bytes(), path)
        if suffix == ".txt":
            questions = [line.strip() for line in text.splitlines()]
        elif suffix == ".csv":
            rows = list(csv.reader(io.StringIO(text)))
            col = _column(rows[0], path) if rows else 0
            questions = [r[col].strip() for r in rows[1:] if len(r) > col]
        else:
            questions = []
            for n, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        questions.append(str(json.loads(line)["question"]).strip())
                    except (json.JSONDecodeError, KeyError, TypeError) as e:
                        raise BatchFormatError(path, f"line {n}: expected a JSON object with a 'question'") from e
    return [q for q in questions if q]


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    cites = "\n".join(f"[{c['n']}] 《{c['title']}》{c.get('section') or ''} {c['source']}"
                      f"{' 第%s页' % c['page'] if c.get('page') else ''}：{c['quote']}" for c in record.get("citations", []))
    t = record.get("timings") or {}
    return {"question": record["question"], "answer": record.get("answer", ""), "refused": record.get("refused", False),
            "citations": cites, "model": record.get("model", ""), "total_ms": t.get("total_ms"),
            "error": record.get("error", "")}


def write_answers(path: Path, records: Iterable[dict[str, Any]]) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUTS:
        raise BatchFormatError(path, f"unsupported output type; use one of {', '.join(OUTPUTS)}")
    records = list(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        return
    rows = [_flat(r) for r in records]
    header = ["question", "answer", "refused", "citations", "model", "total_ms", "error"]
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens Chinese CSV correctly
            w = csv.DictWriter(f, fieldnames=header)
            w.writeheader()
            w.writerows({h: safe_cell(r[h]) for h in header} for r in rows)
        return
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "answers"
    ws.append(header)
    for r in rows:
        ws.append([xlsx_cell(r[h]) for h in header])
    wb.save(path)
