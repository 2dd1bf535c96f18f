"""The LangChain adapter: the standard retriever suite of langchain-tests, and the answerer keeps the citations."""

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from sme_ai.assistant import Assistant
from sme_ai.config import Settings
from sme_ai.integrations.langchain import SmeAiAnswerer, SmeAiRetriever

DOC = """---
title: 行动方案要点
doc_type: policy
---
## 目标
到2027年，中小企业上云率超过40%。规上工业中小企业关键工序数控化率达到75%。
## 试点
数字化转型城市试点支持中小企业开展数字化改造，每批支持若干城市。
## 评估
企业可以对照评测指标开展数字化水平自评，找到差距后制定改造方案。
## 服务
服务商为中小企业提供上云、设备联网和数据分析服务，降低转型成本。
"""


@lru_cache(maxsize=1)
def assistant() -> Assistant:
    """One small knowledge base (hash embedder, in-memory store), shared by the standard suite's constructors."""
    folder = Path(tempfile.mkdtemp(prefix="sme-ai-langchain-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "plan.md").write_text(DOC, encoding="utf-8")
    asst = Assistant(Settings(data_dir=folder / "kb", home=folder / "home", embedder="hash", vector_store="memory",
                              llm_backend="extractive", min_dense_score=0.0, chunk_size=80))
    asst.ingest([folder / "plan.md"])
    assert len(asst.search("中小企业数字化", 4)) >= 3
    return asst


class TestSmeAiRetrieverStandard(RetrieversIntegrationTests):
    # the suite has one async test and expects pytest-asyncio's auto mode; the house runs strict mode, so the class
    # is marked (the suite forbids overriding its tests) and the mark's warning on the sync tests is silenced
    pytestmark = [pytest.mark.asyncio,
                  pytest.mark.filterwarnings("ignore:.*marked with '@pytest.mark.asyncio':pytest.PytestWarning")]

    @property
    def retriever_constructor(self):
        return SmeAiRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": assistant(), "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "中小企业数字化"


def test_documents_carry_the_passage_metadata():
    docs = SmeAiRetriever(assistant=assistant(), k=2).invoke("數控化率")  # traditional characters: normalised
    assert isinstance(docs[0], Document) and "75%" in docs[0].page_content
    meta = docs[0].metadata
    assert {"title", "section", "page", "source", "score", "legs"} <= set(meta)
    assert meta["title"] == "行动方案要点" and meta["source"] == "plan.md" and meta["legs"]
    assert SmeAiRetriever(assistant=assistant(), k=5, filters={"source": ["other.md"]}).invoke("上云率") == []


def test_the_answerer_keeps_the_citations_in_lcel():
    from langchain_core.runnables import RunnableLambda

    chain = RunnableLambda(lambda q: {"question": q}) | SmeAiAnswerer(assistant())
    out = chain.invoke("2027年中小企业上云率目标是多少？")
    assert "40%" in out["answer"] and out["refused"] is False
    assert out["citations"][0]["source"] == "plan.md" and set(out["citations"][0]) >= {"n", "title", "quote"}
    pieces = list(SmeAiAnswerer(assistant()).stream({"question": "那数控化率呢？",
                                                      "history": [("上云率目标是多少？", out["answer"])]}))
    assert pieces[-1]["citations"] and "75%" in pieces[-1]["answer"]
    assert all("delta" in p for p in pieces[:-1])
