"""The one answer sequence, for chat answers and plan sections alike: generate → refusal check → verify → fallback.

`compose` yields the model's text deltas as they come, then one `Composed`. Without a model (the extractive mode),
when the model fails, or when nothing verifiable is left of what it wrote, the extractive text (the best source
sentences with their markers) is what gets verified instead. Nothing here retrieves or builds prompts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sme_ai.generate.context import Passage
from sme_ai.generate.extractive import ENGLISH_LEAD, is_near_duplicate
from sme_ai.generate.llm import LLM, Message
from sme_ai.generate.verify import Verified, is_whole_refusal, numbers_in, verify_answer
from sme_ai.text import marked_sentences

log = logging.getLogger(__name__)


@dataclass
class Composed:
    """What the sequence settled on: a refusal, or verified text (markers into `passages`) and what was repaired."""

    refused: bool
    verified: Verified | None
    raw: str
    meta: dict = field(default_factory=dict)


# the skeleton's first sentences an answer must keep, and the share of each one's character pairs it must hold.
# Replayed on the dev-set rows of the same questions answered by the model and by the extractive mode (the model's
# answer where it keeps the skeleton, else the extractive one): 0.5B, 50 questions: key facts 0.575 raw → 0.750
# (1 sentence, 31 model answers kept) / 0.775 (2 sentences, 23 kept; extractive alone 0.775), claim support 0.79 →
# 0.90 / 0.92; 1.5B, 118 questions: 0.691 → 0.830 / 0.851, refusal 0.875 → 0.958; coverage 0.3 and 0.5 alike
SKELETON_SENTENCES = 2
SKELETON_COVERAGE = 0.5


def compose(llm: LLM | None, messages: list[Message], passages: list[Passage], *, max_tokens: int,
            extract: Callable[[], str], tidy: Callable[[str], str] | None = None,
            refusal_falls_back: bool = False, keep_numbers: bool = False, skeleton: bool = False,
            english: bool = False, max_chars: int | None = None,
            skeleton_sentences: int = SKELETON_SENTENCES) -> Iterator[str | Composed]:
    """`extract()` gives the extractive text; `tidy` cleans the model's raw text before it is checked.
    A model that says the sources do not cover the question gives a refusal (chat), or the extractive text where
    `refusal_falls_back` (a plan section must say something, and says only what the sources say).
    `keep_numbers`: a figure the extractive text quotes but the model's verified text lost is added back with its
    sentence (small models drop the number that answers the question). `skeleton`: the extractive text is what
    the answer must hold: a model refusal (the retrieval found relevant passages) or an answer that lost what
    the skeleton's first sentences say (`keeps_skeleton`) gives the extractive text instead. `max_chars` bounds
    the verified text (markers not counted), cut at a sentence."""
    meta: dict = {}
    if llm is None:
        raw = extract()
        yield raw
    else:
        raw = ""
        try:
            for piece in llm.stream(messages, max_tokens=max_tokens):
                raw += piece
                yield piece
        except Exception as e:  # a failing model must not leave the owner without an answer
            log.warning("generation failed, falling back to the extractive text: %s", e)
            meta["fallback"] = f"extractive:{type(e).__name__}"
            raw = extract()
    text = tidy(raw) if tidy and llm is not None and "fallback" not in meta else raw
    if is_whole_refusal(text):
        if skeleton and llm is not None and "fallback" not in meta and extract().strip():
            text, meta["fallback"] = extract(), "extractive:model_refused"
        elif not refusal_falls_back:
            yield Composed(refused=True, verified=None, raw=raw, meta=meta)
            return
        else:
            text, meta["fallback"] = extract(), "extractive:refusal"
    verified = verify_answer(text, passages)
    if not verified.text or not verified.used:
        meta["fallback"] = meta.get("fallback") or "extractive:unverifiable"
        verified = verify_answer(extract(), passages)
    elif keep_numbers and llm is not None and "fallback" not in meta:
        added = verify_answer("".join(_lost_number_sentences(verified.text, extract())), passages)
        if added.text:
            meta["kept_from_extract"] = 1
            verified.text += added.text
            verified.used += [n for n in added.used if n not in verified.used]
    if llm is not None and "fallback" not in meta:
        verified.text, meta["repeated_sentences"] = without_repeats(verified.text)
    if skeleton and llm is not None and "fallback" not in meta and not keeps_skeleton(verified.text, extract(),
                                                                                          english, skeleton_sentences):
        meta["fallback"] = "extractive:lost_facts"
        verified = verify_answer(extract(), passages)
    if max_chars:
        verified.text = _bounded(verified.text, max_chars)
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", verified.text)}
        verified.used = [n for n in verified.used if n in cited]  # no citation for a sentence cut off
    if not verified.text.strip() and not refusal_falls_back:  # nothing verifiable at all: never an empty answer
        meta["fallback"] = meta.get("fallback") or "extractive:unverifiable"
        yield Composed(refused=True, verified=None, raw=raw, meta=meta)
        return
    meta.update(invalid_markers=verified.invalid_markers, unsupported_numbers=verified.unsupported_numbers,
                dropped_sentences=verified.dropped_sentences, auto_cited=verified.auto_cited, raw=raw,
                unsupported_claims=verified.unsupported_claims, recited=verified.recited,
                misbound_numbers=verified.misbound_numbers, polarity_flips=verified.polarity_flips)
    yield Composed(refused=False, verified=verified, raw=raw, meta=meta)




_MARKER = re.compile(r"\[\d+\]")
_FIGURE = re.compile(r"\d+(?:\.\d+)?")  # the digits of a figure: "2027年" and "2027", "40%" and "40 %" agree


def _pairs(text: str) -> set[str]:
    core = re.sub(r"\W", "", _MARKER.sub("", text))
    return {core[i:i + 2] for i in range(len(core) - 1)}


def keeps_skeleton(text: str, extractive: str, english: bool = False, sentences: int = SKELETON_SENTENCES) -> bool:
    """The answer holds each of the extractive text's first `sentences` (`Settings.skeleton_sentences`): all its
    figures and (for a Chinese answer: an English one translates them) `SKELETON_COVERAGE` of its character pairs.
    The small models' answers that fail this lost the fact the question asks for, or bound it to another subject."""
    lead = extractive.removeprefix(ENGLISH_LEAD)
    have, mine = set(_FIGURE.findall(_MARKER.sub("", text))), _pairs(text)
    for sentence in marked_sentences(lead)[:sentences]:
        if not set(_FIGURE.findall(_MARKER.sub("", sentence))) <= have:
            return False
        pairs = _pairs(sentence)
        if not english and pairs and len(pairs & mine) < SKELETON_COVERAGE * len(pairs):
            return False
    return True


def without_repeats(text: str) -> tuple[str, int]:
    """The text without the sentences that say again what an earlier one said (the small models loop: "设立专门
    岗位或部门：…。定期开展培训：…。设立专门岗位或部门：…"), and how many were dropped."""
    kept: list[str] = []
    for sentence in marked_sentences(text):
        if is_near_duplicate(_MARKER.sub("", sentence).strip(), [_MARKER.sub("", k).strip() for k in kept]):
            continue
        kept.append(sentence)
    return "".join(kept), len(marked_sentences(text)) - len(kept)


def _lost_number_sentences(text: str, extractive: str, limit: int = 1) -> list[str]:
    """Of the extractive text's first `limit` sentences (the most relevant), those with a number the text lacks."""
    have = {n for n in numbers_in(text)}
    out = []
    lead = extractive.removeprefix(ENGLISH_LEAD)
    for sentence in marked_sentences(lead)[:limit]:
        # a figure, not a date or a 文号: those the model restates or leaves out on purpose
        nums = [n for n in numbers_in(sentence) if not re.search(r"[年月日号]$|^〔|^(19|20)\d{2}$", n)]
        if nums and not set(nums) <= have:
            out.append(sentence)
            have.update(nums)
    return out


def _bounded(text: str, max_chars: int) -> str:
    """Whole sentences while the text (without markers) stays within `max_chars`; the first is always kept."""
    out, used = [], 0
    for sentence in marked_sentences(text):
        size = len(re.sub(r"\[\d+\]", "", sentence))
        if out and used + size > max_chars:
            break
        out.append(sentence)
        used += size
    return "".join(out).strip() or text


def settle(events: Iterator[str | Composed]) -> Composed:
    """Run the sequence to its end, ignoring the deltas (plan sections are not streamed)."""
    composed = None
    for event in events:
        if isinstance(event, Composed):
            composed = event
    assert composed is not None
    return composed
