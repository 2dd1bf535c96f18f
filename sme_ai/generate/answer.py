"""The answering steps that Assistant.stream calls in order: guard, rewrite, gate, prompt, verify, cite."""

from __future__ import annotations

import re
from pathlib import Path

from sme_ai.errors import EmptyQuestionError, QuestionTooLongError
from sme_ai.generate.context import Passage, render_context
from sme_ai.generate.llm import LLM, Message, complete
from sme_ai.generate.prompts import load_prompt
from sme_ai.generate.verify import Verified
from sme_ai.ingest.normalize import is_english, normalize_text  # noqa: F401  (is_english: re-exported for callers)
from sme_ai.types import Citation, Hit

_FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|其中|它|这个|这|该|此|同样|and|what about|how about)|[呢吗]？?$|它|其|这个|那个|上述", re.I)
CAUTION_MARK = "待核实"


def check_question(question: str, limit: int) -> str:
    q = (question or "").strip()
    if not q:
        raise EmptyQuestionError()
    if len(q) > limit:
        raise QuestionTooLongError(len(q), limit)
    return q


def needs_rewrite(question: str, history: list[tuple[str, str]] | None) -> bool:
    return bool(history) and (len(normalize_text(question)) <= 12 or bool(_FOLLOW_UP.search(question)))


def rewrite_question(question: str, history: list[tuple[str, str]], llm: LLM | None, prompts_dir: Path | None) -> str:
    """A follow-up such as "那小微企业呢？" becomes a standalone question. Without a model: prefix the last question."""
    last_q = history[-1][0]
    if llm is None:
        return f"{last_q} {question}"
    turns = "\n".join(f"用户：{q}\n助手：{a[:120]}" for q, a in history[-2:])
    prompt = load_prompt("rewrite", prompts_dir).format(history=turns, question=question)
    out = complete(llm, [{"role": "user", "content": prompt}], max_tokens=60, stop=["\n"]).strip()
    out = re.sub(r"^(独立问题|问题)[:：]\s*", "", out)
    # a rewrite must stay a question about the same thing; otherwise fall back to the plain prefix
    return out if 4 <= len(out) <= 200 and not out.startswith("资料") else f"{last_q} {question}"


def is_relevant(hits: list[Hit], min_dense: float) -> bool:
    """Enough evidence to try an answer: the best dense match reaches the threshold.

    On the dev set every answerable question had a best cosine ≥ 0.44 while off-topic ones fall to 0.15–0.35;
    questions about invented policies share the corpus's words and pass here, so the model's own "资料中未提及"
    and the number verification are the second and third lines of defence. (Agreement of both legs was tried as a
    second way in: 30 of 33 unanswerable questions had it, so it only weakened the gate.)"""
    if not hits:
        return False
    if not any("dense" in h.leg_scores for h in hits):  # a BM25-only search (no embedder leg): nothing to gate on
        return True
    return max(h.leg_scores.get("dense", 0.0) for h in hits) >= min_dense


def build_messages(question: str, passages: list[Passage], prompts_dir: Path | None) -> list[Message]:
    """System prompt first and fixed, so llama.cpp reuses its evaluated prefix from one question to the next."""
    user = load_prompt("answer", prompts_dir).format(context=render_context(passages), question=question)
    return [{"role": "system", "content": load_prompt("system", prompts_dir)}, {"role": "user", "content": user}]


def best_quote(passage: Passage, answer_text: str) -> str:
    from sme_ai.generate.context import _bigrams

    ab = _bigrams(answer_text)
    return max(passage.sentences, key=lambda s: len(ab & _bigrams(s)), default=passage.text).strip()


def citations_for(verified: Verified, passages: list[Passage]) -> tuple[Citation, ...]:
    by_n = {p.n: p for p in passages}
    out = []
    for n in sorted(verified.used):
        p = by_n[n]
        c = p.hit.chunk
        out.append(Citation(n=n, source=c.source, title=c.title, quote=best_quote(p, verified.text), page=c.page,
                            section=c.section, chunk_id=c.id))
    return tuple(out)


def needs_caution(citations: tuple[Citation, ...], passages: list[Passage]) -> bool:
    """A cited passage marked 待核实, or a cited chunk from a C-graded document whose quote is marked."""
    by_n = {p.n: p for p in passages}
    return any(CAUTION_MARK in c.quote or CAUTION_MARK in by_n[c.n].text for c in citations)
