"""Which named subjects of a closed kind a text is about — the 16 business scenarios of the evaluation indicators
and the industries that have their own transformation plan — and whether a source sentence is about another
subject of the same kind than the question. "设备管理场景做到最高一级是什么水平" is not answered by 生产管控's
"四级：借助人工智能监测和预警生产过程", nor "食品企业的数控化率要求" by the 电子信息 plan's 85 %: the corpus writes each
scenario's levels and each plan's targets under its own heading, and a level sentence ("三级：…") names no subject
itself, so a sentence that names none is about its section's (like `places.other_place` for cities and
`generate.context.other_tier` for the tiers of 优质中小企业).
"""

from __future__ import annotations

import re

from sme_ai.question import own_question

# the 16 business scenarios of 数字化经营 in the 2024 indicators (the assessment's questionnaire holds the same names:
# tests/test_subjects.py keeps the two equal)
SCENARIOS = ("产品设计", "工艺设计", "营销管理", "售后服务", "计划排程", "生产管控", "质量管理", "设备管理", "安全生产",
             "能耗管理", "采购管理", "仓储物流", "财务管理", "人力资源", "协同办公", "决策支持")
# industry → how the corpus and owners name it; "电子" alone is not the industry ("电子表格", "电子台账")
INDUSTRIES = {
    "机械": r"机械|装备制造",
    "电子信息": r"电子信息|电子行业|电子厂|电子企业|电子制造",
    "汽车": r"汽车",
    "医药": r"医药",
    "化工": r"化工|石化",
    "纺织服装": r"纺织|服装",
    "食品": r"食品",
    "轻工": r"轻工",
    "原材料": r"原材料|钢铁|有色金属|建材",
}
_KINDS = {"scenario": {name: re.compile(name) for name in SCENARIOS},
          "industry": {name: re.compile(pattern) for name, pattern in INDUSTRIES.items()}}


def subjects_in(text: str) -> dict[str, frozenset[str]]:
    """kind → the subjects of that kind `text` names (kinds it names none of are left out)."""
    out = {}
    for kind, names in _KINDS.items():
        found = frozenset(name for name, pattern in names.items() if pattern.search(text))
        if found:
            out[kind] = found
    return out


def asked_subjects(question: str) -> dict[str, frozenset[str]]:
    """The subjects a question asks about: a rewritten follow-up's own question first ("那设备管理呢？（接上一问：…质量
    管理…）" asks about 设备管理), kind by kind; the earlier question's where the own one names none of a kind."""
    own, earlier = own_question(question)
    return {**subjects_in(earlier), **subjects_in(own)}


def other_subject(asked: dict[str, frozenset[str]], sentence: str, section: str = "") -> bool:
    """The sentence (or, when it names none of a kind, its section — the last part of the heading path) is about
    subjects of a kind the question asks about, and about none of the asked ones."""
    if not asked:
        return False
    said, heading = subjects_in(sentence), None
    for kind, wanted in asked.items():
        named = said.get(kind)
        if named is None:
            heading = subjects_in(section.split(" > ")[-1]) if heading is None else heading
            named = heading.get(kind)
        if named and not named & wanted:
            return True
    return False
