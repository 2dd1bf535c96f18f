"""The composition root: every front end (CLI, app, API, LangChain adapter) calls one of these methods."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from sme_ai.config import Settings
from sme_ai.index.knowledge_base import IngestStats, KnowledgeBase
from sme_ai.ingest.pipeline import Progress, ingest_paths
from sme_ai.types import Answer, Delta, Evidence, Final, Hit, StreamEvent

History = list[tuple[str, str]]  # (question, answer) pairs, oldest first

log = logging.getLogger(__name__)


def _store_factory(settings: Settings):
    from sme_ai.index.store import ChromaStore, InMemoryStore

    memory: dict[str, InMemoryStore] = {}

    def chroma(name: str):
        return ChromaStore(name, path=settings.data_dir / "chroma")

    def chroma_http(name: str):
        return ChromaStore(name, host=settings.chroma_host, port=settings.chroma_port)

    def in_memory(name: str):
        return memory.setdefault(name, InMemoryStore())

    return {"chroma": chroma, "chroma-http": chroma_http, "memory": in_memory}[settings.vector_store]


class Assistant:
    def __init__(self, settings: Settings | None = None, *, embedder=None, llm=None):
        self.settings = settings or Settings()
        self._embedder = embedder
        self._llm = llm

    @cached_property
    def embedder(self):
        if self._embedder is not None:
            return self._embedder
        from sme_ai.index.embedder import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def llm(self):
        """The generator, loaded on first use; None in the extractive mode."""
        if self._llm is not None:
            return self._llm
        from sme_ai.generate.llm import make_llm

        return make_llm(self.settings)

    @cached_property
    def kb(self) -> KnowledgeBase:
        return KnowledgeBase(self.settings.data_dir, self.embedder, _store_factory(self.settings))

    # --- knowledge base --------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path | str], progress: Progress | None = None) -> IngestStats:
        s = self.settings
        return ingest_paths(self.kb, paths, chunk_size=s.chunk_size, overlap=s.chunk_overlap,
                            max_bytes=s.max_file_bytes, progress=progress)

    def documents(self) -> list[dict]:
        return self.kb.documents()

    def remove(self, key: str) -> list[str]:
        return self.kb.remove(key)

    def reindex(self, progress: Progress | None = None) -> int:
        on_embed = (lambda d, t: progress("embed", d, t, "")) if progress else None
        return self.kb.reindex(on_embed)

    # --- retrieval -----------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, *, filters: dict[str, list[str]] | None = None,
               mode: str = "hybrid") -> list[Hit]:
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

    def stream(self, question: str, history: History | None = None) -> Iterator[StreamEvent]:
        """Evidence first, then text deltas, then the final verified Answer."""
        from sme_ai.generate import answer as step
        from sme_ai.generate.context import build_context
        from sme_ai.generate.extractive import extractive_answer
        from sme_ai.generate.verify import is_refusal, verify_answer
        from sme_ai.ingest.normalize import normalize_text

        s, t0 = self.settings, time.perf_counter()
        ms = lambda: round((time.perf_counter() - t0) * 1000, 1)  # noqa: E731
        question = step.check_question(question, s.max_question_chars)
        english = step.is_english(question)
        # 1. a follow-up becomes a standalone question
        standalone = question
        if step.needs_rewrite(question, history):
            standalone = step.rewrite_question(question, history, self.llm, s.prompts_dir)
        # 2. retrieve, and show the evidence before any generation
        hits = self.search(standalone)
        timings = {"retrieve_ms": ms()}
        yield Evidence(hits=tuple(hits), question=standalone)
        passages = build_context(standalone, hits, budget_chars=s.context_chars, max_passages=s.context_passages)
        # 3. nothing relevant enough: the fixed refusal, with the closest passages to look at
        if not passages or not step.is_relevant(hits, s.min_dense_score):
            yield Final(self._refusal(question, hits, english, timings, ms(), reason="no_relevant_passage"))
            return
        # 4. generate (or extract), streaming deltas
        meta: dict = {"standalone_question": standalone}
        model_name = getattr(self.llm, "name", "extractive")
        if self.llm is None:
            raw = extractive_answer(standalone, passages, english=english)
            yield Delta(raw)
        else:
            raw = ""
            try:
                messages = step.build_messages(normalize_text(standalone), passages, s.prompts_dir)
                for piece in self.llm.stream(messages, max_tokens=s.max_answer_tokens):
                    timings.setdefault("first_token_ms", ms())
                    raw += piece
                    yield Delta(piece)
            except Exception as e:  # a failing model must not leave the owner without an answer
                log.warning("generation failed, falling back to the extractive answer: %s", e)
                meta["fallback"] = f"extractive:{type(e).__name__}"
                raw = extractive_answer(standalone, passages, english=english)
        if is_refusal(raw):
            yield Final(self._refusal(question, hits, english, timings, ms(), reason="model_said_not_covered",
                                      model=model_name))
            return
        # 5. verify markers and numbers; repair or fall back
        verified = verify_answer(raw, passages, question)
        if not verified.text or not verified.used:
            meta["fallback"] = meta.get("fallback") or "extractive:unverifiable"
            verified = verify_answer(extractive_answer(standalone, passages, english=english), passages, question)
        citations = step.citations_for(verified, passages)
        text = verified.text
        if step.needs_caution(citations, passages):
            from sme_ai.generate.prompts import load_prompt

            text += "\n\n" + load_prompt("caution", s.prompts_dir)
            meta["caution"] = True
        meta.update(invalid_markers=verified.invalid_markers, unsupported_numbers=verified.unsupported_numbers,
                    dropped_sentences=verified.dropped_sentences, auto_cited=verified.auto_cited, raw=raw)
        timings["total_ms"] = ms()
        yield Final(Answer(question=question, text=text, citations=citations, refused=False, model=model_name,
                           timings=timings, hits=tuple(hits), meta=meta))

    # --- self-assessment and retrofit plans (sme_ai.assess, sme_ai.plan) ---

    def assess(self, answers: dict):
        """Score questionnaire answers: points, scenario levels, overall level, gaps with their corpus passages."""
        from sme_ai.plan.api import assess

        return assess(self, answers)

    def draft_plan(self, profile, assessment=None):
        """A complete retrofit plan (数字化改造方案) for an enterprise profile, optionally from an assessment."""
        from sme_ai.plan.api import draft_plan

        return draft_plan(self, profile, assessment)

    def draft_plan_stream(self, profile, assessment=None):
        """Yields PlanProgress (section k of n) while sections are written, then the Plan."""
        from sme_ai.plan.api import draft_plan_stream

        yield from draft_plan_stream(self, profile, assessment)

    def _refusal(self, question: str, hits: list[Hit], english: bool, timings: dict, total: float, *, reason: str,
                 model: str = "") -> Answer:
        from sme_ai.generate.prompts import load_prompt

        text = load_prompt("refusal_en" if english else "refusal", self.settings.prompts_dir)
        near = [h for h in hits[:3]]
        if near:
            head = "You may want to look at:" if english else "您可以参考以下相关内容："
            text += "\n\n" + head + "\n" + "\n".join(
                f"- 《{h.chunk.title}》{h.chunk.section}" for h in near)
        timings = {**timings, "total_ms": total}
        return Answer(question=question, text=text, refused=True, model=model or getattr(self.llm, "name", "extractive"),
                      timings=timings, hits=tuple(hits), meta={"refusal_reason": reason})
