"""Model latency levers, side by side in one run on the same prompts (a script, not a test).

Each configuration loads the GGUF afresh in llama.cpp and answers the same product prompts (retrieval → compact
context → the product's messages, built once); per configuration: prompt tokens, first token and total time (p50 and
p95), decode tokens/s, and quality beside the latency — how many of the answers are word for word the baseline's
(same greedy text: same quality) and how many contain all of the item's key facts.

    .venv/bin/python -m evals.bench_levers --data-dir KB [-n 8] [--model qwen2.5-coder-1.5b] [--out report.md]

Levers: n_threads / n_threads_batch, n_batch / n_ubatch, flash attention, the prompt budget (context_chars), a Q4_0
requantisation of the same weights (AVX2 runs Q4_0 through repacked kernels; requantising from Q4_K_M costs quality,
which the key-fact column shows), and the evaluated-prefix reuse (the KV cache kept between questions against a reset
before each). DIR must hold an indexed corpus. Run it on an idle machine: nothing else may share the cores.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path

from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]
BASE = dict(n_threads=2, n_threads_batch=2, n_batch=512, n_ubatch=512, flash_attn=False)
LEVERS = [  # (label, Llama keyword overrides, context_chars, reset before each question, weights)
    ("baseline: product default", {}, 600, False, "q4_k_m"),
    ("no prefix reuse (reset before each question)", {}, 600, True, "q4_k_m"),
    ("flash attention", {"flash_attn": True}, 600, False, "q4_k_m"),
    ("n_batch = n_ubatch = 128", {"n_batch": 128, "n_ubatch": 128}, 600, False, "q4_k_m"),
    ("n_threads 1 (decode), n_threads_batch 2", {"n_threads": 1}, 600, False, "q4_k_m"),
    ("prompt budget 400 chars", {}, 400, False, "q4_k_m"),
    ("prompt budget 900 chars", {}, 900, False, "q4_k_m"),
    ("Q4_0 requantised from Q4_K_M", {}, 600, False, "q4_0"),
    ("Q4_0 + flash attention", {"flash_attn": True}, 600, False, "q4_0"),
    ("the 0.5B model (same prompts)", {}, 600, False, "0.5b"),
]


def requantise(src: Path, dst: Path, ftype: str = "Q4_0") -> Path:
    import llama_cpp

    if dst.exists():
        return dst
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype}")
    params.allow_requantize = True
    params.nthread = 2
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params)
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize returned {rc}")
    return dst


def build_prompts(data_dir: Path, n: int):
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.dataset import load_items
    from sme_ai.generate.answer import build_messages
    from sme_ai.generate.context import compact_context
    from sme_ai.text import normalize_text

    items = [i for i in load_items(ROOT / "evals" / "dev.jsonl") if i.answerable and i.lang == "zh" and not i.history]
    items = items[::max(1, len(items) // n)][:n]  # spread over the set
    asst = Assistant(Settings(data_dir=data_dir, llm_backend="extractive"))
    s = asst.settings
    prompts = {}
    for chars in sorted({c for _, _, c, _, _ in LEVERS}):
        prompts[chars] = []
        for it in items:
            q = normalize_text(it.question)
            hits = asst.search(q)
            passages = compact_context(q, hits, budget_chars=chars, max_passages=s.context_passages)
            prompts[chars].append(build_messages(q, passages, s.prompts_dir))
    return items, prompts, s.max_answer_tokens


def run_config(path: Path, overrides: dict, prompts, max_tokens: int, reset: bool):
    from llama_cpp import Llama

    t0 = time.perf_counter()
    llama = Llama(model_path=str(path), n_ctx=4096, seed=0, verbose=False, **{**BASE, **overrides})
    load_s = time.perf_counter() - t0
    llama.create_chat_completion(messages=prompts[0], max_tokens=1)  # warm-up (not counted)
    rows = []
    for messages in prompts:
        if reset:
            llama.reset()
        t0, first, text, n = time.perf_counter(), None, "", 0
        for chunk in llama.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1,
                                                  repeat_penalty=1.1, stream=True):
            piece = chunk["choices"][0].get("delta", {}).get("content") or ""
            if piece:
                first = first or time.perf_counter()
                text += piece
                n += 1
        end = time.perf_counter()
        first = first or end
        prompt_tokens = len(llama.tokenize("".join(m["content"] for m in messages).encode("utf-8"), add_bos=False))
        tps = (n - 1) / (end - first) if n > 1 and end > first else 0.0
        rows.append(dict(first_ms=(first - t0) * 1000, total_ms=(end - t0) * 1000, pieces=n, text=text,
                         prompt_tokens=prompt_tokens, decode_tps=tps))
    del llama
    gc.collect()
    return load_s, rows


def main(argv=None) -> None:
    from sme_ai import models
    from sme_ai.config import Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--model", default=Settings.model_fields["llm_model"].default)
    ap.add_argument("-n", type=int, default=8)
    ap.add_argument("--only", nargs="*", help="labels (prefixes) of the levers to run")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    gguf = models.resolve(a.model, Settings().home)
    weights = {"q4_k_m": gguf, "q4_0": gguf.with_name(gguf.stem.replace("q4_k_m", "q4_0") + ".gguf")}
    if any(w == "0.5b" for *_, w in LEVERS):
        weights["0.5b"] = models.resolve("qwen2.5-coder-0.5b", Settings().home)
    items, prompts, max_tokens = build_prompts(a.data_dir, a.n)
    lines = [f"# Model latency levers — {a.model}, {len(items)} dev questions, max {max_tokens} tokens, "
             f"{time.strftime('%Y-%m-%d %H:%M')}", "",
             "| configuration | prompt tokens p50 | first token p50 / p95 ms | total p50 / p95 ms | decode tok/s | "
             "same text as baseline | all key facts in answer | load s |", "|---|---|---|---|---|---|---|---|"]
    baseline = None
    for label, overrides, chars, reset, w in LEVERS:
        if a.only and not any(label.startswith(o) for o in a.only):
            continue
        if w == "q4_0":
            t0 = time.perf_counter()
            requantise(gguf, weights["q4_0"])
            print(f"requantised to {weights['q4_0'].name} in {time.perf_counter() - t0:.0f}s", flush=True)
        load_s, rows = run_config(weights[w], overrides, prompts[chars], max_tokens, reset)
        texts = [r["text"] for r in rows]
        baseline = baseline or texts
        same = sum(x == y for x, y in zip(texts, baseline))
        facts = sum(bool(it.facts) and all(it.fact_matches(t)) for it, t in zip(items, texts))
        f, t = [r["first_ms"] for r in rows], [r["total_ms"] for r in rows]
        line = (f"| {label} | {statistics.median(r['prompt_tokens'] for r in rows):.0f} | "
                f"{statistics.median(f):.0f} / {percentile(f, .95):.0f} | {statistics.median(t):.0f} / {percentile(t, .95):.0f} | "
                f"{statistics.median(r['decode_tps'] for r in rows):.1f} | {same}/{len(rows)} | {facts}/{len(rows)} | "
                f"{load_s:.1f} |")
        lines.append(line)
        print(line, flush=True)
    lines += ["", "Questions: " + ", ".join(it.id for it in items)]
    report = "\n".join(lines)
    print(report)
    if a.out:
        a.out.write_text(report + "\n", encoding="utf-8")
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
