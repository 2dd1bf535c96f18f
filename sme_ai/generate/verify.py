"""Claim-level verification of a generated answer, with repair. Each sentence is checked against the passage it
cites:

- every [n] marker points to a passage that was in the context (others are removed);
- every number, percentage, date and 文号 stands in the context (never merely in the question);
- the sentence's content words are supported by its cited passage (≥ `SUPPORT` of them stand in it); a sentence
  that another passage supports is re-cited to that passage, one that no passage supports is dropped;
- each number is bound to the same subject as in the source: the words of the answer's clause around the number
  stand in the source sentence that holds the number (no "汽车行业数控化率也是75%" when 75 % belongs to 规上工业);
- a list is one list of the source: no item merged in from another sentence ("…金融监管总局以及国家数据局" when
  the plan was issued by four departments and 国家数据局 is named elsewhere);
- polarity agrees: a sentence drawn from a source sentence that warns or negates ("避免一开始就采购大而全的软件")
  must warn or negate too.
- a 文号 is attached to the figures of its own document: in a sentence with figures, the 文号 and a figure stand in
  one source sentence (no "239号文件明确…100亿元" when the 100亿元 is 财建〔2021〕2号's).

What was repaired is counted; an answer left empty falls back to the extractive answer (in `compose`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sme_ai.generate.context import Passage, list_heads
from sme_ai.text import bigrams, split_sentences, tokenize

_MARKERS = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
# 文号 first, then numbers with the unit that follows them: "100万元" is not supported by "100分".
_UNIT = r"(?:万亿|亿元|万元|亿|万|元|[%％‰]|家|个|项|分|倍|年|月|日|号|城|人|台|套|座|条|次|天|小时)"
# the space before a unit belongs to the number only when a unit follows ("3.5\n" is "3.5")
_NUMBER = re.compile(r"〔\d{4}〕\d+号|\d+(?:\.\d+)?(?:\s*" + _UNIT + ")?")
_SENT = re.compile(r"[^。！？!?\n]+[。！？!?]*\n?")
_REFUSAL = re.compile(r"资料中?未提及|资料中?没有(提到|提及|相关)|未在资料中|not (mentioned|covered)|do(es)? not (mention|cover)", re.I)


def _canon(num: str) -> str:
    return re.sub(r"[ \t\u3000]", "", num.replace("％", "%"))


def numbers_in(text: str) -> list[str]:
    """Numbers worth checking: multi-digit numbers, any number with % , decimals, and 文号."""
    out = []
    for m in _NUMBER.finditer(_MARKERS.sub("", text)):
        tok = _canon(m.group(0))
        digits = re.sub(r"\D", "", tok)
        if len(digits) >= 2 or not tok[-1].isdigit() and len(digits) and tok[-1] in "%万亿元‰" or tok.startswith("〔"):
            out.append(tok)
    return out


def normalise_markers(text: str) -> str:
    """【1】, [1,2] and [1、2] → [1][2]."""
    return _MARKERS.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,，、]\s*", m.group(1))), text)


def is_refusal(text: str) -> bool:
    """The text says the sources do not cover something (anywhere in it)."""
    return bool(_REFUSAL.search(text))


def is_whole_refusal(text: str) -> bool:
    """Nothing but "the sources do not cover it": an answer that also says what some part of the sources does not
    cover ("资料未提及具体金额") still answers the rest."""
    rest = "".join(s for s in _SENT.findall(_MARKERS.sub("", text)) if not is_refusal(s))
    return is_refusal(text) and len(re.sub(r"\W", "", rest)) < 6


SUPPORT = 0.6  # share of a sentence's content words that must stand in its cited passage
ITEM = 0.6  # share of a list item's character bigrams that must stand in the source sentence holding the list
BINDING = 0.5  # share of the words of a number's clause that must stand in the source sentence holding the number
# words that say how, not what: they need no support
_FRAME = frozenset("""根据 资料 提到 指出 显示 表示 介绍 明确 来看 而言 方面 情况 内容 具体 主要 其中 同时 此外 另外 因此
    所以 目前 现在 已经 包括 以下 如下 一是 二是 三是 首先 其次 最后 进行 开展 通过 相应 有关 相应 您 你们 贵 企业 公司 工厂 厂
    建议 可以 能够 应当 需要 还要 要求 规定 提出 总体 上述 这类 这种 这些 一些 部分 方式 做法 问题 回答 答案 可能 注意""".split())
NEGATION = re.compile(r"不要|不宜|不应|不得|不能|不必|无需|不需要|不用|避免|切忌|禁止|防止|警惕|谨防|并非|不是|不属于|误区|不实|"
                      r"误传|没有|未|勿|别|不")
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")


@dataclass
class Verified:
    text: str
    used: list[int] = field(default_factory=list)
    invalid_markers: int = 0
    unsupported_numbers: list[str] = field(default_factory=list)
    dropped_sentences: int = 0
    auto_cited: int = 0
    unsupported_claims: int = 0  # sentences no passage supports (dropped)
    recited: int = 0             # sentences moved to the passage that does support them
    misbound_numbers: list[str] = field(default_factory=list)  # a number tied to another subject than in the source
    polarity_flips: int = 0      # a warning or negation in the source lost in the answer, or the reverse

    @property
    def repaired(self) -> bool:
        return bool(self.invalid_markers or self.unsupported_numbers or self.dropped_sentences or self.recited)


def content_words(text: str) -> list[str]:
    """The words that carry a sentence's claim: tokens of two or more characters that are neither numbers nor frame
    words ("根据", "资料", "建议"). `text` is normalised."""
    words = []
    for t in tokenize(_MARKERS.sub("", text)):
        if len(t) >= 2 and not re.search(r"\d", t) and t not in _FRAME and t not in words:
            words.append(t)
    return words


def support_share(words: list[str], source: str) -> float:
    """The share of `words` that stand in `source` (1.0 for a sentence without content words)."""
    return sum(w in source for w in words) / len(words) if words else 1.0


@lru_cache(maxsize=64)
def _sentences(source: str) -> tuple[str, ...]:
    """A passage's sentences, split once: every check of every answer sentence against it asks again."""
    return tuple(split_sentences(source))


@lru_cache(maxsize=64)
def _with_previous(source: str) -> tuple[str, ...]:
    """Each sentence with the one before it (a subject is often named there)."""
    parts = _sentences(source)
    return tuple(" ".join(parts[max(0, i - 1): i + 1]) for i in range(len(parts)))


def _clause_of(number: str, sentence: str) -> str:
    plain = _MARKERS.sub("", sentence)
    return next((c for c in _CLAUSE.findall(plain) if number in _canon(c)), plain)


def number_bound(number: str, sentence: str, source: str) -> bool:
    """The words of the answer's clause around `number` stand in a source sentence that holds the same number (with
    the sentence before it: a subject is often named there), and none of them was borrowed from another sentence of
    the source ("纺织行业…普及率85%" when 85 % is the electronics industry's and 纺织 stands two sentences on)."""
    words = content_words(_clause_of(number, sentence))
    if not words:
        return True
    parts = _sentences(source)
    holders = [w for w, p in zip(_with_previous(source), parts) if is_supported(number, _canon(p))]
    if not holders:
        return True
    elsewhere = [w for w in words if w in source]
    return any(support_share(words, h) >= BINDING and all(w in h for w in elsewhere) for h in holders)


_YEARISH = re.compile(r"^(?:19|20)\d{2}年?$")


def docnumber_bound(sentence: str, source: str) -> bool:
    """A 文号 in a sentence that states figures is the document that states them: the 文号 and at least one of the
    figures stand in one source sentence (or the one before it). "工信部联企业〔2024〕239号文件明确，中央财政安排100亿元"
    fails when the 100亿元 belongs to 财建〔2021〕2号 and 239号 is named elsewhere in the passage or in another one."""
    numbers = numbers_in(_MARKERS.sub("", sentence))
    docs = [n for n in numbers if n.startswith("〔")]
    figures = [n for n in numbers if not n.startswith("〔") and not _YEARISH.match(n)]
    if not docs or not figures:
        return True
    windows = [_canon(w) for w in _with_previous(source)]
    return all(any(is_supported(d, w) and any(is_supported(f, w) for f in figures) for w in windows) for d in docs)


def _stands(grams: set[str], text: str) -> bool:
    return not grams or sum(g in text for g in grams) >= ITEM * len(grams)


def enumeration_bound(sentence: str, source: str) -> bool:
    """A list in the answer ("工信部、财政部、人民银行以及国家数据局") comes from one list in the source: every item
    stands in the one source sentence that holds most of them (no item merged in from another sentence)."""
    heads = list_heads(source)  # the heads of a list's items are one list too ("五项保障措施：组织保障、资金支持、…")
    # items and sources compared without punctuation alike: "普及率>95%" holds the item "普及率95"
    parts = [re.sub(r"\W", "", p) for p in (*_sentences(source), *([heads] if heads else []))]
    for clause in _CLAUSE.findall(_MARKERS.sub("", sentence)):
        if clause.count("、") < 2:
            continue
        # an item stands in a sentence when most of its character bigrams do ("国家数据局共同发的" does not stand in
        # the sentence that lists four departments; jieba does not keep such names whole)
        items = [bigrams(re.sub(r"\W", "", i)) for i in re.split(r"、|以及|及", clause) if len(i.strip()) >= 2]
        best = max(parts, key=lambda p: sum(_stands(item, p) for item in items), default="")
        if not all(_stands(item, best) for item in items):
            return False
    return True


def polarity_agrees(sentence: str, source: str) -> bool:
    """Each clause of the answer negates or warns exactly when the source clause it draws on (the one sharing most
    of its words, at least two) does."""
    source_clauses = [c for part in _sentences(source) for c in _CLAUSE.findall(part)]
    for clause in _CLAUSE.findall(_MARKERS.sub("", sentence)):
        words = content_words(clause)
        if len(words) < 2:
            continue
        closest = max(source_clauses, key=lambda c: sum(w in c for w in words), default="")
        if sum(w in closest for w in words) >= 2 and bool(NEGATION.search(clause)) != bool(NEGATION.search(closest)):
            return False
    return True


def _source_text(passage: Passage) -> str:
    """What a passage's chunk says, its section heading included ("行动方案（2025—2027年）的五项保障措施")."""
    return f"{passage.hit.chunk.section or ''} {passage.hit.chunk.text}"


def _support_text(passages: list[Passage]) -> str:
    """Only the sources support a number (their text and section headings): a figure that merely repeats the
    question ("奖补1亿元是真的吗") is not evidence."""
    return _canon(" ".join(map(_source_text, passages)))


def is_supported(number: str, support: str) -> bool:
    """The number (with its unit) stands in the support text, not as part of a longer number."""
    return re.search(r"(?<![\d.])" + re.escape(number) + (r"(?![\d.])" if number[-1].isdigit() else ""), support) is not None


def _check_claim(sentence: str, cited: list[int], by_n: dict[int, Passage]) -> tuple[list[int] | None, str]:
    """The passages that support the sentence (its own markers first, else the best other one), or None with why."""
    words, numbers = content_words(sentence), numbers_in(sentence)

    def fits(n: int, alone: bool = True) -> str:
        source = by_n[n].hit.chunk.text
        if support_share(words, source) < SUPPORT:
            return "claim"
        # every figure stands in the passage the sentence cites, not merely somewhere in the prompt ("行动方案一共有
        # 13大任务[1]" where 13 is the 2020 plan's count in passage 3); a sentence citing several passages is
        # checked against them together below
        if alone and any(not is_supported(x, _canon(_source_text(by_n[n]))) for x in numbers):
            return "binding"
        # the section heading is part of the source: a list's sentence is led by it ("数字化经营16个场景的分类总览：…")
        headed = f"{by_n[n].hit.chunk.section}\n{source}" if by_n[n].hit.chunk.section else source
        if any(is_supported(x, _canon(source)) and not number_bound(x, sentence, headed) for x in numbers):
            return "binding"
        if not polarity_agrees(sentence, source):
            return "polarity"
        if not enumeration_bound(sentence, source) or not docnumber_bound(sentence, source):
            return "binding"
        return ""

    own = [n for n in cited if not fits(n, alone=len(cited) == 1)]
    together = _support_text([by_n[n] for n in own])
    if len(cited) > 1 and any(not is_supported(x, together) for x in numbers):
        own = []
    if own or not cited and not words:
        return own, ""
    why = fits(cited[0]) if cited else "claim"
    others = sorted((n for n in by_n if n not in cited), key=lambda n: -support_share(words, by_n[n].hit.chunk.text))
    for n in others[:3]:
        if not fits(n):
            return [n], "recited"
    return None, why


def _with_markers(sentence: str, marks: list[int]) -> str:
    """The sentence's text with exactly `marks`, placed before its final punctuation."""
    body = _MARKERS.sub("", sentence)
    newline = body[len(body.rstrip("\n")):]
    body = body.rstrip("\n")
    end = len(body.rstrip("。！？!? "))
    return body[:end] + "".join(f"[{n}]" for n in marks) + body[end:] + newline


def verify_answer(text: str, passages: list[Passage]) -> Verified:
    valid = {p.n for p in passages}
    by_n = {p.n: p for p in passages}
    support = _support_text(passages)
    result = Verified(text="")
    kept: list[str] = []
    for sentence in _SENT.findall(normalise_markers(text.strip())):
        bad_numbers = [n for n in numbers_in(sentence) if not is_supported(n, support)]
        if bad_numbers:
            result.unsupported_numbers += bad_numbers
            result.dropped_sentences += 1
            continue
        marks = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        result.invalid_markers += sum(n not in valid for n in marks)
        cited = list(dict.fromkeys(n for n in marks if n in valid))
        keep = cited
        if not is_refusal(sentence) and len(_MARKERS.sub("", sentence).strip()) > 6:
            keep, why = _check_claim(sentence, cited, by_n)
            if keep is None:
                result.dropped_sentences += 1
                if why == "binding":
                    result.misbound_numbers += numbers_in(sentence)
                elif why == "polarity":
                    result.polarity_flips += 1
                else:
                    result.unsupported_claims += 1
                continue
            if not cited and keep:
                result.auto_cited += 1  # small models forget markers: cite the passage it came from
            elif keep != cited:
                result.recited += 1
        kept.append(_with_markers(sentence, keep))
        result.used += [n for n in keep if n not in result.used]
    result.text = "".join(kept).strip()
    return result
