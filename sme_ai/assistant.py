"""The composition root: every front end (CLI, app, API, LangChain adapter) calls one of these methods.

It builds the backends from one `Settings` and hands each stage what it needs: loaded documents to the knowledge
base, hits to the answer steps, itself (as a `PlanSources` / `Searcher`) to the plan drafter and the assessment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path

from sme_ai.config import Settings
from sme_ai.errors import EmptyKnowledgeBaseError
from sme_ai.index.knowledge_base import IngestStats, KnowledgeBase
from sme_ai.types import Answer, Cached, Chunk, Delta, Draft, Evidence, Final, Hit, Progress, StreamEvent

History = list[tuple[str, str]]  # (question, answer) pairs, oldest first

log = logging.getLogger(__name__)


def collection_prefix(settings: Settings) -> str:
    """The prefix of this knowledge base's collections on a shared Chroma server."""
    from sme_ai.types import content_hash

    return settings.chroma_collection_prefix or "kb" + content_hash(str(Path(settings.data_dir).expanduser().resolve()),
                                                                     length=12)


def _store_factory(settings: Settings):
    from sme_ai.index.store import ChromaStore, InMemoryStore

    memory: dict[str, InMemoryStore] = {}

    def chroma(name: str):
        return ChromaStore(name, path=settings.data_dir / "chroma")

    def chroma_http(name: str):  # one server, many knowledge bases: each has its own collections
        return ChromaStore(f"{collection_prefix(settings)}_{name}", host=settings.chroma_host, port=settings.chroma_port)

    def in_memory(name: str):
        return memory.setdefault(name, InMemoryStore())

    return {"chroma": chroma, "chroma-http": chroma_http, "memory": in_memory}[settings.vector_store]


def _once(fn):
    """`fn()` computed on the first call and remembered."""
    box: list = []

    def call():
        if not box:
            box.append(fn())
        return box[0]
    return call


class _Clock:
    def __init__(self):
        self.t0 = time.perf_counter()

    def __call__(self) -> float:
        return round((time.perf_counter() - self.t0) * 1000, 1)


class Assistant:
    def __init__(self, settings: Settings | None = None, *, embedder=None, llm=None):
        """`embedder` / `llm`: objects to use instead of the ones the settings name (tests, a gated model)."""
        self.settings = settings or Settings()
        self._embedder = embedder
        self._llm = llm

    @staticmethod
    def load_llm(settings: Settings):
        """The generator the settings name (None in the extractive mode), loaded now."""
        from sme_ai.generate.backends import make_llm

        return make_llm(settings)

    @cached_property
    def embedder(self):
        if self._embedder is not None:
            return self._embedder
        from sme_ai.index.embedder import make_embedder

        return make_embedder(self.settings)

    @property
    def embedder_needs_graph(self) -> bool:
        """Whether the embedder runs from an exported ONNX graph (`prepare_embedder` makes it)."""
        return self._ensure_graph is not None

    @property
    def _ensure_graph(self):
        return getattr(getattr(self.embedder, "base", self.embedder), "ensure_graph", None)

    def prepare_embedder(self) -> str:
        """The embedder's ONNX graph made now where that runtime is used (exported once, about a minute), so the
        first ingest or question does not wait for it; its path, or "" for an embedder that needs none."""
        ensure = self._ensure_graph
        return str(ensure()) if ensure else ""

    @cached_property
    def llm(self):
        """The generator, loaded on first use; None in the extractive mode."""
        return self._llm if self._llm is not None else self.load_llm(self.settings)

    @property
    def model_name(self) -> str:
        """The generator's name, or "extractive" without one."""
        llm = self.llm
        return (getattr(llm, "name", "") or "extractive") if llm is not None else "extractive"

    @cached_property
    def kb(self) -> KnowledgeBase:
        return KnowledgeBase(self.settings.data_dir, self.embedder, _store_factory(self.settings))

    # --- knowledge base --------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path | str], progress: Progress | None = None, *,
               by_content: bool = False) -> IngestStats:
        """Load and chunk every file, then add them all in one transaction (failures are reported, not raised).
        A document is identified by its file's absolute path (ingesting it again updates it), or with `by_content`
        by its content (uploads: two users' different 通知.pdf stay two documents)."""
        from sme_ai.ingest.limits import Limits
        from sme_ai.ingest.pipeline import load_paths

        s = self.settings
        limits = Limits(max_unzipped_bytes=s.max_unzipped_bytes, max_zip_ratio=s.max_zip_ratio,
                        max_pdf_pages=s.max_pdf_pages, max_parse_seconds=s.max_parse_seconds,
                        max_doc_chars=s.max_doc_chars, ocr=s.ocr, max_ocr_pages=s.max_ocr_pages)
        loaded = load_paths(paths, chunk_size=s.chunk_size, overlap=s.chunk_overlap, max_bytes=s.max_file_bytes,
                            progress=progress, by_content=by_content, limits=limits)
        stats = IngestStats(failures=loaded.failures)
        if loaded.documents:
            on_embed = (lambda done, total: progress("embed", done, total, "")) if progress else None
            self.kb.add_documents(loaded.documents, stats, on_embed=on_embed)
        return stats

    def documents(self) -> list[dict]:
        self.kb.refresh()
        return self.kb.documents()

    def chunks(self, ids: list[str]) -> list[Chunk]:
        return self.kb.chunks(ids)

    def remove(self, key: str) -> list[str]:
        return self.kb.remove(key)

    def reindex(self, progress: Progress | None = None) -> int:
        on_embed = (lambda d, t: progress("embed", d, t, "")) if progress else None
        return self.kb.reindex(on_embed)

    # --- retrieval -----------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, *, filters: dict[str, list[str]] | None = None,
               mode: str = "hybrid") -> list[Hit]:
        """Ranked passages; `query` in any form (traditional characters, full width) is normalised here."""
        from sme_ai.text import normalize_text

        return self._search(normalize_text(query), k, filters=filters, mode=mode)

    def _search(self, query: str, k: int | None = None, *, filters=None, mode: str = "hybrid") -> list[Hit]:
        from sme_ai.retrieve.hybrid import search

        s = self.settings
        return search(self.kb, query, k=k or s.top_k, dense_k=s.dense_k, bm25_k=s.bm25_k, rrf_k=s.rrf_k,
                      filters=filters, mode=mode)

    # --- answering -----------------------------------------------------------------------------

    def ask(self, question: str, history: History | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, history: History | None = None, *,
               reuse: Callable[[str, tuple[Hit, ...]], Answer | None] | None = None) -> Iterator[StreamEvent]:
        """Evidence first, then (with a model) the quoted Draft, then text deltas, then the final verified Answer.
        `reuse(standalone question, hits)`, called right after retrieval, may return an answer to give instead
        (a front end's cache of near-duplicates): then the events end with `Cached(answer)` and nothing else runs."""
        from sme_ai.generate import answer as step
        from sme_ai.generate.compose import Composed, compose
        from sme_ai.generate.context import compact_context
        from sme_ai.generate.extractive import evidence_passages, extractive_answer, select_evidence
        from sme_ai.generate.premise import check_premise
        from sme_ai.generate.tidy import clean_model_text
        from sme_ai.question import asks_investment_advice, check_question, checkable_terms
        from sme_ai.text import is_english, normalize_text

        s, clock = self.settings, _Clock()
        question = check_question(question, s.max_question_chars)  # 1. guard: empty or too long is an error
        asked = normalize_text(question)  # 2. normalised once; every later step takes it as it is
        english = is_english(asked)
        standalone = step.standalone_question(asked, history)  # 3. follow-up → standalone, from earlier questions
        hits = self._search(standalone)  # 4. retrieve, and show the evidence before any generation
        timings = {"retrieve_ms": clock()}
        yield Evidence(hits=tuple(hits), question=standalone)
        found = reuse(standalone, tuple(hits)) if reuse else None
        if found is not None:
            yield Cached(found)
            return
        end = dict(english=english, model=self.model_name, prompts_dir=s.prompts_dir)
        if asks_investment_advice(standalone):  # 5. outside what policy documents answer, then what the question names
            yield Final(step.scope_refusal(question, hits, **end, timings={**timings, "total_ms": clock()}))
            return
        premise = check_premise(standalone, checkable_terms(standalone), [h.chunk for h in hits], self.kb,
                                [d.get("title", "") for d in self.documents()])
        if premise.unknown:
            yield Final(step.premise_refusal(question, premise.unknown, hits, **end,
                                             timings={**timings, "total_ms": clock()}))
            return
        if premise.rumours:
            yield Final(step.correction(question, standalone, premise.rumours, hits, model=self.model_name,
                                        timings={**timings, "total_ms": clock()}, prompts_dir=s.prompts_dir))
            return
        passages = compact_context(standalone, hits, budget_chars=s.context_chars, max_passages=s.context_passages)
        if not passages or not step.is_relevant(hits, s.min_dense_score):  # 6. nothing relevant enough: refuse
            yield Final(step.refusal(question, hits, **end, timings={**timings, "total_ms": clock()},
                                     reason="no_relevant_passage"))
            return
        chosen = _once(lambda: select_evidence(standalone, passages))  # one selection: the quote and the prompt
        extract = _once(lambda: extractive_answer(standalone, passages, english=english, chosen=chosen()))
        if self.llm is not None:  # 7. the quoted draft on screen at once; the model's answer replaces it
            yield Draft(step.draft_answer(question, standalone, extract(), passages, hits, model="extractive",
                                          timings={**timings, "draft_ms": clock()}, prompts_dir=s.prompts_dir))
        prompt = (evidence_passages(standalone, passages, chosen=chosen()[:s.model_evidence_sentences])
                  if s.model_context == "evidence" else passages)
        messages = step.build_messages(standalone, prompt, s.prompts_dir)  # 8. generate → verify → fall back
        composed = None
        for out in compose(self.llm, messages, passages, max_tokens=s.max_answer_tokens, extract=extract,
                           tidy=lambda raw: clean_model_text(raw, passages), keep_numbers=True,
                           skeleton=s.answer_skeleton, english=english, max_chars=s.max_answer_chars,
                           skeleton_sentences=s.skeleton_sentences):
            if isinstance(out, Composed):
                composed = out
            else:
                if self.llm is not None:
                    timings.setdefault("first_token_ms", clock())
                yield Delta(out)
        if composed.refused:  # 9. the model said the passages do not cover it, or nothing it said was verifiable
            reason = ("nothing_verifiable" if composed.meta.get("fallback") == "extractive:unverifiable"
                      else "model_said_not_covered")
            yield Final(step.refusal(question, hits, **end, timings={**timings, "total_ms": clock()}, reason=reason))
            return
        timings["total_ms"] = clock()  # 10. the verified answer with its citations
        yield Final(step.grounded_answer(question, standalone, composed, passages, hits, model=self.model_name,
                                         timings=timings, prompts_dir=s.prompts_dir,
                                         unknown_places=premise.unknown_places))

    def answer_section(self, title: str, question: str, facts: str, hits: list[Hit], *,
                       min_passages: int = 1) -> Answer:
        """One plan section's prose from `hits`: the same answer sequence as `stream`, with the section prompt."""
        from sme_ai.generate.section import write_section

        s = self.settings
        n = max(s.context_passages, min_passages)
        return write_section(self.llm, title=title, question=question, facts=facts, hits=hits, max_passages=n,
                             budget_chars=max(s.context_chars, 220 * n), max_tokens=min(s.max_answer_tokens, 180),
                             prompts_dir=s.prompts_dir, model=self.model_name)

    # --- self-assessment and retrofit plans (sme_ai.assess, sme_ai.plan) ---

    def questionnaire(self):
        """The scored items with their options and points, and the 16 business scenarios with their four level
        descriptions (level 0, 未达一级, is the form's extra choice)."""
        from sme_ai.assess.indicators import load_questionnaire

        return load_questionnaire()

    def assess(self, answers: dict):
        """Score questionnaire answers: points, scenario levels, overall level, gaps with their corpus passages
        (without passages when the knowledge base is empty)."""
        from sme_ai.assess.evaluate import assess

        return assess(answers, self if self.documents() else None)

    def load_assessment(self, data: dict):
        """A saved assessment (the JSON of `sme-ai assess -o`) as it was, or questionnaire answers scored now."""
        from sme_ai.assess.evaluate import as_assessment

        return as_assessment(data, self if self.documents() else None)

    def draft_plan(self, profile, assessment=None):
        """A complete retrofit plan (数字化改造方案) for an enterprise profile, optionally from an assessment
        (an Assessment, its saved JSON as a dict, or raw answers)."""
        from sme_ai.plan.model import Plan

        plan = None
        for event in self.draft_plan_stream(profile, assessment):
            if isinstance(event, Plan):
                plan = event
        assert plan is not None
        return plan

    def draft_plan_stream(self, profile, assessment=None):
        """Yields the rule-built PlanOutline first (before any model call), then PlanProgress and SectionDone for
        each section's prose, then the Plan. In the extractive mode the plan is complete without a model."""
        from sme_ai.assess.evaluate import as_assessment
        from sme_ai.plan.draft import draft_stream
        from sme_ai.plan.profile import load_profile

        p = load_profile(profile)  # a profile error comes before any other
        indexed = bool(self.documents())
        a = as_assessment(assessment, self if indexed else None)
        if not indexed:
            raise EmptyKnowledgeBaseError(self.settings.data_dir)
        yield from draft_stream(self, p, a)

    def regenerate_plan_section(self, plan, key: str, profile=None, assessment=None):
        """The plan with one section (key, e.g. "investment") redrafted after the owner edited the profile; the other
        sections keep their prose (those the new profile changes are marked meta["stale"])."""
        from sme_ai.plan.model import Plan

        return next(e for e in self.regenerate_plan_section_stream(plan, key, profile, assessment) if isinstance(e, Plan))

    def regenerate_plan_section_stream(self, plan, key: str, profile=None, assessment=None):
        """Like draft_plan_stream, for one section of an existing plan."""
        from sme_ai.assess.evaluate import as_assessment
        from sme_ai.plan.draft import regenerate_stream
        from sme_ai.plan.profile import load_profile

        p = load_profile(profile) if profile is not None else plan.profile
        if not self.documents():
            raise EmptyKnowledgeBaseError(self.settings.data_dir)
        yield from regenerate_stream(self, plan, key, p, as_assessment(assessment, self))
