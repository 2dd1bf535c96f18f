"""Drafting a plan section by section: each section retrieves its own evidence, and the composition root writes its
prose through the same answer sequence as a chat answer (markers must point to passages, numbers must stand in the
sources; the extractive text without a model). Markers are then renumbered into one reference list for the plan.

The structure (target, scenarios, phases, KPIs) comes from `rules`, never from the model. What the drafter needs
from the rest of the product is the `PlanSources` protocol: search, fetch chunks, answer one section.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from typing import Protocol

from sme_ai.assess.gaps import Searcher
from sme_ai.assess.model import Assessment
from sme_ai.plan.model import Plan, PlanProgress, PlanSection, Reference
from sme_ai.plan.profile import EnterpriseProfile, load_profile
from sme_ai.plan.rules import Decision, decide
from sme_ai.plan.sections import BUILDERS, Basis, SectionSpec, references
from sme_ai.text import bigrams, split_sentences
from sme_ai.types import Answer, Chunk, Hit

_MARK = re.compile(r"\[(\d+)\]")
_CAUTION = "待核实"


class PlanSources(Searcher, Protocol):
    """The Assistant is one; a test can pass its own."""

    @property
    def model_name(self) -> str: ...

    def chunks(self, ids: list[str]) -> list[Chunk]: ...

    def answer_section(self, title: str, question: str, facts: str, hits: list[Hit], *,
                       min_passages: int = 1) -> Answer:
        """Verified prose for one section from `hits`, with markers [n] into the answer's citations."""
        ...


class References:
    """The plan-wide reference list: one number per cited passage, in order of first citation."""

    def __init__(self):
        self.items: list[Reference] = []

    def cite(self, chunk: Chunk, quote: str) -> int:
        for r in self.items:
            if r.chunk_id == chunk.id:
                return r.n
        n = len(self.items) + 1
        self.items.append(Reference(n=n, source=chunk.source, title=chunk.title, section=chunk.section, page=chunk.page,
                                    quote=quote.strip(), chunk_id=chunk.id, text=chunk.text))
        return n

    def renumber(self, answer: Answer) -> str:
        """The answer's local markers [i] (into its citations) → plan-wide markers."""
        texts = {h.chunk.id: h.chunk.text for h in answer.hits}
        mapping = {}
        for c in answer.citations:
            chunk = Chunk(id=c.chunk_id, doc_id="", source=c.source, title=c.title, text=texts.get(c.chunk_id, c.quote),
                          section=c.section, page=c.page)
            mapping[c.n] = self.cite(chunk, c.quote)
        return _MARK.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", answer.text)


def _retrieve(sources: PlanSources, queries: list[str], per_query: int = 3) -> list[Hit]:
    """The best hits of each query, interleaved so that every query contributes, without duplicates."""
    lists = [sources.search(q, k=per_query) for q in queries]
    out, seen = [], set()
    for rank in range(per_query):
        for hits in lists:
            if rank < len(hits) and hits[rank].chunk.id not in seen:
                seen.add(hits[rank].chunk.id)
                out.append(hits[rank])
    return out


def _sentences(text: str) -> list[str]:
    return [s.strip().lstrip("-*• ").strip() for s in split_sentences(text) if s.strip()]


def _cite_text(sources: PlanSources, b: Basis, refs: References) -> str:
    """The statement with the marker of the passage sentence that overlaps it most; unmarked when none does."""
    target = bigrams(b.text)
    best = (0.0, None, "")
    # keyword search: the statement is a close paraphrase of its source, and BM25 costs no embedding
    for hit in sources.search(b.query, k=5, mode="bm25") + sources.search(b.text, k=3, mode="bm25"):
        for s in _sentences(hit.chunk.text):
            score = len(target & bigrams(s)) / (1 + len(target))
            if score > best[0]:
                best = (score, hit.chunk, s)
    if best[1] is None or best[0] < 0.3:
        return b.text
    return f"{b.text}[{refs.cite(best[1], best[2])}]"


def _cite_pattern(sources: PlanSources, b: Basis, refs: References) -> str | None:
    for hit in sources.search(b.query, k=5, filters={"doc_type": ["playbook"]}, mode="bm25"):
        if b.must_name and b.must_name not in hit.chunk.section:
            continue
        for line in hit.chunk.text.splitlines():
            m = re.match(b.pattern, line.strip())
            if m:
                return f"{b.prefix}{m.group(1).strip()}[{refs.cite(hit.chunk, line.strip().lstrip('- '))}]"
    return None


def cite_basis(sources: PlanSources, spec: SectionSpec, refs: References) -> list[str]:
    out = []
    for b in spec.basis:
        line = _cite_pattern(sources, b, refs) if b.pattern else _cite_text(sources, b, refs)
        if line:
            out.append(line)
    for name, e in spec.evidence:  # gap evidence found by the assessment
        out.append(f"{name}：{e.quote}[{refs.cite(_chunk_for(sources, e), e.quote)}]")
    return out


def _chunk_for(sources: PlanSources, e) -> Chunk:
    try:
        found = sources.chunks([e.chunk_id]) if e.chunk_id else []
    except Exception:  # an assessment from another knowledge base: keep the quote as the passage
        found = []
    return found[0] if found else Chunk(id=e.chunk_id or e.quote, doc_id="", source=e.source, title=e.title,
                                        text=e.quote, section=e.section, page=e.page)


def draft_section(sources: PlanSources, spec: SectionSpec, refs: References) -> PlanSection:
    t0 = time.perf_counter()
    basis = cite_basis(sources, spec, refs)
    body, meta = "", {}
    if spec.question:
        hits = [h for h in _retrieve(sources, spec.queries) if "误传" not in h.chunk.section]
        facts = "\n".join(spec.facts + [_MARK.sub("", b) for b in basis])
        answer = sources.answer_section(spec.title, spec.question, facts, hits, min_passages=len(spec.queries))
        body, meta = refs.renumber(answer), dict(answer.meta)
    meta["ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return PlanSection(key=spec.key, title=spec.title, facts=spec.facts, basis=basis, table=spec.table, body=body,
                       meta=meta)


def _caveats(ctx: Decision, mode: str) -> list[str]:
    how = "抽取资料原句（无模型模式）" if mode == "extractive" else f"由模型 {mode} 撰写"
    out = [f"本方案由 sme-ai 自动生成：目标、场景、阶段和验收指标由规则和数据确定；各节正文{how}，并核验了引用编号和数字。",
           "标注（待核实）的内容来自第三方或尚未与官方原文核对；补助、贴息等以所在城市和金融机构的正式文件为准，本方案不给出补贴金额。"]
    if ctx.assessment:
        out.append("自评结果：" + ctx.assessment.reading)
    return out


def draft_stream(sources: PlanSources, profile: dict | EnterpriseProfile,
                 assessment: Assessment | None = None) -> Iterator[PlanProgress | Plan]:
    """PlanProgress(k, n, title) before each section, then the Plan."""
    t0 = time.perf_counter()
    ctx = decide(load_profile(profile), assessment)
    mode = sources.model_name
    specs = [build(ctx) for build in BUILDERS] + [references(ctx, _caveats(ctx, mode))]
    refs, sections = References(), []
    for k, spec in enumerate(specs, start=1):
        yield PlanProgress(k=k, n=len(specs), title=spec.title)
        sections.append(draft_section(sources, spec, refs))
    caveats = list(specs[-1].facts)
    if any(_CAUTION in r.quote for r in refs.items):
        caveats.append("注意：部分引用内容来自可信度较低或尚待核实的来源（标有“待核实”），请以官方发布的原文为准。")
        sections[-1].facts = caveats
    a, p = ctx.assessment, ctx.profile
    yield Plan(title=f"{p.name or '企业'}数字化改造方案", profile=p, assessment_level=a.level if a else None,
               assessment_score=a.score if a else None, industry=ctx.industry.name, target=ctx.target,
               scenarios=ctx.scenarios, phases=ctx.phases, kpis=ctx.kpis, sections=sections, references=refs.items,
               caveats=caveats, mode=mode, created=date.today().isoformat(),
               timings={"total_s": round(time.perf_counter() - t0, 2)})
