"""One contract (sme_ai.testing.contracts.StoreContract), every vector store: the in-memory fake and real Chroma
(embedded) pass the same tests."""

import pytest

from sme_ai.index.store import ChromaStore, InMemoryStore
from sme_ai.testing.contracts import StoreContract, sample_chunks, sample_vectors


class TestInMemoryStore(StoreContract):
    @pytest.fixture
    def store(self):
        return InMemoryStore()


class TestChromaStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return ChromaStore("contract", path=tmp_path / "chroma")

    def test_persists_across_clients(self, store, tmp_path):
        store.add(sample_chunks(), sample_vectors())
        again = ChromaStore("contract", path=tmp_path / "chroma")
        assert again.ids() == {"a", "b", "c"}
        assert again.collection_metadata["hnsw:space"] == "cosine"
