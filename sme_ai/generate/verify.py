"""Citation and number verification of a generated answer, with repair.

Every [n] marker must point to a passage that was in the context; every number, percentage, date and 文号 in
the answer must appear in the context (never merely in the question). A sentence with an unsupported number is dropped; an
answer left empty falls back to the extractive answer. What was repaired is counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sme_ai.generate.context import Passage
from sme_ai.text import bigrams

_MARKERS = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
# 文号 first, then numbers with the unit that follows them: "100万元" is not supported by "100分".
_UNIT = r"(?:万亿|亿元|万元|亿|万|元|[%％‰]|家|个|项|分|倍|年|月|日|号|城|人|台|套|座|条|次|天|小时)?"
_NUMBER = re.compile(r"〔\d{4}〕\d+号|\d+(?:\.\d+)?\s*" + _UNIT)
_SENT = re.compile(r"[^。！？!?\n]+[。！？!?]*\n?")
_REFUSAL = re.compile(r"资料中?未提及|资料中?没有(提到|提及|相关)|未在资料中|not (mentioned|covered)|do(es)? not (mention|cover)", re.I)


def _canon(num: str) -> str:
    return num.replace("％", "%").replace(" ", "")


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
    return bool(_REFUSAL.search(text))


@dataclass
class Verified:
    text: str
    used: list[int] = field(default_factory=list)
    invalid_markers: int = 0
    unsupported_numbers: list[str] = field(default_factory=list)
    dropped_sentences: int = 0
    auto_cited: int = 0

    @property
    def repaired(self) -> bool:
        return bool(self.invalid_markers or self.unsupported_numbers or self.dropped_sentences)


def _support_text(passages: list[Passage]) -> str:
    """Only the sources support a number: a figure that merely repeats the question ("奖补1亿元是真的吗") is not
    evidence."""
    return _canon(" ".join(p.hit.chunk.text for p in passages))


def is_supported(number: str, support: str) -> bool:
    """The number (with its unit) stands in the support text, not as part of a longer number."""
    return re.search(r"(?<![\d.])" + re.escape(number) + (r"(?![\d.])" if number[-1].isdigit() else ""), support) is not None


def _best_passage(sentence: str, passages: list[Passage]) -> int | None:
    sb = bigrams(sentence)
    scored = [(len(sb & bigrams(p.text)), p.n) for p in passages]
    best = max(scored, default=(0, None))
    return best[1] if best[0] >= 3 else None


def verify_answer(text: str, passages: list[Passage]) -> Verified:
    valid = {p.n for p in passages}
    support = _support_text(passages)
    result = Verified(text="")
    kept: list[str] = []
    for sentence in _SENT.findall(normalise_markers(text.strip())):
        bad_numbers = [n for n in numbers_in(sentence) if not is_supported(n, support)]
        if bad_numbers:
            result.unsupported_numbers += bad_numbers
            result.dropped_sentences += 1
            continue

        def fix(m: re.Match) -> str:
            n = int(m.group(1))
            if n in valid:
                if n not in result.used:
                    result.used.append(n)
                return m.group(0)
            result.invalid_markers += 1
            return ""

        sentence = re.sub(r"\[(\d+)\]", fix, sentence)
        if not re.search(r"\[\d+\]", sentence) and not is_refusal(sentence) and len(sentence.strip()) > 6:
            n = _best_passage(sentence, passages)  # small models forget markers: cite the passage it came from
            if n is not None:
                end = len(sentence.rstrip("\n。！？!? "))
                sentence = sentence[:end] + f"[{n}]" + sentence[end:]
                result.auto_cited += 1
                if n not in result.used:
                    result.used.append(n)
        kept.append(sentence)
    result.text = "".join(kept).strip()
    return result
