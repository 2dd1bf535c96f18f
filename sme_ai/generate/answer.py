"""The answering steps that `Assistant.stream` calls in order: rewrite, gate, prompt, cite, and the two endings
(a grounded answer or a refusal). Plan sections use `section_messages` and the same endings' citation step."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sme_ai.generate.compose import Composed
from sme_ai.generate.context import CAUTION_MARK, GAP, Passage, render_context
from sme_ai.generate.llm import Message
from sme_ai.generate.owner import owner_check, with_check
from sme_ai.generate.prompts import load_prompt
from sme_ai.generate.verify import Verified
from sme_ai.question import FOLLOWS, asked_values, needs_rewrite
from sme_ai.text import bigrams, is_english, normalize_text
from sme_ai.types import Answer, Citation, Hit

History = list[tuple[str, str]]  # (question, answer) pairs, oldest first


def standalone_question(question: str, history: History | None) -> str:
    """A follow-up such as "那小微企业呢？" becomes a standalone question built from the owner's previous questions
    (never from the answers: an answer may be wrong, and a question keeps the entities the owner named — the year,
    the city, the programme). Deterministic, so the evidence of a follow-up is on screen as fast as any other;
    any other question is returned as it is. `question` is normalised."""
    if not needs_rewrite(question, history):
        return question
    last_q = normalize_text(history[-1][0])
    return f"{question}{FOLLOWS}{last_q}）"


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


def section_messages(title: str, question: str, facts: str, passages: list[Passage], prompts_dir: Path | None,
                     max_chars: int = 200) -> list[Message]:
    user = load_prompt("plan_section", prompts_dir).format(
        facts=facts, context=render_context(passages), section=title, question=question, max_chars=max_chars)
    return [{"role": "system", "content": load_prompt("plan_system", prompts_dir)}, {"role": "user", "content": user}]


def best_quote(passage: Passage, answer_text: str) -> str:
    """The passage's sentence closest to the answer's sentences that cite it."""
    citing = [s for s in re.findall(r"[^。！？!?\n]+[。！？!?]?", answer_text) if f"[{passage.n}]" in s]
    ab = bigrams("".join(citing) or answer_text)
    return max(passage.sentences, key=lambda s: len(ab & bigrams(s)), default=passage.text).strip()


def citations_for(verified: Verified, passages: list[Passage]) -> tuple[Citation, ...]:
    by_n = {p.n: p for p in passages}
    out = []
    for n in sorted(verified.used):
        p = by_n[n]
        c = p.hit.chunk
        out.append(Citation(n=n, source=c.source, title=c.title, quote=best_quote(p, verified.text), page=c.page,
                            section=c.section, chunk_id=c.id, ocr_confidence=c.ocr_confidence,
                            doc_number=c.doc_number))
    return tuple(out)


def needs_caution(citations: tuple[Citation, ...], passages: list[Passage]) -> bool:
    """A cited passage marked 待核实, or a cited chunk from a C-graded document whose quote is marked."""
    by_n = {p.n: p for p in passages}
    return any(CAUTION_MARK in c.quote or CAUTION_MARK in by_n[c.n].text for c in citations)


def grounded_answer(question: str, standalone: str, composed: Composed, passages: list[Passage], hits: list[Hit], *,
                    model: str, timings: dict, prompts_dir: Path | None, unknown_places: tuple[str, ...] = ()) -> Answer:
    """The verified text with its citations, the caution note when a cited passage is not yet verified, and a note
    for each place the owner named that the documents never mention."""
    verified, meta = composed.verified, {"standalone_question": standalone, **composed.meta}
    check, _ = ("", []) if is_english(question) else owner_check(standalone, passages)
    if check:  # an owner asking whether the firm qualifies: their figures against the cited conditions
        text = with_check(standalone, verified.text, check)
        verified = replace(verified, text=text, used=sorted({int(n) for n in re.findall(r"\[(\d+)\]", text)}))
        meta["owner_check"] = len(check.splitlines()) - 1
    citations = citations_for(verified, passages)
    text = verified.text
    missing = value_gap(standalone, text)
    if missing:  # related passages, but not the date or amount asked for: say so before quoting them
        text = gap_note(missing, is_english(question)) + text
        meta["value_gap"] = missing
    if unknown_places:
        text += place_note(unknown_places)
        meta["unknown_places"] = list(unknown_places)
    if needs_caution(citations, passages):
        text += "\n\n" + load_prompt("caution", prompts_dir)
        meta["caution"] = True
    return Answer(question=question, text=text, citations=citations, refused=False, model=model, timings=timings,
                  hits=tuple(hits), meta=meta)


# a model's own way of saying the documents leave the value out ("资料中未提及具体的补贴金额")
_NOT_SAID = re.compile(r"未提及|没有提及|未说明|资料中没有|没有(?:具体)?规定")
_GAP_WORDS = {"date": ("日期", "date"), "time": ("时间", "date"), "amount": ("金额", "amount"), "share": ("比例", "share")}


def value_gap(question: str, text: str) -> list[str]:
    """The kinds of value the question asks for ("哪天截止", "能补多少钱") that the answer text neither states nor
    says the documents do not give: quoted passages about the same programme are no answer to its deadline."""
    if GAP.search(text) or _NOT_SAID.search(text):
        return []
    return [kind for kind, value in asked_values(question) if not value.search(text)]


def gap_note(missing: list[str], english: bool) -> str:
    """The line an answer with a `value_gap` starts with, before the related passages it quotes."""
    if english:
        return f"The documents do not give the {' or '.join(_GAP_WORDS[k][1] for k in missing)} asked for. Related:\n\n"
    return f"资料中没有找到所问的具体{'和'.join(_GAP_WORDS[k][0] for k in missing)}。相关内容如下：\n\n"


def place_note(places: tuple[str, ...]) -> str:
    """After an answer: the places the owner named that the documents never mention."""
    return f"（资料中没有关于{'、'.join(places)}的具体规定。）"


# the Chinese notes above as they stand in an answer: what the documents lack, no claim about a source (the eval's
# claim support does not count them as answer sentences)
ENGINE_NOTES = re.compile(r"^资料中没有找到所问的具体[^。]{1,8}。相关内容如下：|（资料中没有关于[^（）]{1,60}的具体规定。）")


def draft_answer(question: str, standalone: str, extractive: str, passages: list[Passage], hits: list[Hit], *,
                 model: str, timings: dict, prompts_dir: Path | None) -> Answer:
    """The extractive text, verified and cited like any answer, marked as a draft quoted from the documents."""
    from sme_ai.generate.verify import verify_answer

    composed = Composed(refused=False, verified=verify_answer(extractive, passages), raw=extractive)
    a = grounded_answer(question, standalone, composed, passages, hits, model=model, timings=timings,
                        prompts_dir=prompts_dir)
    return Answer(question=a.question, text=a.text, citations=a.citations, refused=False, model=model,
                  timings=timings, hits=a.hits, meta={**a.meta, "draft": True})


def premise_refusal(question: str, unknown: tuple[str, ...], hits: list[Hit], *, english: bool, model: str,
                    timings: dict, prompts_dir: Path | None) -> Answer:
    """The question names something the knowledge base has nothing on: say so plainly, with what was looked for."""
    a = refusal(question, hits, english=english, model=model, timings=timings, reason="premise_unknown",
                prompts_dir=prompts_dir)
    said = "、".join(unknown)
    head = (f"The documents contain nothing on {', '.join(unknown)}." if english
            else f"资料中没有关于{said}的内容，无法据此回答。")
    return Answer(question=question, text=head + "\n\n" + a.text, refused=True, model=model, timings=timings,
                  hits=a.hits, meta={**a.meta, "premise_unknown": list(unknown)})


def scope_refusal(question: str, hits: list[Hit], *, english: bool, model: str, timings: dict,
                  prompts_dir: Path | None) -> Answer:
    """Investment advice (`question.asks_investment_advice`): no policy document answers it, say so first."""
    a = refusal(question, hits, english=english, model=model, timings=timings, reason="out_of_scope",
                prompts_dir=prompts_dir)
    head = ("Investment advice (which stock or coin to buy) is outside what this assistant answers: it answers SMEs' "
            "digital-transformation questions from policy documents." if english
            else "投资建议（买哪只股票或虚拟货币）不在本助手的回答范围内：本助手只依据政策文件回答中小企业数字化转型的问题。")
    return replace(a, text=head + "\n\n" + a.text)


def correction(question: str, standalone: str, rumours, hits: list[Hit], *, model: str, timings: dict,
               prompts_dir: Path | None) -> Answer:
    """The question asserts what the documents list as a rumour (误传): quote the passage that corrects it."""
    from sme_ai.generate.verify import verify_answer

    passages = [Passage(n=i, hit=Hit(chunk=c, score=1.0), sentences=(s,)) for i, (c, s) in enumerate(rumours, 1)]
    body = "".join(f"{_clean_line(s).rstrip('。；;')}[{p.n}]。" for p, (_, s) in zip(passages, rumours))
    verified = verify_answer("资料指出，这一说法不实：" + body, passages)
    composed = Composed(refused=False, verified=verified, raw=body, meta={"premise": "rumour"})
    return grounded_answer(question, standalone, composed, passages, hits, model=model, timings=timings,
                           prompts_dir=prompts_dir)


def _clean_line(sentence: str) -> str:
    return re.sub(r"^[-*•\s]*(误传辨析|误传)[:：]\s*", "", sentence.strip())


def refusal(question: str, hits: list[Hit], *, english: bool, model: str, timings: dict, reason: str,
            prompts_dir: Path | None) -> Answer:
    """The fixed "the documents don't say", with the closest passages to look at."""
    text = load_prompt("refusal_en" if english else "refusal", prompts_dir)
    if hits:
        head = "You may want to look at:" if english else "您可以参考以下相关内容："
        text += "\n\n" + head + "\n" + "\n".join(f"- 《{h.chunk.title}》{h.chunk.section}" for h in hits[:3])
    return Answer(question=question, text=text, refused=True, model=model, timings=timings, hits=tuple(hits),
                  meta={"refusal_reason": reason})
