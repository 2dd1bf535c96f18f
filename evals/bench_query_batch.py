"""A class's burst of fresh questions against the app's answer path, in process (no Gradio, no browser): N questions
arriving evenly over SPAN seconds with the default model loaded, each timed to its evidence and to its first useful
answer (the quoted draft, or a refusal); once with every query embedded alone (`query_batch_size=1`, the code before
the batcher) and once with concurrent queries batched (the default), one after the other in one run. Then what
batching could do to retrieval at worst: dense and hybrid hit@1/hit@5 on the dev set with every query vector taken
from a batch of 16 (and of 4) instead of alone, against the same index. A script, not a test; run it on an idle
machine.

    .venv/bin/python -m evals.bench_query_batch --data-dir KB [--n 200 --span 20] [--out report.md]
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from pathlib import Path

from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


def burst(data_dir: str, batch: int, questions: list[str], span: float, backend: str) -> dict:
    from sme_ai.app.answering import answer_events
    from sme_ai.app.context import build_app_context
    from sme_ai.config import Settings
    from sme_ai.types import Cached, Draft, Evidence, Final

    ctx = build_app_context(Settings(data_dir=data_dir, llm_backend=backend, query_batch_size=batch))
    ctx.warm_up()
    evidence, useful, lock = [], [], threading.Lock()

    def one(q: str, delay: float) -> None:
        time.sleep(delay)
        t0, ev = time.perf_counter(), None
        events = answer_events(ctx, q, log=False)
        try:
            for e in events:
                if isinstance(e, Evidence) and ev is None:
                    ev = time.perf_counter() - t0
                if isinstance(e, (Draft, Cached, Final)):  # the owner sees a cited answer (or the refusal)
                    with lock:
                        evidence.append(ev if ev is not None else time.perf_counter() - t0)
                        useful.append(time.perf_counter() - t0)
                    return
        finally:
            events.close()  # leaves the model's line: the burst measures the first answers, not the model

    threads = [threading.Thread(target=one, args=(q, span * i / len(questions))) for i, q in enumerate(questions)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batches = getattr(ctx.asst.embedder.inner, "batches", None)
    return {"query_batch_size": batch, "n": len(questions), "wall_s": time.perf_counter() - t0,
            "evidence_p50": percentile(evidence, 0.5), "evidence_p95": percentile(evidence, 0.95),
            "useful_p50": percentile(useful, 0.5), "useful_p95": percentile(useful, 0.95),
            "embedding_calls": batches}


def agreement(data_dir: str, sizes: tuple[int, ...] = (16, 4)) -> list[dict]:
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.dataset import load_items
    from sme_ai.eval.runner import evaluate_retrieval

    asst = Assistant(Settings(data_dir=data_dir, llm_backend="extractive"))
    items = [i for i in load_items(ROOT / "evals" / "dev.jsonl") if i.answerable]
    cache = asst.embedder  # QueryCache → QueryBatcher → the model
    alone = evaluate_retrieval(asst, items)  # queries one at a time: each embedded alone
    texts, model = list(cache._items), cache.base
    rows = []
    for size in sizes:
        cache._items.clear()
        for i in range(0, len(texts), size):  # the same query strings, their vectors from batches of `size`
            group = texts[i:i + size]
            cache._items.update(zip(group, model.embed(group, "query")))
        batched = evaluate_retrieval(asst, items)
        for mode in ("dense", "hybrid"):
            a, b = alone[mode], batched[mode]
            rows.append({"batch": size, "mode": mode, "n": len(items),
                         **{f"{k}_alone": a["overall"][k] for k in ("hit@1", "hit@5")},
                         **{f"{k}_batched": b["overall"][k] for k in ("hit@1", "hit@5")},
                         "changed": sum(a["_rels"][i] != b["_rels"][i] for i in a["_rels"])})
    return rows


def render(bursts: list[dict], rows: list[dict], meta: dict) -> str:
    out = ["| query_batch_size | questions | evidence p50 / p95 s | first useful p50 / p95 s | embedding calls | wall s |",
           "|---|---|---|---|---|---|"]
    out += [f"| {b['query_batch_size']} | {b['n']} | {b['evidence_p50']:.2f} / {b['evidence_p95']:.2f} "
            f"| {b['useful_p50']:.2f} / {b['useful_p95']:.2f} | {b['embedding_calls']} | {b['wall_s']:.1f} |"
            for b in bursts]
    out += ["", "| vectors from batches of | retrieval | n | hit@1 alone → batched | hit@5 alone → batched "
            "| questions whose top-5 relevance changed |", "|---|---|---|---|---|---|"]
    out += [f"| {r['batch']} | {r['mode']} | {r['n']} | {r['hit@1_alone']:.3f} → {r['hit@1_batched']:.3f} "
            f"| {r['hit@5_alone']:.3f} → {r['hit@5_batched']:.3f} | {r['changed']} |" for r in rows]
    return "\n".join(out + [""] + [f"- {k}: {v}" for k, v in meta.items()])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True, help="an indexed knowledge base (the shipped corpus)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--span", type=float, default=20.0, help="seconds over which the questions arrive")
    ap.add_argument("--backend", default="llama-cpp", choices=["llama-cpp", "extractive"])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    questions = [json.loads(line)["question"] for line in open(ROOT / "evals" / "dev.jsonl", encoding="utf-8")]
    random.Random(args.seed).shuffle(questions)
    questions = (questions * (args.n // len(questions) + 1))[:args.n]  # past the dev set's size, asked again
    bursts = [burst(args.data_dir, b, questions, args.span, args.backend) for b in (1, 16)]
    for b in bursts:
        print(json.dumps(b), flush=True)
    rows = agreement(args.data_dir)
    meta = {"backend": args.backend, "arrivals": f"{args.n} dev-set questions evenly over {args.span:g} s",
            "note": "each burst in a fresh app context (own caches); the model's answers are not awaited"}
    table = render(bursts, rows, meta)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
