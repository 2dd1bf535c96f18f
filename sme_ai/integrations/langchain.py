"""LangChain over the Assistant: a retriever of `Document`s (hybrid search, with each passage's title, section,
page, source, score and legs) and a runnable answerer whose output keeps the verified citations.

```python
retriever = SmeAiRetriever(assistant=asst, k=4)      # passes langchain-tests' standard retriever suite
answerer = SmeAiAnswerer(assistant=asst)             # {"question", "history"} or a str → {"answer", "citations", ...}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from sme_ai.errors import MissingExtraError

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import Runnable, RunnableConfig
    from pydantic import ConfigDict
except ImportError:  # pragma: no cover - the extra is missing
    raise MissingExtraError("langchain-core", "langchain") from None

from sme_ai.types import Answer, Delta, Final, Hit


def hit_document(hit: Hit) -> Document:
    """One passage as a LangChain Document: the chunk's text, its place and how it was found."""
    c = hit.chunk
    return Document(id=c.id, page_content=c.text,
                    metadata={"title": c.title, "section": c.section, "page": c.page, "source": c.source,
                              "score": hit.score, "legs": dict(hit.legs), "leg_scores": dict(hit.leg_scores),
                              "doc_type": c.doc_type, "chunk_id": c.id})


class SmeAiRetriever(BaseRetriever):
    """Ranked passages from `Assistant.search` (dense + BM25, fused); `k` in the constructor or per call."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any  # sme_ai.Assistant
    k: int = 4
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    filters: dict[str, list[str]] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        hits = self.assistant.search(query, k, filters=kwargs.get("filters", self.filters),
                                     mode=kwargs.get("mode", self.mode))
        return [hit_document(h) for h in hits[:k]]


def answer_output(answer: Answer) -> dict[str, Any]:
    """What the answerer returns: the verified text and everything that backs it."""
    return {"question": answer.question, "answer": answer.text, "refused": answer.refused,
            "citations": [c.to_dict() for c in answer.citations], "model": answer.model}


def _question(value: str | dict) -> tuple[str, list[tuple[str, str]] | None]:
    if isinstance(value, str):
        return value, None
    history = value.get("history")
    return value["question"], [tuple(turn) for turn in history] if history else None


class SmeAiAnswerer(Runnable[Any, dict]):
    """`Assistant.ask` as a runnable. Input: a question, or {"question": ..., "history": [(q, a), ...]}. Output:
    {"question", "answer", "refused", "citations": [{"n", "title", "section", "page", "source", "quote"}],
    "model"}. `stream` yields {"delta": text} pieces of the draft, then the output above."""

    def __init__(self, assistant):
        self.assistant = assistant

    def invoke(self, input: str | dict, config: RunnableConfig | None = None, **kwargs: Any) -> dict:
        question, history = _question(input)
        return answer_output(self.assistant.ask(question, history))

    def stream(self, input: str | dict, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[dict]:
        question, history = _question(input)
        for event in self.assistant.stream(question, history):
            if isinstance(event, Delta):
                yield {"delta": event.text}
            elif isinstance(event, Final):
                yield answer_output(event.answer)


__all__ = ["SmeAiAnswerer", "SmeAiRetriever", "answer_output", "hit_document"]
