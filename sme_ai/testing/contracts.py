"""Contract test suites for the three pluggable backends: LLMs, vector stores and embedders.

Every backend the project ships passes the same suite (tests/test_llm_contract.py, tests/test_store_contract.py,
tests/test_embedder_contract.py); a backend you write should pass it too. A contract is a plain class whose
`test_*` methods pytest collects once you subclass it under a `Test...` name and provide its fixture:

    # tests/test_my_backends.py
    import pytest
    from sme_ai.testing.contracts import EmbedderContract, LLMContract, StoreContract

    class TestMyLLM(LLMContract):
        @pytest.fixture(scope="class")
        @classmethod
        def llm(cls):                        # built once for the class, shared by its tests
            return MyLLM(...)

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):           # a fresh, empty store for every test
            return MyStore(path=tmp_path / "store")

    class TestMyEmbedder(EmbedderContract):
        @pytest.fixture(scope="class")
        @classmethod
        def embedder(cls):
            return MyEmbedder(...)

The fixture in the contract itself raises NotImplementedError, so a subclass that forgets it fails loudly rather
than passing vacuously. A class-scoped fixture is a classmethod (pytest warns about a class-scoped fixture on an
instance method); like any fixture it may ask for others (`tmp_path_factory`, a module-scoped server). Class
attributes tune what a backend cannot promise (`LLMContract.deterministic_prefix`, `EmbedderContract.atol`); extra
backend-specific tests go in the subclass. The contract classes themselves are not named `Test...`, so importing
one into a test module does not collect it a second time.

This module imports pytest: import it from tests only, never from library code.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sme_ai.generate.llm import LLM, complete
from sme_ai.index.embedder import Embedder
from sme_ai.index.store import VectorStore
from sme_ai.types import Chunk

__all__ = ["PROMPTS", "EmbedderContract", "LLMContract", "StoreContract", "sample_chunks", "sample_vectors"]

# ----------------------------------------------------------------------------------------------------------- LLMs

PROMPTS = [
    [{"role": "system", "content": "你是助手。"}, {"role": "user", "content": "用一句话介绍中小企业数字化转型。"}],
    [{"role": "user", "content": "列出三个数字化转型的场景。"}],
]


class LLMContract:
    """An `LLM` streams text, honours max_tokens and stop sequences, is greedy (deterministic) and thread-safe.

    Provide a class-scoped `llm` fixture. Set `deterministic_prefix = False` for a backend whose shorter generation
    is not a prefix of a longer one, and `order_independent = False` for a server whose prompt cache makes a greedy
    output depend on the request before it (then concurrent outputs must only begin like the serial ones)."""

    deterministic_prefix = True  # greedy decoding: a shorter generation is a prefix of a longer one
    order_independent = True  # the same prompt gives the same greedy output whatever ran before it

    @pytest.fixture(scope="class")
    @classmethod
    def llm(cls):
        raise NotImplementedError("a subclass of LLMContract provides the `llm` fixture")

    def test_is_an_llm(self, llm):
        assert isinstance(llm, LLM) and isinstance(llm.name, str) and llm.name

    def test_stream_yields_text(self, llm):
        pieces = list(llm.stream(PROMPTS[0], max_tokens=16))
        assert pieces and all(isinstance(p, str) for p in pieces) and "".join(pieces).strip()

    def test_max_tokens_bounds_and_greedy_is_deterministic(self, llm):
        short = complete(llm, PROMPTS[0], max_tokens=6)
        long = complete(llm, PROMPTS[0], max_tokens=24)
        assert len(short) < len(long)
        if self.deterministic_prefix:
            assert long.startswith(short.rstrip())
        assert complete(llm, PROMPTS[0], max_tokens=24) == long

    def test_stop_sequence_cuts_the_output(self, llm):
        full = complete(llm, PROMPTS[1], max_tokens=24)
        stop = full.strip()[len(full.strip()) // 2 :][:2]
        assert stop.strip()
        cut = complete(llm, PROMPTS[1], max_tokens=24, stop=[stop])
        assert stop not in cut
        assert cut.strip() == full[: full.find(stop)].strip()

    def test_concurrent_calls_never_interleave(self, llm):
        serial = [complete(llm, p, max_tokens=16) for p in PROMPTS]
        results = [None, None]

        def run(i):
            results[i] = complete(llm, PROMPTS[i], max_tokens=16)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads), "a concurrent call did not finish within 300 s"
        if self.order_independent:
            assert results == serial, (results, serial)
        else:  # each is its own prompt's answer, not a mix of the two
            assert all(r and r[:8] == s[:8] for r, s in zip(results, serial)), (results, serial)


# -------------------------------------------------------------------------------------------------- vector stores


def sample_chunks() -> list[Chunk]:
    """Three chunks: a and b are policies (b.md is b's source), c is a pilot with a page number."""
    texts = [("a", "policy", "政策一"), ("b", "policy", "政策二"), ("c", "pilot", "试点")]
    return [Chunk(id=i, doc_id="d" + i, source=f"{i}.md", title="T" + i, text=t, section="S", page=None if i != "c" else 3,
                  doc_type=dt, reliability="A") for i, dt, t in texts]


def sample_vectors() -> np.ndarray:
    """Unit vectors for sample_chunks(): cosine to [1, 0, 0] is 1.0 (a), 0.8 (b), 0.0 (c)."""
    v = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class StoreContract:
    """A `VectorStore` ranks by cosine similarity, filters on metadata, round-trips chunks, upserts and deletes.

    Provide a function-scoped `store` fixture that returns a new, empty store (use `tmp_path` for its files)."""

    @pytest.fixture
    def store(self, tmp_path) -> VectorStore:
        raise NotImplementedError("a subclass of StoreContract provides the `store` fixture")

    def test_is_a_vector_store(self, store):
        assert isinstance(store, VectorStore)

    def test_query_ranks_by_cosine(self, store):
        store.add(sample_chunks(), sample_vectors())
        res = store.query(np.array([1, 0, 0], dtype=np.float32), k=3)
        assert [r[0] for r in res] == ["a", "b", "c"]
        assert res[0][1] == pytest.approx(1.0, abs=1e-4)
        assert res[1][1] == pytest.approx(0.8, abs=1e-4)

    def test_filters(self, store):
        store.add(sample_chunks(), sample_vectors())
        res = store.query(np.array([1, 0, 0], dtype=np.float32), k=3, filters={"doc_type": ["pilot"]})
        assert [r[0] for r in res] == ["c"]
        res = store.query(np.array([1, 0, 0], dtype=np.float32), k=3,
                          filters={"doc_type": ["policy"], "source": ["b.md"]})
        assert [r[0] for r in res] == ["b"]

    def test_get_round_trips_chunks_in_order(self, store):
        chunks = sample_chunks()
        store.add(chunks, sample_vectors())
        got = store.get(["c", "a", "missing"])
        assert got == [chunks[2], chunks[0]]
        assert got[0].page == 3 and got[1].page is None

    def test_ids_delete_and_upsert(self, store):
        store.add(sample_chunks(), sample_vectors())
        assert store.ids() == {"a", "b", "c"}
        store.delete(["a"])
        assert store.ids() == {"b", "c"}
        store.add(sample_chunks()[1:2], sample_vectors()[1:2])  # re-adding an id is an upsert, not a duplicate
        assert store.ids() == {"b", "c"}
        assert [r[0] for r in store.query(np.array([1, 0, 0], dtype=np.float32), k=5)] == ["b", "c"]

    def test_empty_store_query(self, store):
        assert store.query(np.array([1, 0, 0], dtype=np.float32), k=3) == []


# ------------------------------------------------------------------------------------------------------ embedders

ANCHOR = "到2027年中小企业上云率超过40%"
NEAR = "中小企业上云率到2027年要超过百分之四十"  # the same fact, mostly the same words
FAR = "周末的天气晴朗，适合去公园散步。"  # nothing in common
BATCH = [ANCHOR, NEAR, FAR, "设备联网率", "What is the cloud adoption target for SMEs?", "数" * 300]


class EmbedderContract:
    """An `Embedder` returns unit-length float32 rows of its own `dim`, deterministically, for either kind; a text
    lies nearer a paraphrase that shares its words than an unrelated text; a batch equals its texts one by one; an
    empty batch is an empty (0, dim) matrix.

    Provide a class-scoped `embedder` fixture. `atol` is the tolerance for "the same vector" (batching, repeats);
    `min_cosine` the least cosine between a text's vector in a batch and alone (the direction a search compares)."""

    atol = 1e-4
    min_cosine = 0.9999

    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls):
        raise NotImplementedError("a subclass of EmbedderContract provides the `embedder` fixture")

    def test_is_an_embedder_with_a_name_and_a_dim(self, embedder):
        assert isinstance(embedder, Embedder)
        assert isinstance(embedder.name, str) and embedder.name.strip()
        assert isinstance(embedder.dim, int) and not isinstance(embedder.dim, bool) and embedder.dim > 0

    @pytest.mark.parametrize("kind", ["query", "document"])
    def test_float32_rows_of_dim_and_unit_length(self, embedder, kind):
        vecs = embedder.embed(BATCH, kind)
        assert isinstance(vecs, np.ndarray) and vecs.dtype == np.float32
        assert vecs.shape == (len(BATCH), embedder.dim)
        assert np.all(np.isfinite(vecs))
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)

    @pytest.mark.parametrize("kind", ["query", "document"])
    def test_deterministic(self, embedder, kind):
        np.testing.assert_allclose(embedder.embed(BATCH, kind), embedder.embed(BATCH, kind), atol=self.atol)

    def test_rows_differ_for_different_texts(self, embedder):
        vecs = embedder.embed([ANCHOR, FAR], "document")
        assert float(vecs[0] @ vecs[1]) < 0.99

    def test_a_paraphrase_is_nearer_than_an_unrelated_text(self, embedder):
        a, near, far = embedder.embed([ANCHOR, NEAR, FAR], "document")
        assert float(a @ near) > float(a @ far)

    def test_a_query_is_nearest_the_document_that_answers_it(self, embedder):
        q = embedder.embed(["中小企业上云率的目标是多少"], "query")
        assert q.shape == (1, embedder.dim)
        docs = embedder.embed([ANCHOR, FAR], "document")
        sims = docs @ q[0]
        assert float(sims[0]) > float(sims[1])

    @pytest.mark.parametrize("kind", ["query", "document"])
    def test_a_batch_equals_its_texts_one_by_one(self, embedder, kind):
        batch = embedder.embed(BATCH, kind)
        single = np.concatenate([embedder.embed([t], kind) for t in BATCH])
        np.testing.assert_allclose(batch, single, atol=self.atol)
        cos = (batch * single).sum(axis=1) / (np.linalg.norm(batch, axis=1) * np.linalg.norm(single, axis=1))
        assert float(cos.min()) > self.min_cosine  # the same direction: the ranking a search sees does not move

    @pytest.mark.parametrize("kind", ["query", "document"])
    def test_an_empty_batch_is_an_empty_matrix(self, embedder, kind):
        vecs = embedder.embed([], kind)
        assert isinstance(vecs, np.ndarray) and vecs.shape == (0, embedder.dim)
