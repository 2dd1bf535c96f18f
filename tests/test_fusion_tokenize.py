from sme_ai.index.bm25 import BM25Index
from sme_ai.text import normalize_text, tokenize
from sme_ai.retrieve.fusion import rrf
from sme_ai.types import Chunk


def test_domain_terms_stay_whole():
    toks = tokenize("专精特新小巨人企业的数控化率和上云用数赋智、小快轻准方案")
    for term in ("专精特新", "小巨人", "数控化率", "上云用数赋智", "小快轻准"):
        assert term in toks, (term, toks)


def test_tokenize_drops_stopwords_and_punctuation_of_normalised_text():
    toks = tokenize(normalize_text("请问，中小企業的上雲率是多少？"))
    assert "的" not in toks and "，" not in toks and "？" not in toks and "多少" not in toks
    assert "中小企业" in toks and "上云" in toks


def test_rrf_scores_and_ranks():
    fused = rrf({"dense": ["a", "b", "c"], "bm25": ["b", "d"]}, k=60)
    ids = [f[0] for f in fused]
    assert ids[0] == "b"  # found by both legs
    assert fused[0][2] == {"dense": 2, "bm25": 1}
    assert abs(fused[0][1] - (1 / 62 + 1 / 61)) < 1e-12
    assert set(ids) == {"a", "b", "c", "d"}
    assert ids.index("a") < ids.index("d")  # rank 1 beats rank 2 at equal leg count


def test_rrf_is_deterministic_on_ties():
    assert [f[0] for f in rrf({"x": ["p"], "y": ["q"]})] == ["p", "q"]


def _chunk(i, text, doc_type="policy"):
    return Chunk(id=f"c{i}", doc_id="d", source=f"s{i}.md", title="T", text=text, doc_type=doc_type)


def test_bm25_finds_domain_term_and_drops_zero_scores(tmp_path):
    chunks = [_chunk(1, "专精特新小巨人企业认定条件"), _chunk(2, "中小企业上云率目标超过40%"),
              _chunk(3, "城市试点资金支持", doc_type="pilot")]
    idx = BM25Index.build(chunks)
    res = idx.search("小巨人的认定", k=10)
    assert [r[0] for r in res] == ["c1"]  # no zero-score padding
    idx.save(tmp_path / "b")
    loaded = BM25Index.load(tmp_path / "b")
    assert loaded.search("上云率", k=5)[0][0] == "c2"
    assert loaded.search("资金", k=5, filters={"doc_type": ["policy"]}) == []
    assert loaded.search("资金", k=5, filters={"doc_type": ["pilot"]})[0][0] == "c3"
    assert loaded.search("完全无关的词汇xyz", k=5) == []
