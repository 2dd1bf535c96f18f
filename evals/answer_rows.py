"""Answer the dev set one question at a time, writing each scored row as it is done (a long run on a small CPU
can be stopped and still reported), in an order that interleaves the question types so any prefix of the run is a
balanced sample.

    python -m evals.answer_rows --data-dir KB --model qwen2.5-coder-1.5b --out rows.jsonl   # resumes rows.jsonl
    python -m evals.answer_rows --summarize rows-a.jsonl rows-b.jsonl ...                  # one side-by-side table

Several `--model`s (each with its own `--out`) answer each question in turn, in one process, so they are compared on
the same questions under the same CPU conditions: `--model qwen2.5-coder-0.5b qwen2.5-coder-0.5b+sme-ai-lora-0.5b
--out base.jsonl tuned.jsonl` (`model+adapter`: a shipped adapter's name or a GGUF adapter file). `--same-as
ROWS.jsonl` answers only the questions that run answered (to compare with a partial run).
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import zip_longest
from pathlib import Path

from sme_ai.eval.answers import render_answers, render_comparison, score_answer, summarize_answers
from sme_ai.eval.dataset import load_items


def interleaved(items):
    by_type: dict[str, list] = {}
    for it in items:
        by_type.setdefault(it.type, []).append(it)
    return [it for group in zip_longest(*by_type.values()) for it in group if it is not None]


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _settings(model: str) -> dict:
    """"extractive", a catalog model, or "model+adapter" (a shipped adapter's name or a GGUF adapter file)."""
    if model == "extractive":
        return {"llm_backend": "extractive"}
    base, _, lora = model.partition("+")
    return {"llm_model": base, "llm_lora": lora or None}


def run(data_dir: Path, models: list[str], outs: list[Path], dataset: Path, same_as: Path | None = None) -> None:
    """Each question is answered by every model in turn before the next question (one process, the same CPU
    conditions for all of them: a run stopped at any point has compared them on the same questions)."""
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    assistants = [Assistant(Settings(data_dir=data_dir, **_settings(m))) for m in models]
    done = [_ids(out) if out.exists() else set() for out in outs]
    wanted = _ids(same_as) if same_as else None
    todo = [it for it in interleaved(load_items(dataset))
            if any(it.id not in d for d in done) and (wanted is None or it.id in wanted)]
    files = [out.open("a", encoding="utf-8") for out in outs]
    try:
        for i, item in enumerate(todo, 1):
            for asst, f, d in zip(assistants, files, done):
                if item.id in d:
                    continue
                row = score_answer(item, asst.ask(item.question, [(q, "") for q in item.history]))
                row["finished_at"] = round(time.time(), 1)  # to tell which rows shared the CPU with other work
                f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                f.flush()
            print(f"{i}/{len(todo)} {item.id}", flush=True)
    finally:
        for f in files:
            f.close()


def summarize(paths: list[Path]) -> str:
    results = {}
    for p in paths:
        rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        results[p.stem] = {"model": p.stem, "rows": rows, "summary": summarize_answers(rows)}
    common = set.intersection(*({r["id"] for r in res["rows"]} for res in results.values()))
    for res in results.values():  # compare on the questions every run has answered
        res["rows"] = [r for r in res["rows"] if r["id"] in common]
        res["summary"] = summarize_answers(res["rows"])
    lines = [f"{len(common)} questions answered by every run.", "", render_comparison(results)]
    lines += [x for res in results.values() for x in ("", render_answers(res))]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--model", nargs="+", default=["qwen2.5-coder-1.5b"],
                   help="one or more: extractive, a catalog model, or model+adapter (qwen2.5-coder-0.5b+sme-ai-lora-0.5b)")
    p.add_argument("--out", type=Path, nargs="+", help="one rows file per --model")
    p.add_argument("--dataset", type=Path, default=Path("evals/dev.jsonl"))
    p.add_argument("--same-as", type=Path, help="answer only the questions this rows file has")
    p.add_argument("--summarize", nargs="+", type=Path)
    a = p.parse_args()
    if a.summarize:
        print(summarize(a.summarize))
    else:
        if not a.out or len(a.out) != len(a.model):
            p.error("give one --out per --model")
        run(a.data_dir, a.model, a.out, a.dataset, a.same_as)


if __name__ == "__main__":
    main()
