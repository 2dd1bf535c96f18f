"""The eval set: JSONL, one question per line, validated at the edge with pydantic."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

# premise: built on something the corpus does not support (an invented policy, a year it does not cover, a rumour it
# lists as 误传) — answered honestly by a refusal or a correction; followup: asked after `history`; long: an owner's
# long question with irrelevant detail around the real one.
QuestionType = Literal["fact", "number", "applicability", "multihop", "traditional", "english", "unanswerable",
                       "premise", "followup", "long"]


class Gold(BaseModel):
    source: str
    section: str = ""


class EvalItem(BaseModel):
    id: str
    question: str = Field(min_length=1)
    type: QuestionType
    lang: Literal["zh", "zh-hant", "en"] = "zh"
    answerable: bool = True
    facts: list[str] = []
    history: list[str] = []  # the owner's previous questions in the same chat, oldest first (followup items)
    gold: list[Gold] = []
    note: str = ""

    @field_validator("facts")
    @classmethod
    def _regexes_compile(cls, v: list[str]) -> list[str]:
        for pattern in v:
            re.compile(pattern)
        return v

    def chat_history(self) -> list[tuple[str, str]]:
        """The earlier questions as the Assistant's (question, answer) history: answers are never reused."""
        return [(q, "") for q in self.history]

    def fact_matches(self, text: str) -> list[bool]:
        return [re.search(p, text) is not None for p in self.facts]

    def is_relevant(self, source: str, text: str) -> bool:
        """A passage is relevant when it comes from a gold document and states at least one key fact, or when it
        states every key fact wherever it comes from (the corpus repeats some facts across documents, e.g. the
        66 pilot cities appear in five files while the item names one)."""
        matches = self.fact_matches(text)
        if source in {g.source for g in self.gold}:
            return not self.facts or any(matches)
        return bool(matches) and all(matches)


def load_items(path: Path) -> list[EvalItem]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(EvalItem.model_validate(json.loads(line)))
            except Exception as e:
                raise ValueError(f"{path}:{n}: {e}") from e
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate ids")
    return items


def stratified(items: list[EvalItem], n: int) -> list[EvalItem]:
    """A deterministic sample of about n items that keeps each question type's share (evenly spaced per type)."""
    if n >= len(items):
        return list(items)
    by_type: dict[str, list[EvalItem]] = {}
    for it in items:
        by_type.setdefault(it.type, []).append(it)
    out: list[EvalItem] = []
    for group in by_type.values():
        take = max(1, round(n * len(group) / len(items)))
        step = len(group) / take
        out += [group[int(i * step)] for i in range(take)]
    return out
