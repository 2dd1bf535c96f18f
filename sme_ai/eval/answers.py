"""Answer metrics: key-fact accuracy, refusal accuracy, citation precision, invented numbers, latency."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

import re

from sme_ai.eval.dataset import EvalItem
from sme_ai.generate.verify import is_supported, numbers_in
from sme_ai.text import normalize_text


_HONEST = re.compile(r"不实|误传|没有.{0,6}依据|未.{0,4}(核实|证实)|并无|不存在|资料未给出|未提及")


def score_answer(item: EvalItem, answer) -> dict[str, Any]:
    text = normalize_text(answer.text)
    chunks = {h.chunk.id: h.chunk for h in answer.hits}
    support = normalize_text(" ".join(c.text for c in chunks.values()) + " " + item.question).replace("％", "%")
    body = text.split("注意：")[0]
    invented = [n for n in numbers_in(body) if not is_supported(n, support)] if not answer.refused else []
    row: dict[str, Any] = {"id": item.id, "type": item.type, "answerable": item.answerable, "refused": answer.refused,
                           "invented_numbers": invented, "caught_numbers": answer.meta.get("unsupported_numbers", []),
                           "fallback": answer.meta.get("fallback", ""), "answer": answer.text,
                           "first_token_ms": answer.timings.get("first_token_ms"),
                           "total_ms": answer.timings.get("total_ms")}
    if item.answerable:
        matches = item.fact_matches(text)
        row["facts_ok"] = bool(matches) and all(matches) and not answer.refused
        precise = [any(item.fact_matches(chunks[c.chunk_id].text)) for c in answer.citations if c.chunk_id in chunks]
        row["citations"] = len(precise)
        row["citations_precise"] = sum(precise)
    else:
        # honest = refused, or the answer itself flags the claim as unsupported (the corpus debunks X-grade rumours)
        row["refusal_ok"] = answer.refused or bool(_HONEST.search(text))
    return row


def evaluate_answers(asst, items: list[EvalItem], progress=None) -> dict[str, Any]:
    rows = []
    for i, item in enumerate(items, start=1):
        rows.append(score_answer(item, asst.ask(item.question)))
        if progress:
            progress(i, len(items))
    return {"model": getattr(asst.llm, "name", "extractive"), "rows": rows, "summary": summarize_answers(rows)}


def _pct(values: list[float], p: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))] if values else None


def summarize_answers(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def block(rs):
        ans = [r for r in rs if r["answerable"]]
        una = [r for r in rs if not r["answerable"]]
        cites = sum(r.get("citations", 0) for r in ans)
        return {
            "n": len(rs),
            "key_fact_accuracy": sum(r["facts_ok"] for r in ans) / len(ans) if ans else None,
            "false_refusals": sum(r["refused"] for r in ans),
            "refusal_accuracy": sum(r["refusal_ok"] for r in una) / len(una) if una else None,
            "citation_precision": sum(r.get("citations_precise", 0) for r in ans) / cites if cites else None,
            "invented_numbers": sum(len(r["invented_numbers"]) for r in rs),
            "caught_numbers": sum(len(r["caught_numbers"]) for r in rs),
            "fallbacks": sum(bool(r["fallback"]) for r in rs),
        }

    by_type = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    out = block(rows)
    out["latency_ms"] = {"first_token_p50": _pct([r["first_token_ms"] for r in rows], 0.5),
                         "first_token_p95": _pct([r["first_token_ms"] for r in rows], 0.95),
                         "total_p50": statistics.median([r["total_ms"] for r in rows]) if rows else None,
                         "total_p95": _pct([r["total_ms"] for r in rows], 0.95)}
    out["by_type"] = {t: block(rs) for t, rs in sorted(by_type.items())}
    return out


def _f(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def render_answers(result: dict[str, Any]) -> str:
    s = result["summary"]
    lat = s["latency_ms"]
    lines = [f"## Answers · model `{result['model']}`", "",
             "| metric | value |", "|---|---|",
             f"| key-fact accuracy (answerable, all facts present, not refused) | {_f(s['key_fact_accuracy'])} |",
             f"| refusal accuracy (unanswerable) | {_f(s['refusal_accuracy'])} |",
             f"| false refusals (answerable) | {s['false_refusals']} |",
             f"| citation precision (cited passage states a key fact) | {_f(s['citation_precision'])} |",
             f"| invented numbers in final answers | {s['invented_numbers']} |",
             f"| numbers caught and removed by verification | {s['caught_numbers']} |",
             f"| extractive fallbacks | {s['fallbacks']} |",
             f"| first token p50 / p95 ms | {_f(lat['first_token_p50'])} / {_f(lat['first_token_p95'])} |",
             f"| total p50 / p95 ms | {_f(lat['total_p50'])} / {_f(lat['total_p95'])} |", "",
             "| type | n | key facts | refusal | cite precision | invented |", "|---|---|---|---|---|---|"]
    for t, b in s["by_type"].items():
        lines.append(f"| {t} | {b['n']} | {_f(b['key_fact_accuracy'])} | {_f(b['refusal_accuracy'])} | "
                     f"{_f(b['citation_precision'])} | {b['invented_numbers']} |")
    return "\n".join(lines)
