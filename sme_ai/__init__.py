"""sme-ai: a retrieval-grounded assistant for Chinese SMEs' digital transformation.

The public names (everything else is reached through them):

- `Assistant(settings)`: the one entry point. `ingest(paths)`, `documents()`, `remove(key)`, `search(query, k)`
  → `list[Hit]`, `ask(question, history)` → `Answer`, `stream(question, history)` → `Evidence`, then `Draft`,
  `Delta`s, then `Final`; `assess(answers)`, `draft_plan(profile, assessment)`.
- `Settings`: every option (constructor > `SME_AI_*` environment > `sme-ai.toml` > defaults).
- Values: `Answer` (text, `citations`, `refused`), `Citation` (n, title, section, page, source, quote), `Hit`
  (a `Chunk` with its fused score and the legs that found it), `Document`, `Section`, `Chunk`.
- Stream events: `Evidence` (the retrieved passages, before any generation), `Draft` (an `Answer` quoted from
  the documents, shown at once while the model writes), `Delta` (a piece of the model's text, unverified),
  `Final` (the verified `Answer`, which replaces the draft).
- `SmeAiError`: the base of every error the library raises on purpose (each carries its data and says what to do).

Front ends on top of the same `Assistant`: `sme-ai` (CLI), `python app_gradio.py` (web app), `sme-ai serve`
(`sme_ai.api.create_app`, an OpenAI-compatible HTTP API), `sme_ai.integrations.langchain` (retriever, answerer).

Importing this package is cheap: torch, chromadb, gradio, fastapi and llama_cpp are imported only by the
functions that need them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sme_ai.config import Settings
from sme_ai.errors import SmeAiError
from sme_ai.types import Answer, Chunk, Citation, Delta, Document, Draft, Evidence, Final, Hit, Section

if TYPE_CHECKING:
    from sme_ai.assistant import Assistant

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Answer", "Assistant", "Chunk", "Citation", "Delta", "Document", "Draft", "Evidence", "Final", "Hit", "Section",
           "Settings", "SmeAiError", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str) -> type:
    """`sme_ai.Assistant` is imported on first use, so `import sme_ai` stays cheap."""
    if name == "Assistant":
        from sme_ai.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'sme_ai' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
