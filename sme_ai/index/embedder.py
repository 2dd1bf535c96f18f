"""Embedders: a Protocol with one required method, a deterministic fake and EmbeddingGemma via sentence-transformers."""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from sme_ai.text import normalize_text

Kind = Literal["query", "document"]


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class HashEmbedder:
    """Deterministic fake: hashed character unigrams and bigrams. Shares words → similar; no model needed."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            t = normalize_text(text).lower()
            grams = [c for c in t if not c.isspace()] + [t[j : j + 2] for j in range(len(t) - 1)]
            for g in grams:
                out[i, zlib.crc32(g.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


def _cpu_has_fast_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags for f in ("avx512_bf16", "amx_bf16"))


def _pick_dtype(dtype: str, device: str) -> str:
    """bfloat16 halves memory but, without native bf16 instructions, runs ~6x slower on a CPU (measured on an
    AVX2-only EPYC: 1.59 s vs 0.24 s per 200-token passage). "auto" takes bf16 only where it is fast."""
    if dtype != "auto":
        return dtype
    if device != "cpu":
        return "float16"
    return "bfloat16" if _cpu_has_fast_bf16() else "float32"


def int8_query_model(model):
    """A copy of `model` whose linear layers run in int8 (torch dynamic quantisation, no export step), sharing the
    token-embedding tables with the original (they are most of EmbeddingGemma's weights and are not quantised).
    For queries only: documents keep the vectors of the full-precision model, so an index stays valid."""
    import copy

    import torch

    tables = {id(m.weight): m.weight for m in model.modules()
              if isinstance(m, torch.nn.Embedding) and m.weight.dtype == torch.float32}  # shared only if no cast
    clone = copy.deepcopy(model, memo=dict(tables)).float()
    return torch.ao.quantization.quantize_dynamic(clone, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


class SentenceTransformerEmbedder:
    """EmbeddingGemma (or any sentence-transformers folder), loaded on first use; dtype chosen by `_pick_dtype`.
    `query_quantize="int8"` embeds queries (the latency an owner waits for) with `int8_query_model`, one at a time;
    documents use the model as loaded."""

    def __init__(self, path: Path, name: str, batch_size: int = 16, device: str = "cpu", dtype: str = "auto",
                 query_quantize: str = "none"):
        self.path = Path(path)
        self.dtype = dtype
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self.query_quantize = query_quantize if device == "cpu" else "none"
        self._model = None
        self._query_model = None
        self._lock = threading.Lock()
        self._dim: int | None = None

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import torch
                    from sentence_transformers import SentenceTransformer

                    dtype = getattr(torch, self.dtype_in_use)
                    self._model = SentenceTransformer(
                        str(self.path), device=self.device, model_kwargs={"dtype": dtype}, local_files_only=True
                    )
        return self._model

    @property
    def dtype_in_use(self) -> str:
        """The torch dtype the model runs in ("float32", "bfloat16", …): `dtype` with "auto" resolved for this CPU."""
        return _pick_dtype(self.dtype, self.device)

    def _for_queries(self):
        if self.query_quantize != "int8":
            return self._load()
        if self._query_model is None:
            model = self._load()
            with self._lock:
                if self._query_model is None:
                    self._query_model = int8_query_model(model)
        return self._query_model

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load()
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    def _prompt(self, kind: Kind) -> str | None:
        prompts = getattr(self._load(), "prompts", {}) or {}
        return kind if kind in prompts else None

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:  # sentence-transformers gives a 1-d empty array for no input
            return np.zeros((0, self.dim), dtype=np.float32)
        int8 = kind == "query" and self.query_quantize == "int8"
        model = self._for_queries() if int8 else self._load()
        # int8 activations are scaled per call: one query at a time, so a query's vector never depends on the
        # other texts of its batch (or their padding)
        groups = [[t] for t in texts] if int8 else [list(texts)]
        vecs = np.concatenate([model.encode(
            group,
            prompt_name=self._prompt(kind),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ) for group in groups])
        vecs = np.asarray(vecs, dtype=np.float32)  # bf16 output is only unit-length to ~1e-3: renormalise in fp32
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


class _QueryLayer:
    """A layer in front of an embedder for single queries (the cache, the batcher): it is named and sized as the
    embedder it wraps."""

    inner: Embedder

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def base(self) -> Embedder:
        """The embedder under every layer: the model itself."""
        return self.inner.base if isinstance(self.inner, _QueryLayer) else self.inner


class QueryCache(_QueryLayer):
    """An LRU of query vectors in front of any embedder: a question asked again (a follow-up, a trainee's repeat
    after the knowledge base changed, the app and the API asking the same thing) skips the model. Documents pass
    through; the vectors of one embedder never depend on anything but the text, so entries never go stale."""

    def __init__(self, inner: Embedder, size: int = 1024):
        self.inner, self.size = inner, size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind != "query" or len(texts) != 1 or self.size <= 0:
            return self.inner.embed(texts, kind)
        text = texts[0]
        with self._lock:
            vec = self._items.get(text)
            if vec is not None:
                self._items.move_to_end(text)
                self.hits += 1
                return vec[None, :].copy()
        vec = self.inner.embed([text], kind)[0]
        with self._lock:
            self._items[text] = vec
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return vec[None, :].copy()


class _Query:
    __slots__ = ("text", "vec", "error", "done")

    def __init__(self, text: str):
        self.text, self.vec, self.error, self.done = text, None, None, threading.Event()


class QueryBatcher(_QueryLayer):
    """Single queries asked at the same time share one model call. A lone query is embedded at once, alone (its
    vector is what the model gives for it by itself); queries that arrive while every worker thread is busy wait
    and then go together, up to `max_batch` in one call.

    Why: a class of 200 asking within seconds made dozens of request threads run EmbeddingGemma at once; on two cores
    they fight over the GIL and torch's threads, and a pile-up (behind the model's prompt evaluation) never drained.
    One call for 16 short queries costs about what 4 single calls cost (bf16, AVX-512 box: 13.6 vs 54.8 ms a query);
    a batched query's vector differs from its single one only in rounding (cosine > 0.9998). Documents, several texts
    at once, and `max_batch` ≤ 1 pass straight through.

    `workers` calls run at once (each a batch): ONNX Runtime gets 2 (`Settings.query_workers`), as a second call uses
    the cores the first leaves idle — 48 dev questions, 2-core Zen-1 EPYC: 8.2 → 9.0 queries/s; 200 trainees on the
    extractive app: first useful p95 9.6 → 8.5 s (`evals/bench_load.py --backend extractive --users 200`); torch 1."""

    def __init__(self, inner: Embedder, max_batch: int = 16, workers: int = 1):
        self.inner, self.max_batch, self.workers = inner, max_batch, max(1, workers)
        self._cond = threading.Condition()
        self._queue: list[_Query] = []
        self._workers: list[threading.Thread] = []
        self.batches = 0  # model calls made for queries (tests, benchmarks)

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind != "query" or len(texts) != 1 or self.max_batch <= 1:
            return self.inner.embed(texts, kind)
        q = _Query(texts[0])
        with self._cond:
            self._queue.append(q)
            self._workers = [w for w in self._workers if w.is_alive()]
            if len(self._workers) < self.workers:
                worker = threading.Thread(target=self._work, daemon=True, name="sme-ai-query-embed")
                self._workers.append(worker)
                worker.start()
            self._cond.notify()
        q.done.wait()
        if q.error is not None:
            raise q.error
        return q.vec[None, :].copy()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    if not self._cond.wait(timeout=30.0) and not self._queue:
                        me = threading.current_thread()  # idle: the next query starts a new worker
                        self._workers = [w for w in self._workers if w is not me]
                        return
                batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            texts = list(dict.fromkeys(q.text for q in batch))  # the same question twice is embedded once
            try:
                vecs = dict(zip(texts, self.inner.embed(texts, "query")))
                for q in batch:
                    q.vec = vecs[q.text]
            except BaseException as e:  # noqa: BLE001 - every waiter gets the model's error
                for q in batch:
                    q.error = e
            finally:
                self.batches += 1
                for q in batch:
                    q.done.set()


def uses_onnx(settings, folder: Path) -> bool:
    """Whether the embedder runs through ONNX Runtime: asked for, or "auto" where torch would run float32 (no fast
    bf16 on this CPU, no int8 queries) for a folder the exporter knows — the same vectors, half the time (measured on
    AVX2 EPYCs). A CPU with avx512_bf16 keeps torch in bfloat16, the path measured fast there (thirteenth session)."""
    from sme_ai.index import onnx_export

    if settings.embedder_runtime != "auto":
        return settings.embedder_runtime == "onnx"
    return (_pick_dtype(settings.embedder_dtype, "cpu") == "float32" and settings.embedder_query_quantize == "none"
            and onnx_export.supports(folder))


def make_embedder(settings) -> Embedder:
    """Settings → embedder (concurrent queries batched, behind the query-vector cache), through a plain dict of
    factories."""
    from sme_ai import models

    def st():
        path = models.resolve(settings.embedder_model, settings.home)
        name = settings.embedder_model if settings.embedder_model in models.CATALOG else path.name
        if uses_onnx(settings, path):
            from sme_ai.index.onnx_embedder import OnnxEmbedder

            return OnnxEmbedder(path, name, settings.home, batch_size=settings.embed_batch_size,
                                threads=settings.n_threads)
        return SentenceTransformerEmbedder(path, name=name, batch_size=settings.embed_batch_size,
                                           dtype=settings.embedder_dtype,
                                           query_quantize=settings.embedder_query_quantize)

    factories = {"sentence-transformers": st, "hash": HashEmbedder}
    inner = factories[settings.embedder]()
    workers = settings.query_workers if getattr(inner, "concurrent_calls", False) else 1  # torch: one at a time
    return QueryCache(QueryBatcher(inner, settings.query_batch_size, workers), settings.query_cache_size)
