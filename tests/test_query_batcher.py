"""Concurrent single queries share one embedding call (`QueryBatcher`); a lone query is embedded alone."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sme_ai.index.embedder import HashEmbedder, QueryBatcher


class _Held(HashEmbedder):
    """Records every call's texts; the first query call blocks until `release` is set (a busy model)."""

    def __init__(self):
        super().__init__(64)
        self.calls: list[tuple[list[str], str]] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.fail = False

    def embed(self, texts, kind):
        self.calls.append((list(texts), kind))
        if kind == "query" and len(self.calls) == 1:
            self.entered.set()
            self.release.wait(5)
        if self.fail:
            raise RuntimeError("model crashed")
        return super().embed(texts, kind)


def _ask_all(batcher, texts):
    out, threads = {}, []
    for t in texts:
        th = threading.Thread(target=lambda t=t: out.__setitem__(t, batcher.embed([t], "query")))
        th.start()
        threads.append(th)
    return out, threads


def test_queries_that_arrive_while_one_is_embedded_go_together_in_one_call():
    inner = _Held()
    b = QueryBatcher(inner, max_batch=16)
    first, t1 = _ask_all(b, ["上云率目标是多少"])
    assert inner.entered.wait(5)
    waiting = [f"问题{i}：数控化率" for i in range(5)] + ["上云率目标是多少"]  # one of them asked twice
    out, threads = _ask_all(b, waiting)
    while len(b._queue) < len(waiting):  # all queued behind the busy call
        threading.Event().wait(0.01)
    inner.release.set()
    for th in t1 + threads:
        th.join(5)
    assert [c[0] for c in inner.calls] == [["上云率目标是多少"], [f"问题{i}：数控化率" for i in range(5)] + ["上云率目标是多少"]]
    assert b.batches == 2
    for t, vec in {**first, **out}.items():  # each asker gets its own text's vector, unit length
        assert vec.shape == (1, 64)
        assert np.allclose(vec, HashEmbedder(64).embed([t], "query"))


def test_a_lone_query_is_embedded_alone_and_the_batch_is_bounded():
    inner = _Held()
    inner.release.set()
    b = QueryBatcher(inner, max_batch=2)
    b.embed(["上云率目标是多少"], "query")
    assert inner.calls == [(["上云率目标是多少"], "query")] and b.batches == 1
    held = _Held()
    b = QueryBatcher(held, max_batch=2)
    _, t1 = _ask_all(b, ["a0"])
    assert held.entered.wait(5)
    _, threads = _ask_all(b, ["a1", "a2", "a3"])
    while len(b._queue) < 3:
        threading.Event().wait(0.01)
    held.release.set()
    for th in t1 + threads:
        th.join(5)
    assert [len(c[0]) for c in held.calls] == [1, 2, 1]


def test_with_two_workers_a_query_does_not_wait_for_the_call_in_progress():
    """ONNX Runtime runs two calls at once (a second uses the cores the first leaves idle): with workers=2 a query
    that arrives while one is being embedded is embedded beside it, not queued behind it."""
    inner = _Held()
    b = QueryBatcher(inner, max_batch=16, workers=2)
    _, t1 = _ask_all(b, ["上云率目标是多少"])
    assert inner.entered.wait(5)  # the first call holds one worker
    out, t2 = _ask_all(b, ["数控化率目标是多少"])
    t2[0].join(5)
    assert "数控化率目标是多少" in out and not inner.release.is_set()  # answered while the first call still runs
    inner.release.set()
    t1[0].join(5)
    assert [c[0] for c in inner.calls] == [["上云率目标是多少"], ["数控化率目标是多少"]] and b.batches == 2
    one = QueryBatcher(_Held(), max_batch=16, workers=1)  # the default: one call at a time
    _, t3 = _ask_all(one, ["a0"])
    assert one.inner.entered.wait(5)
    out, t4 = _ask_all(one, ["a1"])
    t4[0].join(0.3)
    assert "a1" not in out  # still queued behind the held call
    one.inner.release.set()
    for th in t3 + t4:
        th.join(5)
    assert "a1" in out


def test_documents_and_several_texts_pass_straight_through():
    inner = _Held()
    inner.release.set()
    b = QueryBatcher(inner)
    b.embed(["x"], "query")  # the first query call (it would block on an unset release)
    b.embed(["文档一", "文档二"], "document")
    b.embed(["问一", "问二"], "query")
    assert inner.calls[1:] == [(["文档一", "文档二"], "document"), (["问一", "问二"], "query")]
    assert b.batches == 1 and (b.name, b.dim) == (inner.name, 64)


def test_every_waiter_gets_the_models_error_and_the_next_query_works():
    inner = _Held()
    inner.fail = True
    b = QueryBatcher(inner)
    errors = []

    def ask(t):
        try:
            b.embed([t], "query")
        except RuntimeError as e:
            errors.append(str(e))
    threads = [threading.Thread(target=ask, args=(t,)) for t in ("a", "b", "c")]
    for th in threads:
        th.start()
    assert inner.entered.wait(5)
    inner.release.set()
    for th in threads:
        th.join(5)
    assert errors == ["model crashed"] * 3
    inner.fail = False
    assert b.embed(["d"], "query").shape == (1, 64)


def test_the_app_embedder_batches_behind_the_query_cache(tmp_path):
    from sme_ai.config import Settings
    from sme_ai.errors import SettingsError
    from sme_ai.index.embedder import QueryCache, make_embedder

    e = make_embedder(Settings(data_dir=tmp_path, embedder="hash"))
    assert isinstance(e, QueryCache) and isinstance(e.inner, QueryBatcher) and e.inner.max_batch == 16
    off = make_embedder(Settings(data_dir=tmp_path, embedder="hash", query_batch_size=1))
    assert off.inner.max_batch == 1
    with pytest.raises(SettingsError, match="query_batch_size"):
        Settings(data_dir=tmp_path, query_batch_size=0)
    assert e.base is e.inner.inner and isinstance(e.base, HashEmbedder)  # the model under both layers
    assert e.inner.workers == 1  # only ONNX Runtime gets more than one call at a time
