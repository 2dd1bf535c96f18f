"""What every handler needs, built once per process: the Assistant (its model behind the gate), the answer cache,
the knowledge-base lock (only a re-index takes it for writing), the question log and the admin-token guard;
`settings` is the Assistant's own `Settings` (the web-app fields live there too). Building it loads nothing;
`warm_up` does."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sme_ai.app.gate import GatedLLM, GenerationGate
from sme_ai.app.guard import TokenGuard
from sme_ai.app.logbook import Logbook
from sme_ai.app.rwlock import ReadWriteLock
from sme_ai.assistant import Assistant
from sme_ai.cache import AnswerCache
from sme_ai.config import Settings

log = logging.getLogger(__name__)
WARM_UP_QUESTION = "到2027年中小企业数字化转型的目标是什么？"


@dataclass
class AppContext:
    asst: Assistant
    cache: AnswerCache
    gate: GenerationGate
    kb_lock: ReadWriteLock
    log: Logbook
    guard: TokenGuard = field(default_factory=TokenGuard)  # wrong admin tokens: counts and lockouts

    @property
    def settings(self) -> Settings:
        return self.asst.settings

    @property
    def uploads_dir(self):
        return self.settings.app_folder / "uploads"

    def warm_up(self) -> None:
        """Load the embedder, the knowledge base and the model now, so the first trainee does not wait for them:
        one question through the whole answer sequence (retrieval, premise check, quoted draft), stopped at the
        model's first token, which leaves the fixed system prompt evaluated in llama.cpp's context (the next
        prompt reuses it: ~half the first question's first-token wait). Nothing is cached or logged."""
        from sme_ai.types import Delta

        remote = self.settings.llm_backend == "openai"  # a model server keeps its own prefix: never wait for it here
        if not self.asst.documents() or remote:
            self.asst.search("中小企业数字化转型")  # embedder, vector store and jieba
        else:
            events = self.asst.stream(WARM_UP_QUESTION)
            try:
                for event in events:
                    if isinstance(event, Delta):
                        break
            finally:
                events.close()
        llm = self.asst.llm
        if isinstance(llm, GatedLLM):
            llm.inner  # noqa: B018


def build_app_context(settings: Settings | None = None, *, embedder=None, llm=None) -> AppContext:
    """`llm`: an LLM object to use (tests); otherwise the one the settings name, loaded on first use."""
    settings = settings or Settings()
    gate = GenerationGate(settings.max_wait_s, slots=settings.llm_slots)
    if llm is not None:
        gated = GatedLLM(lambda: llm, gate, name=getattr(llm, "name", ""))
    elif settings.llm_backend == "extractive":
        gated = None
    else:
        nice = settings.llm_nice if settings.llm_backend in ("llama-cpp", "transformers") else 0  # in this process
        gated = GatedLLM(lambda: Assistant.load_llm(settings), gate, name=settings.llm_model, nice=nice)
    asst = Assistant(settings, embedder=embedder, llm=gated)
    return AppContext(asst=asst, cache=AnswerCache(settings.cache_size), gate=gate, kb_lock=ReadWriteLock(),
                      log=Logbook(settings.app_folder, max_bytes=int(settings.log_max_mb * 1024 * 1024)),
                      guard=TokenGuard(settings.token_failures_allowed, settings.token_lockout_max_s))
