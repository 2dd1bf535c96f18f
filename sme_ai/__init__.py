"""sme-ai: a retrieval-grounded assistant for Chinese SMEs' digital transformation.

Importing this package is cheap: torch, chromadb, gradio and llama_cpp are imported only by the
functions that need them.
"""

import logging

from sme_ai.config import Settings
from sme_ai.errors import SmeAiError
from sme_ai.types import Answer, Chunk, Citation, Document, Hit, Section

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Answer", "Assistant", "Chunk", "Citation", "Document", "Hit", "Section", "Settings", "SmeAiError"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "Assistant":
        from sme_ai.assistant import Assistant

        return Assistant
    raise AttributeError(name)
