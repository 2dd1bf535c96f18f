"""The embedder contract (sme_ai.testing.contracts.EmbedderContract) on the deterministic fake: the fast tier.

The real EmbeddingGemma passes the same contract in tests/test_real_embedder.py (model tier)."""

import pytest

from sme_ai.index.embedder import HashEmbedder
from sme_ai.testing.contracts import EmbedderContract


class TestHashEmbedder(EmbedderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls):
        return HashEmbedder()


class TestHashEmbedderSmallDim(EmbedderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls):
        return HashEmbedder(dim=64)
