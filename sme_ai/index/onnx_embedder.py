"""EmbeddingGemma through ONNX Runtime: the sentence-transformers folder exported once (`onnx_export`), then run
without torch. The vectors equal sentence-transformers' float32 ones (cosine 1.00000), so an index built with either
runtime serves queries from the other."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sme_ai.index import onnx_export
from sme_ai.types import content_hash


def graph_dir(home: Path, name: str, folder: Path) -> Path:
    """Where the export of `folder` lives in the model cache: one directory per model folder."""
    return Path(home) / "onnx" / f"{Path(name).name}-{content_hash(str(Path(folder).resolve()), length=10)}"


# queries (short, of varied length) are run at most this many at a time: on a 2-core Zen-1 EPYC 96 dev questions took
# 128 / 127 / 144 / 143 ms a query in ONNX Runtime batches of 1 / 4 / 8 / 16 (the padding of a larger batch costs
# more than a call; documents, all about one length, keep `batch_size`)
QUERY_BATCH = 4


class OnnxEmbedder:
    """Loaded on first use: the graph is exported first if the cache has none for this folder (about a minute and
    2–3 GB of memory, once; concurrent processes wait for one export). Texts are embedded shortest first in batches
    of `batch_size`, so padding stays small; the rows come back in the order given."""

    concurrent_calls = True  # ONNX Runtime runs one session's calls from several threads at once (`QueryBatcher`)

    def __init__(self, folder: Path, name: str, home: Path, batch_size: int = 16, threads: int | None = None):
        self.path, self.name, self.home = Path(folder), name, Path(home)
        self.batch_size, self.threads = batch_size, threads or os.cpu_count() or 1
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self._dim: int | None = None

    @property
    def target(self) -> Path:
        return graph_dir(self.home, self.name, self.path)

    def ensure_graph(self) -> Path:
        """The exported graph, made now if missing or stale."""
        from filelock import FileLock

        target = self.target
        if onnx_export.is_current(target, self.path):
            return target / onnx_export.GRAPH
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target) + ".lock"):
            if onnx_export.is_current(target, self.path):  # another process exported it meanwhile
                return target / onnx_export.GRAPH
            return onnx_export.export(self.path, target)

    def _load(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime as ort
                    from transformers import AutoTokenizer

                    graph = self.ensure_graph()
                    options = ort.SessionOptions()
                    options.intra_op_num_threads = self.threads
                    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    # no busy-waiting threads after a query: the model's prompt evaluation needs both cores next
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    self._tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
                    self._prompts, self._max_len = _folder_settings(self.path)
                    self._session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        return self._session

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["维度"], "document").shape[1])
        return self._dim

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:  # kind: "query" or "document"
        session = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self._prompts.get(kind, "")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[np.ndarray | None] = [None] * len(texts)
        step = min(self.batch_size, QUERY_BATCH) if kind == "query" else self.batch_size
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            batch = self._tokenizer([prompt + texts[i] for i in idx], padding=True, truncation=True,
                                    max_length=self._max_len, return_tensors="np")
            vecs = session.run(None, {"input_ids": batch["input_ids"].astype(np.int64),
                                      "attention_mask": batch["attention_mask"].astype(np.int64)})[0]
            for i, v in zip(idx, vecs):
                out[i] = v
        vecs = np.asarray(out, dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def _folder_settings(folder: Path) -> tuple[dict[str, str], int]:
    """The folder's prompts by kind ("query", "document") and its maximum sequence length, as sentence-transformers
    reads them."""
    prompts: dict[str, str] = {}
    config = folder / "config_sentence_transformers.json"
    if config.exists():
        prompts = json.loads(config.read_text(encoding="utf-8")).get("prompts", {}) or {}
    bert = folder / "sentence_bert_config.json"
    max_len = json.loads(bert.read_text(encoding="utf-8")).get("max_seq_length", 512) if bert.exists() else 512
    return {k: prompts[k] for k in ("query", "document") if k in prompts}, int(max_len)
