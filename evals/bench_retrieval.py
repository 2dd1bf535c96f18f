"""Retrieval benchmark: ingest throughput next to raw SentenceTransformer.encode on the same texts, and search
latency p50/p95 for BM25, dense and hybrid. A script, not a test; prints a Markdown table.

    .venv/bin/python -m evals.bench_retrieval [--corpus corpora] [--queries evals/dev.jsonl] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT / "corpora"))
    ap.add_argument("--queries", default=str(ROOT / "evals" / "dev.jsonl"))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)

    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.ingest.chunk import chunk_document
    from sme_ai.ingest.pipeline import iter_files
    from sme_ai.ingest.loaders import load_file

    with tempfile.TemporaryDirectory() as tmp:
        asst = Assistant(Settings(data_dir=Path(tmp) / "kb", vector_store="chroma"))
        t0 = time.perf_counter()
        emb = asst.embedder
        emb.embed(["预热"], "document")  # load the model outside both timings
        load_s = time.perf_counter() - t0

        chunks = []
        for path, source in iter_files([args.corpus]):
            doc = load_file(path, max_bytes=asst.settings.max_file_bytes, source=source)
            chunks += chunk_document(doc, asst.settings.chunk_size, asst.settings.chunk_overlap)
        texts = [c.index_text for c in chunks]

        from sentence_transformers import SentenceTransformer

        raw = SentenceTransformer(str(emb.base.path), device="cpu", local_files_only=True)  # the model alone
        t0 = time.perf_counter()
        raw.encode(texts, prompt_name="document", batch_size=asst.settings.embed_batch_size,
                   normalize_embeddings=True, show_progress_bar=False)
        raw_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        emb.base.embed(texts, "document")  # the product's embedder alone (ONNX Runtime by default)
        model_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        stats = asst.ingest([args.corpus])
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        asst.ingest([args.corpus])
        reingest_s = time.perf_counter() - t0

        queries = [json.loads(line)["question"] for line in open(args.queries, encoding="utf-8") if line.strip()]
        rows = []
        for mode in ("bm25", "dense", "hybrid"):
            lat = []
            for _ in range(args.repeat):
                for q in queries:
                    t0 = time.perf_counter()
                    asst.search(q, mode=mode)
                    lat.append((time.perf_counter() - t0) * 1000)
            rows.append((mode, statistics.median(lat), percentile(lat, 0.95), len(lat)))

    n = len(texts)
    print(f"corpus: {args.corpus} · {stats.chunks_embedded} chunks embedded (of {n}) · embedder load {load_s:.1f}s\n")
    print("| step | seconds | chunks/s |\n|---|---|---|")
    print(f"| raw SentenceTransformer.encode (same texts) | {raw_s:.1f} | {n / raw_s:.1f} |")
    print(f"| the product's embedder alone, {type(emb.base).__name__} (same texts) | {model_s:.1f} | {n / model_s:.1f} |")
    print(f"| sme-ai ingest (load, chunk, embed, Chroma, BM25, commit) | {ingest_s:.1f} | {n / ingest_s:.1f} |")
    print(f"| re-ingest unchanged corpus | {reingest_s:.2f} | – |")
    print(f"\nratio ingest/raw: {ingest_s / raw_s:.2f}\n")
    print("| search mode | p50 ms | p95 ms | queries |\n|---|---|---|---|")
    for mode, p50, p95, count in rows:
        print(f"| {mode} | {p50:.1f} | {p95:.1f} | {count} |")


if __name__ == "__main__":
    main()
