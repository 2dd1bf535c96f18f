"""The extractive answer: no model, the best sentences of the context with their markers. Used when the settings
choose no LLM, as the draft shown while the model writes, as the skeleton whose first sentences the model's answer
must keep (`compose.keeps_skeleton`), as the model's whole context where `model_context` is "evidence"
(`evidence_passages`), and as the answer when generation fails or cannot be verified.

The sentences (at most five, from at most two passages — one more per part of a question that asks two things, whose
every part gets its best sentence first; the answer engine bounds the length) are the most relevant first, only those
that score at least 30 % of the best one (60 % for a sentence that would bring in a further passage), without
near-duplicates (neighbouring passages often repeat a fact), without another edition's or period's sentence beside
the value asked for (the 2020 plan's 文号 after the 2025—2027 plan's), without list bullets, Markdown or lead-ins that
end in a colon; a question that states the owner's situation ("我们是…企业，能不能…") prefers sentences that state
conditions.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sme_ai.generate.context import ANSWER_BONUS, NUMERIC_QUESTION, Passage, is_listing, sentence_score
from sme_ai.places import other_place, places_in
from sme_ai.question import answer_patterns, own_question, part_answer_patterns, sub_questions, years_in
from sme_ai.text import bigrams, split_sentences, tokenize

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
# taken from a sentence's score per place of its passage in the retrieval order: only breaks ties. Dev set, extractive,
# 177 answerable (s18): 0.1 → key facts 0.864 / citation precision 0.800, 0.3 → 0.853 / 0.809, 0.6 → 0.825 / 0.831,
# 1.0 → 0.785 / 0.853, 2.5 → 0.712 / 0.903 — trusting retrieval's order buys precision with key facts
RANK_STEP = 0.1
# added to the score of a sentence about the place the question names (it names it, or its passage's section does:
# "在推进方式上，许昌组建了专家智库…" under "许昌市：试点细分行业与服务做法"), the mirror of `context.OTHER_PLACE`: a
# national rule that shares more words with "许昌搞城市试点有哪些做法" answers it less. Dev set, extractive, 177
# answerable (s18): 0 → key facts 0.864 / citation precision 0.800, 1 → 0.864 / 0.800, 2 → 0.876 / 0.801,
# 3 → 0.876 / 0.804, 5 → 0.876 / 0.802 and a doubled sentence
SAME_PLACE = 3.0


# a connective that leans on the sentence before it in the source ("与之对应，方案设定的…"): quoted alone it dangles
_CONNECTIVE = re.compile(r"^(?:与之对应|与此对应|与此同时|同时|此外|另外|因此|所以|总之|可见|对此)[，,]\s*")


def _clean(sentence: str) -> str:
    return _CONNECTIVE.sub("", _BULLET.sub("", sentence.replace("**", "").strip()))


def is_near_duplicate(sentence: str, chosen: list[str]) -> bool:
    """The sentence says what one of `chosen` says: contained in it, or sharing `NEAR_DUPLICATE` of its bigrams."""
    sb = bigrams(sentence)
    for other in chosen:
        ob = bigrams(other)
        if sentence in other or other in sentence or len(sb & ob) >= NEAR_DUPLICATE * min(len(sb), len(ob)):
            return True
    return False


def _new_value(sentence: str, chosen: list[str], answers: tuple[re.Pattern, ...]) -> bool:
    """The sentence states a value of the kind asked for (`answers`) that none of `chosen` states: for one part of
    a two-part question it is no near-duplicate, however many words it shares ("汽车…数控化率达到70%" beside
    "全国…数控化率达到75%")."""
    have = {v for c in chosen for a in answers for v in a.findall(c)}
    return any(v not in have for a in answers for v in a.findall(sentence))


def _other_period(sentence: str, span: tuple[int, int] | None) -> bool:
    """The sentence names years, none of them within the years the question names (`span`, first to last): another
    edition or period ("2020年版…〔2020〕10号" beside the 2025—2027 plan asked about)."""
    years = [int(y) for y in years_in(sentence)]
    return bool(span and years) and not any(span[0] <= y <= span[1] for y in years)


LEAD_CHARS = 60  # a list's lead-in longer than this is not put before its item


def _leads(passage: Passage) -> dict[str, str]:
    """Each list item of the passage's chunk → the lead-in that introduces its list ("长治…资金分配与中央要求一致："
    for "- 不低于80%用于中小企业数字化改造；"): the item alone does not say whose list it is."""
    out: dict[str, str] = {}
    lead = ""
    for s in split_sentences(passage.hit.chunk.text):
        core = s.strip()
        if core.endswith(("：", ":")):
            lead = _clean(core).rstrip("：: ") if len(core) <= LEAD_CHARS else ""
        elif lead and (_BULLET.match(core) or not core.endswith(("。", "！", "？"))):
            out[_clean(core)] = lead
        else:
            lead = ""
    return out


def _ranked(question: str, passages: list[Passage], others: str = "",
            answers: tuple[re.Pattern, ...] | None = None, with_leads: bool = False) -> list[tuple[float, int, str]]:
    """(score, passage, sentence) for `question`, best first. The words of `others` (the question's other parts)
    count only to break ties; `answers`: the kinds of value asked for, when not the question's own. `with_leads`: a
    list item whose lead-in names what the question asks about ("长治…资金分配…：" for "长治的专项资金是怎么分配的")
    is scored and quoted with it, when that scores higher. A sentence about the question's place (`SAME_PLACE`) is
    ranked up against a national rule that shares more of the question's words."""
    rest = set(tokenize(others))
    qt = set(tokenize(question)) - rest
    qb, numeric = bigrams(question) - bigrams(others), bool(NUMERIC_QUESTION.search(question))
    owner, listing = bool(APPLICABILITY.search(question)), is_listing(question)
    answers, places = answer_patterns(question) if answers is None else answers, places_in(question)
    scored = []
    for p in passages:
        leads = _leads(p) if with_leads else {}
        local = bool(places and places & places_in(p.hit.chunk.section or ""))
        for s in p.sentences:
            clean = _clean(s)
            if len(clean) < 6 or clean.rstrip("\n").endswith(("：", ":")):
                continue
            text, score = clean, sentence_score(qt, qb, clean, numeric, listing, answers, places)
            lead = leads.get(clean, "")
            if lead and (qt & set(tokenize(lead))) - set(tokenize(clean)):
                led = sentence_score(qt, qb, f"{lead}：{clean}", numeric, listing, answers, places)
                text, score = (f"{lead}：{clean}", led) if led > score else (text, score)
            score += 0.1 * len(rest & set(tokenize(text))) - RANK_STEP * p.n  # among equals, the rest of the question
            if SAME_PLACE and places and (places & places_in(clean) or local and not other_place(places, clean)):
                score += SAME_PLACE
            if owner and _CONDITION.search(clean):
                score += 0.5
            if s == p.heads:  # every item of the list the question asks for
                score += ANSWER_BONUS
            scored.append((score, p.n, text))
    scored.sort(key=lambda t: -t[0])
    return scored


def select_evidence(question: str, passages: list[Passage], max_sentences: int = 5) -> list[tuple[int, str]]:
    """(passage number, sentence) pairs that answer `question`, most relevant first. A question in two parts gets
    the best sentence for each part first (the second hop of a multi-hop question is otherwise outscored by more
    sentences on the first), then the best for the whole. A rewritten follow-up's own question leads the same way:
    its earlier question names the subject and is no part to answer again."""
    scored = _ranked(question, passages)
    if not scored:
        return []
    own, earlier = own_question(question)
    parts = sub_questions(own)
    floor = RELATIVE * scored[0][0]
    chosen: list[tuple[int, str]] = []
    for i, part in enumerate(parts if len(parts) > 1 or earlier else []):  # scored on the words only it has
        others, answers = "".join(parts[:i] + parts[i + 1:]) + earlier, part_answer_patterns(part, question)
        said = [c for _, c in chosen]
        best = next(((n, sentence) for _, n, sentence in _ranked(part, passages, others, answers, with_leads=True)
                     if not is_near_duplicate(sentence, said) or _new_value(sentence, said, answers)), None)
        if best:
            chosen.append(best)
    limit = max(MAX_SOURCES, len({n for n, _ in chosen}))
    asked = answer_patterns(question)
    heads = {p.heads for p in passages if p.heads}
    years = [int(y) for y in years_in(question)]
    span = (min(years), max(years)) if years else None
    for score, n, sentence in scored:
        if score < floor or len(chosen) == max_sentences:
            break
        sources = {m for m, _ in chosen}
        if n not in sources and (len(sources) >= limit or (chosen and score < NEW_SOURCE * scored[0][0])):
            continue
        if asked and any(a.search(c) for _, c in chosen for a in asked):  # the value asked for is quoted already:
            if n not in sources and not any(a.search(sentence) for a in asked):
                continue  # a further passage must hold such a value too
            if _other_period(sentence, span):
                continue  # not another edition's or period's beside it
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
