"""The extractive answer's selection constants swept over the whole dev set, one line per setting (a script, not a
test): key facts, refusal, citation precision, claim support, invented numbers and key facts by type.

    .venv/bin/python -m evals.sweep_extractive --data-dir KB '{"MAX_SOURCES": 2}' '{"RELATIVE": 0.5}'

Each argument is a JSON object of `sme_ai.generate.extractive` module constants, applied in order (a later setting
keeps what an earlier one set unless it names it again). About 2 minutes per setting on 2 cores.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("key_fact_accuracy", "refusal_accuracy", "citation_precision", "claim_support", "invented_numbers")


def main(argv=None) -> None:
    import sme_ai.generate.extractive as extractive
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings
    from sme_ai.eval.answers import score_answer, summarize_answers
    from sme_ai.eval.dataset import load_items

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, default=ROOT / "evals" / "dev.jsonl")
    ap.add_argument("settings", nargs="+", help="JSON objects of module constants")
    a = ap.parse_args(argv)
    asst = Assistant(Settings(data_dir=a.data_dir, llm_backend="extractive"))
    items = load_items(a.dataset)
    for setting in map(json.loads, a.settings):
        for name, value in setting.items():
            if not hasattr(extractive, name):
                raise SystemExit(f"sme_ai.generate.extractive has no {name}")
            setattr(extractive, name, value)
        rows = [score_answer(it, asst.ask(it.question, it.chat_history())) for it in items]
        s = summarize_answers(rows)
        by_type = {t: round(b["key_fact_accuracy"], 3) for t, b in s["by_type"].items()
                   if b.get("key_fact_accuracy") is not None}
        print(json.dumps(setting), {k: round(s[k], 3) if isinstance(s[k], float) else s[k] for k in KEYS}, by_type,
              flush=True)


if __name__ == "__main__":
    main()
