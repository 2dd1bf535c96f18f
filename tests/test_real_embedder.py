"""Integration with the real EmbeddingGemma (fetched by the test command) and real Chroma: the embedder contract
(sme_ai.testing.contracts.EmbedderContract) and retrieval quality on the seed document."""

import numpy as np
import pytest

from conftest import real_models_home, require_model
from sme_ai.testing.contracts import EmbedderContract

pytestmark = pytest.mark.model


def _make(**settings):
    require_model("embeddinggemma-300m")
    from sme_ai.config import Settings
    from sme_ai.index.embedder import make_embedder

    return make_embedder(Settings(embedder="sentence-transformers", embedder_model="embeddinggemma-300m",
                                  home=real_models_home(), **settings))


@pytest.fixture(scope="module")
def real_embedder():
    """EmbeddingGemma as the product builds it (make_embedder from the default Settings: ONNX Runtime, or torch in
    bfloat16 on a CPU with avx512_bf16), loaded once for the module."""
    return _make()


@pytest.fixture(scope="module")
def onnx_embedder():
    """The same model through ONNX Runtime (embedder_runtime="onnx"), whatever the CPU."""
    return _make(embedder_runtime="onnx")


@pytest.fixture(scope="module")
def torch_embedder():
    """The same model through sentence-transformers (embedder_runtime="torch")."""
    return _make(embedder_runtime="torch")


# (atol, min_cosine) for "the same vector" by the dtype the torch embedder runs in ("auto" picks bfloat16 on CPUs
# with avx512_bf16). A text in a batch and alone, measured: float32 on AVX2-only EPYCs ≤ 1e-3; bfloat16 on AVX-512
# EPYCs 1.8e-3 (a session's box) and 3.9e-3 with cosine 0.99988 (a CI machine). A row mix-up or a padding leak gives
# a cosine of 0.5–0.9 (different texts), far below either floor.
TOLERANCE = {"float32": (2e-3, 0.9999), "bfloat16": (2e-2, 0.999)}


class TestEmbeddingGemmaOnnx(EmbedderContract):
    """The default runtime: float32 on every CPU, so the tolerances are float32 rounding (padding moves ~1e-6)."""

    atol, min_cosine = 1e-4, 0.99999

    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls, onnx_embedder):
        from sme_ai.index.onnx_embedder import OnnxEmbedder

        assert isinstance(onnx_embedder.base, OnnxEmbedder)
        return onnx_embedder


class TestEmbeddingGemmaTorch(EmbedderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls, torch_embedder):
        cls.atol, cls.min_cosine = TOLERANCE[torch_embedder.base.dtype_in_use]
        return torch_embedder


@pytest.mark.parametrize("kind", ["query", "document"])
def test_onnx_gives_the_vectors_of_sentence_transformers(onnx_embedder, torch_embedder, kind):
    """An index built by one runtime serves queries embedded by the other."""
    from sme_ai.testing.contracts import BATCH

    onnx, st = onnx_embedder.embed(BATCH, kind), torch_embedder.embed(BATCH, kind)
    cos = np.sum(onnx * st, axis=1)
    floor = 0.9999 if torch_embedder.base.dtype_in_use == "float32" else 0.995  # bf16 torch: its own rounding
    assert float(cos.min()) > floor
    assert onnx_embedder.name == torch_embedder.name == "embeddinggemma-300m"  # one index, either runtime


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, seed_path, real_embedder):
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    root = tmp_path_factory.mktemp("real")
    asst = Assistant(Settings(data_dir=root / "kb", vector_store="chroma", embedder="sentence-transformers"),
                     embedder=real_embedder)
    stats = asst.ingest([seed_path])
    assert stats.added == [seed_path.name] and stats.chunks_embedded > 5
    return asst


def test_traditional_question_ranks_the_40_percent_passage_first(seeded):
    hits = seeded.search("中小企業上雲率的目標")
    assert "40%" in hits[0].chunk.text
    assert "dense" in hits[0].legs


def test_english_question_finds_it_in_top_3(seeded):
    hits = seeded.search("What is the cloud adoption target for SMEs by 2027?", k=3)
    assert any("40%" in h.chunk.text for h in hits)


def test_dense_leg_alone_understands_synonyms(seeded):
    hits = seeded.search("小企业把业务搬到云端的比例要达到多少", mode="dense", k=3)
    assert any("上云率" in h.chunk.text for h in hits)


def test_reingest_does_no_embedding_work(seeded, seed_path):
    stats = seeded.ingest([seed_path])
    assert stats.chunks_embedded == 0 and stats.unchanged == [seed_path.name]


def test_embeddinggemma_is_768d_and_separates_the_answer_from_small_talk(seeded):
    emb = seeded.embedder
    assert emb.dim == 768 and emb.name == "embeddinggemma-300m"
    q = emb.embed(["中小企业上云率目标是多少"], "query")[0]
    docs = emb.embed(["到2027年中小企业上云率超过40%", "What a lovely day for a walk"], "document")
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert q @ docs[0] > q @ docs[1] + 0.2


def test_int8_query_copy_shares_the_token_tables_and_quantises_the_linear_layers():
    import torch

    from sme_ai.index.embedder import int8_query_model

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(50, 16), torch.nn.Linear(16, 16), torch.nn.Linear(16, 4))
    q8 = int8_query_model(model)
    assert q8[0].weight is model[0].weight  # the tables are not copied
    assert isinstance(q8[1], torch.ao.nn.quantized.dynamic.Linear)
    assert type(model[1]) is torch.nn.Linear  # the original is untouched
    x = torch.tensor([[1, 2, 3]])
    assert torch.nn.functional.cosine_similarity(q8(x).flatten(), model(x).flatten(), dim=0) > 0.95


def test_int8_queries_against_full_precision_documents_keep_the_ranking(seeded, torch_embedder):
    """embedder_query_quantize="int8": queries through the int8 copy, documents (the index) untouched."""
    from sme_ai.assistant import Assistant
    from sme_ai.index.embedder import SentenceTransformerEmbedder

    loaded = torch_embedder.base
    full = SentenceTransformerEmbedder(loaded.path, loaded.name, query_quantize="none")
    q8 = SentenceTransformerEmbedder(loaded.path, loaded.name, query_quantize="int8")
    full._model = q8._model = loaded._load()  # the same loaded weights; only the query path differs
    question = ["中小企业上云率目标是多少"]
    a, b = full.embed(question, "query")[0], q8.embed(question, "query")[0]
    assert 0.8 < float(a @ b) < 0.9999  # a different model path, close to the original
    doc = ["到2027年中小企业上云率超过40%"]
    assert np.array_equal(q8.embed(doc, "document"), full.embed(doc, "document"))
    asst = Assistant(seeded.settings, embedder=q8)
    assert "40%" in asst.search("中小企業上雲率的目標")[0].chunk.text
