"""Answer benchmark (a script, not a test). In one run, on the same questions:

1. the sme-ai pipeline: evidence latency, first-token latency and total time (p50/p95);
2. raw llama.cpp on the very same prompts (so the pipeline's overhead is a ratio);
3. the compact context against whole chunks in the prompt (prompt tokens, first token);
4. the prefix cache: consecutive questions reusing the evaluated system prompt against a reset context.

    .venv/bin/python -m evals.bench_answer --data-dir DIR [--model qwen2.5-coder-1.5b] [-n 12]
DIR must hold an indexed corpus (`sme-ai --data-dir DIR ingest corpora`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


def _first_token(llama, messages, max_tokens, reset: bool):
    if reset:
        llama.reset()
    t0 = time.perf_counter()
    first = None
    n = 0
    for chunk in llama.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1,
                                              repeat_penalty=1.1, stream=True):
        if chunk["choices"][0].get("delta", {}).get("content"):
            first = first or (time.perf_counter() - t0) * 1000
            n += 1
    return first or (time.perf_counter() - t0) * 1000, (time.perf_counter() - t0) * 1000


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("-n", type=int, default=12, help="questions (answerable ones from the dev set)")
    args = ap.parse_args(argv)

    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.generate.answer import build_messages
    from sme_ai.generate.context import Passage, compact_context
    from sme_ai.text import normalize_text, split_sentences
    from sme_ai.types import Evidence, Final

    items = [json.loads(line) for line in open(ROOT / "evals" / "dev.jsonl", encoding="utf-8")]
    questions = [i["question"] for i in items if i["answerable"] and i["lang"] == "zh"][: args.n]
    asst = Assistant(Settings(data_dir=Path(args.data_dir), llm_model=args.model))
    asst.search("预热")
    t0 = time.perf_counter()
    llama = asst.llm._llm
    load_s = time.perf_counter() - t0
    s = asst.settings

    evidence, first, total = [], [], []
    prompts_compact, prompts_full = [], []
    for q in questions:
        t0 = time.perf_counter()
        for ev in asst.stream(q):
            if isinstance(ev, Evidence):
                evidence.append((time.perf_counter() - t0) * 1000)
                hits = list(ev.hits)
            elif isinstance(ev, Final):
                a = ev.answer
        if "first_token_ms" in a.timings:
            first.append(a.timings["first_token_ms"])
        total.append(a.timings["total_ms"])
        compact = compact_context(normalize_text(q), hits, budget_chars=s.context_chars, max_passages=s.context_passages)
        full = [Passage(n=i + 1, hit=h, sentences=tuple(split_sentences(h.chunk.text)))
                for i, h in enumerate(hits[: s.context_passages])]
        prompts_compact.append(build_messages(normalize_text(q), compact, s.prompts_dir))
        prompts_full.append(build_messages(normalize_text(q), full, s.prompts_dir))

    def tokens(msgs):
        return len(llama.tokenize("".join(m["content"] for m in msgs).encode("utf-8"), add_bos=False))

    raw_warm = [_first_token(llama, m, s.max_answer_tokens, reset=False) for m in prompts_compact]
    raw_cold = [_first_token(llama, m, 1, reset=True)[0] for m in prompts_compact]
    full_warm = [_first_token(llama, m, 1, reset=False)[0] for m in prompts_full]

    print(f"model {args.model} · load {load_s:.1f}s · {len(questions)} questions · n_threads {s.n_threads}\n")
    print("| measure | p50 ms | p95 ms |\n|---|---|---|")
    print(f"| sme-ai evidence (retrieval) | {statistics.median(evidence):.0f} | {percentile(evidence, .95):.0f} |")
    print(f"| sme-ai first token | {statistics.median(first):.0f} | {percentile(first, .95):.0f} |")
    print(f"| sme-ai total (incl. verification) | {statistics.median(total):.0f} | {percentile(total, .95):.0f} |")
    rf = [r[0] for r in raw_warm]
    rt = [r[1] for r in raw_warm]
    print(f"| raw llama.cpp first token, same prompts | {statistics.median(rf):.0f} | {percentile(rf, .95):.0f} |")
    print(f"| raw llama.cpp total, same prompts | {statistics.median(rt):.0f} | {percentile(rt, .95):.0f} |")
    print(f"| raw first token, prefix cache reset each time | {statistics.median(raw_cold):.0f} | {percentile(raw_cold, .95):.0f} |")
    print(f"| raw first token, whole chunks instead of compact context | {statistics.median(full_warm):.0f} | {percentile(full_warm, .95):.0f} |")
    print(f"\npipeline/raw first-token ratio (p50): {statistics.median(first) / statistics.median(rf):.2f}")
    print(f"pipeline/raw total ratio (p50): {statistics.median(total) / statistics.median(rt):.2f}")
    tc = [tokens(m) for m in prompts_compact]
    tf = [tokens(m) for m in prompts_full]
    print(f"prompt tokens p50: compact {statistics.median(tc):.0f} · whole chunks {statistics.median(tf):.0f}")


if __name__ == "__main__":
    main()
