"""Answers → points per item and dimension, level per scenario, the estimated overall level.

Answers are a plain dict, from a form, a YAML/JSON file or the interactive CLI:

    {"items": {"network": ["plant_control_network"], "equipment_network_rate": "r20_40", ...},
     "scenarios": {"product_design": 2, "营销管理": "一级", ...}}

Items and options are named by id or by their Chinese name/label; a scenario level is 0–4 (0: below level 1)
or its Chinese name. A flat dict (item and scenario keys at the top level) is accepted too. Unanswered items
score 0 and unanswered scenarios count as level 0; both are listed in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sme_ai.assess.indicators import LEVEL_NAMES, Item, Questionnaire
from sme_ai.assess.model import Assessment, DimensionScore, ItemScore, LevelCheck, ScenarioLevel
from sme_ai.errors import AssessmentInputError

_LEVEL_WORDS = {v: k for k, v in LEVEL_NAMES.items()} | {"未达到一级": 0, "无": 0, "零级": 0}
_NONE_WORDS = {"", "none", "无", "没有", "都没有", "以上都没有"}


@dataclass
class Normalised:
    items: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scenarios: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


def _split(answers: dict, q: Questionnaire) -> tuple[dict, dict, list[tuple[str, str]]]:
    if not isinstance(answers, dict):
        raise AssessmentInputError([("answers", "答案应是一个字典（items: 各题答案，scenarios: 各场景等级）")])
    if "items" in answers or "scenarios" in answers:
        extra = [k for k in answers if k not in ("items", "scenarios")]
        items, scenarios = answers.get("items") or {}, answers.get("scenarios") or {}
        problems = [(k, "无法识别的顶层字段（只接受 items 和 scenarios）") for k in extra]
        if not isinstance(items, dict) or not isinstance(scenarios, dict):
            problems.append(("items/scenarios", "items 和 scenarios 都应是字典"))
            items, scenarios = {}, {}
        return items, scenarios, problems
    items = {k: v for k, v in answers.items() if q.item(str(k))}
    scenarios = {k: v for k, v in answers.items() if q.scenario(str(k))}
    problems = [(str(k), "不是评测题目或业务场景的名称") for k in answers if k not in items and k not in scenarios]
    return items, scenarios, problems


def _options(item: Item, value, out: Normalised) -> None:
    values = value if isinstance(value, list | tuple) else [value]
    values = [str(v).strip() for v in values if v is not None and str(v).strip().lower() not in _NONE_WORDS]
    if item.kind == "single" and len(values) != 1:
        if values:
            out.problems.append((item.name, f"单选题只能选一项，收到 {len(values)} 项"))
        return
    chosen = []
    for v in values:
        opt = item.option(v)
        if opt is None:
            choices = "、".join(f"{o.id}（{o.label}）" for o in item.options)
            out.problems.append((item.name, f"选项“{v}”不存在；可选：{choices}"))
        elif opt.id not in chosen:
            chosen.append(opt.id)
    out.items[item.id] = tuple(chosen)


def _level(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 4 else None
    text = str(value).strip()
    if text.isdigit():
        return _level(int(text))
    return _LEVEL_WORDS.get(text)


def normalise_answers(q: Questionnaire, answers: dict) -> Normalised:
    items, scenarios, problems = _split(answers, q)
    out = Normalised(problems=problems)
    for key, value in items.items():
        item = q.item(str(key))
        if item is None:
            out.problems.append((str(key), "没有这道题；题目编号见 `sme-ai assess` 问卷或 questionnaire()"))
        else:
            _options(item, value, out)
    for key, value in scenarios.items():
        sc = q.scenario(str(key))
        level = _level(value)
        if sc is None:
            out.problems.append((str(key), "没有这个业务场景；16个场景见 questionnaire()"))
        elif level is None:
            out.problems.append((sc.name, f"场景等级应为0–4（0表示未达到一级）或“一级”…“四级”，收到“{value}”"))
        else:
            out.scenarios[sc.id] = level
    if out.problems:
        raise AssessmentInputError(out.problems)
    return out


def score_item(item: Item, chosen: tuple[str, ...] | None) -> ItemScore:
    picked = [o for o in item.options if o.id in (chosen or ())]
    points = sum(o.points for o in picked)
    if item.kind == "multi":
        missing = [o.label for o in item.options if o not in picked]
    else:
        missing = [o.label for o in item.options if o.points > points]
    return ItemScore(id=item.id, name=item.name, group=item.group, dimension=item.dimension, kind=item.kind,
                     points=round(points, 3), max=item.points, selected=[o.label for o in picked], missing=missing,
                     answered=chosen is not None)


def level_checks(q: Questionnaire, score: float, levels: dict[str, int], rules=None) -> list[LevelCheck]:
    constraint = {s.id for s in q.scenarios if s.constraint}
    checks = []
    for rule in rules or q.level_rules.levels:
        at = [sid for sid, lv in levels.items() if lv >= rule.level]
        checks.append(LevelCheck(level=rule.level, min_score=rule.min_score, score_ok=score >= rule.min_score - 1e-9,
                                 min_scenarios=rule.min_scenarios, scenarios_at_level=len(at),
                                 min_constraint=rule.min_constraint,
                                 constraint_at_level=len([s for s in at if s in constraint])))
    return checks


def overall_level(checks: list[LevelCheck]) -> int:
    """The highest level whose conditions are met, all lower levels being met too (0: below level 1)."""
    level = 0
    for check in sorted(checks, key=lambda c: c.level):
        if not check.met:
            break
        level = check.level
    return level


def _alternative_level(q: Questionnaire, score: float, levels: dict[str, int]) -> int:
    alt = q.level_rules.alternative
    if alt is None:
        return overall_level(level_checks(q, score, levels))
    replaced = {r.level: r for r in alt.levels}
    rules = [replaced.get(r.level, r) for r in q.level_rules.levels]
    return overall_level(level_checks(q, score, levels, rules))


def score_answers(q: Questionnaire, norm: Normalised) -> Assessment:
    dimensions = []
    for dim in q.dimensions:
        items = [score_item(i, norm.items.get(i.id)) for i in dim.items]
        dimensions.append(DimensionScore(id=dim.id, name=dim.name, en=dim.en, max=dim.points, items=items,
                                         points=round(sum(i.points for i in items), 3)))
    levels = {s.id: norm.scenarios.get(s.id, 0) for s in q.scenarios}
    scenarios = [ScenarioLevel(id=s.id, name=s.name, en=s.en, category=s.category,
                               category_name=q.category(s.category).name, constraint=s.constraint,
                               level=levels[s.id], description=s.levels.get(levels[s.id], "未达到一级"),
                               answered=s.id in norm.scenarios) for s in q.scenarios]
    score = round(sum(d.points for d in dimensions), 3)
    checks = level_checks(q, score, levels)
    level = overall_level(checks)
    alt = _alternative_level(q, score, levels)
    bands = [b.level for b in q.level_bands_2022.bands if score >= b.min_score - 1e-9]
    unanswered = [i.name for d in dimensions for i in d.items if not i.answered]
    unanswered += [s.name for s in scenarios if not s.answered]
    return Assessment(
        version=q.version, reading=q.reading, caveats=list(q.caveats),
        answers={"items": {k: list(v) for k, v in norm.items.items()}, "scenarios": dict(norm.scenarios)},
        unanswered=unanswered, dimensions=dimensions, score=score, score_max=q.score_max, scenarios=scenarios,
        checks=checks, level=level, level_alternative=alt if alt != level else None,
        alternative_note=q.level_rules.alternative.note if q.level_rules.alternative and alt != level else "",
        level_2022_bands=max(bands, default=0), next_level=level + 1 if level < 4 else None)
