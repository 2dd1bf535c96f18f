"""The 知识库 tab as plain functions: list, upload (with progress), remove, re-index; admin token when configured.

An upload is checked, copied under `app/uploads`, ingested, and its copy deleted (the knowledge base keeps the
chunks). Ingest and remove run while questions are answered: the knowledge base makes them safe for concurrent
readers (only its commit is exclusive); a re-index alone takes the app's write lock.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from sme_ai.app import render
from sme_ai.app.guard import AdminLockedError, AdminTokenError
from sme_ai.app.uploads import UPLOAD_TYPES
from sme_ai.app.uploads import UploadRejectedError, safe_name, store_upload
from sme_ai.errors import SmeAiError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]  # (fraction 0..1, description)
HEADERS = ["标题", "来源文件", "类型", "页数", "片段数", "加入时间"]
TYPE_NAMES = {"policy": "政策文件", "guide": "指南", "indicators": "评测指标", "pilot": "试点", "playbook": "实施手册",
              "industry": "行业方案", "concept": "概念", "tier": "梯度培育", "ai_guidance": "人工智能", "other": "其他"}
INTERNAL = "处理该文件时出现内部错误（{}），已记入日志；其他文件不受影响。"

__all__ = ["AdminLockedError", "AdminTokenError", "check_admin", "document_choices", "document_rows", "reindex",
           "remove", "upload"]


def check_admin(ctx, token: str | None, caller: tuple[str, ...] = ()) -> None:
    """Constant-time check of the admin token (when one is configured); wrong tokens lock the caller out for a
    while (`guard.py`). `caller`: `guard.callers(session_id, address)`."""
    ctx.guard.check(ctx.settings.admin_token, token, caller)


def document_rows(ctx) -> list[list]:
    """Rows for the document table; cells are plain text (the table renders them as text, never as HTML)."""
    return [[d.get("title", ""), d.get("source", ""), TYPE_NAMES.get(d.get("doc_type", ""), d.get("doc_type", "")),
             d.get("pages") or "", d.get("chunks", 0), str(d.get("added_at", "")).replace("T", " ")]
            for d in ctx.asst.documents()]


def document_choices(ctx) -> list[tuple[str, str]]:
    """(label, document id): two uploads of the same name are two documents, told apart by when they were added."""
    docs = ctx.asst.documents()
    names = [d["source"] for d in docs]
    def label(d: dict) -> str:
        if names.count(d["source"]) == 1:
            return d["source"]
        return f"{d['source']}（{str(d.get('added_at', '')).replace('T', ' ')} · {d['doc_id'][:6]}）"

    return [(label(d), d["doc_id"]) for d in docs]


def _no_progress(_f: float, _d: str) -> None:
    return None


def upload(ctx, files: list[str | Path] | None, token: str = "", progress: Progress | None = None,
           names: list[str] | None = None, *, caller: tuple[str, ...] = (), session=None) -> str:
    """Check, store and ingest uploaded files. Returns a Markdown report with one line per file.

    `names`: the names the user gave the files (default: the temp files' names, which Gradio keeps).
    """
    progress = progress or _no_progress
    check_admin(ctx, token, caller)
    files = [Path(f) for f in files or []]
    if not files:
        return render.status_markdown("error", "请先选择要上传的文件")
    names = names or [f.name for f in files]
    if session is not None and not session.allow("upload", ctx.settings.uploads_per_minute, count=len(files)):
        return render.status_markdown("error", f"上传过于频繁：每个会话每分钟最多上传 {ctx.settings.uploads_per_minute} 个文件，"
                                      "请稍后再试")
    stored, lines = {}, []
    for f, name in zip(files, names):
        try:
            s = store_upload(f, name, ctx.uploads_dir, allowed=UPLOAD_TYPES, max_bytes=ctx.settings.max_upload_bytes)
            stored[str(s.path)] = s.name
        except UploadRejectedError as e:
            lines.append(f"- ❌ {render.esc_md(safe_name(name))}：{render.esc_md(_reason(e))}")
        except OSError as e:  # a temp file that vanished or cannot be read
            lines.append(f"- ❌ {render.esc_md(safe_name(name))}：无法读取文件（{type(e).__name__}），请重新选择后上传。")
    if stored:
        try:
            lines.extend(_ingest(ctx, stored, progress))
        finally:
            _discard(stored)
            ctx.cache.clear()
    progress(1.0, "完成")
    ok = sum(line.startswith("- ✅") for line in lines)
    return f"**上传结果**：成功 {ok} 个，失败 {len(lines) - ok} 个\n\n" + "\n".join(lines)


def _ingest(ctx, stored: dict[str, str], progress: Progress) -> list[str]:
    """Ingest the stored copies in one transaction; if that fails unexpectedly, one by one, so one file that breaks
    a parser is reported for that file while the others go in."""
    def on_progress(stage: str, done: int, total: int, _detail: str) -> None:
        share = done / max(total, 1)
        progress(0.3 * share if stage == "load" else 0.3 + 0.7 * share,
                 f"读取文件 {done}/{total}" if stage == "load" else f"向量化 {done}/{total} 个片段")

    try:
        return _report(_ingest_call(ctx, list(stored), on_progress), stored)
    except Exception as e:  # noqa: BLE001 - retried file by file below, each failure reported and logged
        if len(stored) == 1:
            path, name = next(iter(stored.items()))
            if not isinstance(e, SmeAiError):
                log.exception("ingesting an upload (%s) failed", name)
            return [_failed(name, e, path)]
        log.warning("ingesting %d uploads at once failed; retrying them one by one", len(stored), exc_info=True)
    lines = []
    for path, name in stored.items():
        try:
            lines.extend(_report(_ingest_call(ctx, [path], on_progress), {path: name}))
        except Exception as e:  # noqa: BLE001 - never a traceback in the page; the log has it
            if not isinstance(e, SmeAiError):
                log.exception("ingesting an upload (%s) failed", name)
            lines.append(_failed(name, e, path))
    return lines


def _failed(name: str, e: Exception, path: str = "") -> str:
    """A report line; an unexpected error shows its kind only (its message may hold server paths)."""
    why = _strip_path(str(e), path).replace(path, name) if isinstance(e, SmeAiError) else INTERNAL.format(
        type(e).__name__)
    return f"- ❌ {render.esc_md(name)}：{render.esc_md(why)}"


def _ingest_call(ctx, paths: list[str], on_progress):
    """An upload's identity is its content: two users' different 通知.pdf never replace each other."""
    return ctx.asst.ingest(paths, progress=on_progress, by_content=True)


def _report(stats, stored: dict[str, str]) -> list[str]:
    lines = []
    for label, group in (("新增", stats.added), ("更新", stats.updated), ("未变化", stats.unchanged)):
        lines.extend(f"- ✅ {render.esc_md(src)}：{label}" for src in group)
    for path, message in stats.failures:
        name = stored.get(path, safe_name(path))
        lines.append(f"- ❌ {render.esc_md(name)}：{render.esc_md(_strip_path(message, path).replace(path, name))}")
    return lines


def _discard(stored: dict[str, str]) -> None:
    """Delete the stored copies (each lives alone in its generated folder) once their ingest is over."""
    for path in stored:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def _reason(e: Exception) -> str:
    return _strip_path(str(e), str(getattr(e, "path", "")))


def _strip_path(message: str, path: str) -> str:
    """Error messages start with the file's path: never show a server path, the list line names the file."""
    return message[len(path) + 2:] if path and message.startswith(path + ": ") else message


def remove(ctx, key: str, token: str = "", *, caller: tuple[str, ...] = ()) -> str:
    check_admin(ctx, token, caller)
    if not key:
        return render.status_markdown("error", "请先选择要删除的文档")
    removed = ctx.asst.remove(key)
    ctx.cache.clear()
    return render.status_markdown("done", "已删除：" + "，".join(removed))


def reindex(ctx, token: str = "", progress: Progress | None = None, *, caller: tuple[str, ...] = ()) -> str:
    progress = progress or _no_progress
    check_admin(ctx, token, caller)
    with ctx.kb_lock.write():
        n = ctx.asst.reindex(progress=lambda _s, d, t, _x: progress(d / max(t, 1), f"向量化 {d}/{t} 个片段"))
    ctx.cache.clear()
    progress(1.0, "完成")
    return render.status_markdown("done", f"已重建 {n} 个片段的向量索引")
