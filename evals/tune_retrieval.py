"""Tune retrieval on the dev set: chunk size (re-ingests), then RRF k, leg depths and the BM25 weight for English
questions (re-fuses cached leg results, so each variant costs no embedding). Prints a table.

    .venv/bin/python -m evals.tune_retrieval --sizes 240 360 500
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[360])
    ap.add_argument("--overlaps", type=int, nargs="+", default=[1])
    ap.add_argument("--dataset", default=str(ROOT / "evals" / "dev.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT / "corpora"))
    args = ap.parse_args(argv)

    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.dataset import load_items
    from sme_ai.eval.metrics import summarize
    from sme_ai.text import is_english, normalize_text
    from sme_ai.retrieve.fusion import rrf

    items = [i for i in load_items(Path(args.dataset)) if i.answerable]
    print("| size | overlap | rrf_k | depth | en bm25 w | hit@1 | hit@3 | hit@5 | MRR | en hit@5 | avg chars@5 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    vectors = None
    for size, overlap in itertools.product(args.sizes, args.overlaps):
        with tempfile.TemporaryDirectory() as tmp:
            asst = Assistant(Settings(data_dir=Path(tmp) / "kb", chunk_size=size, chunk_overlap=overlap))
            asst.ingest([args.corpus])
            kb = asst.kb
            if vectors is None:
                vectors = asst.embedder.embed([normalize_text(i.question) for i in items], "query")
            legs = {i.id: {"dense": [c for c, _ in kb.dense_search(v, 50)],
                           "bm25": [c for c, _ in kb.keyword_search(normalize_text(i.question), 50)]}
                    for i, v in zip(items, vectors)}
            chunks = {c.id: c for c in kb.chunks(sorted(kb.live_ids()))}
            for rrf_k, depth, w_en in itertools.product([10, 30, 60, 100], [10, 20, 50], [1.0, 0.5, 0.0]):
                rels, en, chars = [], [], []
                for it in items:
                    weights = {"bm25": w_en} if is_english(it.question) else None
                    fused = rrf({k: v[:depth] for k, v in legs[it.id].items()}, k=rrf_k, weights=weights)[:5]
                    top = [chunks[c] for c, _, _ in fused]
                    r = [it.is_relevant(c.source, c.text) for c in top]
                    rels.append(r)
                    chars.append(sum(len(c.text) for c in top))
                    if it.type == "english":
                        en.append(r)
                m, e = summarize(rels), summarize(en)
                print(f"| {size} | {overlap} | {rrf_k} | {depth} | {w_en} | {m['hit@1']:.3f} | {m['hit@3']:.3f} | "
                      f"{m['hit@5']:.3f} | {m['mrr']:.3f} | {e['hit@5']:.3f} | {sum(chars) / len(chars):.0f} |", flush=True)


if __name__ == "__main__":
    main()
