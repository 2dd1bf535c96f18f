"""Crash safety shown, not claimed: an ingest, a removal and a re-index are killed with SIGKILL at several points
(a child process, real embedded Chroma), and the knowledge base opens afterwards exactly as before the operation,
or exactly as after it once its manifest was written. Two processes writing one folder are serialised."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sme_ai.assistant import Assistant
from sme_ai.config import Settings

pytestmark = pytest.mark.live

# The child does one operation; at the named point it says so and waits to be killed.
CHILD = r"""
import os, sys, time
from pathlib import Path
from sme_ai.assistant import Assistant
from sme_ai.config import Settings
from sme_ai.index import bm25, knowledge_base
from sme_ai.index.embedder import HashEmbedder

data_dir, op, point, arg = sys.argv[1:5]

def stop(name):
    if name == point:
        print("POINT", name, flush=True)
        time.sleep(120)

class Embedder(HashEmbedder):
    batches = 0
    def embed(self, texts, kind):
        out = super().embed(texts, kind)
        if kind == "document":
            Embedder.batches += 1
            if Embedder.batches == 2:
                stop("embed")
        return out

save = bm25.BM25Index.save
def saved(self, folder):
    save(self, folder)
    stop("bm25")
bm25.BM25Index.save = saved
write = knowledge_base._write_durably
def written(path, text):
    write(path, text)
    if path.name == "state.json":
        stop("manifest")
knowledge_base._write_durably = written

asst = Assistant(Settings(data_dir=Path(data_dir), embedder="hash", vector_store="chroma"), embedder=Embedder())
if op == "ingest":
    asst.ingest([arg])
elif op == "remove":
    asst.remove(arg)
else:
    asst.reindex()
print("DONE", flush=True)
"""

QUERIES = ["上云率目标", "设备联网 数据采集", "试点城市 诊断服务"]


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, home=data_dir.parent / "home", embedder="hash", vector_store="chroma",
                    llm_backend="extractive")


def _snapshot(data_dir: Path) -> dict:
    asst = Assistant(_settings(data_dir))
    docs = sorted((d["source"], d["chunks"]) for d in asst.documents())
    live = asst.kb.live_ids()
    assert live <= asst.kb.store.ids(), "the manifest lists chunks the store does not have"
    return {"docs": docs, "search": {q: [h.chunk.id for h in asst.search(q, k=5)] for q in QUERIES}}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def base(tmp_path) -> tuple[Path, Path]:
    """A knowledge base with two documents, and a big third one to ingest."""
    src = tmp_path / "src"
    _write(src / "plan.md", "# 目标\n到2027年，中小企业上云率超过40%。\n")
    _write(src / "pilot.md", "# 试点\n试点城市开展诊断服务。\n")
    big = _write(tmp_path / "big" / "细则.md",
                 "".join(f"## 第{i}节\n第{i}项措施：推进设备联网和数据采集。\n" for i in range(150)))
    data_dir = tmp_path / "kb"
    Assistant(_settings(data_dir)).ingest([src])
    return data_dir, big


def _kill_at(data_dir: Path, op: str, point: str, arg: str = "") -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")} | {"ANONYMIZED_TELEMETRY": "False"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), op, point, arg], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if line.startswith("POINT"):
                child.send_signal(signal.SIGKILL)
                child.wait(30)
                return
            if not line and child.poll() is not None:
                break
        pytest.fail(f"the child never reached {point}: {child.stderr.read()[-2000:]}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)


@pytest.mark.parametrize("point", ["embed", "bm25"])
def test_ingest_killed_before_its_commit_changes_nothing(base, point):
    data_dir, big = base
    before = _snapshot(data_dir)
    _kill_at(data_dir, "ingest", point, str(big))
    assert _snapshot(data_dir) == before
    stats = Assistant(_settings(data_dir)).ingest([big])  # and the next ingest completes it
    assert stats.added == ["细则.md"] and not stats.failures


def test_ingest_killed_after_its_commit_is_complete(base):
    data_dir, big = base
    _kill_at(data_dir, "ingest", "manifest", str(big))
    after = _snapshot(data_dir)
    assert {s for s, _ in after["docs"]} == {"plan.md", "pilot.md", "细则.md"}
    asst = Assistant(_settings(data_dir))
    assert "第149项措施" in asst.search("第149项措施 设备联网", k=3)[0].chunk.text
    assert asst.ingest([big]).unchanged == ["细则.md"]


@pytest.mark.parametrize("point", ["bm25", "manifest"])
def test_removal_killed_is_all_or_nothing(base, point):
    data_dir, _ = base
    before = _snapshot(data_dir)
    _kill_at(data_dir, "remove", point, "pilot.md")
    now = _snapshot(data_dir)
    if point == "bm25":
        assert now == before
    else:
        assert now["docs"] == [d for d in before["docs"] if d[0] != "pilot.md"]


@pytest.mark.parametrize("point", ["embed", "bm25", "manifest"])
def test_reindex_killed_keeps_every_document_and_answer(base, point):
    data_dir, big = base
    Assistant(_settings(data_dir)).ingest([big])  # enough chunks for several embedding batches
    before = _snapshot(data_dir)
    _kill_at(data_dir, "reindex", point)
    assert _snapshot(data_dir) == before  # the same documents and results, from the old or the new collection
    assert Assistant(_settings(data_dir)).reindex() == sum(n for _, n in before["docs"])


def test_two_processes_writing_one_folder_are_serialised(base, tmp_path):
    data_dir, _ = base
    files = [_write(tmp_path / f"w{i}" / f"文件{i}.md",
                    "".join(f"## 第{j}节\n进程{i}的第{j}条内容。\n" for j in range(80))) for i in range(2)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SME_AI_")} | {
        "SME_AI_EMBEDDER": "hash", "ANONYMIZED_TELEMETRY": "False"}
    cli = [sys.executable, "-m", "sme_ai.cli", "--data-dir", str(data_dir), "ingest", "--json"]
    procs = [subprocess.Popen(cli + [str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-1500:] for o in outs]
    assert [json.loads(o[0])["added"] for o in outs] == [["文件0.md"], ["文件1.md"]]
    now = _snapshot(data_dir)
    assert {"文件0.md", "文件1.md", "plan.md", "pilot.md"} == {s for s, _ in now["docs"]}
