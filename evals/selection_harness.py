"""The extractive selection re-scored in seconds: retrieve every dev question once (the slow part: a query
embedding each), cache the hits, then rebuild the compact context and the extractive answer under any setting of
the selection constants and score key facts, citation precision and doubled sentences (answerable questions; no
premise check, no verification — `evals/answer_rows.py` is the real eval, and agreed with this within a question
or two when it was made).

    python -m evals.selection_harness --data-dir KB --cache hits.pkl                       # dump once, score
    python -m evals.selection_harness --cache hits.pkl '{"NEW_SOURCE": 0.7}' '{"OTHER_PLACE": 0}'

Each JSON object sets constants of `sme_ai.generate.extractive` or `sme_ai.generate.context` (by name), applied in
order; a later object keeps what an earlier one set unless it names it again.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dump(data_dir: Path, dataset: Path, cache: Path) -> None:
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.dataset import load_items
    from sme_ai.generate import answer as step
    from sme_ai.text import normalize_text

    asst = Assistant(Settings(data_dir=data_dir, llm_backend="extractive"))
    out = {}
    for it in load_items(dataset):
        standalone = step.standalone_question(normalize_text(it.question), it.chat_history())
        out[it.id] = (standalone, asst._search(standalone))
    cache.write_bytes(pickle.dumps(out))


def score(cache: Path, dataset: Path, budget: int = 600, passages: int = 4, max_chars: int = 240) -> dict:
    from sme_ai.eval.answers import doubled_sentences
    from sme_ai.eval.dataset import load_items
    from sme_ai.generate import compose, context, extractive

    items = {it.id: it for it in load_items(dataset)}
    data = pickle.loads(cache.read_bytes())
    ok = n = precise = cited = doubled = 0
    by_type: dict[str, list[int]] = {}
    failed = []
    for iid, (standalone, hits) in data.items():
        it = items.get(iid)
        if it is None or not it.answerable:
            continue
        ctx = context.compact_context(standalone, hits, budget_chars=budget, max_passages=passages)
        text = compose._bounded(extractive.extractive_answer(standalone, ctx), max_chars) if ctx else ""
        matches = it.fact_matches(text)
        good = bool(matches) and all(matches)
        n, ok, doubled = n + 1, ok + good, doubled + doubled_sentences(text)
        by_type.setdefault(it.type, [0, 0])
        by_type[it.type][0] += good
        by_type[it.type][1] += 1
        for m in {int(x) for x in re.findall(r"\[(\d+)\]", text)}:
            cited += 1
            precise += any(it.fact_matches(ctx[m - 1].hit.chunk.text))
        if not good:
            failed.append(iid)
    return {"key_facts": round(ok / max(1, n), 3), "n": n, "citation_precision": round(precise / max(1, cited), 3),
            "doubled": doubled, "by_type": {t: f"{a}/{b}" for t, (a, b) in sorted(by_type.items())},
            "failed": failed}


def main(argv=None) -> None:
    from sme_ai.generate import context, extractive

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, help="knowledge base: retrieve and write --cache first")
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, default=ROOT / "evals" / "dev.jsonl")
    ap.add_argument("settings", nargs="*", help="JSON objects of selection constants")
    a = ap.parse_args(argv)
    if a.data_dir:
        dump(a.data_dir, a.dataset, a.cache)
    for setting in [{}] + [json.loads(s) for s in a.settings]:
        for name, value in setting.items():
            module = next((m for m in (extractive, context) if hasattr(m, name)), None)
            if module is None:
                raise SystemExit(f"no selection constant {name}")
            setattr(module, name, value)
        result = score(a.cache, a.dataset)
        print(json.dumps(setting), {k: v for k, v in result.items() if k != "failed"}, flush=True)


if __name__ == "__main__":
    main()
