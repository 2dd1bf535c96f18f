"""The plan tab's handlers (plain functions, no gradio): the rule-built plan on screen before the prose, and one
section redrafted after the owner edits the profile form."""

import pytest

from sme_ai.app import planning


@pytest.fixture
def ctx(corpus_ctx):
    return corpus_ctx


def _form(**changes):
    profile = {**planning.EXAMPLE_PROFILE, **changes}
    return [profile[k] for k in planning.PROFILE_FIELDS]


def test_outline_is_shown_before_the_prose_then_one_section_is_redrafted(ctx):
    session = planning.ensure(None)
    views = list(planning.draft(ctx, session, _form(), False))
    first = next(v for v in views if "规则部分已生成" in v.progress)
    assert "| 阶段 | 投入项 |" in first.plan and "| 指标 |" in first.plan  # budget and KPI tables already there
    assert views.index(first) < next(i for i, v in enumerate(views) if "第 1/" in v.progress)
    before = session.plan
    redo = list(planning.regenerate(ctx, session, _form(budget_wan="30"), "investment", False))
    final = redo[-1]
    assert "已重新生成“投入估算与资金渠道”一节" in final.progress and len(final.files) == 2
    assert session.plan.profile.budget_wan.max == 30 and before.profile.budget_wan.max == 50
    assert session.plan.section("risks").body.replace("[", "").strip() != ""
    assert [k for _, k in planning.section_choices()][0] == "diagnosis"


def test_redrafting_without_a_plan_says_what_to_do(ctx):
    views = list(planning.regenerate(ctx, None, _form(), "investment"))
    assert "请先点击“生成改造方案”" in views[-1].progress
