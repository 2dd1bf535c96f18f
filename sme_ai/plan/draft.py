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
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sme_ai.assess.gaps import Searcher
from sme_ai.assess.model import Assessment
from sme_ai.plan.model import Plan, PlanOutline, PlanProgress, PlanSection, Reference, SectionDone
from sme_ai.plan.profile import EnterpriseProfile, load_profile
from sme_ai.plan.prose import check_prose, enterprise_terms, off_topic_words, other_industry_sections
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

    def __init__(self, items: list[Reference] | None = None):
        self.items: list[Reference] = list(items or [])

    def cite(self, chunk: Chunk, quote: str) -> int:
        for r in self.items:
            if r.chunk_id == chunk.id:
                return r.n
        n = max((r.n for r in self.items), default=0) + 1
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


def _cite_text(sources: PlanSources, b: Basis, refs: References) -> str | None:
    """The statement with the marker of the passage sentence that overlaps it most; unmarked when none does (left
    out when the statement is `required` to be cited)."""
    target = bigrams(b.text)
    best = (0.0, None, "")
    filters = {"doc_type": list(b.doc_types)} if b.doc_types else None
    # keyword search: the statement is a close paraphrase of its source, and BM25 costs no embedding
    for hit in sources.search(b.query, k=5, filters=filters, mode="bm25") + sources.search(b.text, k=3, filters=filters,
                                                                                         mode="bm25"):
        for s in _sentences(hit.chunk.text):
            score = len(target & bigrams(s)) / (1 + len(target))
            if score > best[0]:
                best = (score, hit.chunk, s)
    if best[1] is None or best[0] < 0.3:
        return None if b.required else b.prefix + b.text
    return f"{b.prefix}{b.text}[{refs.cite(best[1], best[2])}]"


def _cite_section(sources: PlanSources, b: Basis, refs: References) -> str | None:
    """The first sentence of the passage whose section is `b.section`, cited to it."""
    filters = {"doc_type": list(b.doc_types)} if b.doc_types else None
    for hit in sources.search(b.query, k=5, filters=filters, mode="bm25"):
        if hit.chunk.section.split(" > ")[-1].strip() == b.section or hit.chunk.section.endswith(b.section):
            first = next((s for s in _sentences(hit.chunk.text) if len(s) > 12), "")
            if first:
                return f"{b.prefix}{first}[{refs.cite(hit.chunk, first)}]"
    return None


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
        cite = _cite_pattern if b.pattern else _cite_section if b.section else _cite_text
        line = cite(sources, b, refs)
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


def outline_section(sources: PlanSources, spec: SectionSpec, refs: References) -> PlanSection:
    """The rule-built part of a section: facts, cited statements, table (keyword search only, no model)."""
    t0 = time.perf_counter()
    basis = cite_basis(sources, spec, refs)
    return PlanSection(key=spec.key, title=spec.title, facts=spec.facts, basis=basis, table=spec.table,
                       meta={"outline_ms": round((time.perf_counter() - t0) * 1000, 1)})


@dataclass
class ProseContext:
    """What the plan-side checks need across sections: the enterprise's facts and the sentences already written."""

    terms: set[str]
    other_sections: tuple[str, ...]
    seen: list[str] = field(default_factory=list)
    off_topic: tuple[str, ...] = ()


def prose_context(ctx: Decision) -> ProseContext:
    return ProseContext(terms=enterprise_terms(ctx.profile, [s.name for s in ctx.scenarios]),
                        other_sections=other_industry_sections(ctx.industry.id), off_topic=off_topic_words(ctx.profile))


def write_prose(sources: PlanSources, spec: SectionSpec, section: PlanSection, refs: References,
                pc: ProseContext) -> PlanSection:
    """The section's prose through the answer sequence, then the plan-side checks (a rule-written section: its
    rule-built text)."""
    if spec.prose == "rules":
        pc.seen.append(spec.fallback)
        return section.model_copy(update={"body": spec.fallback, "meta": {**section.meta, "prose": "rules"}})
    if not spec.question:
        return section
    t0 = time.perf_counter()
    hits = [h for h in _retrieve(sources, spec.queries) if "误传" not in h.chunk.section]
    facts = "\n".join(spec.facts + [_MARK.sub("", b) for b in section.basis])
    answer = sources.answer_section(spec.title, spec.question, facts, hits, min_passages=len(spec.queries))
    body, meta = refs.renumber(answer), dict(answer.meta)
    checked = check_prose(body, {r.n: r for r in refs.items}, terms=pc.terms, seen=pc.seen,
                          fallback=spec.fallback or body, other_sections=pc.other_sections,
                          off_topic=pc.off_topic)
    meta.update(plan_checks=checked.dropped, **({"replaced": "generic"} if checked.replaced else {}))
    meta["ms"] = round((time.perf_counter() - t0) * 1000, 1) + section.meta.get("outline_ms", 0)
    return section.model_copy(update={"body": checked.text, "meta": {**section.meta, **meta}})


def draft_section(sources: PlanSources, spec: SectionSpec, refs: References,
                  pc: ProseContext | None = None) -> PlanSection:
    """One section, outline and prose."""
    pc = pc or ProseContext(terms=set(), other_sections=())
    return write_prose(sources, spec, outline_section(sources, spec, refs), refs, pc)


def _caveats(ctx: Decision, mode: str) -> list[str]:
    how = "抽取资料原句（无模型模式）" if mode == "extractive" else f"由模型 {mode} 撰写"
    out = [f"本方案由 sme-ai 自动生成：目标、场景、阶段、预算拆分和验收指标由规则和数据确定；各节正文{how}，并核验了引用编号、数字和引文支撑。",
           "标注（待核实）的内容来自第三方或尚未与官方原文核对；补助、贴息等以所在城市和金融机构的正式文件为准，本方案不给出补贴金额。"]
    if ctx.assessment:
        out.append("自评结果：" + ctx.assessment.reading)
    return out


def _specs(ctx: Decision, mode: str) -> list[SectionSpec]:
    return [build(ctx) for build in BUILDERS] + [references(ctx, _caveats(ctx, mode))]


def _plan(ctx: Decision, sections: list[PlanSection], refs: References, mode: str, timings: dict) -> Plan:
    a, p = ctx.assessment, ctx.profile
    return Plan(title=f"{p.name or '企业'}数字化改造方案", profile=p, assessment_level=a.level if a else None,
                assessment_score=a.score if a else None, industry=ctx.industry.name, target=ctx.target,
                scenarios=ctx.scenarios, phases=ctx.phases, kpis=ctx.kpis, needs=ctx.coverage, budget=ctx.budget,
                sections=sections, references=list(refs.items), caveats=list(sections[-1].facts), mode=mode,
                created=date.today().isoformat(), timings=dict(timings))


def _finish(plan: Plan) -> Plan:
    plan = compact_references(plan)
    caveats = [c for c in plan.sections[-1].facts if _CAUTION not in c or not c.startswith("注意")]
    if any(_CAUTION in r.quote for r in plan.references):
        caveats.append("注意：部分引用内容来自可信度较低或尚待核实的来源（标有“待核实”），请以官方发布的原文为准。")
    plan.sections[-1].facts = caveats
    plan.caveats = caveats
    return plan


def draft_stream(sources: PlanSources, profile: dict | EnterpriseProfile, assessment: Assessment | None = None
                 ) -> Iterator[PlanOutline | PlanProgress | SectionDone | Plan]:
    """First the rule-built plan (PlanOutline, before any model call); then PlanProgress(k, n, title) before each
    section's prose and SectionDone(k, n, section) after it; then the Plan."""
    t0 = time.perf_counter()
    ctx = decide(load_profile(profile), assessment)
    mode = sources.model_name
    specs = _specs(ctx, mode)
    refs = References()
    sections = [outline_section(sources, spec, refs) for spec in specs]
    timings = {"outline_s": round(time.perf_counter() - t0, 2)}
    yield PlanOutline(plan=_plan(ctx, [s.model_copy() for s in sections], refs, mode, timings))
    pc = prose_context(ctx)
    pc.seen = [_MARK.sub("", b) for s in sections for b in s.basis]  # prose must not repeat the statements
    for k, spec in enumerate(specs, start=1):
        yield PlanProgress(k=k, n=len(specs), title=spec.title)
        sections[k - 1] = write_prose(sources, spec, sections[k - 1], refs, pc)
        yield SectionDone(k=k, n=len(specs), section=sections[k - 1])
    timings["total_s"] = round(time.perf_counter() - t0, 2)
    yield _finish(_plan(ctx, sections, refs, mode, timings))


def regenerate_stream(sources: PlanSources, plan: Plan, key: str, profile: dict | EnterpriseProfile | None = None,
                      assessment: Assessment | None = None) -> Iterator[PlanOutline | PlanProgress | SectionDone | Plan]:
    """Redraft one section (after the owner edited the profile) and keep the others' prose as it was. The plan's
    structure (target, scenarios, phases, KPIs, budget) follows the new profile; sections whose rule-built facts
    or table no longer match it are marked `meta["stale"]`, so a front end can offer to redraft them too."""
    t0 = time.perf_counter()
    ctx = decide(load_profile(profile if profile is not None else plan.profile), assessment)
    mode = sources.model_name
    specs = {spec.key: spec for spec in _specs(ctx, mode)}
    if key not in specs:
        raise KeyError(key)
    refs = References(list(plan.references))
    k = next(i for i, s in enumerate(plan.sections, start=1) if s.key == key)
    section = outline_section(sources, specs[key], refs)
    old = plan.model_copy(deep=True)
    sections = []
    for s in old.sections:
        spec = specs[s.key]
        stale = s.key != key and (s.facts != spec.facts or s.table != spec.table)
        sections.append(s.model_copy(update={"meta": {**s.meta, "stale": stale}}))
    sections[k - 1] = section
    yield PlanOutline(plan=_plan(ctx, [s.model_copy() for s in sections], refs, mode, {}))
    yield PlanProgress(k=k, n=len(sections), title=section.title)
    pc = prose_context(ctx)
    pc.seen = [_MARK.sub("", b) for s in sections for b in s.basis] + [
        x for s in sections if s.key != key for x in _sentences(_MARK.sub("", s.body))]
    sections[k - 1] = write_prose(sources, specs[key], section, refs, pc)
    sections[k - 1].meta["stale"] = False
    yield SectionDone(k=k, n=len(sections), section=sections[k - 1])
    sections[k - 1].meta["regenerated"] = True
    timings = {**old.timings, "regenerate_s": round(time.perf_counter() - t0, 2)}
    yield _finish(_plan(ctx, sections, refs, mode, timings))


def compact_references(plan: Plan) -> Plan:
    """Only the references the text cites, numbered in order of first citation (section by section)."""
    order: list[int] = []
    for s in plan.sections:
        for text in list(s.basis) + [s.body]:
            for m in _MARK.findall(text):
                if int(m) not in order:
                    order.append(int(m))
    by_n = {r.n: r for r in plan.references}
    order = [n for n in order if n in by_n]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    sub = lambda t: _MARK.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", t)  # noqa: E731
    for s in plan.sections:
        s.basis = [sub(b) for b in s.basis]
        s.body = sub(s.body)
    plan.references = [by_n[old].model_copy(update={"n": new}) for old, new in mapping.items()]
    return plan
