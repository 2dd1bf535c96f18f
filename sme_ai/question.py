"""What a question is before it is answered: the length guard and follow-up detection.

Front ends use these too (the app's answer cache must know whether a question depends on the conversation), so
they live below every stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sme_ai.errors import EmptyQuestionError, QuestionTooLongError
from sme_ai.text import tokenize

# words that make a question lean on the previous one: "那小微企业呢？", "它的条件", "其中哪些"
FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|其中|它|这个|这|该|此|同样|and|what about|how about)|[呢吗]？?$|它|其|这个|那个|上述",
                       re.I)


def check_question(question: str, limit: int) -> str:
    """The question stripped; an empty one or one over `limit` characters is a clear error."""
    q = (question or "").strip()
    if not q:
        raise EmptyQuestionError()
    if len(q) > limit:
        raise QuestionTooLongError(len(q), limit)
    return q


# investment advice (which stock or coin to buy) is no question policy documents answer, however many of their words
# it shares ("数字化转型概念股"): quoting sectors from a policy as if they were picks is worse than no answer
_INVESTMENT_ADVICE = re.compile(r"概念股|炒股|股价|涨停|哪只股|买哪只|比特币|虚拟货币|加密货币|"
                                r"(?:推荐|买|入手|抄底)[^，。？?]{0,6}(?:股票|个股|币)|bitcoin|crypto|"
                                r"\b(?:buy|pick|recommend)\b.{0,20}\bstocks?\b|"
                                r"\bstocks?\b.{0,20}\b(?:buy|pick)\b", re.I)


def asks_investment_advice(question: str) -> bool:
    return bool(_INVESTMENT_ADVICE.search(question))


# words of a question that repeats what someone said ("听说…", "网上说…是真的吗"): the listed rumours (误传) of the
# corpus are evidence for it; for any other question they are noise
HEARSAY = re.compile(r"听说|据说|听人说|网上|网传|有人说|有文章|文章说|同行说|咨询公司|说是|传言|是真的|是不是真的|应该是|是不是")


def is_hearsay(question: str) -> bool:
    return bool(HEARSAY.search(question))


# how a follow-up rewritten into a standalone question carries the owner's previous question
# (`generate.answer.standalone_question`): "那小微企业呢？（接上一问：2027年上云率目标是多少？）"
FOLLOWS = "（接上一问："


def own_question(question: str) -> tuple[str, str]:
    """(what the owner asks now, the earlier question it follows or "")."""
    own, mark, earlier = question.partition(FOLLOWS)
    return (own, earlier.rstrip("）")) if mark else (question, "")


# where a question that asks two things divides: "？", "；", and "，那…" / "，另外…" (not "那些", "那个")
_PARTS = re.compile(r"[？?；;]|[，,]\s*(?=那(?!些|个|么)|另外|还有|以及)")
# "A和B各是多少" / "A与B分别是什么": two subjects of one question, divided at the last 和/与 before 各/分别 (so that
# "工业和信息化部" stays whole when another 和 follows)
_PAIR = re.compile(r"^(.*)(?:和|与|跟|以及)(.+?(?:各|分别).*)$")


def _han_len(text: str) -> int:
    return len(re.sub(r"[^\u4e00-\u9fffA-Za-z]", "", text))


def sub_questions(question: str) -> list[str]:
    """The parts of a question that asks two things ("长治是第几批试点城市？长治的专项资金是怎么分配的？", "…要达到一定
    比例，那“二级”对应多少分？", "全国的数控化率目标和汽车行业的数控化率目标各是多少？"); one part for a question that
    asks one. A rewritten follow-up's earlier question is context, never a part."""
    own, _ = own_question(question)
    parts = []
    for p in _PARTS.split(own):
        pair = _PAIR.match(p)
        parts += [pair.group(1), pair.group(2)] if pair and min(map(_han_len, pair.groups())) >= 4 else [p]
    parts = [p for p in parts if _han_len(p) >= 4]
    return parts if len(parts) >= 2 else [question]


# what kind of value a question asks for, and how that value looks in a source sentence (the expected answer
# type of question answering): "哪天印发" wants a date, "能得几分" a score, "多少钱" an amount. A sentence holding
# such a value answers; one that only repeats the question's words does not.
_CN = "一二三四五六七八九十两百千万"
_AMOUNT = (re.compile(r"多少钱|多少资金|多少万|多少亿|补多少|奖多少|拿多少|给多少|金额|最高.{0,4}多少|how much", re.I),
           re.compile(rf"[\d.{_CN}]+\s*(?:万亿|亿元|万元|亿|元)"))
_SHARE = (re.compile(r"比例|比率|占比|比重|强度|百分之|率.{0,6}(?:多少|几)|多少\s*[%％]|percent|rate", re.I),
          re.compile(r"\d+(?:\.\d+)?\s*[%％]"))
_ANSWER_TYPES = (
    (re.compile(r"哪天|哪一天|什么时候|何时|哪年|哪一年|几月|日期|when", re.I),
     re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日")),
    (re.compile(r"几分|多少分|满分|得分|分数|分值|score", re.I), re.compile(rf"[\d.{_CN}]+\s*分(?![之钟类级])")),
    _AMOUNT,
    _SHARE,
    (re.compile(r"几批|哪一?批|第几批"), re.compile(rf"第?[{_CN}\d]+\s*批|首批")),
    (re.compile(r"多少个|几个|多少项|几项|多少家|几家|多少座|多少条|how many", re.I),
     re.compile(rf"[\d.{_CN}]+\s*(?:万|余|多)?\s*(?:个|项|家|座|条|类|大)")),
    (re.compile(r"几级|哪一?级|什么等级|哪个等级|几星"), re.compile(r"[一二三四五1-5]\s*级")),
    (re.compile(r"什么意思|啥意思|指什么|是指什么|含义|意思是|what does .{0,40} mean", re.I),
     re.compile(r"指|即|意思是|含义|也就是|意为")),
    # a 文号 is what "文号是多少" wants; any 《title》 answers only "哪个文件" (dev set, extractive, 177 answerable: the
    # same key facts 0.864, citation precision 0.780 → 0.785 — "原文转载显示，方案同时是对《…》的落实" no longer counts)
    (re.compile(r"文号"), re.compile(r"〔\s*(?:19|20)\d{2}\s*〕\s*\d+\s*号")),
    (re.compile(r"哪个文件|什么文件|哪份文件"), re.compile(r"〔\s*(?:19|20)\d{2}\s*〕\s*\d+\s*号|《[^》]{2,40}》")),
)


# "三级要做到什么？": the answer is that level's own description, a list item "三级：…" in a scenario's passage
_LEVEL_ASKED = re.compile(r"([一二三四1-4])\s*级[^，。？！?]{0,10}(?:什么|怎样|怎么|哪些|要求|做到|标准|样子|水平)|"
                          r"(?:什么|怎样|怎么|要求|做到)[^，。？！?]{0,6}?([一二三四1-4])\s*级")
_TOP_LEVEL = re.compile(r"最高一?级|最高等级|最高的等级")  # the top of the 一级…四级 scale


def answer_patterns(question: str) -> tuple[re.Pattern, ...]:
    """How the values the question asks for look in a sentence (none for a question that asks for no value). A
    rewritten follow-up asks for its own kind of value ("那它的普及率目标是多少" a share, whatever its earlier question
    asked), or, asking none ("那小微企业呢"), for the earlier question's."""
    own, earlier = own_question(question)
    if earlier and not _ASKS_VALUE.search(own):
        return _patterns(own) or _patterns(earlier)
    return _patterns(own)


_ASKS_VALUE = re.compile(r"多少|几|多[长久大高远]|how (?:many|much|long)", re.I)  # some value, its kind unsaid


def _patterns(question: str) -> tuple[re.Pattern, ...]:
    found = [value for asks, value in _ANSWER_TYPES if asks.search(question)]
    level = "四" if _TOP_LEVEL.search(question) else next((g for m in _LEVEL_ASKED.finditer(question)
                                                          for g in m.groups() if g), "")
    if level:
        found.append(re.compile(rf"^\W*{level}\s*级\s*[：:]"))
    kind = _KIND_ASKED.search(question)
    if kind and kind.group(1) not in _WHO:  # "要推的是哪种改造" wants the kind of 改造 done: "开展系统化集成改造"
        found.append(re.compile(rf"(?:开展|推广|实施|推进|采用|提供|给予|做)[^，。；;：:]{{1,12}}{re.escape(kind.group(1))}"))
    return tuple(found)


# "哪种改造", "什么样的服务", "哪类支持": the noun whose kind is asked for
_KIND_ASKED = re.compile(r"(?:哪种|哪一种|哪类|哪一类|什么样的?|什么类型的?)([\u4e00-\u9fff]{2})")
_WHO = frozenset("企业 城市 部门 行业 地区 单位 机构 文件 政策 状态 水平 情况".split())  # asks who/which, not a kind of action


# the values an answer must hold or say the documents do not give (`generate.answer.value_gap`): a day for "哪天/
# 截止日期", a year or month for "哪一年/什么时候" ("2025年的通知" answers "什么时候发的"), an amount, a share
_DAY_ASKED = re.compile(r"哪天|哪一天|几月几[日号]|日期|截止日|which day|what date|deadline", re.I)
_TIME_ASKED = re.compile(r"哪年|哪一年|什么时候|何时|几月|when", re.I)
_DAY = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*(?:\d{1,2}\s*[日号]|底|初|上旬|中旬|下旬)")
_TIME = re.compile(r"(?<![\d〔])(?:19|20)\d{2}(?!\d)\s*(?:年|[—–-])|\d{1,2}\s*月")  # not 〔2024〕, not 2000万元
# "能补贴多少", "税能减免多少": an amount, which a share also answers ("补贴比例30%")
_AMOUNT_ASKED = re.compile(_AMOUNT[0].pattern + r"|(?:补贴|补助|奖励|资助|奖补|贴息|减免|减|免|优惠|抵扣)多少", re.I)
_AMOUNT_OR_SHARE = re.compile(f"{_AMOUNT[1].pattern}|{_SHARE[1].pattern}")


def asked_values(question: str) -> list[tuple[str, re.Pattern]]:
    """(kind, how such a value looks) for each plain value the owner's own question asks for: "date", "time",
    "amount", "share"."""
    own, _ = own_question(question)
    out = [("date", _DAY)] if _DAY_ASKED.search(own) else [("time", _TIME)] if _TIME_ASKED.search(own) else []
    if _AMOUNT_ASKED.search(own):
        out.append(("amount", _AMOUNT_OR_SHARE))
    elif _SHARE[0].search(own):
        out.append(("share", _SHARE[1]))
    return out


# a part of a question that compares ("省会和普通地级市一样吗", "比这个高还是低") or asks nothing by itself (the first
# subject of "A和B各是多少") wants the kind of value the whole question asks for
_COMPARES = re.compile(r"一样|相同|不同|区别|差别|差距|高还是低|多还是少|哪个(?:高|多|大|低|少)|比.{0,8}(?:高|低|多|少)")
_ASKS = re.compile(r"什么|多[少长久大高远]|几|哪|怎|如何|吗|呢|是否|能否|可否|有没有|是不是|要不要|\?|？")


def part_answer_patterns(part: str, question: str) -> tuple[re.Pattern, ...]:
    """The kinds of value one part of `question` asks for (`sub_questions`): its own, or, for a part that compares
    or asks nothing by itself, the whole question's."""
    own = answer_patterns(part)
    if own or not (_COMPARES.search(part) or not _ASKS.search(part)):
        return own
    return answer_patterns(question)


def has_follow_up_word(question: str) -> bool:
    return bool(FOLLOW_UP.search(question))


def needs_rewrite(question: str, history: list[tuple[str, str]] | None) -> bool:
    """In a conversation, a short question or one with a follow-up word is rewritten into a standalone one.
    `question` is normalised text."""
    return bool(history) and (len(question) <= 12 or has_follow_up_word(question))


# --- the checkable things a question asserts or asks about (the premise check, and the answer cache's key) ------

_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年)?\s*(?:—|–|-|－|~|～|到|至)\s*((?:19|20)\d{2})(?!\d)\s*年?")
_YEAR = re.compile(r"(?<![\d〔\[])((?:19|20)\d{2})(?![\d〕\]])\s*年?")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{0,8}[〔\[［(（]\s*((?:19|20)\d{2})\s*[〕\]］)）]\s*(\d{1,4})\s*号")
_TITLE = re.compile(r"《([^《》]{2,60})》")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,30})[”\"」』]")
# named programmes without quotes: "数字化券", "转型贷款贴息专项" — the run of characters before the suffix, cut at the
# last function word ("听说有数字化转型贷款贴息专项" → "数字化转型贷款贴息专项")
_PROGRAMME = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:专项资金|专项|工程|计划|基金|券)")
_CUT = re.compile(r".*(?:的|在|是|有|说|个|了|和|与|及|对|把|要|们|听|那|这|啥|么|种|份|项目|哪些|什么|哪|多少|怎么|如何|依托|通过|参加|申请|申报)")
# an amount of money or a share tied to support: "每家补贴100万", "奖补1亿元", "补助比例30%"
_SUPPORT = r"(?:补贴|补助|奖补|奖励|资助|贴息|扶持|资金|拿到|能补|补多少)"
_AMOUNT = re.compile(_SUPPORT + r"[^，。？！,?!]{0,8}?(\d+(?:\.\d+)?\s*(?:万亿|亿元|万元|亿|万|元|%|％))"
                     r"|(\d+(?:\.\d+)?\s*(?:万亿|亿元|万元|亿|万|元))[^，。？！,?!]{0,4}?" + _SUPPORT)
_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|万亿|亿元|万元|亿|万|元|家|个|项|人|级|年)?")
_NOT_PLACE = ("城市", "超市", "上市", "全市", "本市", "该市", "各市", "试点城市", "市场", "都市", "副省", "全省", "本省",
              "各省", "该省", "外省", "省市", "城市试点", "试点市")


@dataclass(frozen=True)
class Terms:
    """What a question names, in the form it names it (normalised text in, so full-width digits are already ASCII)."""

    years: tuple[str, ...] = ()        # "2028", and each end of a range
    year_ranges: tuple[str, ...] = ()  # "2028—2030年" as the owner wrote it
    doc_numbers: tuple[str, ...] = ()  # "〔2024〕239号" (brackets made uniform)
    titles: tuple[str, ...] = ()       # inside 《》
    names: tuple[str, ...] = ()        # quoted names and named programmes
    amounts: tuple[str, ...] = ()      # money or shares tied to support ("100万")
    places: tuple[str, ...] = ()       # "宁波市", "浙江省"
    numbers: tuple[str, ...] = ()      # every number with its unit (the cache key needs them all)

    def key(self) -> tuple:
        """Two questions may share an answer only when every one of these agrees."""
        return (self.years, self.doc_numbers, self.titles, self.names, self.amounts, self.places, self.numbers)


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def years_in(text: str) -> tuple[str, ...]:
    """The years a (normalised) text names: each end of a range, then single years; never a 文号's year."""
    ranges = [y for m in _YEAR_RANGE.finditer(text) for y in m.groups()]
    return _unique(ranges + [m.group(1) for m in _YEAR.finditer(_DOC_NUMBER.sub(" ", text))])


def checkable_terms(question: str) -> Terms:
    """The years, 文号, 《titles》, named programmes, amounts and places in a (normalised) question."""
    q = question
    ranges = [m.group(0).strip() for m in _YEAR_RANGE.finditer(q)]
    doc_numbers = [f"〔{m.group(1)}〕{m.group(2)}号" for m in _DOC_NUMBER.finditer(q)]
    without_docs = _DOC_NUMBER.sub(" ", q)
    titles = [t.strip() for t in _TITLE.findall(q)]
    names = [n.strip() for n in _QUOTED.findall(q)]
    plain = _QUOTED.sub(" ", _TITLE.sub(" ", without_docs))
    names += [_CUT.sub("", m.group(0)) for m in _PROGRAMME.finditer(plain)]
    amounts = [(a or b).replace(" ", "").replace("％", "%") for a, b in _AMOUNT.findall(plain)]
    places = [t for t in tokenize(plain) if len(t) >= 3 and t[-1] in "省市" and t not in _NOT_PLACE]
    numbers = [n.replace(" ", "").replace("％", "%") for n in _NUMBER.findall(without_docs)]
    names = [n for n in names if len(n) >= 3]
    return Terms(years=years_in(q), year_ranges=_unique(ranges), doc_numbers=_unique(doc_numbers),
                 titles=_unique(titles), names=_unique(names), amounts=_unique(amounts), places=_unique(places),
                 numbers=_unique(numbers + doc_numbers))
