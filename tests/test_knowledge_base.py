"""Ingest, idempotency, replacement, removal, atomicity — on the in-memory fake and on real Chroma."""

import pytest

from sme_ai.assistant import Assistant
from sme_ai.errors import DocumentNotFoundError, EmbedderMismatchError
from sme_ai.index.embedder import HashEmbedder


@pytest.fixture(params=["memory", "chroma"])
def assistant(request, fake_settings):
    return Assistant(fake_settings.model_copy(update={"vector_store": request.param}))


def _write(folder, name, text):
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def _corpus(tmp_path):
    d = tmp_path / "docs"
    _write(d, "policy/plan.md", "---\ntitle: 行动方案\ndoc_type: policy\n---\n## 目标\n到2027年，中小企业上云率超过40%。\n## 任务\n开展城市试点，支持专精特新企业。\n")
    _write(d, "pilot/city.md", "---\ntitle: 城市试点\ndoc_type: pilot\n---\n## 资金\n中央财政对试点城市给予定额奖补。\n")
    return d


def test_ingest_then_search_finds_passage(assistant, tmp_path):
    stats = assistant.ingest([_corpus(tmp_path)])
    assert sorted(stats.added) == ["pilot/city.md", "policy/plan.md"] and not stats.failures
    hits = assistant.search("上云率目标是多少", k=3)
    assert "40%" in hits[0].chunk.text
    assert hits[0].chunk.source == "policy/plan.md" and hits[0].chunk.section == "目标"
    assert set(hits[0].legs) <= {"dense", "bm25"} and hits[0].legs


def test_reingest_unchanged_does_no_embedding_work(assistant, tmp_path):
    d = _corpus(tmp_path)
    first = assistant.ingest([d])
    assert first.chunks_embedded > 0
    second = assistant.ingest([d])
    assert second.chunks_embedded == 0 and sorted(second.unchanged) == ["pilot/city.md", "policy/plan.md"]
    assert assistant.kb.version == 1  # nothing was committed


def test_changed_file_replaces_its_chunks(assistant, tmp_path):
    d = _corpus(tmp_path)
    assistant.ingest([d])
    _write(d, "policy/plan.md", "---\ntitle: 行动方案\ndoc_type: policy\n---\n## 目标\n到2027年，中小企业上云率超过40%。\n## 新增\n新增的段落内容。\n")
    stats = assistant.ingest([d])
    assert stats.updated == ["policy/plan.md"]
    assert stats.chunks_embedded == 1 and stats.chunks_reused == 1  # unchanged chunk reused by content hash
    texts = [c.text for c in assistant.kb.chunks(sorted(assistant.kb.live_ids()))]
    assert "新增的段落内容。" in texts and not any("开展城市试点" in t for t in texts)
    assert assistant.kb.store.ids() == assistant.kb.live_ids()  # old chunks are gone from the store too
    assert all("开展城市试点" not in h.chunk.text for h in assistant.search("开展城市试点 专精特新", mode="bm25"))


def test_remove_removes_from_both_indexes(assistant, tmp_path):
    assistant.ingest([_corpus(tmp_path)])
    assert assistant.remove("pilot/city.md") == ["pilot/city.md"]
    assert [d["source"] for d in assistant.documents()] == ["policy/plan.md"]
    assert not assistant.search("定额奖补", mode="bm25")
    assert all(h.chunk.source != "pilot/city.md" for h in assistant.search("定额奖补", mode="dense"))
    with pytest.raises(DocumentNotFoundError):
        assistant.remove("no-such-doc")


def test_failed_ingest_leaves_index_as_before(assistant, tmp_path, monkeypatch):
    d = _corpus(tmp_path)
    assistant.ingest([d])
    before_docs = assistant.documents()
    before_hits = [h.chunk.id for h in assistant.search("上云率", k=5)]
    before_version = assistant.kb.version
    _write(d, "new/extra.md", "".join(f"第{i}段：新的内容，关于数字化改造的细节。\n\n" for i in range(2000)))

    calls = {"n": 0}
    real_add = assistant.kb.store.add

    def failing_add(chunks, vectors):
        calls["n"] += 1
        if calls["n"] == 2:  # half-way through the embedding batches
            raise KeyboardInterrupt
        real_add(chunks, vectors)

    monkeypatch.setattr(assistant.kb.store, "add", failing_add)
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest([d])
    assert calls["n"] == 2
    monkeypatch.undo()
    assert assistant.kb.version == before_version
    assert assistant.documents() == before_docs
    assert [h.chunk.id for h in assistant.search("上云率", k=5)] == before_hits
    assert not any("新的内容" in h.chunk.text for h in assistant.search("新的内容 数字化改造的细节", k=10))
    # a fresh process sees the same committed state (only Chroma outlives the process), and the next ingest
    # cleans up the leftovers
    again = Assistant(assistant.settings) if assistant.settings.vector_store == "chroma" else assistant
    assert again.documents() == before_docs
    stats = again.ingest([d])
    assert stats.added == ["new/extra.md"]
    assert again.kb.store.ids() == again.kb.live_ids()


def test_folder_ingest_goes_on_after_bad_files(assistant, tmp_path):
    d = _corpus(tmp_path)
    (d / "empty.txt").write_bytes(b"")
    (d / "fake.txt").write_bytes(b"\x00\x01\x02" * 100)
    (d / "table.xls").write_bytes(b"x")
    stats = assistant.ingest([d, tmp_path / "missing.md"])
    assert sorted(stats.added) == ["pilot/city.md", "policy/plan.md"]
    failed = sorted(p.rsplit("/", 1)[-1] for p, _ in stats.failures)
    assert failed == ["empty.txt", "fake.txt", "missing.md", "table.xls"]


def test_embedder_mismatch_is_a_clear_error_and_reindex_fixes_it(fake_settings, tmp_path):
    settings = fake_settings.model_copy(update={"vector_store": "chroma"})
    Assistant(settings, embedder=HashEmbedder(256)).ingest([_corpus(tmp_path)])
    other = Assistant(settings, embedder=HashEmbedder(128))
    with pytest.raises(EmbedderMismatchError) as e:
        other.search("上云率")
    assert "reindex" in str(e.value) and e.value.stored_dim == 256
    assert other.reindex() == 3
    assert "40%" in other.search("上云率目标", k=1)[0].chunk.text
    assert other.kb._state["embedder"] == {"name": "hash-128", "dim": 128}


def test_filters_by_doc_type(assistant, tmp_path):
    assistant.ingest([_corpus(tmp_path)])
    hits = assistant.search("中央财政 奖补 上云率", k=5, filters={"doc_type": ["pilot"]})
    assert hits and all(h.chunk.doc_type == "pilot" for h in hits)
