"""Plan-side checks on a section's prose, after the answer engine's own verification:

- a cited sentence whose content the cited passages do not carry is dropped (character-bigram support);
- a sentence cited only to another industry's playbook is dropped (no 75 % 数控化率 from the electronics playbook
  in a garment plan);
- a level (一级…四级) stands in a cited passage's sentence together with the words around it, so a level is never
  bound to another subject ("试点地区的省级专精特新中小企业…三级和四级" where the source gives them 二级);
- a "label：quoted line" sentence keeps the label of the line it quotes ("月均产品合格率：看改造后每百元营业收入的综合
  能耗…" quotes the 绿色低碳 line under another indicator's name);
- a sentence that repeats one already in the plan is dropped;
- heading debris of flattened lists ("等级要点。") is dropped, and sentences that were list items in their passage
  stay list items ("- …" lines);
- a paragraph left with none of the enterprise's facts and no cited fact is replaced by the section's rule-built text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sme_ai.plan.catalog import load_rules
from sme_ai.plan.model import Reference
from sme_ai.text import bigrams

_SENT = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:\[\d+\])*")
_MARK = re.compile(r"\[(\d+)\]")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.、)）]|[①②③④⑤⑥⑦⑧⑨])\s*")
_NOISE = re.compile(r"[\s\W_\d]+")
SUPPORT_MIN = 0.35  # share of a cited sentence's bigrams found in its passages
LEVEL_MIN = 0.6  # share of the bigrams around a level found in the passage sentence that names the level
REPEAT_MIN = 0.7  # bigram Jaccard with an earlier sentence


def content(text: str) -> str:
    return _NOISE.sub("", _MARK.sub("", text))


def support(sentence: str, passages: list[str]) -> float:
    """Share of the sentence's content bigrams that stand in the best of the passages."""
    own = bigrams(content(sentence))
    if not own:
        return 1.0
    return max((len(own & bigrams(content(p))) / len(own) for p in passages), default=0.0)


def similar(a: str, b: str) -> float:
    """Jaccard of the content bigrams, or the share of `a` already said by `b` when that is higher: a sentence
    that only restates an earlier one with a few words added is a repeat too."""
    x, y = bigrams(content(a)), bigrams(content(b))
    if not x or not y:
        return 0.0
    return max(len(x & y) / len(x | y), len(x & y) / len(x) - 0.1)


_LEVEL = re.compile(r"[一二三四五]级")
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")
_STATEMENT = re.compile(r"[^。！？!?\n；;]+")
_LEAD_IN = re.compile(r"[：:]\s*$")


def level_bound(sentence: str, passages: list[str]) -> bool:
    """Every clause naming a level, read with the clause before it in the same item (the subject often stands
    there) unless that one names its own level, has its levels in one passage statement (a sentence, a list line,
    an item between semicolons) and most of its words in that statement or the lead-in before it ("到2027年，方案设定
    的目标包括："). Sibling statements do not combine: "试点地区的省级专精特新…三级" is not supported by a 三级 on the
    line above the one about 试点地区, nor "三级由系统生成计划" by "二级由系统生成计划；三级按…多约束自动排产".
    The project's reliability mark (待核实), which the model repeats after every item, is not a word of the claim."""
    sentences = [[x for x in _STATEMENT.findall(p) if x.strip()] for p in passages]
    for item in _STATEMENT.findall(_MARK.sub("", sentence).replace("待核实", "")):
        clauses = _CLAUSE.findall(item)
        for i, clause in enumerate(clauses):
            levels = set(_LEVEL.findall(clause))
            if not levels:
                continue
            before = clauses[i - 1] if i and not _LEVEL.search(clauses[i - 1]) else ""  # a subject, not a sibling
            own = bigrams(content(before + clause))
            holders = [(parts[k - 1] if k and _LEAD_IN.search(parts[k - 1]) else "") + x
                       for parts in sentences for k, x in enumerate(parts) if all(level in x for level in levels)]
            if own and not any(len(own & bigrams(content(w))) / len(own) >= LEVEL_MIN for w in holders):
                return False
    return True


_LABELLED = re.compile(r"^\s*(?:[-*•]\s*)?([^：:，,。；;]{2,16})[：:](.+)$", re.S)
_GENERIC_LABELS = frozenset("风险 对策 建议 注意 提示 措施 做法 要点 说明 原因 步骤 第一步 重点 目标".split())
QUOTED = 0.6  # share of the text after a label found in one passage line: the sentence quotes that line


def label_bound(sentence: str, passages: list[str]) -> bool:
    """A sentence "label：text" whose text quotes a passage line carries a label that line (or its passage's first
    line, a heading) supports: the model does not put one item's words under another item's name."""
    m = _LABELLED.match(_MARK.sub("", sentence))
    if not m or content(m.group(1)) in _GENERIC_LABELS:  # "风险：…" names no item of its own
        return True
    label, rest = bigrams(content(m.group(1))), bigrams(content(m.group(2)))
    if not label or not rest:
        return True
    lines = [(line, p.splitlines()[0] if p.strip() else "") for p in passages for line in p.splitlines() if line.strip()]
    quoted = [(line, head) for line, head in lines if len(rest & bigrams(content(line))) / len(rest) >= QUOTED]
    if not quoted:
        return True  # not a quotation of one line: the support check judges it
    return any(len(label & bigrams(content(line + head))) / len(label) >= 0.5 for line, head in quoted)


def other_industry_sections(industry_id: str) -> tuple[str, ...]:
    """The playbook section prefixes of every industry but this one."""
    rules = load_rules()
    return tuple(i.playbook_section for i in rules.industries if i.id != industry_id)


def is_list_item(sentence: str, passages: list[str]) -> bool:
    """The sentence is (most of) a list line of its passage."""
    own = bigrams(content(sentence))
    if len(own) < 4:
        return False
    for p in passages:
        for line in p.splitlines():
            if _LIST_LINE.match(line) and len(own & bigrams(content(line))) / len(own) >= 0.8:
                return True
    return False


_META = re.compile(r"本项目未检索到|相关内容待补|本知识库(没有|不提供|未)")


def _debris(sentence: str) -> bool:
    """Heading and label fragments of a flattened list (short, or a bare "label：" stub), and notes about the
    knowledge base itself rather than about the enterprise ("本项目未检索到…")."""
    core = _MARK.sub("", sentence).strip("。；; ")
    return (len(content(core)) < 6 or core.endswith(("：", ":")) or bool(re.fullmatch(r".{0,12}(要点|说明|如下)", core))
            or bool(_META.search(core)))


def off_topic_words(profile) -> tuple[str, ...]:
    """Words of sentences that do not concern this enterprise: 专精特新 recognition for a firm of another tier, the
    pilot cities' own targets for a firm whose city is not one."""
    tier = () if profile.tier in ("专精特新中小企业", "专精特新“小巨人”", "创新型中小企业") else ("专精特新", "小巨人")
    pilot = ("试点地区", "试点企业", "试点期满", "财政支持中小企业数字化转型试点") if profile.pilot_city is False else ()
    return tier + pilot


@dataclass
class Checked:
    text: str
    dropped: dict[str, int] = field(default_factory=dict)
    replaced: bool = False


def check_prose(body: str, refs: dict[int, Reference], *, terms: set[str], seen: list[str], fallback: str,
                other_sections: tuple[str, ...], off_topic: tuple[str, ...] = ()) -> Checked:
    """`seen`: sentences already in the plan (appended to); `terms`: the enterprise's own facts."""
    kept: list[tuple[str, bool]] = []  # (sentence, is list item)
    dropped = {"unsupported": 0, "cross_industry": 0, "repeated": 0, "debris": 0, "off_topic": 0, "misbound_level": 0,
               "relabelled": 0}
    for raw in _SENT.findall(body):
        s = raw.strip().lstrip("-*• ").strip()
        if not s:
            continue
        cited = [refs[int(n)] for n in _MARK.findall(s) if int(n) in refs]
        texts = [r.text or r.quote for r in cited]
        reason = None
        if _debris(s):
            reason = "debris"
        elif any(w in s for w in off_topic):
            reason = "off_topic"
        elif cited and all(r.section.startswith(other_sections) for r in cited if r.section) and \
                any(r.section for r in cited):
            reason = "cross_industry"
        elif cited and support(s, texts) < SUPPORT_MIN:
            reason = "unsupported"
        elif cited and not level_bound(s, texts):
            reason = "misbound_level"
        elif cited and not label_bound(s, texts):
            reason = "relabelled"
        elif any(similar(s, t) >= REPEAT_MIN for t in seen + [k for k, _ in kept]):
            reason = "repeated"
        if reason:
            dropped[reason] += 1
            continue
        kept.append((s, bool(cited) and is_list_item(s, texts)))
    has_fact = any(_MARK.search(s) for s, _ in kept) or any(t in s for s, _ in kept for t in terms)
    if not kept or not has_fact:
        seen.append(fallback)
        return Checked(text=fallback, dropped={k: v for k, v in dropped.items() if v}, replaced=True)
    seen += [s for s, _ in kept]
    return Checked(text=_join(kept), dropped={k: v for k, v in dropped.items() if v})


def _join(kept: list[tuple[str, bool]]) -> str:
    out, prev_list = "", False
    for s, item in kept:
        if item:
            out += ("\n" if out else "") + f"- {s}"
        else:
            out += ("\n" if prev_list else "") + s
        prev_list = item
    return out.strip()


def enterprise_terms(profile, scenario_names: list[str]) -> set[str]:
    """The enterprise's own facts as words a paragraph about it would use."""
    rules = load_rules()
    texts = list(profile.pain_points) + list(profile.goals)
    words = {w for row in rules.pain_points for w in row.words for t in texts if w in t and len(w) >= 2}
    own = [profile.name, profile.industry, profile.industry_detail, *profile.systems, *scenario_names,
           f"{profile.employees}人", f"{profile.revenue_wan:g}万元"]
    if profile.budget_wan:
        own.append(profile.budget_wan.label())
    return {t for t in own + sorted(words) + texts if t and len(t) >= 2}
