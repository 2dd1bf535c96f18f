"""Tenants: one knowledge base each, under `<data_dir>/tenants/<tenant>/` (its own Chroma, BM25 snapshot and
manifest), answered by an `Assistant` of its own, created on first use and kept. The embedder and the generator are
loaded once and shared; the answer cache and the question log are the tenant's own, so nothing of
one tenant's reaches another's answers, citations, cache or log."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from sme_ai.api.keys import TENANT_NAME, check_tenant
from sme_ai.assistant import Assistant
from sme_ai.cache import AnswerCache, NearDuplicate, cache_key
from sme_ai.config import Settings
from sme_ai.types import Answer, Cached, Final


class Tenant:
    def __init__(self, name: str, assistant: Assistant, cache_size: int):
        self.name = name
        self.assistant = assistant
        self.cache_size = cache_size
        self._cache = AnswerCache(cache_size)
        self._log_lock = threading.Lock()

    @property
    def folder(self) -> Path:
        return Path(self.assistant.settings.data_dir)

    # --- writes: the knowledge base keeps readers consistent and makes only its commit exclusive, so an upload
    # never stops this tenant's questions; a write empties the tenant's answer cache ---------------------------

    def write(self, fn, *args, **kwargs):
        result = fn(*args, **kwargs)
        self._cache.clear()
        return result

    # --- answers: the tenant's cache, then the Assistant's events ------------------------------

    def _key(self, question: str) -> str:
        return cache_key(question, self.assistant.kb.version)

    def cached(self, question: str, history) -> Answer | None:
        if history or self.cache_size <= 0:
            return None
        answer = self._cache.get(self._key(question))
        return replace(answer, question=question) if answer is not None else None

    def stream(self, question: str, history=None) -> Iterator:
        """The Assistant's events; the final answer is cached for a standalone question, and a standalone question
        that is a near-duplicate of a cached one (same evidence, same terms) gets that answer as `Cached` right
        after its Evidence, before the model is asked."""
        standalone = not history and self.cache_size > 0
        key = self._key(question) if standalone else None
        reuse = NearDuplicate(self._cache, lambda: self.assistant.kb.version)  # right after retrieval
        for event in self.assistant.stream(question, history, reuse=reuse if standalone else None):
            if isinstance(event, Cached):  # a near-duplicate: its answer, logged as this caller asked it
                self._cache.put(key, event.answer)
                event = Cached(replace(event.answer, question=question))
            elif isinstance(event, Final) and standalone:
                self._cache.put(key, event.answer, reuse.shape)
            yield event

    def ask(self, question: str, history=None) -> tuple[Answer, bool]:
        """(answer, from the cache)."""
        answer = self.cached(question, history)
        if answer is not None:
            return answer, True
        for event in self.stream(question, history):
            if isinstance(event, (Final, Cached)):
                answer, cached = event.answer, isinstance(event, Cached)
        return answer, cached

    # --- the tenant's question log -------------------------------------------------------------

    def log(self, key_id: str, answer: Answer, *, cached: bool, ms: float) -> None:
        """One JSON line per answered question in `<tenant>/api/questions.jsonl`."""
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "key": key_id,
                  "question": answer.question, "refused": answer.refused, "cached": cached, "ms": round(ms, 1),
                  "sources": sorted({c.source for c in answer.citations})}
        path = self.folder / "api" / "questions.jsonl"
        with self._log_lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")


class Tenants:
    """The tenants' Assistants, created lazily from the one Settings (only `data_dir` differs)."""

    def __init__(self, settings: Settings, *, llm=None, embedder=None):
        self.settings = settings
        self._root = Assistant(settings, embedder=embedder, llm=llm)  # loads and holds the shared backends
        self._tenants: dict[str, Tenant] = {}
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        return Path(self.settings.data_dir) / "tenants"

    @cached_property
    def _backends(self) -> tuple:
        return self._root.embedder, self._root.llm

    def get(self, name: str) -> Tenant:
        check_tenant(name)
        with self._lock:
            tenant = self._tenants.get(name)
            if tenant is None:
                embedder, llm = self._backends
                settings = self.settings.model_copy(update={"data_dir": self.root / name, "app_dir": None})
                tenant = Tenant(name, Assistant(settings, embedder=embedder, llm=llm), self.settings.cache_size)
                tenant.assistant.kb.store  # opened here, once: two first requests must not open Chroma together
                self._tenants[name] = tenant
            return tenant

    def on_disk(self) -> list[str]:
        """Tenants with a knowledge base folder."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and TENANT_NAME.match(p.name))

