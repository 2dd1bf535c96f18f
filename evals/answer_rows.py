"""Answer the dev set one question at a time, writing each scored row as it is done (a long run on a small CPU
can be stopped and still reported), in an order that interleaves the question types so any prefix of the run is a
balanced sample.

    python -m evals.answer_rows --data-dir KB --model qwen2.5-coder-1.5b --out rows.jsonl   # resumes rows.jsonl
    python -m evals.answer_rows --summarize rows-a.jsonl rows-b.jsonl ...                  # one side-by-side table

Several `--model`s (each with its own `--out`) answer each question in turn, in one process, so they are compared on
the same questions under the same CPU conditions: `--model qwen2.5-coder-0.5b qwen2.5-coder-0.5b+sme-ai-lora-0.5b
--out base.jsonl tuned.jsonl` (`model+adapter`: a shipped adapter's name or a GGUF adapter file). `--same-as
ROWS.jsonl` answers only the questions that run answered (to compare with a partial run). Settings per run:
`qwen2.5-coder-0.5b@answer_skeleton=false qwen2.5-coder-0.5b` compares the engine without and with the skeleton
check on one loaded model and one generation per prompt (the second replays it).
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
    """"extractive", a catalog model, or "model+adapter" (a shipped adapter's name or a GGUF adapter file), each
    optionally with "@setting=value,…" (answer_skeleton=false, model_context=evidence): Settings fields."""
    model, _, extra = model.partition("@")
    overrides = dict(kv.split("=", 1) for kv in extra.split(",") if kv)
    if model == "extractive":
        return {"llm_backend": "extractive", **overrides}
    base, _, lora = model.partition("+")
    return {"llm_model": base, "llm_lora": lora or None, **overrides}


class _Replay:
    """One loaded model for the variants that share it; a prompt it has already answered (a variant that differs
    only after generation) is replayed, so those rows carry the first variant's generation and no timing of
    their own."""

    def __init__(self, llm):
        self.llm, self.name, self._seen = llm, llm.name, {}
        self.replayed = False

    def stream(self, messages, **kwargs):
        key = json.dumps([messages, sorted(kwargs.items())], ensure_ascii=False, default=str)
        self.replayed = key in self._seen
        if self.replayed:
            yield from self._seen[key]
            return
        pieces = []
        for piece in self.llm.stream(messages, **kwargs):
            pieces.append(piece)
            yield piece
        self._seen = {key: pieces}  # only the last prompt: the variants answer one question in turn


def run(data_dir: Path, models: list[str], outs: list[Path], dataset: Path, same_as: Path | None = None) -> None:
    """Each question is answered by every model in turn before the next question (one process, the same CPU
    conditions for all of them: a run stopped at any point has compared them on the same questions)."""
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    settings = [Settings(data_dir=data_dir, **_settings(m)) for m in models]
    shared: dict[tuple, _Replay] = {}
    for st in settings:
        key = (st.llm_backend, st.llm_model, st.llm_lora)
        if st.llm_backend != "extractive" and key not in shared:
            shared[key] = _Replay(Assistant.load_llm(st))
    first = Assistant(settings[0])
    assistants = [Assistant(st, embedder=first.embedder, llm=shared.get((st.llm_backend, st.llm_model, st.llm_lora)))
                  for st in settings]  # one embedder for all (the embedder settings are the same)
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
                if isinstance(asst.llm, _Replay):
                    asst.llm.replayed = False  # a question refused before the model reaches it is no replay
                answer = asst.ask(item.question, item.chat_history())
                row = score_answer(item, answer)
                row["raw"] = answer.meta.get("raw", "")  # what the model wrote, before checks and fallbacks
                row["finished_at"] = round(time.time(), 1)  # to tell which rows shared the CPU with other work
                if isinstance(asst.llm, _Replay) and asst.llm.replayed:
                    row["replayed"] = True
                    row["first_token_ms"] = row["total_ms"] = None
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
    from sme_ai.config import Settings

    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--model", nargs="+", default=[Settings.model_fields["llm_model"].default],
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
