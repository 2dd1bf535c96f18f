"""The model card of a tuned adapter (markdown): what it was trained from, on what, how, for how long, and how it
scores before and after. The eval part is filled from an eval report (`sme-ai eval --answers` JSON) per model where
one is given, and left as a visible placeholder where not."""

from __future__ import annotations

import json
from pathlib import Path

PLACEHOLDER = "_(not measured yet: run `sme-ai eval --answers` and pass its report with --eval-before/--eval-after)_"
METRICS = ("n", "key_fact_accuracy", "refusal_accuracy", "false_refusals", "citation_precision", "claim_support",
           "invented_numbers", "first_token_p50", "total_p50")


def _answers(report_path: Path | None) -> dict | None:
    if report_path is None or not Path(report_path).is_file():
        return None
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    summary = report.get("answers", report).get("summary", {})  # the runner's report, or its answers block
    return {**{k: v for k, v in summary.items() if not isinstance(v, dict)}, **summary.get("latency_ms", {})}


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else ("—" if v is None else str(v))


def eval_table(before: dict | None, after: dict | None) -> str:
    if before is None and after is None:
        return PLACEHOLDER
    rows = ["| metric | before (base) | after (tuned) |", "|---|---|---|"]
    keys = [k for k in METRICS if k in (before or {}) or k in (after or {})] or sorted({*(before or {}), *(after or {})})
    for k in keys:
        rows.append(f"| {k} | {_fmt((before or {}).get(k))} | {_fmt((after or {}).get(k))} |")
    return "\n".join(rows)


def _context(manifest: dict) -> str:
    kind = manifest.get("options", {}).get("model_context", "passages")
    if kind == "evidence":
        return (f"`evidence`, the sentences the quoted answer selects; the answering sentence put in where the "
                f"selection missed it in {manifest.get('oracle_added', '—')} examples")
    return "`passages`, the compact context's passages"


def render_card(*, name: str, base_model: str, base_sha256: str, adapter_file: str, adapter_sha256: str,
                manifest: dict, train_config: dict, train_seconds: float | None, steps: int, final_loss: float | None,
                eval_before: Path | None = None, eval_after: Path | None = None) -> str:
    hp = "\n".join(f"| {k} | {v} |" for k, v in train_config.items() if k not in ("base", "data"))
    minutes = f"{train_seconds / 60:.1f} min" if train_seconds else "—"
    return f"""# {name}

A LoRA adapter for **{base_model}** that teaches the product's answer format: answer only from the passages, cite
them with [n], copy numbers exactly, and say "资料中未提及。" when the passages do not answer (retrieval-augmented
fine-tuning: the answering passage among distractors, and examples without one).

## Files

| | |
|---|---|
| adapter (GGUF, llama.cpp `lora_path`) | `{adapter_file}` |
| adapter sha256 | `{adapter_sha256}` |
| base model | {base_model} |
| base GGUF sha256 | `{base_sha256}` |

Serve it: `Llama(model_path=<base GGUF>, lora_path="{adapter_file}")` (llama-cpp-python turns mmap off with a LoRA).

## Training data

{manifest.get('examples', '—')} examples (`{manifest.get('file', '')}`, sha256 `{manifest.get('sha256', '—')}`), refusal
share {manifest.get('refusal_share', '—')}, by type: {json.dumps(manifest.get('by_type', {}), ensure_ascii=False)}.
Built by `sme-ai tune data` from the shipped corpus with the product's own retriever and prompt (model context:
{_context(manifest)}); no question is a paraphrase of a dev-set question (character-bigram Jaccard below
{manifest.get('leak_threshold', '—')}).

## Hyper-parameters

| parameter | value |
|---|---|
{hp}

Training: {steps} optimizer steps in {minutes}; final loss {_fmt(final_loss)}.

## Evaluation (dev-set questions, never seen in training; n = questions answered)

{eval_table(_answers(eval_before), _answers(eval_after))}

## Limits

Template-generated questions (not real owners' wording); trained on the shipped corpus only; a user's own
documents are seen through the same prompt format but their facts were never trained on.
"""


def write_card(dest: Path, **kwargs) -> Path:
    dest.write_text(render_card(**kwargs), encoding="utf-8")
    return dest
