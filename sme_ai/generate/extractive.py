"""The extractive answer: no model, the best sentences of the context with their markers. Used when the settings
choose no LLM, as the draft shown while the model writes, as the skeleton whose first sentences the model's answer
must keep (`compose.keeps_skeleton`), as the model's whole context where `model_context` is "evidence"
(`evidence_passages`), and as the answer when generation fails or cannot be verified.

The sentences (at most five, from at most two passages — one more per part of a question that asks two things, whose
every part gets its best sentence first; the answer engine bounds the length) are the most relevant first, only those
that score at least 30 % of the best one (60 % for a sentence that would bring in a further passage), without
near-duplicates (neighbouring passages often repeat a fact), without list bullets, Markdown or lead-ins that end in
a colon; a question that states the owner's situation ("我们是…企业，能不能…") prefers sentences that state
conditions.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sme_ai.generate.context import ANSWER_BONUS, NUMERIC_QUESTION, Passage, is_listing, sentence_score
from sme_ai.places import places_in
from sme_ai.question import answer_patterns, sub_questions
from sme_ai.text import bigrams, tokenize

APPLICABILITY = re.compile(r"能不能|能否|可不可以|可以申请|能申请|符合|够不够|够格|算不算|达到几级|要达到|条件|资格|有没有资格")
_CONDITION = re.compile(r"条件|须|应当|需要|要求|达到|以上|以下|不低于|不少于|不超过|之一|满足|具备|符合|认定")
_BULLET = re.compile(r"^(?:[-*•]\s*|\d{1,2}[.、)）]\s*|[（(]\d{1,2}[）)]\s*)+")  # never a year: "2023年6月"
RELATIVE = 0.3      # a sentence scoring below 30 % of the best one does not answer the question
NEAR_DUPLICATE = 0.6  # bigram overlap (of the shorter sentence) above which two sentences say the same thing
# distinct passages an extractive answer quotes (dev set, 5 → 2: key facts 0.684 both, citation precision 0.643 → 0.678)
MAX_SOURCES = 2
# a sentence from a passage not yet quoted must score this share of the best one (dev set, extractive, 177
# answerable, same key facts 0.836: 0.3 → citation precision 0.723, 0.5 → 0.734, 0.6 → 0.740, 0.7 → 0.755 but
# key facts 0.825, 1.0 → 0.831 but 0.712)
NEW_SOURCE = 0.6


def _clean(sentence: str) -> str:
    return _BULLET.sub("", sentence.replace("**", "").strip())


def is_near_duplicate(sentence: str, chosen: list[str]) -> bool:
    """The sentence says what one of `chosen` says: contained in it, or sharing `NEAR_DUPLICATE` of its bigrams."""
    sb = bigrams(sentence)
    for other in chosen:
        ob = bigrams(other)
        if sentence in other or other in sentence or len(sb & ob) >= NEAR_DUPLICATE * min(len(sb), len(ob)):
            return True
    return False


def _ranked(question: str, passages: list[Passage], others: str = "") -> list[tuple[float, int, str]]:
    """Sentences by their score for `question`; the words of `others` (the question's other parts) do not count."""
    qt = set(tokenize(question)) - set(tokenize(others))
    qb, numeric = bigrams(question) - bigrams(others), bool(NUMERIC_QUESTION.search(question))
    owner, listing = bool(APPLICABILITY.search(question)), is_listing(question)
    answers, places = answer_patterns(question), places_in(question)
    scored = []
    for p in passages:
        for s in p.sentences:
            clean = _clean(s)
            if len(clean) < 6 or clean.rstrip("\n").endswith(("：", ":")):
                continue
            score = sentence_score(qt, qb, clean, numeric, listing, answers, places) - 0.1 * p.n
            if owner and _CONDITION.search(clean):
                score += 0.5
            if s == p.heads:  # every item of the list the question asks for
                score += ANSWER_BONUS
            scored.append((score, p.n, clean))
    scored.sort(key=lambda t: -t[0])
    return scored


def select_evidence(question: str, passages: list[Passage], max_sentences: int = 5) -> list[tuple[int, str]]:
    """(passage number, sentence) pairs that answer `question`, most relevant first. A question in two parts gets
    the best sentence for each part first (the second hop of a multi-hop question is otherwise outscored by more
    sentences on the first), then the best for the whole."""
    scored = _ranked(question, passages)
    if not scored:
        return []
    parts = sub_questions(question)
    floor = RELATIVE * scored[0][0]
    chosen: list[tuple[int, str]] = []
    for i, part in enumerate(parts if len(parts) > 1 else []):  # scored on the words only this part has
        others = "".join(parts[:i] + parts[i + 1:])
        best = next(((n, sentence) for _, n, sentence in _ranked(part, passages, others)
                     if not is_near_duplicate(sentence, [c for _, c in chosen])), None)
        if best:
            chosen.append(best)
    limit = max(MAX_SOURCES, len({n for n, _ in chosen}))
    heads = {p.heads for p in passages if p.heads}
    for score, n, sentence in scored:
        if score < floor or len(chosen) == max_sentences:
            break
        sources = {m for m, _ in chosen}
        if n not in sources and (len(sources) >= limit or (chosen and score < NEW_SOURCE * scored[0][0])):
            continue
        if sentence in heads and any(c in heads for _, c in chosen):  # one list of heads is the answer's list
            continue
        if not is_near_duplicate(sentence, [c for _, c in chosen]):
            chosen.append((n, sentence))
    return chosen


ENGLISH_LEAD = "From the documents (in Chinese): "  # before an English question's quoted answer


def evidence_passages(question: str, passages: list[Passage], max_sentences: int = 5,
                      chosen: list[tuple[int, str]] | None = None) -> list[Passage]:
    """The passages as the model's prompt when it writes from the selected evidence: only the sentences the
    extractive answer quotes (`chosen`, when the caller has selected them already), under their passages' own
    numbers (a shorter prompt is the first token's main lever on a small CPU); all the passages when nothing is
    selected."""
    chosen = select_evidence(question, passages, max_sentences) if chosen is None else chosen
    by_n: dict[int, list[str]] = {}
    for n, sentence in chosen:
        by_n.setdefault(n, []).append(sentence.rstrip("。；;，, ") + "。")
    return [replace(p, sentences=tuple(by_n[p.n]), heads="") for p in passages if p.n in by_n] or passages


def extractive_answer(question: str, passages: list[Passage], max_sentences: int = 5, english: bool = False,
                      chosen: list[tuple[int, str]] | None = None) -> str:
    best = select_evidence(question, passages, max_sentences) if chosen is None else chosen
    if not best:
        return ""
    body = "".join(f"{s.rstrip('。；;，,')}[{n}]。" for n, s in best)  # the marker before the full stop
    return (ENGLISH_LEAD if english else "") + body
