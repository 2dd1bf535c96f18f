"""The answer cache's near-duplicate rules (sme_ai.cache.similar): paraphrases share an answer, a question that differs
in a year, number, name or its evidence never does."""

import pytest

from sme_ai.cache import AnswerCache
from sme_ai.cache.similar import core, same_question, shape
from sme_ai.types import Answer

ANSWER = "到2027年，中小企业上云率超过40%[1]。"
TOP = ["c1", "c2", "c3", "c4"]


def test_asking_words_years_and_punctuation_leave_the_same_core():
    assert core("上云率目标是多少") == core("2027年上云率要达到多少？") == core("请问到2027年上云率的目标是多少?") == "上云率"
    assert core("数控化率目标是多少") != core("上云率目标是多少")


@pytest.mark.parametrize("asked", ["2027年上云率要达到多少？", "上云率的目标是什么", "上雲率目標是多少",
                                   "请问上云率目标是多少", "上云率目标是多少？请介绍一下。"])
def test_a_paraphrase_with_the_same_evidence_is_the_same_question(asked):
    cached = shape("上云率目标是多少", TOP, 3)
    assert same_question(shape(asked, TOP, 3), cached, ANSWER)


@pytest.mark.parametrize("asked, why", [
    ("2026年上云率要达到多少？", "a year the cached answer does not state"),
    ("数控化率目标是多少", "another indicator"),
    ("上云率要达到50%吗", "a number the cached answer does not state"),
    ("浙江省上云率目标是多少", "a place"),
    ("“专精特新”企业上云率目标是多少", "a name"),
])
def test_a_question_that_differs_in_a_term_or_its_subject_is_not(asked, why):
    cached = shape("上云率目标是多少", TOP, 3)
    assert not same_question(shape(asked, TOP, 3), cached, ANSWER), why


def test_two_different_years_never_match_even_when_the_answer_names_both():
    both = "2026年起推进，到2027年上云率超过40%[1]。"
    assert not same_question(shape("2026年上云率目标是多少", TOP, 3), shape("2027年上云率目标是多少", TOP, 3), both)


def test_other_evidence_or_another_knowledge_base_version_is_not_the_same_question():
    cached = shape("上云率目标是多少", TOP, 3)
    assert not same_question(shape("上云率目标是多少", ["c1", "c2", "c9"], 3), cached, ANSWER)
    assert not same_question(shape("上云率目标是多少", TOP, 4), cached, ANSWER)
    assert same_question(shape("上云率目标是多少", ["c3", "c1", "c2", "c8"], 3), cached, ANSWER)  # a set: order-free


def test_the_cache_finds_a_near_duplicate_and_forgets_it_with_its_entry():
    cache = AnswerCache(size=1)
    cache.put("k1", Answer(question="上云率目标是多少", text=ANSWER), shape("上云率目标是多少", TOP, 3))
    assert cache.similar(shape("2027年上云率要达到多少？", TOP, 3)).text == ANSWER
    assert cache.similar(shape("2026年上云率要达到多少？", TOP, 3)) is None
    assert cache.similar_hits == 1
    cache.put("k2", Answer(question="别的", text="x"))  # evicts k1 (size 1), and with it its shape
    assert cache.similar(shape("2027年上云率要达到多少？", TOP, 3)) is None
    cache.put("k3", Answer(question="q", text="y"), shape("数控化率目标是多少", TOP, 3))
    cache.clear()
    assert cache.similar(shape("数控化率的目标是什么", TOP, 3)) is None


def test_the_query_vector_cache_embeds_a_repeated_query_once_and_passes_documents_through():
    import numpy as np

    from sme_ai.index.embedder import HashEmbedder, QueryCache

    class Counting(HashEmbedder):
        calls = 0

        def embed(self, texts, kind):
            Counting.calls += len(texts)
            return super().embed(texts, kind)

    inner = Counting(64)
    cache = QueryCache(inner, size=2)
    first = cache.embed(["上云率目标是多少"], "query")
    first[0, 0] = 99.0  # a caller that writes into its vector never changes the cached one
    again = cache.embed(["上云率目标是多少"], "query")
    assert Counting.calls == 1 and cache.hits == 1 and again[0, 0] != 99.0
    assert np.allclose(again, inner.embed(["上云率目标是多少"], "query"))
    cache.embed(["上云率目标是多少"], "document")  # documents are never cached
    cache.embed(["上云率目标是多少"], "document")
    assert cache.hits == 1 and (cache.name, cache.dim) == (inner.name, 64)
    cache.embed(["a"], "query"), cache.embed(["b"], "query")  # size 2: the first query is evicted
    calls = Counting.calls
    cache.embed(["上云率目标是多少"], "query")
    assert Counting.calls == calls + 1
