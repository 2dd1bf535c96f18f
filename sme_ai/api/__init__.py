"""The HTTP API (`sme-ai serve`): an OpenAI-compatible chat endpoint with citations, search, documents,
assessments and plans, for API keys that each belong to a tenant with its own knowledge base.

`create_app(settings)` builds the FastAPI app; importing this package does not import FastAPI (the key store,
which `sme-ai keys` uses, needs nothing but the standard library).
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from sme_ai.api.app import create_app

        return create_app
    raise AttributeError(name)
