"""Drafting a plan section by section: each section retrieves its own evidence, the model (or the extractive
fallback) writes its prose with [n] markers, and the prose is verified like an answer (markers must point to
passages, numbers must stand in the sources). Markers are then renumbered into one reference list for the plan.

The structure (target, scenarios, phases, KPIs) comes from `rules`, never from the model.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import date

from sme_ai.generate.context import Passage, _bigrams, build_context
from sme_ai.plan.model import Plan, PlanProgress, PlanSection, Reference
from sme_ai.plan.sections import BUILDERS, Basis, Context, SectionSpec, references
from sme_ai.types import Chunk, Hit

log = logging.getLogger(__name__)
_MARK = re.compile(r"\[(\d+)\]")
_CAUTION = "待核实"


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

    def renumber(self, text: str, passages: list[Passage]) -> str:
        """Local markers [i] (into `passages`) → plan-wide markers."""
        from sme_ai.generate.answer import best_quote

        by_n = {p.n: p for p in passages}
        mapping = {n: self.cite(by_n[n].hit.chunk, best_quote(by_n[n], text)) for n in
                   dict.fromkeys(int(m) for m in _MARK.findall(text)) if n in by_n}
        return _MARK.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", text)


def _retrieve(asst, queries: list[str], per_query: int = 3) -> list[Hit]:
    """The best hits of each query, interleaved so that every query contributes, without duplicates."""
    lists = [asst.search(q, k=per_query) for q in queries]
    out, seen = [], set()
    for rank in range(per_query):
        for hits in lists:
            if rank < len(hits) and hits[rank].chunk.id not in seen:
                seen.add(hits[rank].chunk.id)
                out.append(hits[rank])
    return out


def _sentences(text: str) -> list[str]:
    from sme_ai.ingest.chunk import split_sentences

    return [s.strip().lstrip("-*• ").strip() for s in split_sentences(text) if s.strip()]


def _cite_text(asst, b: Basis, refs: References) -> str:
    """The statement with the marker of the passage sentence that overlaps it most; unmarked when none does."""
    target = _bigrams(b.text)
    best = (0.0, None, "")
    # keyword search: the statement is a close paraphrase of its source, and BM25 costs no embedding
    for hit in asst.search(b.query, k=5, mode="bm25") + asst.search(b.text, k=3, mode="bm25"):
        for s in _sentences(hit.chunk.text):
            score = len(target & _bigrams(s)) / (1 + len(target))
            if score > best[0]:
                best = (score, hit.chunk, s)
    if best[1] is None or best[0] < 0.3:
        return b.text
    return f"{b.text}[{refs.cite(best[1], best[2])}]"


def _cite_pattern(asst, b: Basis, refs: References) -> str | None:
    for hit in asst.search(b.query, k=5, filters={"doc_type": ["playbook"]}, mode="bm25"):
        if b.must_name and b.must_name not in hit.chunk.section:
            continue
        for line in hit.chunk.text.splitlines():
            m = re.match(b.pattern, line.strip())
            if m:
                return f"{b.prefix}{m.group(1).strip()}[{refs.cite(hit.chunk, line.strip().lstrip('- '))}]"
    return None


def cite_basis(asst, spec: SectionSpec, refs: References) -> list[str]:
    out = []
    for b in spec.basis:
        line = _cite_pattern(asst, b, refs) if b.pattern else _cite_text(asst, b, refs)
        if line:
            out.append(line)
    for name, e in spec.evidence:  # gap evidence found by the assessment
        out.append(f"{name}：{e.quote}[{refs.cite(_chunk_for(asst, e), e.quote)}]")
    return out


def _chunk_for(asst, e) -> Chunk:
    try:
        found = asst.kb.chunks([e.chunk_id]) if e.chunk_id else []
    except Exception:  # an assessment from another knowledge base: keep the quote as the passage
        found = []
    return found[0] if found else Chunk(id=e.chunk_id or e.quote, doc_id="", source=e.source, title=e.title,
                                        text=e.quote, section=e.section, page=e.page)


def _extractive(question: str, passages: list[Passage]) -> str:
    """The extractive answer's sentences (each already ends with its marker before the full stop), no lead-in."""
    from sme_ai.generate.extractive import extractive_answer

    return re.sub(r"^根据资料：", "", extractive_answer(question, passages, max_sentences=3))


def _line_of(sentence: str, text: str) -> str:
    return next((line for line in text.splitlines() if sentence[:20] in line), "")


def plan_passages(passages: list[Passage]) -> list[Passage]:
    """Sentences fit for a plan: no lead-ins ending in a colon, no quoted rumours (误传), and a sentence cut from a
    line marked （待核实） keeps the mark."""
    out = []
    for p in passages:
        kept = []
        for s in p.sentences:
            core = s.strip()
            if not core or core.rstrip("\n").endswith(("：", ":")) or "误传" in core or "此说不实" in core:
                continue
            if _CAUTION not in core and _CAUTION in _line_of(core, p.hit.chunk.text):
                core = re.sub(r"([。；;]?)$", r"（待核实）\1", core.rstrip("\n"), count=1)
            kept.append(core)
        if kept:
            out.append(Passage(n=len(out) + 1, hit=p.hit, sentences=tuple(kept)))
    return out


_LIST = re.compile(r"^\s*(#+|[-*•]|\d+[.、)])\s*")
_LEAD = re.compile(r"^\[(\d+)\]\s*")


def _drop_unfinished(raw: str) -> str:
    """Generation stopped by the token limit leaves half a sentence at the end: drop it."""
    text = raw.rstrip()
    core = re.sub(r"(\[\d+\])+$", "", text).rstrip()
    if core and core[-1] not in "。！？!?":
        cut = max(text.rfind(c) for c in "。！？!?\n")
        return text[: cut + 1] if cut > 0 else text
    return text


def _unlabel(line: str, labels: dict[int, str], headings: set[str]) -> str:
    """ "[n] 《title》section：text" (a copied context label) → "text[n]"; a label cut short → ""."""
    m = _LEAD.match(line)
    if not m:
        for n, label in labels.items():
            line = line.replace(f"[{n}] {label}：", f"[{n}]")
        for heading in headings:  # a copied section heading without its number
            line = line.replace(f"{heading}：", "")
        return line
    n, rest = int(m.group(1)), line[m.end():]
    label = labels.get(n, "")
    if label and rest.startswith(label):
        rest = rest[len(label):].lstrip("：: ")
    elif label and label.startswith(rest.rstrip("。：: ")):
        return ""
    return rest if re.search(r"\[\d+\][。！？；]?$", rest) else re.sub(r"([。！？；]?)$", f"[{n}]\\1", rest, count=1)


def clean_model_text(raw: str, passages: list[Passage], title: str = "") -> str:
    """Small models copy the context's "[n] 《title》section：" labels, write Markdown headings and lists, and stop
    mid-sentence at the token limit: keep each sentence with its marker, drop the rest."""
    labels = {p.n: p.label for p in passages}
    headings = {h for p in passages for h in (p.hit.chunk.section, *p.hit.chunk.section.split(" > ")) if len(h) >= 6}
    lines = []
    pieces = [piece for line in _drop_unfinished(raw).splitlines()  # "…。[n] 《label》：…" starts a new piece
              for piece in re.split(r"(?<=[。！？])\s*(?=\[\d+\]\s)", line)]
    for line in pieces:
        while _LIST.match(line):
            line = _LIST.sub("", line, count=1)
        line = re.sub(r"(?<=[。；：）)\]])\s*[-*•]\s+", "", line.replace("**", "").strip())
        line = _unlabel(line, labels, headings)
        body, marks = re.match(r"(.*?)((?:\[\d+\])*)$", line, re.S).groups()
        body = body.rstrip("。！？；;，,：: ")
        if body and body != title:
            lines.append(body + marks + "。")
    return "".join(lines)


def _generate(llm, spec: SectionSpec, facts: str, passages: list[Passage], settings) -> str:
    from sme_ai.generate.context import render_context
    from sme_ai.generate.llm import complete
    from sme_ai.generate.prompts import load_prompt

    user = load_prompt("plan_section", settings.prompts_dir).format(
        facts=facts, context=render_context(passages), section=spec.title, question=spec.question, max_chars=200)
    messages = [{"role": "system", "content": load_prompt("plan_system", settings.prompts_dir)},
                {"role": "user", "content": user}]
    return complete(llm, messages, max_tokens=min(settings.max_answer_tokens, 180))


def write_body(llm, spec: SectionSpec, facts: str, passages: list[Passage], settings) -> tuple[str, dict]:
    """Verified prose with local markers, and what verification repaired."""
    from sme_ai.generate.verify import is_refusal, verify_answer

    meta: dict = {}
    if llm is None:
        raw = _extractive(spec.question, passages)
    else:
        try:
            meta["raw"] = _generate(llm, spec, facts, passages, settings)
            raw = clean_model_text(meta["raw"], passages, spec.title)
        except Exception as e:  # a failing model must not leave the owner without a plan
            log.warning("section %s: generation failed, using the extractive text: %s", spec.key, e)
            raw, meta["fallback"] = _extractive(spec.question, passages), f"extractive:{type(e).__name__}"
    if is_refusal(raw):
        raw, meta["fallback"] = _extractive(spec.question, passages), "extractive:refusal"
    verified = verify_answer(raw, passages, facts)
    if not verified.text or not verified.used:
        meta["fallback"] = meta.get("fallback") or "extractive:unverifiable"
        verified = verify_answer(_extractive(spec.question, passages), passages, facts)
    meta.update(unsupported_numbers=verified.unsupported_numbers, invalid_markers=verified.invalid_markers,
                dropped_sentences=verified.dropped_sentences, auto_cited=verified.auto_cited)
    return verified.text, meta


def draft_section(asst, spec: SectionSpec, refs: References, llm) -> PlanSection:
    t0 = time.perf_counter()
    s = asst.settings
    basis = cite_basis(asst, spec, refs)
    body, meta = "", {}
    if spec.question:
        hits = _retrieve(asst, spec.queries)
        n = max(s.context_passages, len(spec.queries))
        hits = [h for h in hits if "误传" not in h.chunk.section]
        passages = plan_passages(build_context(spec.question, hits, budget_chars=max(s.context_chars, 220 * n),
                                               max_passages=n))
        facts = "\n".join(spec.facts + [_MARK.sub("", b) for b in basis])
        if passages:
            text, meta = write_body(llm, spec, facts, passages, s)
            body = refs.renumber(text, passages)
    meta["ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return PlanSection(key=spec.key, title=spec.title, facts=spec.facts, basis=basis, table=spec.table, body=body,
                       meta=meta)


def _caveats(ctx: Context, mode: str) -> list[str]:
    how = "抽取资料原句（无模型模式）" if mode == "extractive" else f"由模型 {mode} 撰写"
    out = [f"本方案由 sme-ai 自动生成：目标、场景、阶段和验收指标由规则和数据确定；各节正文{how}，并核验了引用编号和数字。",
           "标注（待核实）的内容来自第三方或尚未与官方原文核对；补助、贴息等以所在城市和金融机构的正式文件为准，本方案不给出补贴金额。"]
    if ctx.assessment:
        out.append("自评结果：" + ctx.assessment.reading)
    return out


def draft_stream(asst, ctx: Context, llm) -> Iterator[PlanProgress | Plan]:
    t0 = time.perf_counter()
    mode = getattr(llm, "name", "extractive") if llm is not None else "extractive"
    specs = [build(ctx) for build in BUILDERS] + [references(ctx, _caveats(ctx, mode))]
    refs, sections = References(), []
    for k, spec in enumerate(specs, start=1):
        yield PlanProgress(k=k, n=len(specs), title=spec.title)
        sections.append(draft_section(asst, spec, refs, llm))
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
