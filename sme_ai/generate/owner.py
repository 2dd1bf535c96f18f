"""Applicability: the owner's own figures set against the conditions of the cited passages.

"我们年营收3000万左右，研发一年投120万，在这个细分领域做了5年。能不能去申报省级专精特新？" states three facts; the
passage says "上年度营业收入不低于1000万元", "研发费用不低于100万元，且占营业收入的比重不低于3%", "从事特定细分市场时
间达到2年及以上", "评价得分达到60分以上". `owner_check` pairs a fact with a condition only when both are about the same
measure (营业收入, 研发费用, 研发占比, 年限, 人数, 得分, 资产负债率, 市场占有率, 主营业务收入占比) in the same kind of
unit, and says for each pair whether the owner's figure meets it; a condition of the same passages that none of the
owner's facts speaks to is named as still to be checked. Nothing is guessed: a clause that only applies to some
firms ("营业收入不足1000万元的，…") is not read as a condition, and a figure given as "左右/多/几" that lies near the
threshold is "接近，需核实", never "满足".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sme_ai.generate.context import RUMOUR, Passage, other_tier, tiers
from sme_ai.text import bigrams, marked_sentences, split_sentences

# questions that ask whether the owner qualifies
ASKS = re.compile(r"能不能|能否|可不可以|可以申请|能申请|能申报|符合|够不够|够格|够得上|算不算|有没有资格|资格|有戏|有机会|"
                  r"会不会卡|卡住|达标|门槛|条件")

_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_NUM = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+"
_APPROX = r"来|多|几|余|左右|上下|出头"
_UNIT = r"个亿|亿元|亿|万元|万|元|%|％|成|年半|年|个人|号人|人|名|分"
_FIGURE = re.compile(rf"(?P<num>{_NUM})\s*(?P<approx>{_APPROX})?\s*(?P<unit>{_UNIT})(?P<after>{_APPROX})?")
_AT_LEAST = r"不低于|不少于|达到|超过|高于|大于|≥|>="
_AT_MOST = r"不高于|不超过|不足|低于|少于|小于|≤|<="
_CONDITION = re.compile(rf"(?P<before>{_AT_LEAST}|{_AT_MOST})?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>亿元|亿|万元|万|元|%|％|年|人|分)"
                        rf"\s*(?P<after>及以上|以上|及以下|以下)?")
_CLAUSE = re.compile(r"[^，,；;。！？!?：:\n]+")
MAX_LINES = 5


def cn_number(text: str) -> float | None:
    """Arabic or Chinese numerals: "120" → 120, "一千五百" → 1500, "两百" → 200, "五十" → 50, "十" → 10."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, digit = 0, None
    for ch in text:
        if ch in _CN:
            digit = _CN[ch]
        elif ch in _CN_UNIT:
            total += (1 if digit is None else digit) * _CN_UNIT[ch]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


def _kind_and_value(number: float, unit: str) -> tuple[str, float]:
    """('money', 元) | ('share', %) | ('years', 年) | ('people', 人) | ('points', 分)."""
    if unit in ("个亿", "亿元", "亿"):
        return "money", number * 1e8
    if unit in ("万元", "万"):
        return "money", number * 1e4
    if unit == "元":
        return "money", number
    if unit in ("%", "％"):
        return "share", number
    if unit == "成":
        return "share", number * 10
    if unit in ("年", "年半"):
        return "years", number + (0.5 if unit == "年半" else 0)
    if unit in ("个人", "号人", "人", "名"):
        return "people", number
    return "points", number


def _measure(kind: str, clause: str, sentence: str) -> str | None:
    """Which measure a figure in `clause` (of `sentence`) is about, from the words around it."""
    if kind == "money":
        if "研发" in clause:
            return "研发费用"
        if "融资" in clause:
            return "股权融资"
        if re.search(r"营收|营业收入|年收入|销售额|产值", clause):
            return "营业收入"
    elif kind == "share":
        if "资产负债率" in clause:
            return "资产负债率"
        if re.search(r"占有率|份额|市场.{0,4}占", clause):
            return "市场占有率"
        if "主营业务" in clause:
            return "主营业务收入占比"
        if "研发人员" in clause:
            return "研发人员占比"
        if "研发" in clause or "研发" in sentence and re.search(r"比重|占比|强度", clause):
            return "研发费用占营业收入比重"
    elif kind == "years":
        if re.search(r"细分|从事|做了|干了|成立|经营|做这行|入行", clause):
            return "从事细分市场的年限"
    elif kind == "people":
        if re.search(r"员工|职工|从业人员|人", clause):
            return "从业人员"
    elif kind == "points" and re.search(r"评价|得分|打分|评分|分数", clause):
        return "评价得分"
    return None


@dataclass(frozen=True)
class Fact:
    measure: str
    value: float
    approx: bool
    text: str  # the owner's own words for it ("3000万左右", "不到1000万")
    below: bool = False  # "不到1000万": the figure is less than `value`


@dataclass(frozen=True)
class Condition:
    measure: str
    value: float
    at_least: bool
    text: str  # the source clause, with the clause naming whom it is for ("营业收入1亿元及以上的，…不低于3%")
    n: int     # the passage that says it
    scope: tuple["Condition", ...] = ()  # whom it is for, where that is a figure ("营业收入1亿元及以上的")

    def met_by(self, fact: "Fact") -> bool | None:
        """Whether the owner's figure meets it; None when a "不到 F" figure cannot tell."""
        if fact.below:  # the figure is less than fact.value
            if fact.value <= self.value:
                return not self.at_least
            return None
        return fact.value >= self.value if self.at_least else fact.value <= self.value


def owner_facts(question: str) -> list[Fact]:
    """The figures the owner states about the firm, each with the measure it is about (unknown ones dropped)."""
    out: dict[str, Fact] = {}
    for clause in _CLAUSE.findall(question):
        for m in _FIGURE.finditer(clause):
            number = cn_number(m.group("num"))
            if number is None:
                continue
            kind, value = _kind_and_value(number, m.group("unit"))
            if kind == "years" and (value > 60 or re.match(r"\s*(?:前|后|底|初|开始|办)", clause[m.end():])):
                continue  # "九几年办的", "2027年才开始": a date, not how long
            measure = _measure(kind, clause[: m.end()], question) or _measure(kind, clause, question)
            if measure and measure not in out:
                below = bool(re.search(r"(?:不到|不足|没到|没有|低于|不够)\s*$", clause[: m.start()]))
                approx = not below and bool(m.group("approx") or m.group("after")
                                            or re.search(r"大概|大约|约|估算|左右", clause))
                text = ("不到" if below else "") + m.group(0).strip()
                out[measure] = Fact(measure, value, approx, text, below)
    rd, rev, share = out.get("研发费用"), out.get("营业收入"), "研发费用占营业收入比重"
    if rd and rev and share not in out and not rd.below and not rev.below and rev.value > 0:
        out[share] = Fact(share, 100 * rd.value / rev.value, rd.approx or rev.approx,
                          f"研发{rd.text}、营收{rev.text}（按两者之比）")
    return list(out.values())


_RANGE = re.compile(r"(?P<lo>\d+(?:\.\d+)?)\s*(?P<lo_unit>亿元|亿|万元|万)?\s*(?:至|到|—|–|-|~|～)\s*"
                    r"(?P<hi>\d+(?:\.\d+)?)\s*(?P<hi_unit>亿元|亿|万元|万)")
_ITEM = re.compile(r"^(?:[-*•]\s*|\d{1,2}[.、)）]\s*)+")


def _figures(clause: str, sentence: str, n: int, fallback: str | None = None) -> list[Condition]:
    """The conditions one clause states; `fallback` is the measure of a clause that names none ("5000万元至1亿元的"
    after "营业收入1亿元及以上的")."""
    out = []
    for m in _RANGE.finditer(clause):  # "5000万元至1亿元": at least the one, at most the other
        measure = _measure("money", clause[: m.end()], sentence) or fallback
        if measure:
            for num, unit, at_least in ((m.group("lo"), m.group("lo_unit") or m.group("hi_unit"), True),
                                        (m.group("hi"), m.group("hi_unit"), False)):
                out.append(Condition(measure, _kind_and_value(float(num), unit)[1], at_least, clause.strip(), n))
    if out:
        return out
    for m in _CONDITION.finditer(clause):
        before, after = m.group("before"), m.group("after")
        if not before and not after:
            continue
        kind, value = _kind_and_value(float(m.group("num")), m.group("unit"))
        measure = _measure(kind, clause[: m.end()], sentence) or (fallback if kind == "money" else None)
        if measure:
            at_least = bool(before and re.fullmatch(_AT_LEAST, before) or after and "以上" in after)
            out.append(Condition(measure, value, at_least, clause.strip(), n))
    return out


def _conditions(sentence: str, n: int) -> list[Condition]:
    """A sentence's conditions. A clause ending in 的 says whom the next clauses are for ("营业收入不足1000万元的，近2年
    新增股权融资须不低于2000万元"): it is kept as their scope, never read as a condition itself; a scope that names no
    measure ("不足5000万元的") has the measure of the scope before it."""
    out: list[Condition] = []
    scope_text, scope, scope_measure = "", (), None
    for clause in _CLAUSE.findall(sentence):
        if clause.rstrip().endswith("的"):
            scope_text = _ITEM.sub("", clause.strip()) + "，"
            scope = tuple(_figures(clause, sentence, n, scope_measure))
            scope_measure = scope[0].measure if scope else scope_measure
            continue
        found = _figures(clause, sentence, n)
        if not found and scope and out:  # "5000万元至1亿元的，均不低于6%": the measure of the condition before
            found = [Condition(c.measure, c.value, c.at_least, clause.strip(), n)
                     for c in _figures(out[-1].measure + clause, sentence, n)]
        for c in found:
            text = re.sub(r"^(?:且|并且|并|同时|而且)", "", _ITEM.sub("", c.text))
            out.append(Condition(c.measure, c.value, c.at_least, scope_text + text, n, scope))
    return out


def conditions(question: str, passages: list[Passage]) -> list[Condition]:
    """The conditions the passages state (about the tier the question asks about), in passage order."""
    asked, out, seen = tiers(question), [], set()
    for p in passages:
        section = p.hit.chunk.section or ""
        for sentence in split_sentences(p.hit.chunk.text):
            if RUMOUR.search(sentence) or other_tier(asked, sentence, section):
                continue
            for c in _conditions(sentence, p.n):
                if (c.measure, c.value, c.at_least) not in seen:
                    seen.add((c.measure, c.value, c.at_least))
                    out.append(c)
    return out


def _applies(cond: Condition, facts: dict[str, Fact]) -> bool:
    """False when the owner's own figures put the firm outside the condition's scope."""
    return all(s.measure not in facts or s.met_by(facts[s.measure]) is not False for s in cond.scope)


def _verdict(fact: Fact, cond: Condition) -> str:
    meets = cond.met_by(fact)
    if meets is None:
        return "是否满足，需按准确数字核实"
    if fact.approx and abs(fact.value - cond.value) <= 0.15 * max(cond.value, 1e-9):
        return "接近这一条件，需按准确数字核实"
    return "满足" if meets else "不满足"


def owner_check(question: str, passages: list[Passage]) -> tuple[str, list[int]]:
    """The comparison block for an applicability question (and the passages it cites), or ("", [])."""
    if not ASKS.search(question):
        return "", []
    facts = owner_facts(question)
    conds = conditions(question, passages) if facts else []
    by_measure = {f.measure: f for f in facts}
    conds = [c for c in conds if _applies(c, by_measure)]
    lines, used, judged = [], [], {}
    for c in conds:
        if c.measure in by_measure:
            judged.setdefault(c.measure, []).append(c)
    for measure, conds_of in list(judged.items())[:MAX_LINES]:  # one line per measure, each condition judged
        fact = by_measure[measure]
        said = "；".join(f"资料要求“{c.text}”[{c.n}]，{_verdict(fact, c)}" for c in conds_of)
        lines.append(f"{measure}：您提到{fact.text}；{said}。")
        used += [c.n for c in conds_of]
    if not lines:
        return "", []
    matched_from = set(used)
    rest = [c for c in conds if c.measure not in by_measure and c.n in matched_from][:2]
    if rest:
        lines.append("您没有提到、还需自行核对的条件：" + "；".join(f"{c.text}[{c.n}]" for c in rest) + "。")
        used += [c.n for c in rest]
    head = "对照您提到的情况（按资料中的条件逐条核对，仅供参考，以主管部门的认定为准）："
    return head + "\n" + "\n".join(lines), sorted(set(used))


def _for_others(sentence: str, facts: dict[str, Fact]) -> bool:
    """Every rule the sentence states is for firms the owner's figures rule out ("营业收入不足1000万元的，…" to an owner
    with 3000万)."""
    found = _conditions(re.sub(r"\[\d+\]", "", sentence), 0)
    return bool(found) and all(c.scope and not _applies(c, facts) for c in found)


def with_check(question: str, body: str, block: str) -> str:
    """The answer with the comparison block under it. A sentence of the answer that the block quotes again (its
    bigrams stand in the block) is left to the block, so nothing is said twice, and one that only states rules
    for other firms than the owner's is left out."""
    def plain(t: str) -> str:
        return re.sub(r"\[\d+\]|[^\u4e00-\u9fff\d%]", "", t)

    quoted, facts = bigrams(plain(block)), {f.measure: f for f in owner_facts(question)}
    kept = [s for s in marked_sentences(body)
            if (not (g := bigrams(plain(s))) or len(g & quoted) < 0.8 * len(g)) and not _for_others(s, facts)]
    rest = "".join(kept).strip()
    return (rest + "\n\n" if rest else "") + block
