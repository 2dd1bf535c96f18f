"""The eval runner: retrieval metrics for BM25, dense and hybrid next to the LangChain baseline in the same run,
stage timings, the models used; a Markdown and a JSON report under evals/reports/."""

from __future__ import annotations

import json
import platform
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sme_ai.config import Settings
from sme_ai.eval.dataset import EvalItem, load_items, stratified
from sme_ai.eval.metrics import summarize

MODES = ("bm25", "dense", "hybrid")


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def _by_type(items: list[EvalItem], rels: dict[str, list[bool]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list] = defaultdict(list)
    for it in items:
        groups[it.type].append(rels[it.id])
    return {t: summarize(r) for t, r in sorted(groups.items())}


def evaluate_retrieval(asst, items: list[EvalItem], k: int = 5) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in MODES:
        rels, lat, ranks = {}, [], {}
        for it in items:
            t0 = time.perf_counter()
            hits = asst.search(it.question, k=k, mode=mode)
            lat.append(_ms(t0))
            rels[it.id] = [it.is_relevant(h.chunk.source, h.chunk.text) for h in hits]
            ranks[it.id] = [h.chunk.source for h in hits]
        out[mode] = {"overall": summarize(list(rels.values())), "by_type": _by_type(items, rels),
                     "latency_ms": {"p50": statistics.median(lat), "p95": sorted(lat)[int(0.95 * (len(lat) - 1))]},
                     "misses": [i for i, r in rels.items() if not any(r)], "_rels": rels}
    return out


def evaluate_baseline(corpus: Path, embedder, items: list[EvalItem], workdir: Path, k: int = 5) -> dict[str, Any]:
    from sme_ai.eval.baseline import LangChainBaseline

    t0 = time.perf_counter()
    base = LangChainBaseline(corpus, embedder, workdir / "baseline")
    build_ms = _ms(t0)
    rels, lat = {}, []
    for it in items:
        t0 = time.perf_counter()
        found = base.search(it.question, k=k)
        lat.append(_ms(t0))
        rels[it.id] = [it.is_relevant(src, text) for src, text in found]
    return {"overall": summarize(list(rels.values())), "by_type": _by_type(items, rels),
            "chunks": len(base.splits), "build_ms": build_ms,
            "latency_ms": {"p50": statistics.median(lat), "p95": sorted(lat)[int(0.95 * (len(lat) - 1))]},
            "misses": [i for i, r in rels.items() if not any(r)]}


def run(settings: Settings, dataset: Path, corpus: Path, out_dir: Path | None, *, baseline: bool = True,
        answers: bool = False, limit: int | None = None, sample: int | None = None,
        generators: list[str] | None = None) -> dict[str, Any]:
    """`generators`: answer with each of these in turn on the same index ("extractive", or a catalog model name for
    the settings' backend); without it, `answers` uses the settings' own generator."""
    from sme_ai.assistant import Assistant

    items = load_items(dataset)[:limit] if limit else load_items(dataset)
    if sample:
        items = stratified(items, sample)
    answerable = [i for i in items if i.answerable]
    report: dict[str, Any] = {"dataset": str(dataset), "corpus": str(corpus), "questions": len(items),
                              "answerable": len(answerable), "timings_ms": {}, "machine": platform.machine(),
                              "settings": {k: v for k, v in settings.model_dump(mode="json").items()
                                           if k in ("embedder", "embedder_model", "chunk_size", "chunk_overlap",
                                                    "dense_k", "bm25_k", "rrf_k", "top_k", "llm_backend", "llm_model")}}
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.model_copy(update={"data_dir": Path(tmp) / "kb"})
        asst = Assistant(settings)
        t0 = time.perf_counter()
        asst.embedder.embed(["预热"], "query")
        report["timings_ms"]["embedder_load"] = _ms(t0)
        t0 = time.perf_counter()
        stats = asst.ingest([corpus])
        report["timings_ms"]["ingest"] = _ms(t0)
        report["chunks"] = stats.chunks_embedded
        t0 = time.perf_counter()
        report["retrieval"] = evaluate_retrieval(asst, answerable)
        report["timings_ms"]["retrieval_eval"] = _ms(t0)
        if baseline:
            t0 = time.perf_counter()
            report["baseline"] = evaluate_baseline(corpus, asst.embedder, answerable, Path(tmp))
            report["timings_ms"]["baseline"] = _ms(t0)
        if answers and not generators:
            from sme_ai.eval.answers import evaluate_answers

            t0 = time.perf_counter()
            report["answers"] = evaluate_answers(asst, items)
            report["timings_ms"]["answers"] = _ms(t0)
        for name in generators or []:
            from sme_ai.eval.answers import evaluate_answers

            update = {"llm_backend": "extractive"} if name == "extractive" else {"llm_model": name}
            other = Assistant(settings.model_copy(update=update), embedder=asst.embedder)
            t0 = time.perf_counter()
            result = evaluate_answers(other, items)
            result["model"] = name
            report.setdefault("answers_by", {})[name] = result
            report["timings_ms"][f"answers {name}"] = _ms(t0)
    for mode in MODES:
        report["retrieval"][mode].pop("_rels", None)
    if out_dir:
        write_report(report, out_dir)
    return report


def _row(name: str, m: dict[str, float]) -> str:
    return f"| {name} | {m['hit@1']:.3f} | {m['hit@3']:.3f} | {m['hit@5']:.3f} | {m['mrr']:.3f} | {m['ndcg@5']:.3f} | {m['n']} |"


def render_markdown(r: dict[str, Any]) -> str:
    lines = [f"# sme-ai eval report · {time.strftime('%Y-%m-%d %H:%M')}", "",
             f"dataset `{r['dataset']}`: {r['questions']} questions ({r['answerable']} answerable) · corpus "
             f"`{r['corpus']}`: {r.get('chunks')} chunks · settings `{json.dumps(r['settings'], ensure_ascii=False)}`", "",
             "A retrieved passage is relevant when it comes from a gold document and states at least one key fact "
             "(the item's regular expressions).", "",
             "## Retrieval (answerable questions)", "",
             "| system | hit@1 | hit@3 | hit@5 | MRR | nDCG@5 | n |", "|---|---|---|---|---|---|---|"]
    for mode in MODES:
        lines.append(_row(f"sme-ai {mode}", r["retrieval"][mode]["overall"]))
    if "baseline" in r:
        lines.append(_row(f"LangChain baseline ({r['baseline']['chunks']} chunks, dense)", r["baseline"]["overall"]))
    lines += ["", "### hit@5 by question type", "", "| type | " + " | ".join(MODES) + (" | baseline |" if "baseline" in r else " |"),
              "|---|" + "---|" * (len(MODES) + ("baseline" in r))]
    for t in r["retrieval"]["hybrid"]["by_type"]:
        cells = [f"{r['retrieval'][m]['by_type'][t]['hit@5']:.3f}" for m in MODES]
        if "baseline" in r:
            cells.append(f"{r['baseline']['by_type'][t]['hit@5']:.3f}")
        lines.append(f"| {t} (n={r['retrieval']['hybrid']['by_type'][t]['n']}) | " + " | ".join(cells) + " |")
    lines += ["", "### Search latency", "", "| system | p50 ms | p95 ms |", "|---|---|---|"]
    for mode in MODES:
        lat = r["retrieval"][mode]["latency_ms"]
        lines.append(f"| {mode} | {lat['p50']:.1f} | {lat['p95']:.1f} |")
    if "baseline" in r:
        lines.append(f"| baseline | {r['baseline']['latency_ms']['p50']:.1f} | {r['baseline']['latency_ms']['p95']:.1f} |")
    lines += ["", f"hybrid misses at 5: {', '.join(r['retrieval']['hybrid']['misses']) or 'none'}"]
    if "answers" in r:
        from sme_ai.eval.answers import render_answers

        lines += ["", render_answers(r["answers"])]
    if "answers_by" in r:
        from sme_ai.eval.answers import render_comparison, render_answers

        lines += ["", render_comparison(r["answers_by"])]
        lines += [x for result in r["answers_by"].values() for x in ("", render_answers(result))]
    lines += ["", "## Stage timings", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v / 1000:.1f} |" for k, v in r["timings_ms"].items()]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md, js = out_dir / f"eval-{stamp}.md", out_dir / f"eval-{stamp}.json"
    md.write_text(render_markdown(report), encoding="utf-8")
    js.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return md, js
