"""The extractive answer: no model, the best sentences of the context with their markers. Used when the settings
choose no LLM, and as the fallback when generation fails or cannot be verified."""

from __future__ import annotations

import re

from sme_ai.generate.context import NUMERIC_QUESTION, Passage, sentence_score
from sme_ai.text import bigrams, tokenize


def extractive_answer(question: str, passages: list[Passage], max_sentences: int = 3, english: bool = False) -> str:
    qt, qb, numeric = set(tokenize(question)), bigrams(question), bool(NUMERIC_QUESTION.search(question))
    scored = []
    for p in passages:
        for s in p.sentences:
            clean = re.sub(r"^[-*•\d.、\s]+", "", s.strip())
            if len(clean) >= 6:
                scored.append((sentence_score(qt, qb, clean, numeric) - 0.01 * p.n, p.n, clean))
    best = sorted(scored, key=lambda t: -t[0])[:max_sentences]
    if not best:
        return ""
    lead = "From the documents (in Chinese): " if english else "根据资料："
    body = "".join(f"{s.rstrip('。；;')}[{n}]。" for _, n, s in best)  # the marker before the full stop
    return lead + body
