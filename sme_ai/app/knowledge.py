"""The 知识库 tab as plain functions: list, upload (with progress), remove, re-index; admin token when configured."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path

from sme_ai.app import render
from sme_ai.app.uploads import UPLOAD_TYPES
from sme_ai.app.uploads import UploadRejectedError, safe_name, store_upload
from sme_ai.errors import SmeAiError

Progress = Callable[[float, str], None]  # (fraction 0..1, description)
HEADERS = ["标题", "来源文件", "类型", "页数", "片段数", "加入时间"]
TYPE_NAMES = {"policy": "政策文件", "guide": "指南", "indicators": "评测指标", "pilot": "试点", "playbook": "实施手册",
              "industry": "行业方案", "concept": "概念", "tier": "梯度培育", "ai_guidance": "人工智能", "other": "其他"}


class AdminTokenError(SmeAiError):
    def __init__(self):
        super().__init__("需要管理员口令：请在「管理员口令」框中输入正确的口令后再操作。")


def check_admin(ctx, token: str | None) -> None:
    expected = ctx.settings.admin_token
    if expected and not hmac.compare_digest((token or "").encode(), expected.encode()):
        raise AdminTokenError()


def document_rows(ctx) -> list[list]:
    """Rows for the document table; cells are plain text (the table renders them as text, never as HTML)."""
    return [[d.get("title", ""), d.get("source", ""), TYPE_NAMES.get(d.get("doc_type", ""), d.get("doc_type", "")),
             d.get("pages") or "", d.get("chunks", 0), str(d.get("added_at", "")).replace("T", " ")]
            for d in ctx.asst.documents()]


def document_choices(ctx) -> list[str]:
    return [d["source"] for d in ctx.asst.documents()]


def _no_progress(_f: float, _d: str) -> None:
    return None


def upload(ctx, files: list[str | Path] | None, token: str = "", progress: Progress | None = None,
           names: list[str] | None = None) -> str:
    """Check, store and ingest uploaded files. Returns a Markdown report with one line per file.

    `names`: the names the user gave the files (default: the temp files' names, which Gradio keeps).
    """
    progress = progress or _no_progress
    check_admin(ctx, token)
    files = [Path(f) for f in files or []]
    if not files:
        return render.status_markdown("error", "请先选择要上传的文件")
    names = names or [f.name for f in files]
    stored, lines = {}, []
    for f, name in zip(files, names):
        try:
            s = store_upload(f, name, ctx.uploads_dir, allowed=UPLOAD_TYPES, max_bytes=ctx.settings.max_upload_bytes)
            stored[str(s.path)] = s.name
        except UploadRejectedError as e:
            lines.append(f"- ❌ {render.esc_md(safe_name(name))}：{render.esc_md(_reason(e))}")
    if stored:
        def on_progress(stage: str, done: int, total: int, _detail: str) -> None:
            share = done / max(total, 1)
            progress(0.3 * share if stage == "load" else 0.3 + 0.7 * share,
                     f"读取文件 {done}/{total}" if stage == "load" else f"向量化 {done}/{total} 个片段")

        with ctx.kb_lock.write():
            stats = ctx.asst.ingest(list(stored), progress=on_progress)
        for label, group in (("新增", stats.added), ("更新", stats.updated), ("未变化", stats.unchanged)):
            lines.extend(f"- ✅ {render.esc_md(src)}：{label}" for src in group)
        for path, message in stats.failures:
            name = stored.get(path, safe_name(path))
            lines.append(f"- ❌ {render.esc_md(name)}：{render.esc_md(_strip_path(message, path))}")
        ctx.cache.clear()
    progress(1.0, "完成")
    ok = sum(line.startswith("- ✅") for line in lines)
    return f"**上传结果**：成功 {ok} 个，失败 {len(lines) - ok} 个\n\n" + "\n".join(lines)


def _reason(e: Exception) -> str:
    return _strip_path(str(e), str(getattr(e, "path", "")))


def _strip_path(message: str, path: str) -> str:
    """Error messages start with the file's path: never show a server path, the list line names the file."""
    return message[len(path) + 2:] if path and message.startswith(path + ": ") else message


def remove(ctx, key: str, token: str = "") -> str:
    check_admin(ctx, token)
    if not key:
        return render.status_markdown("error", "请先选择要删除的文档")
    with ctx.kb_lock.write():
        removed = ctx.asst.remove(key)
    ctx.cache.clear()
    return render.status_markdown("done", "已删除：" + "，".join(removed))


def reindex(ctx, token: str = "", progress: Progress | None = None) -> str:
    progress = progress or _no_progress
    check_admin(ctx, token)
    with ctx.kb_lock.write():
        n = ctx.asst.reindex(progress=lambda _s, d, t, _x: progress(d / max(t, 1), f"向量化 {d}/{t} 个片段"))
    ctx.cache.clear()
    progress(1.0, "完成")
    return render.status_markdown("done", f"已重建 {n} 个片段的向量索引")
