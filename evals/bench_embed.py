"""Query embedding, side by side in one run (a script, not a test): the product's EmbeddingGemma as loaded today, the
same weights with int8 dynamic quantisation of the linear layers (`embedder_query_quantize="int8"`: torch, no export
step), and the query-vector cache. Per variant: single-query latency p50/p95 on the dev questions, cosine agreement
with today's query vectors, and dense and hybrid hit@1/hit@5 against the same index (documents stay as indexed: only
queries change). Then ingest throughput (a few shipped documents into a fresh knowledge base) next to raw
`encode` of the same chunk texts.

    .venv/bin/python -m evals.bench_embed --data-dir KB [--out report.md] [--ingest-docs 3]

ONNX Runtime through sentence-transformers' `backend="onnx"` needs optimum-onnx, whose releases pin
transformers < 4.58 (this project runs 5.x), so it cannot be installed beside the product; see the report note.
Run it on an idle machine.
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
    """An Embedder whose queries come from `model` (a sentence-transformers model), documents from `base`."""

    def __init__(self, base, model, name):
        self.base, self.model, self.name, self.dim = base, model, base.name, base.dim
        self.label = name

    def embed(self, texts, kind):
        if kind != "query":
            return self.base.embed(texts, kind)
        vecs = self.model.encode(list(texts), prompt_name="query", normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
        vecs = np.asarray(vecs, dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def main(argv=None) -> None:
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.dataset import load_items
    from sme_ai.eval.runner import evaluate_retrieval
    from sme_ai.index.embedder import int8_query_model
    from sme_ai.text import normalize_text

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--ingest-docs", type=int, default=3, help="shipped documents ingested for the throughput line")
    a = ap.parse_args(argv)
    settings = Settings(data_dir=a.data_dir, llm_backend="extractive", query_cache_size=0)
    items = load_items(ROOT / "evals" / "dev.jsonl")
    questions = [normalize_text(it.question) for it in items]
    base = Assistant(settings).embedder.base  # the SentenceTransformerEmbedder itself, no cache or batcher
    st = base._load()
    st.encode(["预热"], prompt_name="query")
    int8 = int8_query_model(st)  # what embedder_query_quantize="int8" serves
    variants = [("today (" + str(next(st.parameters()).dtype).replace("torch.", "") + ")", st),
                ("int8 dynamic (torch)", int8)]
    reference = base.embed(questions, "query")
    gates: dict[str, list[float]] = {}
    lines = [f"# Query embedding — {base.name}, {len(items)} dev questions, {time.strftime('%Y-%m-%d %H:%M')}", "",
             "| variant | query p50 / p95 ms | cosine to today mean / min | dense hit@1 / hit@5 | "
             "hybrid hit@1 / hit@5 | hybrid search p50 ms |", "|---|---|---|---|---|---|"]
    for label, model in variants:
        v = _Variant(base, model, label)
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
    """Ingest of `n_docs` shipped documents into a fresh knowledge base (parse, chunk, embed, BM25, Chroma, commit)
    next to raw `encode` of the same chunk texts with the same model and batch size."""
    from sme_ai.assistant import Assistant

    docs = sorted((ROOT / "corpora").rglob("*.md"))[:n_docs]
    with tempfile.TemporaryDirectory() as tmp:
        asst = Assistant(settings.model_copy(update={"data_dir": Path(tmp) / "kb"}), embedder=base)
        t0 = time.perf_counter()
        stats = asst.ingest(docs)
        ingest_s = time.perf_counter() - t0
        texts = [c.index_text for c in asst.kb.all_chunks()]
    t0 = time.perf_counter()
    base._load().encode(texts, prompt_name="document", batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    raw_s = time.perf_counter() - t0
    return (f"- ingest of {len(docs)} shipped documents ({stats.chunks_embedded} chunks): {ingest_s:.1f} s, "
            f"{stats.chunks_embedded / ingest_s:.2f} chunks/s; raw `encode` of the same {len(texts)} chunk texts "
            f"(batch 32, as ingest embeds): {raw_s:.1f} s, {len(texts) / raw_s:.2f} chunks/s — ingest overhead "
            f"{100 * (ingest_s / raw_s - 1):.0f} %.")


if __name__ == "__main__":
    main()
