"""Answer metrics: key-fact accuracy, refusal accuracy, citation precision, claim support, invented numbers,
prompt syntax and doubled sentences in answers, latency.

Claim support is measured independently of the answer engine's own verifier: a sentence is supported when at
least `CLAIM_SUPPORT` of its character bigrams (markers, punctuation and frame words aside) stand in the chunks it
cites; a sentence without a marker is unsupported (the engine's notes on what the documents lack are no claims).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import re

from sme_ai.eval.dataset import EvalItem
from sme_ai.eval.stats import percentile
from sme_ai.generate.answer import ENGINE_NOTES
from sme_ai.generate.verify import is_supported, numbers_in
from sme_ai.question import is_hearsay
from sme_ai.text import normalize_text


CLAIM_SUPPORT = 0.6
_FRAME = re.compile(r"^(根据资料|资料指出|资料显示|From the documents \(in Chinese\):)[，,：:]?\s*")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:\[\d+\])*[。！？!?]?")
_PROMPT_SYNTAX = re.compile(r"</?资料>|</?企业情况>|\*\*|^#+\s", re.M)


def _han(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fffA-Za-z0-9%]", "", text)


def _grams(text: str) -> set[str]:
    """Character bigrams of a text's letters and digits (markers, punctuation and spaces aside)."""
    plain = _han(re.sub(r"\[\d+\]", "", text))
    return {plain[i:i + 2] for i in range(len(plain) - 1)}


def answer_sentences(text: str) -> list[str]:
    body = ENGINE_NOTES.sub("", text.split("注意：")[0].split("\n\n您可以参考")[0])
    return [s.strip() for s in _SENTENCE.findall(body) if len(_han(re.sub(r"\[\d+\]", "", s))) >= 6]


def claim_support(text: str, cited_text: dict[int, str]) -> tuple[int, int]:
    """(supported sentences, sentences) of an answer; `cited_text` maps a marker to its chunk's text."""
    supported = total = 0
    for sentence in answer_sentences(text):
        marks = [int(m) for m in re.findall(r"\[(\d+)\]", sentence)]
        grams = _grams(_FRAME.sub("", re.sub(r"\[\d+\]", "", sentence)))
        source = _han(" ".join(cited_text.get(m, "") for m in marks))
        total += 1
        if marks and grams and sum(g in source for g in grams) >= CLAIM_SUPPORT * len(grams):
            supported += 1
    return supported, total


def doubled_sentences(text: str) -> int:
    """Pairs of answer sentences that say the same thing (bigram overlap ≥ 0.8 of the shorter)."""
    seen: list[set[str]] = []
    doubled = 0
    for sentence in answer_sentences(text):
        grams = _grams(sentence)
        if any(len(grams & g) >= 0.8 * min(len(grams), len(g)) for g in seen if g and grams):
            doubled += 1
        seen.append(grams)
    return doubled


# the corpus's own words for "the documents don't say": 未检索到, 没有从官方文件中核实, 本知识库未取得正文
_HONEST = re.compile(r"没有.{0,6}依据|未.{0,4}(核实|证实)|并无|不存在|资料未给出|未提及|(未|没有)检索到|"
                     r"没有.{0,8}核实|未取得正文|资料中没有")
# "不实/误传" is honest only as a correction of what this question claims: the sentence shares a fifth of the
# question's bigrams, or the question repeats hearsay (a rumour line quoted for an unrelated question is not a refusal)
_DEBUNK = re.compile(r"不实|误传")
_CLAUSE = re.compile(r"[^。！？!?；;\n]+")


def is_honest(question: str, text: str) -> bool:
    if _HONEST.search(text):
        return True
    asked = normalize_text(question)
    q, hearsay = _grams(asked), is_hearsay(asked)
    return any(hearsay or len(q & _grams(s)) >= 0.2 * len(q) for s in _CLAUSE.findall(text) if _DEBUNK.search(s))


class _CitedChunk:
    """A cited chunk that was not among the hits (a correction quotes the rumour list): its quote stands for it."""

    def __init__(self, text: str):
        self.text = text


def score_answer(item: EvalItem, answer) -> dict[str, Any]:
    text = normalize_text(answer.text)
    chunks = {h.chunk.id: h.chunk for h in answer.hits}
    chunks.update({c.chunk_id: _CitedChunk(c.quote) for c in answer.citations if c.chunk_id not in chunks})
    # a chunk's section heading is source text too ("行动方案（2025—2027年）的五项保障措施" leads its list's heads)
    support = normalize_text(" ".join(f"{getattr(c, 'section', '') or ''} {c.text}" for c in chunks.values())
                             + " " + item.question).replace("％", "%")
    body = text.split("注意：")[0]
    invented = [n for n in numbers_in(body) if not is_supported(n, support)] if not answer.refused else []
    row: dict[str, Any] = {"id": item.id, "type": item.type, "answerable": item.answerable, "refused": answer.refused,
                           "invented_numbers": invented, "caught_numbers": answer.meta.get("unsupported_numbers", []),
                           "fallback": answer.meta.get("fallback", ""), "answer": answer.text,
                           "first_token_ms": answer.timings.get("first_token_ms"),
                           "total_ms": answer.timings.get("total_ms"),
                           "prompt_syntax": bool(_PROMPT_SYNTAX.search(answer.text)),
                           "doubled": doubled_sentences(answer.text),
                           "refusal_reason": answer.meta.get("refusal_reason", "")}
    if not answer.refused:
        cited = {c.n: chunks[c.chunk_id].text if c.chunk_id in chunks else c.quote for c in answer.citations}
        row["claims_supported"], row["claims"] = claim_support(text, {n: normalize_text(t) for n, t in cited.items()})
    if item.answerable:
        matches = item.fact_matches(text)
        row["facts_ok"] = bool(matches) and all(matches) and not answer.refused
        precise = [any(item.fact_matches(chunks[c.chunk_id].text)) for c in answer.citations if c.chunk_id in chunks]
        row["citations"] = len(precise)
        row["citations_precise"] = sum(precise)
    else:
        # honest = refused, or the answer itself flags the claim as unsupported (the corpus debunks X-grade rumours)
        row["refusal_ok"] = answer.refused or is_honest(item.question, text)
    return row


def evaluate_answers(asst, items: list[EvalItem], progress=None) -> dict[str, Any]:
    rows = []
    for i, item in enumerate(items, start=1):
        rows.append(score_answer(item, asst.ask(item.question, item.chat_history())))
        if progress:
            progress(i, len(items))
    return {"model": getattr(asst.llm, "name", "extractive"), "rows": rows, "summary": summarize_answers(rows)}


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
            "claim_support": (sum(r.get("claims_supported", 0) for r in rs) / claims
                              if (claims := sum(r.get("claims", 0) for r in rs)) else None),
            "prompt_syntax": sum(r.get("prompt_syntax", False) for r in rs),
            "doubled": sum(r.get("doubled", 0) for r in rs),
        }

    by_type = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    out = block(rows)
    out["latency_ms"] = {"first_token_p50": percentile([r["first_token_ms"] for r in rows], 0.5),
                         "first_token_p95": percentile([r["first_token_ms"] for r in rows], 0.95),
                         "total_p50": percentile([r["total_ms"] for r in rows], 0.5),
                         "total_p95": percentile([r["total_ms"] for r in rows], 0.95)}
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
             f"| claim support (answer sentences whose words stand in the cited chunk) | {_f(s['claim_support'])} |",
             f"| answers with prompt syntax or Markdown (`<资料>`, `**`) | {s['prompt_syntax']} |",
             f"| doubled sentences | {s['doubled']} |",
             f"| extractive fallbacks | {s['fallbacks']} |",
             f"| first token p50 / p95 ms | {_f(lat['first_token_p50'])} / {_f(lat['first_token_p95'])} |",
             f"| total p50 / p95 ms | {_f(lat['total_p50'])} / {_f(lat['total_p95'])} |", "",
             "| type | n | key facts | refusal | cite precision | claim support | invented |",
             "|---|---|---|---|---|---|---|"]
    for t, b in s["by_type"].items():
        lines.append(f"| {t} | {b['n']} | {_f(b['key_fact_accuracy'])} | {_f(b['refusal_accuracy'])} | "
                     f"{_f(b['citation_precision'])} | {_f(b['claim_support'])} | {b['invented_numbers']} |")
    failed = [r["id"] for r in result["rows"] if r.get("facts_ok") is False or r.get("refusal_ok") is False]
    lines += ["", f"failed items ({len(failed)}): {', '.join(failed) or 'none'}"]
    return "\n".join(lines)


_COLUMNS = (("key facts", "key_fact_accuracy"), ("refusal", "refusal_accuracy"), ("cite precision", "citation_precision"),
            ("claim support", "claim_support"))


def render_comparison(results: dict[str, dict[str, Any]]) -> str:
    """One table per metric family: every generator side by side, overall and by question type."""
    names = list(results)
    lines = ["## Answers side by side", "", "| metric | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    summaries = [results[n]["summary"] for n in names]
    for label, key in _COLUMNS:
        lines.append(f"| {label} | " + " | ".join(_f(s[key]) for s in summaries) + " |")
    for label, key in (("invented numbers", "invented_numbers"), ("false refusals", "false_refusals"),
                       ("prompt syntax / Markdown", "prompt_syntax"), ("doubled sentences", "doubled"),
                       ("extractive fallbacks", "fallbacks")):
        lines.append(f"| {label} | " + " | ".join(str(s[key]) for s in summaries) + " |")
    for label, key in (("first token p50 ms", "first_token_p50"), ("total p50 ms", "total_p50"),
                       ("total p95 ms", "total_p95")):
        lines.append(f"| {label} | " + " | ".join(_f(s["latency_ms"][key]) for s in summaries) + " |")
    types = sorted({t for s in summaries for t in s["by_type"]})
    lines += ["", "Key facts (answerable types) or refusal accuracy (unanswerable, premise) by question type:", "",
              "| type | n | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|---|" + "---|" * len(names)]
    for t in types:
        blocks = [s["by_type"].get(t, {}) for s in summaries]
        key = "refusal_accuracy" if blocks[0].get("key_fact_accuracy") is None else "key_fact_accuracy"
        lines.append(f"| {t} | {blocks[0].get('n', 0)} | " + " | ".join(_f(b.get(key)) for b in blocks) + " |")
    return "\n".join(lines)
