"""The retriever the training data is built with: an Assistant on the shipped corpus, in a knowledge-base folder of
its own (ingested once; a second run finds every document unchanged and embeds nothing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sme_ai.config import Settings
from sme_ai.types import Chunk, Hit


class PrefetchingEmbedder:
    """The corpus's embedder with a cache of query vectors filled in batches (`prefetch`): one query at a time
    costs 3–4× more CPU than the same queries in a batch. Passages and unknown queries go to the embedder itself,
    so the ranking is exactly the product's."""

    def __init__(self, inner, batch_size: int = 32):
        self.inner, self.batch_size, self.cache = inner, batch_size, {}
        self.name = inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def prefetch(self, queries: list[str], progress=None) -> None:
        todo = sorted({q for q in queries if q not in self.cache}, key=len)  # similar lengths: less padding
        for i in range(0, len(todo), self.batch_size):
            batch = todo[i: i + self.batch_size]
            self.cache.update(zip(batch, self.inner.embed(batch, "query")))
            if progress:
                progress("embed", min(len(todo), i + self.batch_size), len(todo), "")

    def embed(self, texts, kind):
        import numpy as np

        if kind == "query" and texts and all(t in self.cache for t in texts):
            return np.stack([self.cache[t] for t in texts])
        return self.inner.embed(texts, kind)


def corpus_retriever(settings: Settings, kb_dir: Path, corpus: Path | list[Path] | None = None,
                     progress=None) -> tuple[list[Chunk], Callable[[str, int], list[Hit]]]:
    """Every chunk of the corpus, and `search(question, k)` exactly as `Assistant.search` ranks them
    (`search.prefetch(questions)` embeds questions in batches beforehand)."""
    from sme_ai.assistant import Assistant
    from sme_ai.resources import corpus_dir

    settings = settings.model_copy(update={"data_dir": kb_dir})
    from sme_ai.index.embedder import make_embedder

    embedder = PrefetchingEmbedder(make_embedder(settings))
    asst = Assistant(settings, embedder=embedder)
    paths = corpus if isinstance(corpus, list) else [corpus or corpus_dir()]
    stats = asst.ingest(paths, progress=progress)
    if stats.failures:
        from sme_ai.errors import SmeAiError

        raise SmeAiError(f"the corpus did not ingest cleanly: {stats.failures[:3]}")
    def search(question: str, k: int) -> list[Hit]:
        return asst.search(question, k)

    search.prefetch = embedder.prefetch  # type: ignore[attr-defined]
    return asst.kb.all_chunks(), search
