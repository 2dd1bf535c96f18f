"""The 数字化水平自评 and 改造方案 tabs as plain functions over the Assistant (no gradio here)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sme_ai.app import render
from sme_ai.app.knowledge import check_admin
from sme_ai.app.pump import Waiting, pump
from sme_ai.app.session import Session, ensure
from sme_ai.errors import SmeAiError

LEVELS = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}
PILOT_CHOICES = ["是", "否", "不确定"]
# the profile form's fields, in the order the form (and the /plan API endpoint) takes them
PROFILE_FIELDS = ("name", "industry", "industry_detail", "region", "pilot_city", "employees", "revenue_wan", "tier",
                  "systems", "pain_points", "goals", "budget_wan", "time_frame_months")
EXAMPLE_PROFILE = {
    "name": "示例机械加工厂", "industry": "机械（装备制造）", "industry_detail": "精密零部件加工", "region": "浙江省宁波市",
    "pilot_city": "不确定", "employees": 120, "revenue_wan": 8000, "tier": "规上工业中小企业",
    "systems": "财务软件、Excel 排产", "pain_points": "设备利用率低、交期不准", "goals": "设备联网、生产排程数字化",
    "budget_wan": "20-50", "time_frame_months": 12,
}


def safe_markdown(text: str) -> str:
    """Markdown from our own templates around untrusted text (the profile form, the model's prose, quoted
    passages): no HTML, link, image or autolink survives (`render.defang_md`)."""
    return render.defang_md(text)


# --- self-assessment ---------------------------------------------------------------------------


def item_choices(item) -> list[tuple[str, str]]:
    return [(o.label, o.id) for o in item.options]


def scenario_choices(scenario) -> list[tuple[str, int]]:
    return [(LEVELS[0], 0)] + [(f"{LEVELS[k]}：{scenario.levels[k]}", k) for k in sorted(scenario.levels)]


def answers_from_form(item_ids: list[str], item_values: list, scenario_ids: list[str], scenario_values: list) -> dict:
    """The form's values as the answers dict `assess` takes; unanswered questions are left out."""
    items = {i: v for i, v in zip(item_ids, item_values) if v not in (None, "", [])}
    scenarios = {s: int(v) for s, v in zip(scenario_ids, scenario_values) if v not in (None, "")}
    return {"items": items, "scenarios": scenarios}


def assess(ctx, session: Session | None, answers: dict) -> tuple[str, Path | None, Session]:
    """(result Markdown, chart PNG, session). The assessment is kept in the session for the plan tab."""
    session = ensure(session)
    from sme_ai.assess.chart import render_chart
    from sme_ai.assess.report import render_markdown

    with ctx.kb_lock.read():
        a = ctx.asst.assess(answers)
    session.assessment = a
    chart = render_chart(a, session.workdir() / f"assessment-{time.strftime('%H%M%S')}.png")
    return safe_markdown(render_markdown(a)), chart, session


def assessment_summary(session: Session | None) -> str:
    a = getattr(session, "assessment", None)
    if a is None:
        return "尚未完成自评：可在「数字化水平自评」页先做自评，方案会据此确定目标等级；也可以直接生成。"
    return f"已载入自评结果：**{LEVELS.get(a.level, a.level)}**，得分 {a.score:g}/{a.score_max:g}，差距 {len(a.gaps)} 项。"


# --- plan ------------------------------------------------------------------------------------------


@dataclass
class PlanView:
    progress: str
    plan: str = ""
    files: list[str] = field(default_factory=list)


def profile_from_form(values: list | tuple) -> dict:
    """Form values (in PROFILE_FIELDS order) → the profile dict; empty fields are left out so the validator names
    them."""
    out = {}
    for key, value in zip(PROFILE_FIELDS, values):
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            continue
        if key in ("employees", "time_frame_months") and isinstance(value, float) and value.is_integer():
            value = int(value)
        if key == "industry" and value.startswith("其他"):
            continue  # "其他（请填写细分行业）": the detail field says what it is
        out[key] = value
    if "industry" not in out and out.get("industry_detail"):
        out["industry"] = out["industry_detail"]
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "_", text).strip("_")[:40] or "plan"


def _stream_views(ctx, events, t0: float) -> Iterator[PlanView | object]:
    """PlanViews while the plan is written (the rule-built outline at once, then each section's prose as it comes);
    the finished Plan last."""
    from sme_ai.plan.export import render_markdown
    from sme_ai.plan.model import Plan, PlanOutline, PlanProgress, SectionDone

    shown = None
    for event in pump(events, ctx.gate):
        if isinstance(event, Waiting):
            yield PlanView(render.status_markdown("wait", f"排队等待模型：前面还有 {event.ahead} 个请求"),
                           safe_markdown(render_markdown(shown)) if shown else "")
        elif isinstance(event, PlanOutline):
            shown = event.plan
            yield PlanView(render.status_markdown("write", f"规则部分已生成（{time.perf_counter() - t0:.1f} 秒）：诊断、目标、"
                                                  "场景、路线图、预算和验收指标；正文逐节撰写中…"),
                           safe_markdown(render_markdown(shown)))
        elif isinstance(event, PlanProgress):
            yield PlanView(render.status_markdown("write", f"正在撰写第 {event.k}/{event.n} 节：{event.title}"),
                           safe_markdown(render_markdown(shown)) if shown else "")
        elif isinstance(event, SectionDone) and shown is not None:
            shown.sections[event.k - 1] = event.section
        elif isinstance(event, Plan):
            yield event


def _finish(ctx, session: Session, plan, assessment, t0: float, what: str) -> PlanView:
    folder = session.workdir()
    stem = f"改造方案-{_slug(plan.profile.name or plan.industry)}-{time.strftime('%Y%m%d-%H%M%S')}"
    from sme_ai.assess.chart import render_chart
    from sme_ai.plan.export import export_docx, export_markdown, render_markdown

    session.plan = plan  # for redrafting one section after the owner edits the profile
    chart = render_chart(assessment, folder / f"{stem}.png") if assessment is not None else None
    docx = export_docx(plan, folder / f"{stem}.docx", chart=chart)
    md = export_markdown(plan, folder / f"{stem}.md")
    stale = [s.title for s in plan.sections if s.meta.get("stale")]
    note = f"；以下各节基于修改前的企业信息，可逐节重新生成：{'、'.join(stale)}" if stale else ""
    done = render.status_markdown("done", f"{what}（用时 {time.perf_counter() - t0:.0f} 秒），可下载 DOCX 或 Markdown{note}")
    return PlanView(done, safe_markdown(render_markdown(plan)), [str(docx), str(md)])


def _locked(ctx, token: str, caller) -> PlanView | None:
    if ctx.settings.heavy_actions_locked:
        try:
            check_admin(ctx, token, caller)
        except SmeAiError as e:
            return PlanView(render.status_markdown("error", f"生成改造方案仅限持有管理员口令的用户。{e}"))
    return None


def _error(e: SmeAiError) -> PlanView:
    from sme_ai.errors import EmptyKnowledgeBaseError

    msg = "知识库为空：请先在「知识库」页上传资料或导入随附资料。" if isinstance(e, EmptyKnowledgeBaseError) else str(e)
    return PlanView(render.status_markdown("error", msg))


def draft(ctx, session: Session | None, values: list | tuple, use_assessment: bool = True, token: str = "", *,
          caller: tuple[str, ...] = ()) -> Iterator[PlanView]:
    """The rule-built plan at once, then progress and prose section by section (and the queue position while the
    model is busy), then the plan and its files. With `heavy_actions_locked`, only an admin-token holder may draft
    (a plan holds the one model for minutes)."""
    session = ensure(session)
    if (locked := _locked(ctx, token, caller)) is not None:
        yield locked
        return
    profile = profile_from_form(values)
    assessment = session.assessment if use_assessment else None
    yield PlanView(render.status_markdown("search", "正在分析企业信息…"))
    plan, t0 = None, time.perf_counter()
    try:
        for view in _stream_views(ctx, ctx.asst.draft_plan_stream(profile, assessment), t0):
            if isinstance(view, PlanView):
                yield view
            else:
                plan = view
    except SmeAiError as e:
        yield _error(e)
        return
    if plan is None:
        yield PlanView(render.status_markdown("error", "方案没有生成，请重试"))
        return
    yield _finish(ctx, session, plan, assessment, t0, f"方案已生成（{len(plan.sections)} 节）")


def section_choices() -> list[tuple[str, str]]:
    """(title, key) of the sections an owner can redraft on their own."""
    from sme_ai.plan.model import SECTION_TITLES

    return [(f"{k}. {title}", key) for k, (key, title) in enumerate(SECTION_TITLES, start=1) if key != "references"]


def regenerate(ctx, session: Session | None, values: list | tuple, key: str, use_assessment: bool = True,
               token: str = "", *, caller: tuple[str, ...] = ()) -> Iterator[PlanView]:
    """Redraft one section of the last plan from the (edited) profile form; the other sections keep their prose."""
    session = ensure(session)
    if (locked := _locked(ctx, token, caller)) is not None:
        yield locked
        return
    old = getattr(session, "plan", None)
    if old is None:
        yield PlanView(render.status_markdown("error", "还没有方案：请先点击“生成改造方案”，再逐节重新生成。"))
        return
    assessment = session.assessment if use_assessment else None
    plan, t0 = None, time.perf_counter()
    try:
        events = ctx.asst.regenerate_plan_section_stream(old, key, profile_from_form(values), assessment)
        for view in _stream_views(ctx, events, t0):
            if isinstance(view, PlanView):
                yield view
            else:
                plan = view
    except (SmeAiError, KeyError) as e:
        yield _error(e) if isinstance(e, SmeAiError) else PlanView(render.status_markdown("error", f"没有这一节：{key}"))
        return
    title = next((s.title for s in plan.sections if s.key == key), key)
    yield _finish(ctx, session, plan, assessment, t0, f"已重新生成“{title}”一节，其余各节保持不变")
