"""The 数字化水平自评 and 改造方案 tabs (Gradio), over the plain handlers in `planning.py`."""

from sme_ai.app import planning, render
from sme_ai.app.controls import LIGHT, caller, token_box
from sme_ai.app.session import ensure
from sme_ai.errors import SmeAiError


def build(ctx, session, tabs) -> None:
    """Both tabs, inside the page's gr.Tabs; the assessment's result carries over into the plan tab."""
    import gradio as gr

    with gr.Tab("数字化水平自评", id="assess", elem_id="assess-tab"):
        carry = _assess_tab(ctx, session)
    with gr.Tab("改造方案", id="plan") as plan_tab:
        summary = _plan_tab(ctx, session)
    plan_tab.select(planning.assessment_summary, [session], [summary], api_visibility="private", **LIGHT)

    def on_carry(s):
        return gr.Tabs(selected="plan"), planning.assessment_summary(s)

    carry.click(on_carry, [session], [tabs, summary], api_visibility="private", **LIGHT)


def _assess_tab(ctx, session):
    import gradio as gr

    q = ctx.asst.questionnaire()
    gr.Markdown(f"### {render.esc_md(q.title)}\n{render.esc_md(q.reading)}\n\n"
                "逐项选择贵企业的实际情况（不确定的可以留空，按 0 分计），然后点击“计算评测结果”。")
    item_ids, item_inputs = [], []
    for dim in q.dimensions:
        with gr.Accordion(f"{dim.name}（{dim.points:g} 分）", open=dim is q.dimensions[0]):
            for item in dim.items:
                label = f"{item.name}（{item.points:g} 分）"
                info = item.help or None
                if item.kind == "multi":
                    comp = gr.CheckboxGroup(planning.item_choices(item), label=label + " · 可多选", info=info)
                else:
                    comp = gr.Radio(planning.item_choices(item), label=label, info=info)
                item_ids.append(item.id)
                item_inputs.append(comp)
    scenario_ids, scenario_inputs = [], []
    for cat in q.categories:
        with gr.Accordion(f"业务场景 · {cat.name}", open=False):
            for sc in (s for s in q.scenarios if s.category == cat.id):
                label = sc.name + ("（约束性场景）" if sc.constraint else "") + f" · 常用工具：{sc.tools}"
                scenario_inputs.append(gr.Radio(planning.scenario_choices(sc), label=label))
                scenario_ids.append(sc.id)
    run = gr.Button("计算评测结果", variant="primary", elem_id="assess-run")
    with gr.Row():
        result = gr.Markdown(elem_id="assess-result")
        # no label overlay: it covered the chart's own title (the estimated level) in the browser
        chart = gr.Image(label="自评雷达图：四个维度与16个业务场景", show_label=False, type="filepath", interactive=False,
                         buttons=["download"], elem_id="assess-chart")
    carry = gr.Button("用此结果制定改造方案 →", elem_id="assess-carry")
    n_items = len(item_inputs)

    def on_assess(*values):
        *answers, s = values
        answers = planning.answers_from_form(item_ids, answers[:n_items], scenario_ids, answers[n_items:])
        try:
            md, png, s = planning.assess(ctx, s, answers)
            return md, str(png), s
        except SmeAiError as e:
            return render.status_markdown("error", str(e)), None, ensure(s)

    run.click(on_assess, [*item_inputs, *scenario_inputs, session], [result, chart, session], api_name="assess",
              concurrency_limit=8, concurrency_id="assess")
    return carry


def _plan_tab(ctx, session):
    import gradio as gr
    from sme_ai.plan.catalog import industry_choices, tier_choices

    locked = ctx.settings.heavy_actions_locked
    gr.Markdown("### 企业信息\n填写后点击“生成改造方案”。方案逐节生成，每一节都引用政策资料；是否为试点城市请按实际情况填写。"
                + ("生成方案需要管理员口令。" if locked else ""))
    summary = gr.Markdown(planning.assessment_summary(None), elem_id="plan-assessment")
    with gr.Row():
        name = gr.Textbox(label="企业名称（可选）")
        industry = gr.Dropdown(industry_choices(), label="行业", allow_custom_value=True)
        detail = gr.Textbox(label="细分行业/主要产品")
    with gr.Row():
        region = gr.Textbox(label="地区（省市）", placeholder="例如：浙江省宁波市")
        pilot = gr.Radio(planning.PILOT_CHOICES, label="是否数字化转型试点城市", value="不确定")
        tier = gr.Dropdown(tier_choices(), label="企业类型（梯度层级）")
    with gr.Row():
        employees = gr.Number(label="员工人数", precision=0, minimum=1)
        revenue = gr.Number(label="年营业收入（万元）", minimum=0)
        budget = gr.Textbox(label="预算区间（万元）", placeholder="例如：20-50")
        months = gr.Slider(3, 36, value=12, step=1, label="时间周期（月）")
    systems = gr.Textbox(label="现有系统", placeholder="用顿号或逗号分隔，例如：财务软件、ERP")
    pains = gr.Textbox(label="痛点", placeholder="例如：设备利用率低、交期不准")
    goals = gr.Textbox(label="目标", placeholder="例如：设备联网、生产排程数字化")
    use = gr.Checkbox(value=True, label="使用自评结果（如已完成自评）")
    token = token_box(ctx, "plan-token", visible=locked)
    run = gr.Button("生成改造方案", variant="primary", elem_id="plan-run")
    section, redo = _redo_row()
    progress = gr.Markdown(elem_id="plan-progress")
    files = gr.File(label="下载方案（DOCX / Markdown）", file_count="multiple", interactive=False)
    plan_md = gr.Markdown(elem_id="plan-body")
    fields = [name, industry, detail, region, pilot, employees, revenue, tier, systems, pains, goals, budget, months]
    assert len(fields) == len(planning.PROFILE_FIELDS)

    def on_plan(request: gr.Request, *values):
        *form, use_assessment, tok, s = values
        s = ensure(s)
        for view in planning.draft(ctx, s, form, bool(use_assessment), tok, caller=caller(s, request)):
            yield view.progress, view.plan, (view.files or None), s

    # the token comes after the form, so the API's calls without it still work (it defaults to "")
    run.click(on_plan, [*fields, use, token, session], [progress, plan_md, files, session], api_name="plan",
              concurrency_limit=4, concurrency_id="plan")
    redo.click(_on_redo(ctx), [*fields, section, use, token, session], [progress, plan_md, files, session],
               api_name="plan_section", concurrency_limit=4, concurrency_id="plan")
    return summary


def _redo_row():
    """Redraft one section after editing the form ("预算只有30万", "先做质检"), keeping the others."""
    import gradio as gr

    with gr.Row():
        section = gr.Dropdown(planning.section_choices(), value="investment", label="修改企业信息后只重新生成一节",
                              info="例如把预算改成“30”后重新生成“投入估算与资金渠道”，或在痛点里写“先做质检”后重新生成场景一节")
        redo = gr.Button("重新生成这一节", elem_id="plan-redo")
    return section, redo


def _on_redo(ctx):
    import gradio as gr

    def on_redo(request: gr.Request, *values):
        *form, key, use_assessment, tok, s = values
        s = ensure(s)
        for view in planning.regenerate(ctx, s, form, key, bool(use_assessment), tok, caller=caller(s, request)):
            yield view.progress, view.plan, (view.files or None), s

    return on_redo
