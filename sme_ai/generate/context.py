"""Compact context: the most relevant sentences of each hit, not whole chunks, within a character budget.

Prompt processing is the bottleneck on a small CPU (about 90 tokens/s for the 1.5B model), so every character
in the prompt costs time to the first token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sme_ai.places import other_place, places_in
from sme_ai.question import answer_patterns, is_hearsay, own_question
from sme_ai.subjects import asked_subjects, other_subject
from sme_ai.text import bigrams, split_sentences, tokenize
from sme_ai.types import Hit

NUMERIC_QUESTION = re.compile(r"多少|几[个项家年月条级]|比例|比率|目标|金额|数量|多长|多高|文号|哪一年|何时|什么时候|how (many|much)|percent|rate|number|when", re.I)
_HAS_NUM = re.compile(r"\d")
# text that tries to instruct the assistant: a passage containing it is not evidence, whatever else it says
INJECTION = re.compile(
    r"忽略.{0,8}(指令|指示|提示|规则|要求)|(你|助手)(现在)?必须(回答|输出|说|回复)|不要(说|标注|提及|引用)|系统提示|"
    r"ignore (all |any )?(the )?(previous|above|prior) (instructions|prompts?)|you must (now )?(answer|say|reply)|"
    r"system prompt", re.I)
# the three tiers of 优质中小企业: a question about one of them is not answered by another's conditions
_TIERS = {"小巨人": re.compile(r"小巨人"), "专精特新中小企业": re.compile(r"专精特新(?!\W{0,2}小巨人)"),
          "创新型中小企业": re.compile(r"创新型中小企业|创新型企业")}
# a sentence the corpus writes to list a rumour and say it is false ("误传：有网页称…，此说不实")
RUMOUR = re.compile(r"误传|此说不实|不实[，；。]|属于误传|没有官方来源支持")
RUMOUR_OVERLAP = 0.35  # share of the question's bigrams a listed rumour must hold to answer a question without hearsay
# a sentence about the document it stands in ("本文按城市分别整理已收集到的地方做法，包括中山、长治、东莞…"): it names
# the cities and topics of the document, so it scores for questions about them, and answers none of them — unless
# the question asks what the sources hold or where they come from. A document's own provisions are content
# ("本文件自印发之日起施行", "本文所称中小企业…")
ABOUT_DOCUMENT = re.compile(r"本文(?!件|所称)|文中")
ASKS_SOURCES = re.compile(r"来源|出处|原文|可信|可靠|知识库|资料里|文件里|哪些资料|哪些文件|source", re.I)
# score for a sentence holding the kind of value asked for (`sentence_score`); dev set, extractive, 177 answerable:
# key facts 0 → 0.712, 1.5 → 0.740, 3 → 0.757, 5 → 0.785, 6 → 0.791, 8 → 0.791, 12 → 0.780
ANSWER_BONUS = 6.0
# taken from the score of a sentence about another place than the question's, which gets no answer bonus either;
# dev set, extractive: 0, 1, 3 → the same key facts 0.836, 6 → 0.825; 3 takes 中山's amounts out of "温州能补多少钱"
OTHER_PLACE = 3.0

# the corpus saying what it does not hold ("温州对单个企业的具体补助标准…资料未给出"): for "温州能补多少钱" that is the
# answer, where another city's amounts would be a wrong one with a citation
GAP = re.compile(r"资料未给出|未给出|未取得|未检索到|没有检索到|没有取得|本知识库(?:目前)?没有|没有官方(?:来源|依据)")


@dataclass(frozen=True)
class Passage:
    n: int
    hit: Hit
    sentences: tuple[str, ...]
    heads: str = ""  # the heads of the passage's list, for a question that asks for the whole list (`list_heads`)

    @property
    def text(self) -> str:
        return "".join(self.sentences)

    @property
    def label(self) -> str:
        c = self.hit.chunk
        return f"《{c.title}》" + (f"{c.section}" if c.section else "")


_LIST_QUESTION = re.compile(r"哪些|哪几|什么|几[个项条类方面大]|分别|包括|有哪|which|what")
# a question that wants every item of a list ("哪几大类", "哪些保障措施"), not one thing ("什么意思")
_WHOLE_LIST = re.compile(r"哪些|哪几|几[个项条类方面大]|[二三四五六七八九十]\s*(?:大|方面|类|项|条)|分别|有哪|which")
_BULLET_PREFIX = r"^\s*(?:\d{1,2}[.、)）]|[-*•]|[（(]\d{1,2}[）)])\s*"  # "1. ", "- ", "（2）"
# a list item with a short head: "1. 组织保障：…", "- 产品生命周期数字化（4个）：…", "（2）资金支持：…"
_ITEM_HEAD = re.compile(_BULLET_PREFIX + r"(?:\*\*)?([^：:\n。；;]{2,16}?)(?:\*\*)?[：:]", re.M)
_BULLET_LINE = re.compile(_BULLET_PREFIX + r"\S")
# a list item that is a short name only ("1. 创新筑基"): its whole text is its head
_PLAIN_ITEM = re.compile(_BULLET_PREFIX + r"([^：:\n。；;，,]{2,16}?)[；;。]?\s*$", re.M)
# a question for what each item of a list is or who does it ("上云、用数、赋智分别是什么意思", "三个层级分别是谁认定的"):
# the heads alone do not answer it
_EACH = re.compile(r"(?:分别|各自|各)(?:是|指|由|为|有)?(?:什么|啥|哪|谁|怎么|如何|多少)|what (?:does|do) each|respectively", re.I)
ITEM_CHARS = 40  # an item longer than this is not quoted whole in the list of a "分别…" question
_LEVEL = re.compile(r"^[一二三四五1-5]\s*级")  # a scenario's level descriptions are not the list a question asks for
_ENUMERATION = re.compile(r"[、；;]")


def sentence_score(question_tokens: set[str], question_bigrams: set[str], sentence: str, numeric: bool,
                   listing: bool = False, answers: tuple[re.Pattern, ...] = (),
                   places: frozenset[str] = frozenset()) -> float:
    """Overlap with the question, plus what answers it: the kind of value the question asks for (`answers`, from
    `question.answer_patterns`: a date for "哪天", a score for "几分"), a figure for a numeric question, an
    enumeration for a "哪些/什么" question, and words the question does not already have (a sentence that only
    restates the question answers nothing). A sentence about another place than the question's (`places`, from
    `places.places_in`) holds no value for it: 中山's amounts do not answer "温州能补多少"."""
    toks = set(tokenize(sentence))
    overlap = len(question_tokens & toks)
    bi = len(question_bigrams & bigrams(sentence)) / (1 + len(question_bigrams))
    novel = len(toks - question_tokens)
    score = overlap + 2.0 * bi + (0.5 if numeric and _HAS_NUM.search(sentence) else 0.0) + 0.1 * min(novel, 8)
    if listing:
        score += 0.3 * min(len(_ENUMERATION.findall(sentence)), 4)
    if OTHER_PLACE and other_place(places, sentence):
        return score - OTHER_PLACE
    if answers:  # the value asked for, or the documents' own word that they do not give it
        share = 1.0 if GAP.search(sentence) else sum(1 for a in answers if a.search(sentence)) / len(answers)
        score += ANSWER_BONUS * share
    return score


def is_listing(question: str) -> bool:
    return bool(_LIST_QUESTION.search(question))


def tiers(text: str) -> set[str]:
    """The tiers of 优质中小企业 a text names ("专精特新“小巨人”" is the 小巨人 tier only)."""
    return {name for name, pattern in _TIERS.items() if pattern.search(text)}


def other_tier(asked: set[str], sentence: str, section: str = "") -> bool:
    """The sentence (or, when it names none, its section) is about a tier the question does not ask about: "省级
    专精特新能不能申报" is not answered by "“小巨人”…研发费用总额不低于3000万元"."""
    named = tiers(sentence) or tiers(section.split(" > ")[-1])  # the section itself, not the document's title
    return bool(asked) and bool(named) and not named & asked


def _han(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fff]", "", text)


def rumour_answers(question: str, sentence: str) -> bool:
    """A listed rumour ("误传：有文章把“小巨人关键工序数控化率”目标…说成是行动方案内容，不实") is evidence for a question
    that repeats hearsay, or one that asks about what the rumour claims ("行动方案里给小巨人定的数控化率目标是多少",
    57 % of its bigrams); for any other question (an owner's 营收 and 研发 question shares 5 %) it is noise."""
    if is_hearsay(question):
        return True
    asked = bigrams(_han(question))
    return bool(asked) and len(asked & bigrams(_han(sentence))) >= RUMOUR_OVERLAP * len(asked)


def select_sentences(question: str, text: str, budget: int, section: str = "") -> list[str]:
    """The best sentences of `text` for `question`, in their original order, within `budget` characters; without
    the listed rumours (误传) that do not answer it, and without sentences about another tier, scenario or industry
    than the one asked about (`subjects.other_subject`)."""
    asked, subjects = tiers(question), asked_subjects(question)
    about_sources = bool(ASKS_SOURCES.search(question))
    sentences = [s.strip() for s in split_sentences(text) if s.strip()
                 and (about_sources or not ABOUT_DOCUMENT.match(s.strip()))
                 and (not RUMOUR.search(s) or rumour_answers(question, s)) and not other_tier(asked, s, section)
                 and not other_subject(subjects, s, section)]
    if not sentences:
        return []
    qt, qb, numeric = set(tokenize(question)), bigrams(question), bool(NUMERIC_QUESTION.search(question))
    listing, answers, places = is_listing(question), answer_patterns(question), places_in(question)
    ranked = sorted(range(len(sentences)),
                    key=lambda i: -sentence_score(qt, qb, sentences[i], numeric, listing, answers, places))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if used + len(sentences[i]) > budget and chosen:
            continue
        chosen.append(i)
        used += len(sentences[i])
        if used >= budget:
            break
    return [sentences[i] for i in sorted(chosen)]


def _items(text: str) -> list[tuple[str, str]]:
    """(head, content) of each list item of `text`, in order: "- 上云：使用云计算资源（待核实）；" → ("上云", "使用云计算
    资源"). Items that are short names without a head ("1. 创新筑基") are all head, when every item of the text is one
    of the two kinds and none of the names holds a figure: a list of targets ("- 推出1000个高水平工业智能体") whose longer
    items would be left out is no list of names."""
    headed, plain, other = [], [], 0
    for line in text.splitlines():
        if m := _ITEM_HEAD.match(line):
            content = re.sub(r"[（(]待核实[）)]", "", line[m.end():]).strip().rstrip("；;。，, ")
            headed.append((m.group(1).strip(), content))
            plain.append(headed[-1])
        elif (m := _PLAIN_ITEM.match(line)) and not re.search(r"\d", m.group(1)):
            plain.append((m.group(1).strip(), ""))
        elif _BULLET_LINE.match(line):
            other += 1
    return plain if not other and len(plain) > len(headed) else headed


def list_heads(text: str, section: str = "", question: str = "") -> str:
    """The items of a list of three or more in `text`, as one sentence led by its section's own heading ("五项保障措施：
    组织保障、资金支持、人才保障、交流互鉴、国际合作。"); "" when the text holds no such list. The small context keeps two or
    three whole items of a passage; this keeps every item. A question for what each item is or who does it (`_EACH`:
    "分别是什么意思") gets each item's head with its content ("上云：使用云计算资源和SaaS软件服务；用数：…"), when every
    item is short enough to quote."""
    items = _items(text)
    heads = [h for h, _ in items]
    if len(heads) < 3 or len(set(heads)) < len(heads) or all(_LEVEL.match(h) for h in heads):
        return ""
    if sum(h in question for h in heads) == 1:  # "“深化链群融通”这部分说的是哪几种…" asks inside one item
        return ""
    lead = re.split(r"[：:]", section.split(" > ")[-1])[-1].strip()  # "解读问题五：…的五方面保障措施" → its heading
    whole = [f"{h}：{c}" if c else h for h, c in items]
    caution = "（待核实）" if any("待核实" in line for line in text.splitlines() if _ITEM_HEAD.match(line)) else ""
    if question and _EACH.search(question) and any(c for _, c in items) and all(len(w) <= ITEM_CHARS for w in whole):
        joined = "；".join(whole) + caution
    else:
        joined = ("，" if any("、" in h for h in heads) else "、").join(heads)
    return f"{lead}：{joined}。" if lead else f"{joined}。"


def compact_context(question: str, hits: list[Hit], *, budget_chars: int = 600, max_passages: int = 4) -> list[Passage]:
    """The passages of the prompt: the best sentences of the first `max_passages` hits, numbered from 1. A listed
    rumour ("误传：有网页称…，此说不实") is evidence for a question that repeats hearsay; for any other question
    it is left out unless it asks about what the rumour claims (`rumour_answers`): the small model would quote it,
    and the extractive answer picks it for its shared words."""
    passages: list[Passage] = []
    seen: set[str] = set()
    hits = hits[:max_passages]
    per_passage = max(80, budget_chars // max(1, len(hits)))
    own = own_question(question)[0]  # a follow-up's earlier "哪几个部门" asks for no list now
    whole_list = bool(_WHOLE_LIST.search(own))
    for hit in hits:
        if INJECTION.search(hit.chunk.text):  # a document that gives orders is left out of the prompt entirely
            continue
        heads = list_heads(hit.chunk.text, hit.chunk.section or "", own) if whole_list else ""
        chosen = [s for s in select_sentences(question, hit.chunk.text, per_passage - len(heads),
                                              hit.chunk.section or "") if s not in seen]
        heads = heads if heads and heads not in seen else ""
        chosen = ([heads] if heads else []) + chosen
        if not chosen:
            continue
        seen.update(chosen)
        passages.append(Passage(n=len(passages) + 1, hit=hit, sentences=tuple(chosen), heads=heads))
    return passages


def render_context(passages: list[Passage]) -> str:
    return "\n".join(f"[{p.n}] {p.label}：{p.text}" for p in passages)


CAUTION_MARK = "待核实"


def _line_of(sentence: str, text: str) -> str:
    return next((line for line in text.splitlines() if sentence[:20] in line), "")


def prose_passages(passages: list[Passage]) -> list[Passage]:
    """Sentences fit for written prose (plan sections): no lead-ins ending in a colon, no quoted rumours (误传),
    and a sentence cut from a line marked （待核实） keeps the mark. Renumbered from 1."""
    out = []
    for p in passages:
        kept = []
        for s in p.sentences:
            core = s.strip()
            if not core or core.rstrip("\n").endswith(("：", ":")) or RUMOUR.search(core):
                continue
            if CAUTION_MARK not in core and CAUTION_MARK in _line_of(core, p.hit.chunk.text):
                core = re.sub(r"([。；;]?)$", r"（待核实）\1", core.rstrip("\n"), count=1)
            kept.append(core)
        if kept:
            out.append(Passage(n=len(out) + 1, hit=p.hit, sentences=tuple(kept)))
    return out
