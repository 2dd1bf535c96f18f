"""The knowledge base never loses a document and never stops readers: identity, removal, concurrency, recovery."""

import errno
import json
import shutil
import threading

import pytest

from sme_ai.assistant import Assistant
from sme_ai.errors import AmbiguousDocumentError, CorruptKnowledgeBaseError, DocumentNotFoundError, KnowledgeBaseWriteError
from sme_ai.index.embedder import HashEmbedder
from sme_ai.types import content_hash


@pytest.fixture(params=["memory", "chroma"])
def asst(request, fake_settings):
    return Assistant(fake_settings.model_copy(update={"vector_store": request.param}))


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _texts(asst):
    return sorted(c.text for c in asst.kb.chunks(sorted(asst.kb.live_ids())))


# --- identity: a document is not its file name --------------------------------------------------


def test_two_different_files_with_the_same_name_are_two_documents(asst, tmp_path):
    a = _write(tmp_path / "a" / "通知.txt", "甲市对上云企业给予补助。")
    b = _write(tmp_path / "b" / "通知.txt", "乙市开展数字化诊断服务。")
    assert asst.ingest([a]).added == ["通知.txt"]
    stats = asst.ingest([b])
    assert stats.added == ["通知.txt"] and not stats.updated  # it was "更新 1", and the first document was gone
    docs = asst.documents()
    assert len(docs) == 2 and {d["key"] for d in docs} == {str(a.resolve()), str(b.resolve())}
    assert any("甲市" in t for t in _texts(asst)) and any("乙市" in t for t in _texts(asst))
    _write(a, "甲市对上云企业给予补助，另有培训。")
    stats = asst.ingest([a])  # the same file again: an update of that one document only
    assert stats.updated == ["通知.txt"] and len(asst.documents()) == 2
    assert any("乙市" in t for t in _texts(asst)) and any("另有培训" in t for t in _texts(asst))


def test_uploads_are_identified_by_content(asst, tmp_path):
    one = _write(tmp_path / "u1" / "实施方案.txt", "方案一：设备联网。")
    two = _write(tmp_path / "u2" / "实施方案.txt", "方案二：质量检测。")
    same = _write(tmp_path / "u3" / "实施方案.txt", "方案一：设备联网。")
    assert asst.ingest([one], by_content=True).added == ["实施方案.txt"]
    assert asst.ingest([two], by_content=True).added == ["实施方案.txt"]
    assert asst.ingest([same], by_content=True).unchanged == ["实施方案.txt"]
    assert len(asst.documents()) == 2


def test_a_moved_folder_is_the_same_documents(asst, tmp_path):
    first = _write(tmp_path / "x" / "policy" / "plan.md", "# 目标\n到2027年上云率超过40%。\n").parents[1]
    asst.ingest([first])
    moved = tmp_path / "y"
    shutil.copytree(first, moved)
    stats = asst.ingest([moved])
    assert stats.unchanged == ["policy/plan.md"] and len(asst.documents()) == 1


def test_a_manifest_written_before_keys_existed_is_migrated_without_duplicates(fake_settings, tmp_path):
    settings = fake_settings.model_copy(update={"vector_store": "chroma"})
    folder = _write(tmp_path / "docs" / "plan.md", "# 目标\n到2027年上云率超过40%。\n").parent
    Assistant(settings).ingest([folder])
    state_path = settings.data_dir / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    legacy = {}
    for entry in state["docs"].values():  # the old format: id = hash(source), no key
        entry.pop("key")
        legacy[content_hash(entry["source"], length=16)] = entry
    state["docs"] = legacy
    state_path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    again = Assistant(settings)
    stats = again.ingest([folder])
    assert stats.updated == ["plan.md"] and stats.chunks_embedded == 0  # the chunks are reused
    assert len(again.documents()) == 1 and again.documents()[0]["key"] == str((folder / "plan.md").resolve())


# --- removal removes exactly one document ---------------------------------------------------------


def test_remove_never_matches_titles_and_refuses_an_ambiguous_source(asst, tmp_path):
    a = _write(tmp_path / "a" / "通知.md", "---\ntitle: 通知\n---\n甲市的通知。")
    b = _write(tmp_path / "b" / "通知.md", "---\ntitle: 通知\n---\n乙市的通知。")
    c = _write(tmp_path / "c" / "办法.md", "---\ntitle: 通知.md\n---\n丙市的办法。")  # a title equal to a source
    asst.ingest([a, b, c])
    with pytest.raises(AmbiguousDocumentError) as e:
        asst.remove("通知.md")
    assert len(e.value.candidates) == 2 and len(asst.documents()) == 3
    with pytest.raises(DocumentNotFoundError):
        asst.remove("通知")  # a title is not a key
    target = next(d for d in asst.documents() if d["key"] == str(a.resolve()))
    assert asst.remove(target["doc_id"]) == ["通知.md"]
    assert asst.remove(str(b.resolve())) == ["通知.md"]  # by its path
    assert asst.remove("办法.md") == ["办法.md"] and asst.documents() == []


# --- writers do not stop each other or the readers ---------------------------------------------------


class GatedEmbedder(HashEmbedder):
    """Documents wait at `gate` after their first batch; queries never wait."""

    def __init__(self):
        super().__init__()
        self.gate, self.waiting, self.batches = threading.Event(), threading.Event(), 0

    def embed(self, texts, kind):
        if kind == "document":
            self.batches += 1
            if self.batches == 2:
                self.waiting.set()
                assert self.gate.wait(30), "the test never released the ingest"
        return super().embed(texts, kind)


def test_a_slow_ingest_blocks_neither_questions_nor_other_writers(fake_settings, tmp_path):
    emb = GatedEmbedder()
    asst = Assistant(fake_settings.model_copy(update={"vector_store": "chroma", "llm_backend": "extractive"}),
                     embedder=emb)
    small = _write(tmp_path / "small" / "plan.md", "# 目标\n到2027年，中小企业上云率超过40%。\n")
    asst.ingest([small])
    big = _write(tmp_path / "big" / "细则.md", "".join(f"## 第{i}节\n第{i}项措施：推进设备联网和数据采集。\n" for i in range(120)))
    other = _write(tmp_path / "other" / "补充.md", "# 补充\n试点城市开展诊断服务。\n")
    done = {}
    slow = threading.Thread(target=lambda: done.setdefault("stats", asst.ingest([big])))
    slow.start()
    try:
        assert emb.waiting.wait(30)  # the big ingest is half-way through its embedding, its first chunks stored
        answer = asst.ask("到2027年中小企业上云率的目标是多少？")
        assert "40%" in answer.text and slow.is_alive()
        writer = threading.Thread(target=lambda: done.setdefault("other", asst.remove(str(small.resolve()))))
        writer.start()
        writer.join(20)  # the commit is exclusive, the embedding is not: the removal does not wait for it
        assert not writer.is_alive() and done["other"] == ["plan.md"] and slow.is_alive()
        asst.ingest([other])
    finally:
        emb.gate.set()
        slow.join(30)
    assert done["stats"].added == ["细则.md"]
    sources = sorted(d["source"] for d in asst.documents())
    assert sources == ["细则.md", "补充.md"]
    # nothing the big ingest stored before the other commits was collected as garbage: every live chunk is there
    assert asst.kb.live_ids() <= asst.kb.store.ids()
    assert len(asst.kb.chunks(sorted(asst.kb.live_ids()))) == len(asst.kb.live_ids())
    assert "第119项措施" in asst.search("第119项措施 设备联网", k=3)[0].chunk.text


def test_another_object_on_the_same_folder_sees_a_commit_without_reopening(fake_settings, tmp_path):
    settings = fake_settings.model_copy(update={"vector_store": "chroma"})
    reader, writer = Assistant(settings), Assistant(settings)
    reader.ingest([_write(tmp_path / "one" / "a.md", "# 甲\n甲市补助上云。\n")])
    assert reader.search("甲市补助")
    writer.ingest([_write(tmp_path / "two" / "b.md", "# 乙\n乙市开展诊断服务。\n")])
    writer.remove("a.md")
    assert [d["source"] for d in reader.documents()] == ["b.md"]
    assert reader.search("乙市诊断服务") and all(h.chunk.source != "a.md" for h in reader.search("甲市补助"))


# --- recovery ---------------------------------------------------------------------------------


def test_a_corrupt_manifest_falls_back_to_the_previous_commit(fake_settings, tmp_path):
    settings = fake_settings.model_copy(update={"vector_store": "chroma"})
    asst = Assistant(settings)
    asst.ingest([_write(tmp_path / "one" / "a.md", "# 甲\n甲市补助上云。\n")])
    asst.ingest([_write(tmp_path / "two" / "b.md", "# 乙\n乙市开展诊断服务。\n")])
    (settings.data_dir / "state.json").write_text('{"docs": {', encoding="utf-8")  # torn write / disk error
    again = Assistant(settings)
    assert [d["source"] for d in again.documents()] == ["a.md"]  # the commit before the last one
    assert again.search("甲市补助") and again.search("甲市补助")[0].chunk.source == "a.md"
    (settings.data_dir / "state.json.bak").write_text("garbage", encoding="utf-8")
    with pytest.raises(CorruptKnowledgeBaseError, match="state.json"):
        Assistant(settings).documents()


def test_a_full_disk_during_the_commit_leaves_the_knowledge_base_as_it_was(asst, tmp_path, monkeypatch):
    asst.ingest([_write(tmp_path / "one" / "a.md", "# 甲\n甲市补助上云。\n")])
    before = (asst.documents(), asst.kb.version, [h.chunk.id for h in asst.search("甲市补助")])
    from sme_ai.index import knowledge_base

    real = knowledge_base._write_durably

    def full(path, text):
        if path.name == "state.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(knowledge_base, "_write_durably", full)
    with pytest.raises(KnowledgeBaseWriteError, match="No space left"):
        asst.ingest([_write(tmp_path / "two" / "b.md", "# 乙\n乙市开展诊断服务。\n")])
    assert (asst.documents(), asst.kb.version, [h.chunk.id for h in asst.search("甲市补助")]) == before
    assert not (asst.settings.data_dir / "bm25" / str(before[1] + 1)).exists()
    monkeypatch.undo()
    assert asst.ingest([tmp_path / "two" / "b.md"]).added == ["b.md"]


def test_hostile_front_matter_is_kept_small_in_the_manifest(asst, tmp_path):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{k}: &{k} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
                                                     for p, k in zip("abcdefgh", "bcdefghi")]
    doc = _write(tmp_path / "d" / "lol.md", "---\ntitle: *i\n" + "\n".join(bomb) + "\n---\n# 正文\n上云。\n")
    long = _write(tmp_path / "d" / "long.md", "---\ntitle: 长文\nnote: " + "长" * 5000 + "\nnested: {a: {b: 1}}\n---\n上云。\n")
    stats = asst.ingest([doc, long])  # it once hung, expanding 9**9 list items into the title and the manifest
    assert sorted(stats.added) == sorted(["long.md", "lol.md"])
    meta = {d["source"]: d for d in asst.documents()}
    assert meta["lol.md"]["title"] == "正文" and "i" not in meta["lol.md"]["metadata"]  # aliases: no front matter
    assert len(meta["long.md"]["metadata"]["note"]) == 500 and "nested" not in meta["long.md"]["metadata"]
    assert (asst.settings.data_dir / "state.json").stat().st_size < 50_000


def test_a_long_text_without_punctuation_is_chunked_in_linear_time():
    """400,000 characters with no sentence end: seconds now; the old splitter took 37 s for 80,000 (quadratic)."""
    import time

    from sme_ai.ingest.chunk import chunk_document
    from sme_ai.types import Document, Section

    t0 = time.perf_counter()
    chunks = chunk_document(Document(source="s", title="t", sections=(Section(text="数字化转型升级" * 57_143),)), size=360)
    assert time.perf_counter() - t0 < 60
    assert len(chunks) > 1000 and len({c.id for c in chunks}) == len(chunks)  # repeated passages keep distinct ids


def test_an_unexpected_parser_error_on_one_file_does_not_sink_the_others(asst, tmp_path, monkeypatch):
    from sme_ai.ingest import loaders

    good = _write(tmp_path / "d" / "good.md", "# 目标\n上云率超过40%。\n")
    odd = _write(tmp_path / "d" / "odd.txt", "任意内容。")
    real = loaders.LOADERS[".txt"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setitem(loaders.LOADERS, ".txt", broken)
    stats = asst.ingest([tmp_path / "d"])
    assert stats.added == ["good.md"] and len(stats.failures) == 1
    path, message = stats.failures[0]
    assert path.endswith("odd.txt") and "RuntimeError" in message and "parser bug" in message
    monkeypatch.setitem(loaders.LOADERS, ".txt", real)
    assert asst.ingest([odd]).added == ["odd.txt"]


def test_searches_keep_working_while_a_reindex_embeds(fake_settings, tmp_path):
    """The new collection is filled on the side; it used to replace the store at the start, so dense search came
    back empty for the whole re-index."""
    emb = GatedEmbedder()
    asst = Assistant(fake_settings.model_copy(update={"vector_store": "chroma"}), embedder=emb)
    emb.gate.set()  # the ingest passes
    asst.ingest([_write(tmp_path / "d" / "细则.md",
                        "".join(f"## 第{i}节\n第{i}项措施：推进设备联网和数据采集。\n" for i in range(60)))])
    emb.gate.clear()
    emb.batches, emb.waiting = 0, threading.Event()  # gate the re-index's second batch
    job = threading.Thread(target=asst.reindex)
    job.start()
    try:
        assert emb.waiting.wait(30)
        assert "第7项措施" in asst.search("第7项措施 设备联网", k=3, mode="dense")[0].chunk.text
    finally:
        emb.gate.set()
        job.join(30)
    assert "第7项措施" in asst.search("第7项措施 设备联网", k=3, mode="dense")[0].chunk.text
