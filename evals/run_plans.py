"""Draft every plan of the eval set in one mode; print the rubric scores and the time per plan.

    .venv/bin/python -m evals.run_plans --mode extractive
    .venv/bin/python -m evals.run_plans --mode model --model qwen2.5-coder-0.5b --limit 2
    .venv/bin/python -m evals.run_plans --mode model --model qwen2.5-coder-1.5b --only 01 05 --out /tmp/plans

The knowledge base is the shipped corpus, ingested into --data-dir (a temporary folder by default; ingesting
again into the same folder re-uses what is already indexed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "evals" / "plans"


def cases(only: list[str] | None, limit: int | None) -> list[tuple[str, Path, Path | None]]:
    out = []
    for profile in sorted((PLANS / "profiles").glob("*.yaml")):
        if only and not any(profile.stem.startswith(o) for o in only):
            continue
        answers = PLANS / "answers" / profile.name
        out.append((profile.stem, profile, answers if answers.is_file() else None))
    return out[:limit] if limit else out


def _assistant(args, data_dir: Path):
    from sme_ai.assistant import Assistant
    from sme_ai.config import Settings

    backend = "extractive" if args.mode == "extractive" else "llama-cpp"
    settings = Settings(data_dir=data_dir, embedder=args.embedder, llm_backend=backend, llm_model=args.model)
    asst = Assistant(settings)
    asst.ingest([ROOT / args.corpus])
    return asst


def run_case(asst, name: str, profile: Path, answers: Path | None, out: Path | None) -> dict:
    from sme_ai.eval.plan_rubric import score_plan
    from sme_ai.cli.plans import read_data_file
    from sme_ai.plan.export import export_docx, export_markdown

    t0 = time.perf_counter()
    assessment = asst.assess(read_data_file(answers)) if answers else None
    plan = asst.draft_plan(read_data_file(profile), assessment)
    seconds = time.perf_counter() - t0
    rubric = score_plan(plan, assessment)
    if out:
        export_markdown(plan, out / f"{name}.md")
        export_docx(plan, out / f"{name}.docx")
        (out / f"{name}.json").write_text(plan.model_dump_json(indent=1), encoding="utf-8")
    fallbacks = sum(1 for s in plan.sections if s.meta.get("fallback"))
    return {"name": name, "tier": plan.profile.tier, "industry": plan.industry,
            "level": assessment.level if assessment else None, "target": plan.target.target,
            "milestone": plan.target.milestone, "scenarios": [s.name for s in plan.scenarios],
            "references": len(plan.references), "fallback_sections": fallbacks,
            "unsupported_numbers_dropped": sum(len(s.meta.get("unsupported_numbers", [])) for s in plan.sections),
            "v2": _v2(rubric["checks"]), "score": rubric["score"], "passed": rubric["passed"],
            "failed": [k for k, v in rubric["checks"].items() if not v["ok"]],
            "details": {k: v["detail"] for k, v in rubric["checks"].items() if not v["ok"]}, "seconds": round(seconds, 1),
            "outline_s": plan.timings.get("outline_s")}


def _v2(checks: dict) -> dict:
    """The rubric v2 measures as numbers for the table."""
    pain = checks["pain_coverage"]["detail"]
    return {"pains": f"{pain['to_chosen_scenario']}/{pain['pains']}" + ("" if checks["pain_coverage"]["ok"] else "!"),
            "goal_kpi": "ok" if checks["goal_kpi_coverage"]["ok"] else "no",
            "budget": "ok" if checks["budget_within"]["ok"] else "no",
            "support": checks["claim_support"]["detail"]["share"],
            "generic": checks["generic_paragraphs"]["detail"]["share"],
            "repeats": 0 if checks["repetition"]["ok"] else len(checks["repetition"]["detail"]),
            "cross": 0 if checks["cross_industry_quotes"]["ok"] else len(checks["cross_industry_quotes"]["detail"]["sentences"]),
            "levels": 0 if checks["level_claims"]["ok"] else len(checks["level_claims"]["detail"]),
            "relabelled": 0 if checks["relabelled_quotes"]["ok"] else len(checks["relabelled_quotes"]["detail"])}


def render(rows: list[dict], mode: str, model: str, load_s: float) -> str:
    lines = [f"Plans · mode={mode}" + (f" · model={model} (load {load_s:.1f} s)" if mode == "model" else ""), "",
             "| profile | tier | level → target | scenarios | refs | fallback sections | pains→scenario | goal→KPI "
             "| budget | claim support | generic | repeats | cross-industry | misbound levels | relabelled quotes | rubric | passed "
             "| failed | outline s | s |", "|" + "---|" * 20]
    for r in rows:
        level = "待自测" if r["level"] is None else r["level"]
        v = r["v2"]
        lines.append(f"| {r['name']} | {r['tier']} | {level} → {r['target']} ({r['milestone']}) | {'、'.join(r['scenarios'])} "
                     f"| {r['references']} | {r['fallback_sections']} | {v['pains']} | {v['goal_kpi']} | {v['budget']} "
                     f"| {v['support']:.2f} | {v['generic']:.2f} | {v['repeats']} | {v['cross']} | {v.get('levels', '-')} "
                     f"| {v.get('relabelled', '-')} "
                     f"| {r['score']:.2f} | {'yes' if r['passed'] else 'no'} "
                     f"| {', '.join(r['failed'])} | {r.get('outline_s')} | {r['seconds']} |")
    secs = [r["seconds"] for r in rows]
    lines += ["", f"mean rubric {statistics.mean(r['score'] for r in rows):.3f} · passed {sum(r['passed'] for r in rows)}/{len(rows)}"
              f" · time per plan mean {statistics.mean(secs):.1f} s, max {max(secs):.1f} s"]
    return "\n".join(lines)


def main(argv=None) -> None:
    from sme_ai.config import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["extractive", "model"], default="extractive")
    ap.add_argument("--model", default=Settings.model_fields["llm_model"].default, help="catalog name for --mode model")
    ap.add_argument("--embedder", choices=["sentence-transformers", "hash"], default="sentence-transformers")
    ap.add_argument("--data-dir", help="knowledge base folder to (re)use; a temporary one by default")
    ap.add_argument("--corpus", default="corpora")
    ap.add_argument("--only", nargs="*", help="profile name prefixes, e.g. 01 05")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--out", help="also write each plan as .md and .docx into this folder")
    ap.add_argument("--no-report", action="store_true", help="do not write evals/reports/plans-*.json")
    args = ap.parse_args(argv)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    report = None if args.no_report else ROOT / "evals" / "reports" / f"plans-{args.mode}-{stamp}.json"
    with tempfile.TemporaryDirectory() as tmp:
        asst = _assistant(args, Path(args.data_dir) if args.data_dir else Path(tmp) / "kb")
        t0 = time.perf_counter()
        asst.llm  # noqa: B018  (load the model before timing the plans)
        load_s = time.perf_counter() - t0
        out = Path(args.out) if args.out else None
        if out:
            out.mkdir(parents=True, exist_ok=True)
        rows = []
        for case in cases(args.only, args.limit):
            rows.append(run_case(asst, *case, out))
            if report:  # after every plan: a run stopped half-way keeps what it drafted
                report.write_text(json.dumps({"mode": args.mode,
                                              "model": args.model if args.mode == "model" else "extractive",
                                              "embedder": args.embedder, "load_s": round(load_s, 2), "rows": rows},
                                             ensure_ascii=False, indent=1), encoding="utf-8")
    print(render(rows, args.mode, args.model, load_s))
    for r in rows:
        if r["details"]:
            print(f"\n{r['name']}: " + json.dumps(r["details"], ensure_ascii=False))
    if report:
        print(f"\nreport → {report.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
