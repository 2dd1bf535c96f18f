"""The assessment as Markdown (simplified Chinese), for the CLI, the app and the plan appendix."""

from __future__ import annotations

from sme_ai.assess.indicators import level_name
from sme_ai.assess.model import Assessment, Gap


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(esc(c) for c in row) + " |" for row in rows]


def _summary(a: Assessment) -> list[str]:
    lines = [f"**估计等级：{a.level_name}**（打分部分 {a.score:g}/{a.score_max:g} 分；"
             f"若按2022年版总分分档为{level_name(a.level_2022_bands)}，仅供参考）"]
    if a.level_alternative is not None:
        lines.append(f"按另一种第三方解读为{level_name(a.level_alternative)}：{a.alternative_note}")
    return lines


def _dimensions(a: Assessment) -> list[str]:
    out = ["## 各维度得分", ""]
    out += _table(["维度", "得分", "满分"], [[d.name, f"{d.points:g}", f"{d.max:g}"] for d in a.dimensions])
    out += ["", "### 各项得分", ""]
    rows = [[d.name, i.group, i.name, f"{i.points:g}", f"{i.max:g}", "、".join(i.selected) or ("未作答" if not i.answered else "无")]
            for d in a.dimensions for i in d.items]
    return out + _table(["维度", "二级指标", "评测项", "得分", "满分", "已选"], rows)


def _checks(a: Assessment) -> list[str]:
    out = ["## 定级条件核对（第三方解读，待核实）", ""]
    rows = [[level_name(c.level), f"{c.min_score:g}", "是" if c.score_ok else "否",
             f"{c.scenarios_at_level}/{c.min_scenarios}", f"{c.constraint_at_level}/{c.min_constraint}",
             "满足" if c.met else "未满足"] for c in a.checks]
    return out + _table(["等级", "打分线", "打分达标", "达到该级的场景数/要求", "其中约束性场景/要求", "结论"], rows)


def _scenarios(a: Assessment) -> list[str]:
    out = ["## 16个业务场景等级", ""]
    rows = [[s.category_name, s.name, "是" if s.constraint else "", level_name(s.level), s.description]
            for s in a.scenarios]
    return out + _table(["类别", "场景", "约束性（第三方解读）", "等级", "当前等级要点"], rows)


def _gap_line(i: int, g: Gap) -> list[str]:
    if g.kind == "scenario":
        head = f"{i}. 场景 **{g.name}**{'（约束性）' if g.constraint else ''}：{g.current} → {g.target}。{g.detail}"
    else:
        head = f"{i}. 评测项 **{g.name}**：{g.current} / {g.target}，最多可加 {g.gain:g} 分。{g.detail}"
    if g.evidence is None:
        return [head, "   依据：知识库中没有找到直接相关的段落，请对照评测指标原文。"]
    e = g.evidence
    return [head, f"   依据：《{e.title}》{e.section}：“{e.quote}”（{e.source}）"]


def _gaps(a: Assessment) -> list[str]:
    if a.next_level is None:
        return ["## 差距", "", "已达到最高等级（四级）。"]
    out = [f"## 升到{level_name(a.next_level)}还差什么", ""]
    if not a.gaps:
        return out + ["（没有找到差距项）"]
    for i, g in enumerate(a.gaps, start=1):
        out += _gap_line(i, g)
    return out


def render_markdown(a: Assessment) -> str:
    lines = ["# 数字化水平自评结果（按《中小企业数字化水平评测指标（2024年版）》）", "", "> " + a.reading, ""]
    lines += _summary(a) + [""] + _dimensions(a) + [""] + _checks(a) + [""] + _scenarios(a) + [""] + _gaps(a)
    lines += ["", "## 说明", ""] + [f"- {c}" for c in a.caveats]
    if a.unanswered:
        lines.append("- 未作答（按0分或未达一级计）：" + "、".join(a.unanswered))
    return "\n".join(lines) + "\n"
