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


def compose(llm: LLM | None, messages: list[Message], passages: list[Passage], *, max_tokens: int,
            extract: Callable[[], str], tidy: Callable[[str], str] | None = None,
            refusal_falls_back: bool = False, keep_numbers: bool = False,
            max_chars: int | None = None) -> Iterator[str | Composed]:
    """`extract()` gives the extractive text; `tidy` cleans the model's raw text before it is checked.
    A model that says the sources do not cover the question gives a refusal (chat), or the extractive text where
    `refusal_falls_back` (a plan section must say something, and says only what the sources say).
    `keep_numbers`: a figure the extractive text quotes but the model's verified text lost is added back with its
    sentence (small models drop the number that answers the question); `max_chars` bounds the verified text
    (markers not counted), cut at a sentence."""
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
        if not refusal_falls_back:
            yield Composed(refused=True, verified=None, raw=raw, meta=meta)
            return
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


def _lost_number_sentences(text: str, extractive: str, limit: int = 1) -> list[str]:
    """Of the extractive text's first `limit` sentences (the most relevant), those with a number the text lacks."""
    have = {n for n in numbers_in(text)}
    out = []
    lead = re.sub(r"^From the documents \(in Chinese\):\s*", "", extractive)
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
