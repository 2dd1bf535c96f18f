"""Answer the dev set one question at a time, writing each scored row as it is done (a long run on a small CPU
can be stopped and still reported), in an order that interleaves the question types so any prefix of the run is a
balanced sample.

    python -m evals.answer_rows --data-dir KB --model qwen2.5-coder-1.5b --out rows.jsonl   # resumes rows.jsonl
    python -m evals.answer_rows --summarize rows-a.jsonl rows-b.jsonl ...                  # one side-by-side table
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


def run(data_dir: Path, model: str, out: Path, dataset: Path) -> None:
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    update = {"llm_backend": "extractive"} if model == "extractive" else {"llm_model": model}
    asst = Assistant(Settings(data_dir=data_dir, **update))
    done = {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()} if out.exists() else set()
    todo = [it for it in interleaved(load_items(dataset)) if it.id not in done]
    with out.open("a", encoding="utf-8") as f:
        for i, item in enumerate(todo, 1):
            row = score_answer(item, asst.ask(item.question, [(q, "") for q in item.history]))
            row["finished_at"] = round(time.time(), 1)  # to tell which rows shared the CPU with other work
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            f.flush()
            print(f"{i}/{len(todo)} {item.id}", flush=True)


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
    p.add_argument("--model", default="qwen2.5-coder-1.5b")
    p.add_argument("--out", type=Path)
    p.add_argument("--dataset", type=Path, default=Path("evals/dev.jsonl"))
    p.add_argument("--summarize", nargs="+", type=Path)
    a = p.parse_args()
    if a.summarize:
        print(summarize(a.summarize))
    else:
        run(a.data_dir, a.model, a.out, a.dataset)


if __name__ == "__main__":
    main()
