"""The interface front ends call: the questionnaire, the assessment, the plan (streamed or not) and its export.

    q = questionnaire()                          # items with options, the 16 scenarios with level descriptions
    a = assess(asst, answers)                    # points, levels, gaps (each with a corpus passage)
    for event in draft_plan_stream(asst, profile, a):
        ...                                      # PlanProgress(k, n, title) per section, then the Plan
    export_docx(plan, "plan.docx"); export_markdown(plan, "plan.md")
"""

from __future__ import annotations

from collections.abc import Iterator

from sme_ai.assess.indicators import Questionnaire, load_questionnaire
from sme_ai.assess.model import Assessment
from sme_ai.errors import EmptyKnowledgeBaseError
from sme_ai.plan.export import export_docx, export_markdown
from sme_ai.plan.model import Plan, PlanProgress
from sme_ai.plan.profile import EnterpriseProfile, load_profile

__all__ = ["Assessment", "EnterpriseProfile", "Plan", "PlanProgress", "Questionnaire", "assess", "draft_plan",
           "draft_plan_stream", "export_docx", "export_markdown", "questionnaire"]


def questionnaire() -> Questionnaire:
    """What a form needs: the scored items with their options and points, and the 16 business scenarios with
    their four level descriptions (level 0, 未达一级, is the form's extra choice)."""
    return load_questionnaire()


def assess(asst, answers: dict) -> Assessment:
    """Score the answers; the gaps to the next level carry the corpus passage found through `asst.search`
    (no evidence when `asst` is None)."""
    from sme_ai.assess.gaps import attach_evidence, find_gaps
    from sme_ai.assess.scoring import normalise_answers, score_answers

    q = load_questionnaire()
    result = score_answers(q, normalise_answers(q, answers))
    gaps = find_gaps(q, result)
    if asst is not None:
        gaps = attach_evidence(asst, gaps)
    return result.model_copy(update={"gaps": gaps})


def as_assessment(asst, assessment: Assessment | dict | None) -> Assessment | None:
    if assessment is None or isinstance(assessment, Assessment):
        return assessment
    if "level" in assessment and "dimensions" in assessment:  # a saved Assessment (model_dump / JSON)
        return Assessment.model_validate(assessment)
    return assess(asst, assessment)  # answers


def draft_plan_stream(asst, profile: dict | EnterpriseProfile,
                      assessment: Assessment | dict | None = None) -> Iterator[PlanProgress | Plan]:
    """PlanProgress(k, n, title) before each section, then the Plan. In the extractive mode (`asst.llm` is None)
    the plan is complete without a model. `assessment` may be an Assessment, its dict, or the raw answers."""
    from sme_ai.plan.draft import draft_stream
    from sme_ai.plan.rules import decide
    from sme_ai.plan.sections import Context

    p = load_profile(profile)
    a = as_assessment(asst, assessment)
    if not asst.documents():
        raise EmptyKnowledgeBaseError(asst.settings.data_dir)
    industry, target, scenarios, phases, kpis = decide(p, a)
    ctx = Context(profile=p, assessment=a, industry=industry, target=target, scenarios=scenarios, phases=phases,
                  kpis=kpis)
    yield from draft_stream(asst, ctx, asst.llm)


def draft_plan(asst, profile: dict | EnterpriseProfile, assessment: Assessment | dict | None = None) -> Plan:
    plan = None
    for event in draft_plan_stream(asst, profile, assessment):
        if isinstance(event, Plan):
            plan = event
    assert plan is not None
    return plan
