"""Query embedding, side by side in one run (a script, not a test): EmbeddingGemma through sentence-transformers
(torch, the dtype "auto" picks: the default before the ONNX runtime), the same with int8 dynamic quantisation of the
linear layers (`embedder_query_quantize="int8"`), through ONNX Runtime in float32 (`embedder_runtime="onnx"`, the
default now: the graph `sme_ai.index.onnx_export` writes) and ONNX Runtime int8 (that graph through
`onnxruntime.quantization.quantize_dynamic`, per channel; made here, not shipped), and the query-vector cache. Per
variant: single-query latency p50/p95 on the dev questions, cosine agreement with the torch vectors, and dense and
hybrid hit@1/hit@5 against the same index (documents stay as indexed: only queries change). Then ingest throughput
(a few shipped documents into a fresh knowledge base with the product's embedder) next to raw `encode` of the same
chunk texts (sentence-transformers) and the product's embedder alone.

    .venv/bin/python -m evals.bench_embed --data-dir KB [--out report.md] [--ingest-docs 3]

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose releases pin transformers < 4.58 (this project
runs 5.x); `onnx_export` exports the graph itself. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


class _Variant:
    """An Embedder whose queries come from `query` and documents from `base` (the index stays as it was built)."""

    def __init__(self, base, query, label):
        self.base, self.query, self.name, self.dim, self.label = base, query, base.name, base.dim, label

    def embed(self, texts, kind):
        return self.query.embed(texts, kind) if kind == "query" else self.base.embed(texts, kind)


def _onnx_int8(onnx, workdir: Path):
    """The ONNX graph with int8 dynamic quantisation of its MatMuls (weights per channel), as an OnnxEmbedder."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from sme_ai.index.onnx_embedder import OnnxEmbedder

    graph = workdir / "model-int8.onnx"
    quantize_dynamic(str(onnx.ensure_graph()), str(graph), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gemm"])

    class Int8(OnnxEmbedder):
        def ensure_graph(self):
            return graph

    return Int8(onnx.path, onnx.name, onnx.home)


def main(argv=None) -> None:
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.dataset import load_items
    from sme_ai.eval.runner import evaluate_retrieval
    from sme_ai.index.embedder import SentenceTransformerEmbedder
    from sme_ai.index.onnx_embedder import OnnxEmbedder
    from sme_ai.text import normalize_text

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--ingest-docs", type=int, default=3, help="shipped documents ingested for the throughput line")
    a = ap.parse_args(argv)
    settings = Settings(data_dir=a.data_dir, llm_backend="extractive", query_cache_size=0)
    items = load_items(ROOT / "evals" / "dev.jsonl")
    questions = [normalize_text(it.question) for it in items]
    base = Assistant(settings).embedder.base  # the product's embedder itself, no cache or batcher
    torch_ = SentenceTransformerEmbedder(base.path, base.name)
    onnx = OnnxEmbedder(base.path, base.name, settings.home)
    work = Path(tempfile.mkdtemp(prefix="bench-embed-"))
    variants = [(f"torch {torch_.dtype_in_use} (before)", torch_),
                ("torch int8 dynamic", SentenceTransformerEmbedder(base.path, base.name, query_quantize="int8")),
                ("onnx float32 (default)", onnx), ("onnx int8 dynamic", _onnx_int8(onnx, work))]
    reference = torch_.embed(questions, "query")
    gates: dict[str, list[float]] = {}
    lines = [f"# Query embedding — {base.name}, {len(items)} dev questions, {time.strftime('%Y-%m-%d %H:%M')}", "",
             "| variant | query p50 / p95 ms | cosine to torch mean / min | dense hit@1 / hit@5 | "
             "hybrid hit@1 / hit@5 | hybrid search p50 ms |", "|---|---|---|---|---|---|"]
    for label, query in variants:
        v = _Variant(base, query, label)
        v.embed(["预热"], "query")
        lat = []
        for q in questions:
            t0 = time.perf_counter()
            v.embed([q], "query")
            lat.append((time.perf_counter() - t0) * 1000)
        vecs = v.embed(questions, "query")
        cos = np.sum(vecs * reference, axis=1)
        r = evaluate_retrieval(Assistant(settings, embedder=v), items)
        d, h = r["dense"]["overall"], r["hybrid"]["overall"]
        line = (f"| {label} | {statistics.median(lat):.0f} / {percentile(lat, .95):.0f} | {cos.mean():.4f} / {cos.min():.4f} "
                f"| {d['hit@1']:.3f} / {d['hit@5']:.3f} | {h['hit@1']:.3f} / {h['hit@5']:.3f} "
                f"| {r['hybrid']['latency_ms']['p50']:.0f} |")
        lines.append(line)
        print(line, flush=True)
        gates[label] = best_dense(Assistant(settings, embedder=v), items)
    lines += ["", *gate_table(gates, items)]
    cached = Assistant(Settings(data_dir=a.data_dir, llm_backend="extractive"))  # the product: cache on
    cached.search("预热")
    miss, hit = [], []
    for q in questions[:40]:
        for out in (miss, hit):  # first the vector is computed, then it comes from the cache
            t0 = time.perf_counter()
            cached.search(q)
            out.append((time.perf_counter() - t0) * 1000)
    lines += ["", f"- query-vector cache (the product's default): hybrid search p50 {statistics.median(miss):.0f} ms "
              f"for a new query, {statistics.median(hit):.0f} ms for a repeated one (BM25, Chroma and fusion still "
              "run)."]
    lines += ["", ingest_line(settings, base, a.ingest_docs)]
    report = "\n".join(lines)
    print(report)
    if a.out:
        a.out.write_text(report + "\n", encoding="utf-8")


def best_dense(asst, items) -> list[float]:
    """Each question's best dense cosine among its hits: what the relevance gate (`min_dense_score`) compares, for
    the question the product searches with (a follow-up rewritten from the owner's earlier questions)."""
    from sme_ai.generate.answer import standalone_question
    from sme_ai.text import normalize_text

    def asked(it):
        return standalone_question(normalize_text(it.question), it.chat_history())

    return [max((h.leg_scores.get("dense", 0.0) for h in asst._search(asked(it))), default=0.0) for it in items]


def gate_table(gates: dict[str, list[float]], items, floors=(0.34, 0.36, 0.38, 0.40, 0.42)) -> list[str]:
    """Per variant and gate floor: answerable questions the gate would refuse (each a wrong "the documents don't
    say") and unanswerable ones it stops before any answer (the rest go on to the premise check and the model)."""
    answerable = [it.answerable for it in items]
    out = ["| variant | lowest best cosine, answerable | " + " | ".join(
        f"floor {f:.2f}: answerable refused / unanswerable stopped" for f in floors) + " |",
        "|---|---|" + "---|" * len(floors)]
    for label, best in gates.items():
        low = min(b for b, ok in zip(best, answerable) if ok)
        cells = [f"{sum(b < f for b, ok in zip(best, answerable) if ok)} / "
                 f"{sum(b < f for b, ok in zip(best, answerable) if not ok)}" for f in floors]
        out.append(f"| {label} | {low:.3f} | " + " | ".join(cells) + " |")
    return out


def ingest_line(settings, base, n_docs: int) -> str:
    """Ingest of `n_docs` shipped documents into a fresh knowledge base with the product's embedder (parse, chunk,
    embed, BM25, Chroma, commit) next to raw sentence-transformers `encode` of the same chunk texts and the
    product's embedder alone on them."""
    from sentence_transformers import SentenceTransformer

    from sme_ai.assistant import Assistant

    docs = sorted((ROOT / "corpora").rglob("*.md"))[:n_docs]
    with tempfile.TemporaryDirectory() as tmp:
        asst = Assistant(settings.model_copy(update={"data_dir": Path(tmp) / "kb"}), embedder=base)
        t0 = time.perf_counter()
        stats = asst.ingest(docs)
        ingest_s = time.perf_counter() - t0
        texts = [c.index_text for c in asst.kb.all_chunks()]
    raw = SentenceTransformer(str(base.path), device="cpu", local_files_only=True)
    t0 = time.perf_counter()
    raw.encode(texts, prompt_name="document", batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    raw_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base.embed(texts, "document")
    alone_s = time.perf_counter() - t0
    n = len(texts)
    return (f"- ingest of {len(docs)} shipped documents ({stats.chunks_embedded} chunks) with "
            f"{type(base).__name__}: {ingest_s:.1f} s, {stats.chunks_embedded / ingest_s:.2f} chunks/s; raw "
            f"sentence-transformers `encode` of the same {n} chunk texts (batch 32): {raw_s:.1f} s, {n / raw_s:.2f} "
            f"chunks/s; {type(base).__name__} alone on them: {alone_s:.1f} s, {n / alone_s:.2f} chunks/s — ingest "
            f"overhead over the embedder alone {100 * (ingest_s / alone_s - 1):.0f} %.")


if __name__ == "__main__":
    main()
