"""`sme-ai assess` and `sme-ai plan`: parse, call the Assistant, render. The CLI calls `add_commands(sub)`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sme_ai.cli.common import assistant_from
from sme_ai.errors import PlanInputFileError, PlanOutputError


def read_data_file(path: Path | str) -> dict:
    """A YAML or JSON object from a file (UTF-8)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise PlanInputFileError(path, "文件不存在")
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as e:
        raise PlanInputFileError(path, f"格式错误：{str(e).splitlines()[0][:160]}") from None
    if not isinstance(data, dict):
        raise PlanInputFileError(path, "内容应是键值对（YAML/JSON 对象）")
    return data


# --- interactive questionnaire ------------------------------------------------------------------


def _pick(prompt: str, count: int, multi: bool, ask: Callable[[str], str], say: Callable[[str], None]):
    """Numbers typed by the owner: one (single) or several (multi); empty skips a single-choice item."""
    while True:
        raw = ask(prompt).replace("，", ",").replace("、", ",").replace(",", " ").split()
        try:
            picks = sorted({int(x) for x in raw})
        except ValueError:
            picks = [-1]
        if all(1 <= p <= count for p in picks) and (multi or len(picks) <= 1):
            return picks
        say(f"  请输入 1–{count} 之间的编号" + ("，多个用逗号分隔，没有就直接回车" if multi else "，不确定可直接回车跳过"))


def ask_answers(q, ask: Callable[[str], str] = input, say: Callable[[str], None] = print) -> dict:
    """Walk the owner through the questionnaire; returns answers in the `assess` format."""
    items: dict = {}
    say(f"《{q.title}》自评问卷（项目解读，分值待核实）。直接回车表示没有/跳过。")
    for n, item in enumerate(q.items, start=1):
        kind = "多选" if item.kind == "multi" else "单选"
        say(f"\n[{n}/{len(q.items)}] {item.group} · {item.name}（{kind}，满分{item.points:g}分）" + (f"\n  {item.help}" if item.help else ""))
        for i, opt in enumerate(item.options, start=1):
            say(f"  {i}. {opt.label}（{opt.points:g}分）")
        picks = _pick("  选择> ", len(item.options), item.kind == "multi", ask, say)
        if picks or item.kind == "multi":
            items[item.id] = [item.options[p - 1].id for p in picks]
    scenarios: dict = {}
    say("\n数字化经营：16个业务场景，请选最符合现状的等级（0 = 未达到一级）。")
    for n, sc in enumerate(q.scenarios, start=1):
        say(f"\n[{n}/16] {sc.name}")
        for level, text in sorted(sc.levels.items()):
            say(f"  {level}. {text}")
        level = _ask_level(ask, say)
        if level is not None:
            scenarios[sc.id] = level
    return {"items": items, "scenarios": scenarios}


def _ask_level(ask: Callable[[str], str], say: Callable[[str], None]) -> int | None:
    while True:
        raw = ask("  等级（0–4）> ").strip()
        if not raw:
            return None
        if raw in {"0", "1", "2", "3", "4"}:
            return int(raw)
        say("  请输入 0–4 之间的数字，不确定可直接回车跳过")


# --- commands ----------------------------------------------------------------------------------


def cmd_assess(args) -> int:
    from sme_ai.assess.report import render_markdown

    asst = assistant_from(args)
    if args.answers:
        answers = read_data_file(args.answers)
    else:
        answers = ask_answers(asst.questionnaire())
        if args.save_answers:
            Path(args.save_answers).write_text(json.dumps(answers, ensure_ascii=False, indent=1), encoding="utf-8")
    if not asst.documents():
        print("提示：知识库为空，差距项将不附资料依据。可先运行 `sme-ai ingest corpora`。", file=sys.stderr)
    result = asst.assess(answers)
    if args.output:
        Path(args.output).write_text(result.model_dump_json(indent=1), encoding="utf-8")
        print(f"已保存评估结果 → {args.output}（可用于 sme-ai plan --assessment）", file=sys.stderr)
    if args.chart:
        from sme_ai.assess.chart import render_chart

        print(f"已生成图表 → {render_chart(result, Path(args.chart))}", file=sys.stderr)
    print(result.model_dump_json(indent=1) if args.json else render_markdown(result))
    return 0


def _chart_for(assessment, out: Path) -> Path | None:
    from sme_ai.assess.chart import render_chart

    try:
        return render_chart(assessment, out.with_suffix(".chart.png"))
    except Exception as e:  # no matplotlib: the document goes without the chart
        print(f"提示：未生成图表（{e}）", file=sys.stderr)
        return None


def cmd_plan(args) -> int:
    from sme_ai.plan.export import export_docx, export_markdown
    from sme_ai.plan.model import Plan, PlanOutline, PlanProgress

    out = Path(args.output)
    if out.suffix.lower() not in (".docx", ".md"):
        raise PlanOutputError(out, out.suffix)
    asst, t0 = assistant_from(args), time.perf_counter()
    profile = read_data_file(args.profile)
    assessment = asst.load_assessment(read_data_file(args.assessment)) if args.assessment else None
    plan = None
    for event in asst.draft_plan_stream(profile, assessment):
        if isinstance(event, Plan):
            plan = event
        elif isinstance(event, PlanProgress):
            print(f"[{event.k}/{event.n}] 正在撰写：{event.title}", file=sys.stderr)
        elif isinstance(event, PlanOutline):
            print(f"规则部分（目标、场景、路线图、预算、验收指标）已就绪：{time.perf_counter() - t0:.1f} 秒", file=sys.stderr)
    if out.suffix.lower() == ".md":
        export_markdown(plan, out)
    else:
        chart = _chart_for(assessment, out) if assessment is not None else None
        export_docx(plan, out, chart=chart)
    print(f"已生成方案 → {out}（{len(plan.sections)} 节，{len(plan.references)} 条引用，"
          f"用时 {time.perf_counter() - t0:.1f} 秒，撰写方式：{plan.mode}）")
    return 0


def add_commands(sub) -> None:
    """Register `assess` and `plan` on the CLI's subparsers."""
    s = sub.add_parser("assess", help="数字化水平自评（2024年版评测指标，项目解读）")
    s.add_argument("--answers", help="answers file (YAML/JSON); interactive questionnaire when omitted")
    s.add_argument("--json", action="store_true", help="print the assessment as JSON")
    s.add_argument("-o", "--output", help="also save the assessment as JSON (input for `plan --assessment`)")
    s.add_argument("--chart", help="also write a PNG chart of the result")
    s.add_argument("--save-answers", help="interactive mode: save the answers to this JSON file")
    s.set_defaults(func=cmd_assess)

    s = sub.add_parser("plan", help="draft a retrofit plan (数字化改造方案) as .docx or .md")
    s.add_argument("--profile", required=True, help="enterprise profile (YAML/JSON)")
    s.add_argument("--assessment", help="assessment JSON from `sme-ai assess -o`, or an answers file")
    s.add_argument("-o", "--output", required=True, help="plan.docx or plan.md")
    s.set_defaults(func=cmd_plan)
