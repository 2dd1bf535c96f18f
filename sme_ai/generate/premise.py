"""The premise check, before any generation: what a question names must be something the knowledge base knows.

The years, 文号, 《titles》, named programmes and support amounts a question asks about (`sme_ai.question.
checkable_terms`) are looked up in every chunk of the knowledge base:

- a term found nowhere is *unknown*: the answer says plainly that the documents have nothing on it, instead of
  answering from nearby passages ("资料中没有关于2028—2030年的内容");
- a term found only in sentences that the corpus itself marks as a rumour (误传, 不实) is a *rumour*: the answer
  corrects it by quoting that sentence, with its citation;
- a place the documents never mention is only noted (an owner says where the firm is; the rest may still apply).

A year the owner gives about the firm itself ("2015年建厂") is not a premise about policy and is not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sme_ai.generate.context import RUMOUR
from sme_ai.question import Terms, is_hearsay
from sme_ai.text import bigrams, split_sentences
from sme_ai.types import Chunk

_RANGE = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:—|–|-|－|~|～|到|至)\s*((?:19|20)\d{2})")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
_OWN_YEAR = r"\s*年?.{0,3}(?:成立|创办|创立|建厂|建成|开厂|开的|开始|注册|起家|以来|投产|买|上的|装的|引进)"


class ChunkSource(Protocol):
    """What the check reads: every chunk of the knowledge base (the KnowledgeBase satisfies it)."""

    def all_chunks(self) -> list[Chunk]: ...


@dataclass(frozen=True)
class Premise:
    unknown: tuple[str, ...] = ()         # terms the knowledge base has nothing on
    rumours: tuple[tuple[Chunk, str], ...] = ()  # (chunk, sentence) that lists what the question asserts as 误传
    unknown_places: tuple[str, ...] = ()  # places the documents never mention (noted, not refused)

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.rumours


def _occurrences(pattern: re.Pattern, chunks: list[Chunk]) -> list[tuple[Chunk, str]]:
    """(chunk, sentence) for every sentence that matches."""
    out = []
    for c in chunks:
        if pattern.search(c.text):
            out += [(c, s) for s in split_sentences(c.text) if pattern.search(s)]
    return out


def _covered_years(chunks: list[Chunk]) -> set[str]:
    years: set[str] = set()
    for c in chunks:
        years.update(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", c.text))
        for a, b in _RANGE.findall(c.text):
            if a < b and int(b) - int(a) <= 10:
                years.update(str(y) for y in range(int(a), int(b) + 1))
    return years


def _han(text: str) -> str:
    return _NOT_HAN.sub("", text)


def _name_occurrences(name: str, chunks: list[Chunk]) -> list[tuple[Chunk, str]]:
    """A name is known where it stands (punctuation aside: "人工智能+制造"专项), or where one sentence holds ≥ 80 %
    of its character bigrams and its last bigram (the part that says what it is: "…券", "…专项")."""
    name = _han(name) or name
    nb, tail = bigrams(name), name[-2:]
    out = []
    for c in chunks:
        if tail not in c.text:
            continue
        for s in split_sentences(c.text):
            hs = _han(s)
            if name in hs or len(name) >= 4 and tail in hs and len(nb & bigrams(hs)) >= 0.8 * len(nb):
                out.append((c, s))
    return out


def _doc_number_pattern(doc_number: str) -> re.Pattern:
    year, num = re.match(r"〔(\d{4})〕(\d+)号", doc_number).groups()
    return re.compile(rf"[〔\[［(（]\s*{year}\s*[〕\]］)）]\s*{num}\s*号")


RUMOUR_SHARE, RUMOUR_WORDS, RARE = 0.5, 4, 0.02  # a hearsay question matches a listed rumour when this many of its words stand in it


def _matching_rumours(question: str, chunks: list[Chunk]) -> list[tuple[Chunk, str]]:
    """Listed rumours (误传 sentences) that a sentence of the question repeats: at least four of its content words
    and figures stand in the rumour, at least half of them — and the question is hearsay ("听说", "网上说") or
    repeats the rumour almost word for word (80 % of seven or more words). Sentences and clauses are tried, and the
    words matched must include rare ones (in at most `RARE` of the chunks, or three: one rare word for hearsay, two
    otherwise), so that a question sharing only the everyday words of a rumour list ("财政", "支持", "中小企业")
    does not match. A heading that names a rumour list is not a rumour."""
    from sme_ai.generate.verify import content_words, numbers_in

    hearsay = is_hearsay(question)
    rare_at = max(3, RARE * len(chunks))
    listed = [(c, s) for c, s in _occurrences(RUMOUR, chunks) if not s.lstrip().startswith("#")]
    found: dict[tuple[str, str], tuple[int, Chunk, str]] = {}
    parts = split_sentences(question)
    parts += [c for p in parts for c in re.split(r"[，,；;]", p) if c not in parts]
    for part in parts:
        words = content_words(part) + [n for n in numbers_in(part) if not re.fullmatch(r"\d+", n)]
        if len(words) < RUMOUR_WORDS:
            continue
        for c, s in listed:
            plain = s.replace("元", "")
            hit = sum(w.replace("元", "") in plain or w in s.lower() for w in words)
            share = hit / len(words)
            verbatim = share >= 0.8 and hit >= 7
            if hit < RUMOUR_WORDS or share < RUMOUR_SHARE or not (hearsay or verbatim):
                continue
            rare = sum(1 for w in words
                       if (w.replace("元", "") in plain or w in s.lower()) and _spread(w, chunks) <= rare_at)
            if rare >= (1 if hearsay else 2):
                key = (c.id, s)
                if key not in found or found[key][0] < hit:
                    found[key] = (hit, c, s)
    return [(c, s) for _, c, s in sorted(found.values(), key=lambda t: -t[0])]


def _spread(word: str, chunks: list[Chunk]) -> int:
    """In how many chunks the word stands."""
    return sum(word in c.text.lower() for c in chunks)


def _amount_occurrences(amount: str, question: str, chunks: list[Chunk]) -> list[tuple[Chunk, str]]:
    """Sentences that state the amount together with the kind of support the question ties it to ("贴息50%" needs
    a sentence with both 贴息 and 50%)."""
    number = re.compile(r"(?<![\d.])" + re.escape(amount).replace("%", "[%％]"))
    kinds = [k for k in ("贴息", "补贴", "补助", "奖补", "奖励", "资助", "扶持", "资金") if k in question]
    return [(c, s) for c, s in _occurrences(number, chunks) if not kinds or any(k in s for k in kinds)]


def _owner_years(question: str) -> set[str]:
    return set(re.findall(r"((?:19|20)\d{2})" + _OWN_YEAR, question))


def check_premise(question: str, terms: Terms, retrieved: list[Chunk], source: ChunkSource,
                  titles: list[str]) -> Premise:
    """`question` normalised, `terms` its checkable terms, `retrieved` the chunks retrieved for it, `titles` the
    knowledge base's document titles. Years are judged against the retrieved chunks (a year the knowledge base
    covers for another plan — 2030 for the pharmaceutical industry — does not answer "2028—2030年的行动方案"); the
    other terms against the whole knowledge base."""
    chunks = source.all_chunks()
    if not chunks:
        return Premise()
    unknown: list[str] = []
    rumours: list[tuple[Chunk, str]] = []

    def judge(label: str, found: list[tuple[Chunk, str]]) -> None:
        if not found:
            unknown.append(label)
        elif all(RUMOUR.search(s) for _, s in found):
            rumours.extend(f for f in found if f not in rumours)

    covered, own = _covered_years(retrieved or chunks), _owner_years(question)
    missing_years = [y for y in terms.years if y not in covered and y not in own]
    if missing_years:
        ranges = [r for r in terms.year_ranges if any(y in r for y in missing_years)]
        unknown.extend(ranges or [f"{y}年" for y in missing_years])
    for d in terms.doc_numbers:
        judge(d, _occurrences(_doc_number_pattern(d), chunks))
    for t in terms.titles:
        literal = _occurrences(re.compile(re.escape(t)), chunks)
        if not literal and any(t in title or title in t for title in titles):
            continue
        judge(f"《{t}》", literal or _name_occurrences(t, chunks))
    for n in terms.names:
        judge(f"“{n}”", _name_occurrences(n, chunks))
    for a in terms.amounts:
        judge(a, _amount_occurrences(a, question, chunks))
    if not unknown and not rumours:
        rumours = _matching_rumours(question, chunks)
    places = tuple(p for p in terms.places if not any(p[:-1] in c.text for c in chunks))
    return Premise(unknown=tuple(unknown), rumours=tuple(rumours[:2]), unknown_places=places)
