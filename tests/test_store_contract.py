"""One contract, every vector store: the in-memory fake and real Chroma (embedded) pass the same tests."""

import numpy as np
import pytest

from sme_ai.index.store import ChromaStore, InMemoryStore, VectorStore
from sme_ai.types import Chunk


def _chunks():
    texts = [("a", "policy", "政策一"), ("b", "policy", "政策二"), ("c", "pilot", "试点")]
    return [Chunk(id=i, doc_id="d" + i, source=f"{i}.md", title="T" + i, text=t, section="S", page=None if i != "c" else 3,
                  doc_type=dt, reliability="A") for i, dt, t in texts]


def _vecs():
    v = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class StoreContract:
    def make(self, tmp_path) -> VectorStore:
        raise NotImplementedError

    def test_is_a_vector_store(self, tmp_path):
        assert isinstance(self.make(tmp_path), VectorStore)

    def test_query_ranks_by_cosine(self, tmp_path):
        s = self.make(tmp_path)
        s.add(_chunks(), _vecs())
        res = s.query(np.array([1, 0, 0], dtype=np.float32), k=3)
        assert [r[0] for r in res] == ["a", "b", "c"]
        assert res[0][1] == pytest.approx(1.0, abs=1e-4)
        assert res[1][1] == pytest.approx(0.8, abs=1e-4)

    def test_filters(self, tmp_path):
        s = self.make(tmp_path)
        s.add(_chunks(), _vecs())
        res = s.query(np.array([1, 0, 0], dtype=np.float32), k=3, filters={"doc_type": ["pilot"]})
        assert [r[0] for r in res] == ["c"]
        res = s.query(np.array([1, 0, 0], dtype=np.float32), k=3, filters={"doc_type": ["policy"], "source": ["b.md"]})
        assert [r[0] for r in res] == ["b"]

    def test_get_round_trips_chunks_in_order(self, tmp_path):
        s = self.make(tmp_path)
        chunks = _chunks()
        s.add(chunks, _vecs())
        got = s.get(["c", "a", "missing"])
        assert got == [chunks[2], chunks[0]]
        assert got[0].page == 3 and got[1].page is None

    def test_ids_delete_and_upsert(self, tmp_path):
        s = self.make(tmp_path)
        s.add(_chunks(), _vecs())
        assert s.ids() == {"a", "b", "c"}
        s.delete(["a"])
        assert s.ids() == {"b", "c"}
        s.add(_chunks()[1:2], _vecs()[1:2])  # re-adding an id is an upsert, not a duplicate
        assert s.ids() == {"b", "c"}
        assert [r[0] for r in s.query(np.array([1, 0, 0], dtype=np.float32), k=5)] == ["b", "c"]

    def test_empty_store_query(self, tmp_path):
        assert self.make(tmp_path).query(np.array([1, 0, 0], dtype=np.float32), k=3) == []


class TestInMemoryStore(StoreContract):
    def make(self, tmp_path):
        return InMemoryStore()


class TestChromaStore(StoreContract):
    def make(self, tmp_path):
        return ChromaStore("contract", path=tmp_path / "chroma")

    def test_persists_across_clients(self, tmp_path):
        s = self.make(tmp_path)
        s.add(_chunks(), _vecs())
        again = ChromaStore("contract", path=tmp_path / "chroma")
        assert again.ids() == {"a", "b", "c"}
        assert again.collection_metadata["hnsw:space"] == "cosine"
