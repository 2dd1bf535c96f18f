"""What a plan section is before any retrieval: its facts, its source statements to cite, its table, the question and
queries its evidence is retrieved with, and its rule-built prose."""

from __future__ import annotations

from dataclasses import dataclass, field

from sme_ai.plan.model import SECTION_TITLES, Table

TITLES = dict(SECTION_TITLES)


@dataclass(frozen=True)
class Basis:
    """A statement taken from the sources: `text` is cited by overlap with the hits of `query`; with `pattern`
    the statement is the line of a hit that matches it (regex group 1), after `prefix`."""

    query: str
    text: str = ""
    pattern: str = ""
    prefix: str = ""
    must_name: str = ""  # with `pattern`: the hit's section must contain this
    doc_types: tuple[str, ...] = ()  # search only these document types
    section: str = ""  # the statement is the first sentence of the passage whose section is this
    required: bool = False  # leave the statement out when no passage supports it (a funding route, an AI use)


@dataclass
class SectionSpec:
    key: str
    title: str
    question: str = ""  # what the model's prose answers; empty: no model prose
    prose: str = "model"  # "rules": the section's prose is `fallback`, never the model's
    queries: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    basis: list[Basis] = field(default_factory=list)
    table: Table | None = None
    evidence: list = field(default_factory=list)  # (gap name, GapEvidence) pairs from the assessment
    fallback: str = ""  # rule-built prose: replaces a model paragraph that says nothing about this enterprise
