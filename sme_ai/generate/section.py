"""One written section of a plan: its passages, the section prompt, and the same answer sequence as a chat answer
(a model that finds nothing to say falls back to the source sentences instead of refusing)."""

from __future__ import annotations

import re
from pathlib import Path

from sme_ai.generate.answer import citations_for, section_messages
from sme_ai.generate.compose import compose, settle
from sme_ai.generate.context import compact_context, prose_passages
from sme_ai.generate.extractive import extractive_answer
from sme_ai.generate.llm import LLM
from sme_ai.generate.tidy import clean_model_text
from sme_ai.types import Answer, Hit


def write_section(llm: LLM | None, *, title: str, question: str, facts: str, hits: list[Hit], max_passages: int,
                  budget_chars: int, max_tokens: int, prompts_dir: Path | None, model: str) -> Answer:
    """Verified prose with markers [n] into the answer's citations; an empty text when no passage is usable."""
    passages = prose_passages(compact_context(question, hits, budget_chars=budget_chars, max_passages=max_passages))
    if not passages:
        return Answer(question=question, text="", model=model)

    def extract() -> str:  # the extractive answer's sentences (each ends with its marker), without the lead-in
        return re.sub(r"^根据资料：", "", extractive_answer(question, passages, max_sentences=3))

    messages = section_messages(title, question, facts, passages, prompts_dir)
    composed = settle(compose(llm, messages, passages, max_tokens=max_tokens, extract=extract,
                              tidy=lambda raw: clean_model_text(raw, passages, title), refusal_falls_back=True))
    return Answer(question=question, text=composed.verified.text, citations=citations_for(composed.verified, passages),
                  model=model, hits=tuple(p.hit for p in passages), meta=composed.meta)
