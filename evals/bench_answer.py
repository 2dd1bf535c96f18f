"""Answer benchmark (a script, not a test). In one run, for each model named, on the same questions:

1. the sme-ai pipeline: evidence latency, first-token latency and total time (p50/p95), timed from the question;
2. raw llama.cpp on the very prompts the pipeline sent (recorded, not rebuilt), so the pipeline's overhead is a
   ratio: its first token counts retrieval, the premise check and the quoted draft, the raw one only the model;
3. the prompt's tokens, and the raw first token with the evaluated prefix reset before each prompt.

    .venv/bin/python -m evals.bench_answer --data-dir DIR [--model qwen2.5-coder-1.5b qwen2.5-coder-0.5b …] [-n 12]
        [--out evals/reports/bench_answer-DATE.md]

A model is named as in `evals.answer_rows` (a catalog name, "base+adapter" such as
qwen2.5-coder-0.5b+sme-ai-lora-0.5b, "@setting=value" overrides; a llama-cpp model, not "extractive"). The models
run one after another in one process (the previous one freed first); run it with nothing else on the CPU.
DIR must hold an indexed corpus (`sme-ai --data-dir DIR ingest corpora`).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path

from evals.answer_rows import _settings as model_settings
from sme_ai.eval.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


class _Recorder:
    """The product's model, recording the messages of every generation it is asked for."""

    def __init__(self, llm):
        self.llm, self.name, self.prompts = llm, llm.name, []

    def stream(self, messages, **kwargs):
        self.prompts.append(messages)
        yield from self.llm.stream(messages, **kwargs)


def _raw(llama, messages, max_tokens: int, reset: bool, repeat_penalty: float) -> tuple[float, float]:
    """(first token ms, total ms) of one greedy chat completion straight through llama-cpp-python."""
    if reset:
        llama.reset()
    t0 = time.perf_counter()
    first = None
    for chunk in llama.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1,
                                              repeat_penalty=repeat_penalty, stream=True):
        if chunk["choices"][0].get("delta", {}).get("content"):
            first = first or (time.perf_counter() - t0) * 1000
    return first or (time.perf_counter() - t0) * 1000, (time.perf_counter() - t0) * 1000


def _row(label: str, values: list[float]) -> str:
    return f"| {label} | {statistics.median(values):.0f} | {percentile(values, .95):.0f} |"


def bench_model(data_dir: Path, model: str, questions: list[str], embedder=None) -> tuple[list[str], object]:
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.types import Evidence, Final

    settings = Settings(data_dir=data_dir, **model_settings(model))
    t0 = time.perf_counter()
    product = Assistant.load_llm(settings)
    load_s = time.perf_counter() - t0
    recorder = _Recorder(product)
    asst = Assistant(settings, llm=recorder, embedder=embedder)
    asst.search("预热")
    evidence, first, total, prompts = [], [], [], []
    for q in questions:
        t0 = time.perf_counter()
        recorder.prompts.clear()
        a = None
        for ev in asst.stream(q):
            if isinstance(ev, Evidence):
                evidence.append((time.perf_counter() - t0) * 1000)
            elif isinstance(ev, Final):
                a = ev.answer
        total.append(a.timings["total_ms"])
        if "first_token_ms" in a.timings and recorder.prompts:
            first.append(a.timings["first_token_ms"])
            prompts.append(recorder.prompts[0])
    llama, s = product._llm, asst.settings
    raw = [_raw(llama, m, s.max_answer_tokens, False, product.repeat_penalty) for m in prompts]
    cold = [_raw(llama, m, 1, True, product.repeat_penalty)[0] for m in prompts]
    tokens = [len(llama.tokenize("".join(m["content"] for m in msgs).encode("utf-8"), add_bos=False))
              for msgs in prompts]
    rf, rt = [r[0] for r in raw], [r[1] for r in raw]
    lines = [f"### {model}", "",
             f"load {load_s:.1f} s · {len(questions)} questions, {len(prompts)} sent to the model · "
             f"n_threads {s.n_threads} · model_context {s.model_context} · prompt tokens p50 "
             f"{statistics.median(tokens):.0f} (p95 {percentile(tokens, .95):.0f})", "",
             "| measure | p50 ms | p95 ms |", "|---|---|---|",
             _row("sme-ai evidence (retrieval, from the question)", evidence),
             _row("sme-ai first token (from the question)", first),
             _row("sme-ai total (incl. verification)", total),
             _row("raw llama.cpp first token, same prompts", rf),
             _row("raw llama.cpp total, same prompts", rt),
             _row("raw first token, prefix cache reset each time", cold), "",
             f"pipeline/raw first token (p50): {statistics.median(first) / statistics.median(rf):.2f} · "
             f"pipeline/raw total (p50): {statistics.median(total) / statistics.median(rt):.2f} · per question, "
             f"paired (median of the ratios): first token {statistics.median(a / b for a, b in zip(first, rf)):.2f}, "
             f"total {statistics.median(a / b for a, b in zip(total, rt)):.2f}", ""]
    return lines, asst.embedder


def main(argv=None) -> None:
    from sme_ai.config import Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--model", nargs="+", default=[Settings.model_fields["llm_model"].default])
    ap.add_argument("-n", type=int, default=12, help="questions (answerable Chinese ones from the dev set)")
    ap.add_argument("--out", type=Path, help="also write the tables to this file")
    args = ap.parse_args(argv)

    items = [json.loads(line) for line in open(ROOT / "evals" / "dev.jsonl", encoding="utf-8")]
    questions = [i["question"] for i in items if i["answerable"] and i["lang"] == "zh"][: args.n]
    out = [f"# bench_answer · {time.strftime('%Y-%m-%d %H:%M')} · {len(questions)} dev questions", "",
           f"`python -m evals.bench_answer --data-dir KB --model {' '.join(args.model)} -n {args.n}`", ""]
    embedder = None
    for model in args.model:
        lines, embedder = bench_model(args.data_dir, model, questions, embedder)
        print("\n".join(lines), flush=True)
        out += lines
        gc.collect()
    if args.out:
        args.out.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
