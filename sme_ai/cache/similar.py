"""Near-duplicate questions for the answer cache: "上云率目标是多少" and "2027年上云率要达到多少？" share an answer,
"数控化率目标是多少" or "2026年上云率要达到多少" never get it.

Two questions are the same question when all three agree:
- retrieval: the same top passages (as a set) from the same knowledge-base version, so both are answered from the
  same evidence;
- the core: what is left of the question without asking words ("请问", "是多少", "要达到", "目标"), years and
  punctuation is the same text (or nearly: character-bigram overlap ≥ CORE_OVERLAP);
- the checkable terms of the premise check (years, 文号, 《titles》, names, amounts, places, numbers): where both
  questions name one kind they name the same ones; where only one names it, the cached answer itself states it
  ("2027年" asked, and the answer is about 2027).

Only standalone questions are compared (a follow-up's meaning is in the conversation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from sme_ai.question import Terms, checkable_terms
from sme_ai.text import bigrams, normalize_text

TOP_PASSAGES = 3
CORE_OVERLAP = 0.8
_ASKING = re.compile(
    r"请问|你好|您好|我想知道|想知道|想问一下|想问|想了解|了解一下|告诉我|麻烦|请介绍|介绍|请说说|说说|讲讲|"
    r"一下|具体|大概|到底|究竟|"
    r"是多少|是什么|有哪些|有什么|有多少|是哪些|是哪个|多少|什么|哪些|哪个|怎么样|怎么|如何|"
    r"需要达到|应当达到|应达到|要达到|达到|目标|要求|指标|吗|呢|呀|啊|吧|的|了|是|要|有")
_YEARS = re.compile(r"(?:到|至)?(?:19|20)\d{2}\s*年?(?:底|末|前)?")
PUNCTUATION = r"\s\u3000?？!！。.,，、;；:：\"'“”‘’()（）《》<>【】\[\]…~～"  # the exact cache key drops these too
_NOISE = re.compile(f"[{PUNCTUATION}—–-]+")
_FIELDS = ("years", "doc_numbers", "titles", "names", "amounts", "places", "numbers")


@dataclass(frozen=True)
class Shape:
    """What a question's cache entry is compared on; the core and the terms are worked out only when an entry with
    the same evidence is there to compare with (most questions meet none)."""

    version: int
    passages: frozenset[str]  # chunk ids of the top retrieved passages
    question: str  # normalised

    @cached_property
    def core(self) -> str:
        return core(self.question)

    @cached_property
    def terms(self) -> Terms:
        return checkable_terms(self.question)


def core(question: str) -> str:
    q = _NOISE.sub("", normalize_text(question).lower())
    return _ASKING.sub("", _YEARS.sub("", q))


def shape(question: str, chunk_ids: list[str], version: int) -> Shape:
    return Shape(version, frozenset(chunk_ids[:TOP_PASSAGES]), normalize_text(question))


def _same_core(a: str, b: str) -> bool:
    if a == b:
        return True
    ab, bb = bigrams(a), bigrams(b)
    return bool(ab and bb) and len(ab & bb) / len(ab | bb) >= CORE_OVERLAP


def _terms_agree(a: Terms, b: Terms, answer_text: str) -> bool:
    for name in _FIELDS:
        x, y = set(getattr(a, name)), set(getattr(b, name))
        if x and y:
            if x != y:
                return False
        elif any(t not in answer_text for t in x | y):
            return False
    return True


def same_question(asked: Shape, cached: Shape, answer_text: str) -> bool:
    return (asked.version == cached.version and asked.passages == cached.passages
            and _same_core(asked.core, cached.core) and _terms_agree(asked.terms, cached.terms, answer_text))
