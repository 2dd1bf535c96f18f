"""The 培训模式 tab as plain functions: answer an uploaded question list; frequent and refused questions; export."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from pathlib import Path

from sme_ai.app import render
from sme_ai.app.answering import answer_once
from sme_ai.app.knowledge import check_admin
from sme_ai.app.session import Session, ensure
from sme_ai.app.uploads import QUESTION_LIST_TYPES
from sme_ai.app.uploads import check_upload
from sme_ai.batch import safe_cell, xlsx_cell
from sme_ai.errors import SmeAiError

FORMATS = ("xlsx", "csv", "jsonl")
STAT_HEADERS = ["问题", "次数", "未答次数", "👎 次数", "最近提问"]


def _fmt(fmt: str) -> str:
    return fmt if fmt in FORMATS else "xlsx"


def answer_list(ctx, session: Session | None, path: str | Path | None, fmt: str = "xlsx",
                progress: Callable[[float, str], None] | None = None, token: str = "", *,
                caller: tuple[str, ...] = ()) -> tuple[str, Path | None]:
    """Answer every question of an uploaded .txt/.csv/.xlsx/.jsonl list. Returns (report, file to download).
    With `heavy_actions_locked`, only an admin-token holder may run one (a batch holds the model for long); while
    the model is busy, `progress` shows the place in line."""
    from sme_ai.batch import read_questions, write_answers

    session = ensure(session)
    if ctx.settings.heavy_actions_locked:
        check_admin(ctx, token, caller)
    if not path:
        return render.status_markdown("error", "请先上传问题清单（txt/csv/xlsx/jsonl）"), None
    path = Path(path)
    try:
        check_upload(path, path.name, allowed=QUESTION_LIST_TYPES, max_bytes=ctx.settings.max_upload_bytes)
        questions = read_questions(path)
    except SmeAiError as e:
        return render.status_markdown("error", str(e).replace(str(path), path.name)), None
    limit = ctx.settings.max_batch_questions
    note = f"（清单共 {len(questions)} 题，只回答前 {limit} 题）" if len(questions) > limit else ""
    questions = questions[:limit]
    records, cached, t0 = [], 0, time.perf_counter()
    for i, q in enumerate(questions, start=1):
        done = (i - 1) / max(len(questions), 1)
        if progress:
            progress(done, f"回答第 {i}/{len(questions)} 题")
        on_wait = (lambda ahead, i=i, done=done: progress(
            done, f"第 {i}/{len(questions)} 题：排队等待模型，前面还有 {ahead} 个请求")) if progress else None
        try:
            answer, hit = answer_once(ctx, q, on_wait=on_wait)
            cached += hit
            records.append(answer.to_dict())
        except SmeAiError as e:  # one bad question must not lose the others
            records.append({"question": q, "answer": "", "refused": False, "citations": [], "model": "",
                            "timings": {}, "error": str(e)})
    out = session.workdir() / f"answers-{time.strftime('%Y%m%d-%H%M%S')}.{_fmt(fmt)}"
    write_answers(out, records)
    refused = sum(bool(r.get("refused")) for r in records)
    return (f"已回答 {len(records)} 题{note}：拒答 {refused} 题，缓存命中 {cached} 题，"
            f"用时 {time.perf_counter() - t0:.1f} 秒。请下载结果文件。"), out


def stats(ctx, token: str = "", n: int = 20, *, caller: tuple[str, ...] = ()) -> tuple[list[list], list[list]]:
    """(most frequent questions, refused questions) as table rows of plain text."""
    check_admin(ctx, token, caller)

    def rows(items):
        return [[r["question"], r["count"], r["refused"], r["thumbs_down"], r["last"].replace("T", " ")] for r in items]

    return rows(ctx.log.frequent(n)), rows(ctx.log.frequent(n, refused_only=True))


def export_stats(ctx, session: Session | None, token: str = "", fmt: str = "xlsx", *,
                 caller: tuple[str, ...] = ()) -> Path:
    """All questions grouped (frequent first), with the refused ones marked, as a file to download."""
    check_admin(ctx, token, caller)
    session = ensure(session)
    items = ctx.log.frequent(100_000)
    out = session.workdir() / f"questions-{time.strftime('%Y%m%d-%H%M%S')}.{_fmt(fmt)}"
    keys = ["question", "count", "refused", "thumbs_down", "last"]
    if out.suffix == ".jsonl":
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
    elif out.suffix == ".csv":
        with open(out, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(STAT_HEADERS)
            w.writerows([[safe_cell(r[k]) for k in keys] for r in items])
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "questions"
        ws.append(STAT_HEADERS)
        for r in items:
            ws.append([xlsx_cell(r[k]) for k in keys])
        wb.save(out)
    return out
