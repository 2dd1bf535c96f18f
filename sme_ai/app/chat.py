"""The 智能问答 tab as plain generators: each step yields what the page shows (chat, evidence panel, status)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sme_ai.app import render
from sme_ai.app.answering import Cached, Joining, answer_events
from sme_ai.app.pump import Waiting
from sme_ai.app.session import Session, Turn, ensure
from sme_ai.errors import SmeAiError
from sme_ai.types import Delta, Draft, Evidence, Final

log = logging.getLogger(__name__)

ECHO_CHARS = 100  # of a question over the length limit, this much is kept and shown with the error
EXAMPLES = [
    "什么是中小企业数字化转型？我们公司从哪里开始？",
    "到2027年中小企业数字化转型的目标是什么？",
    "中小企业数字化水平评测分为几级？",
    "数字化转型城市试点对企业有什么支持？",
    "制造业企业可以先改造哪些业务场景？",
    "什么是“小快轻准”的数字化产品和解决方案？",
]


@dataclass(frozen=True)
class ChatView:
    messages: list[dict]  # the Chatbot's value: [{"role": ..., "content": ...}, ...]
    evidence: str  # Markdown for the evidence panel
    status: str  # one line: searching, waiting (n ahead), writing, done, cached, refused, error
    session: Session


def messages(session: Session, pending: tuple[str, str] | None = None) -> list[dict]:
    out = []
    for t in session.turns + ([Turn(*pending)] if pending else []):
        out.append({"role": "user", "content": render.esc_md(t.question)})
        out.append({"role": "assistant", "content": t.shown})
    return out


def ask(ctx, session: Session | None, question: str) -> Iterator[ChatView]:
    """One question: evidence first, then the streaming answer, then the final answer with expandable citations.
    A cached answer is one update (evidence and answer together): under load every update costs the server."""
    session = ensure(session)
    full = (question or "").strip()
    question = _label(full, ctx.asst.settings.max_question_chars)  # what the session keeps and the chat shows
    evidence, partial, draft = "", "", ""
    shown = render.status_markdown("search", "正在检索资料…")  # until the evidence is found
    try:
        for event in answer_events(ctx, full, session.history, session_id=session.id):
            if isinstance(event, Evidence):
                evidence = render.evidence_markdown(event.hits, event.question)
                status = render.status_markdown("write", f"已找到 {len(event.hits)} 段资料，正在生成回答…")
                yield ChatView(messages(session, (question, shown)), evidence, status, session)
            elif isinstance(event, Waiting):
                status = render.status_markdown("wait", f"排队等待模型：前面还有 {event.ahead} 个请求")
                shown = draft or status  # the quoted draft stays on screen while the model is busy with others
                yield ChatView(messages(session, (question, shown)), evidence, status, session)
            elif isinstance(event, Joining):
                status = render.status_markdown("wait", "同样的问题正在回答中，请稍候…")
                yield ChatView(messages(session, (question, status)), evidence, status, session)
            elif isinstance(event, Draft):  # the quoted answer on screen at once, before the model writes
                draft = shown = render.draft_markdown(event.answer)
                yield ChatView(messages(session, (question, shown)), evidence,
                               render.status_markdown("write", "已给出资料摘录，正在组织回答…"), session)
            elif isinstance(event, Delta):
                partial += event.text
                shown = render.partial_markdown(partial, draft)
                yield ChatView(messages(session, (question, shown)), evidence,
                               render.status_markdown("write", "正在生成回答…"), session)
            elif isinstance(event, (Final, Cached)):
                answer, cached = event.answer, isinstance(event, Cached)
                if cached:
                    evidence = render.evidence_markdown(answer.hits, answer.meta.get("standalone_question", question))
                session.add(Turn(question, render.answer_markdown(answer, cached=cached), answer))
                kind = "refused" if answer.refused else ("cached" if cached else "done")
                label = {"refused": "资料中没有找到可靠答案", "cached": "已从缓存即时回答",
                         "done": f"回答完成（{answer.timings.get('total_ms', 0) / 1000:.1f} 秒）"}[kind]
                yield ChatView(messages(session), evidence, render.status_markdown(kind, label), session)
    except SmeAiError as e:
        session.add(Turn(question, render.error_markdown(str(e))))
        yield ChatView(messages(session), evidence, render.status_markdown("error", str(e)), session)
    except Exception:  # never a traceback in the page
        log.exception("answering failed")
        msg = "内部错误，请稍后重试；如果反复出现，请联系管理员查看日志。"
        session.add(Turn(question, render.error_markdown(msg)))
        yield ChatView(messages(session), evidence, render.status_markdown("error", msg), session)


def _label(question: str, limit: int) -> str:
    """The question as kept and shown: one over the limit (refused with a clear error) only as a short prefix."""
    if len(question) <= limit:
        return question
    return question[:ECHO_CHARS] + f"…（共 {len(question)} 字，已截断）"


def feedback(ctx, session: Session | None, index: int, liked: bool) -> str:
    """👍/👎 on the chat message at `index` (user and assistant messages alternate). Returns a status line.
    No token needed (trainees give it); the same value again is not stored twice, and a session stores at most
    `feedback_per_minute` of them a minute."""
    session = ensure(session)
    turn_no = index // 2
    if not 0 <= turn_no < len(session.turns) or session.turns[turn_no].answer is None:
        return render.status_markdown("error", "只能对已完成的回答评价")
    turn = session.turns[turn_no]
    value = "up" if liked else "down"
    if turn.feedback == value:
        return render.status_markdown("done", "已记录您的反馈，谢谢！")
    if not session.allow_feedback(ctx.settings.feedback_per_minute):
        return render.status_markdown("error", "反馈过于频繁，请稍后再试")
    turn.feedback = value
    ctx.log.feedback(session.id, turn.question, turn.answer.text, turn.feedback)
    return render.status_markdown("done", "已记录您的反馈，谢谢！")


def clear(session: Session | None) -> ChatView:
    session = ensure(session)
    session.turns.clear()
    return ChatView([], "", "", session)


def kb_notice(ctx) -> str:
    """Shown above the chat when the knowledge base is empty."""
    if ctx.asst.documents():
        return ""
    return ("⚠️ 知识库为空：请在「知识库」页上传资料，或在命令行运行 `sme-ai ingest corpora` 导入随附的政策资料。")
