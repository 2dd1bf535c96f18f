"""Owner-style questions over facts taken from corpus sentences, and the unanswerable questions (refusals).

A *fact* is one sentence of one chunk that can stand alone as an answer: plain, not a rumour (误传), not marked
待核实, not a lead-in ending in a colon. Its question is made from the sentence itself (the number or 文号 becomes
"多少"/"文号是什么"; "X是/包括/分为…" becomes "X是什么/包括哪些"), so the answer is exactly that sentence. The wording is
template-based on purpose: it is cheap, deterministic with a seed, and every target stays checkable.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from sme_ai.types import Chunk

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{0,8}〔\d{4}〕\d+号")
YEAR = re.compile(r"(?<![\d〔])(20\d{2})年")
# the number a cloze question asks for: amounts, percentages, counts with a unit
ASKED_NUMBER = re.compile(r"(?<![\d.〔–\-~～])\d+(?:\.\d+)?\s*(?:万亿|亿元|万元|亿|万|元|%|％|家|个|项|分|倍|城|人|条|次|批|级|类|场|大类)")
_MONEY_OR_SHARE = ("%", "％", "万亿", "亿元", "万元", "亿", "万", "元")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.、）)])\s*")
_SKIP = ("待核实", "误传", "不实", "本知识库", "资料未给出", "未给出", "没有取得", "尚未", "应提示", "应说明", "回答")
_PRONOUN = re.compile(r"^(这份|该|此|其|上述|这些|这|它)")
_DEFINITION = re.compile(r"^(.{3,24}?)(是指|指的是|是|包括|分为|主要包括|由)(.{4,})$")

OPENERS = ("", "", "请问，", "想问一下，", "麻烦问下，", "我们老板让我查一下：", "咨询一下，", "您好，")
INDUSTRIES = ("五金配件", "纺织服装", "食品加工", "家具制造", "电子元器件", "汽车零部件", "注塑", "包装印刷", "机械加工",
              "化工涂料", "陶瓷", "医疗器械")
CITIES = ("东莞", "中山", "宁波", "苏州", "佛山", "温州", "合肥", "青岛", "成都", "长沙")

# English wording for terms the corpus uses: the English questions ask about these
GLOSSARY = {
    "上云率": "the cloud adoption rate", "数控化率": "the CNC rate", "数字化转型": "digital transformation",
    "专精特新": "'specialised, refined, distinctive and innovative' (专精特新) SMEs", "小巨人": "'little giant' firms",
    "试点城市": "the pilot cities", "评测指标": "the digitalization level evaluation indicators",
    "数字化水平": "the digitalization level", "工业互联网": "the industrial internet", "人工智能": "artificial intelligence",
    "典型案例": "the typical cases", "服务商": "service providers", "中央财政": "central government funding",
    "小快轻准": "'small, fast, light, precise' (小快轻准) solutions", "链式": "chain-based transformation",
    "数字化改造": "digital upgrading", "普及率": "the adoption rate",
}


@dataclass(frozen=True)
class Fact:
    chunk: Chunk
    sentence: str  # as it stands in the chunk (a passage's sentence)
    answer: str  # cleaned: no bullet, ends with 。
    kind: str  # "number" | "docnum" | "fact"


def clean_sentence(sentence: str) -> str:
    s = _BULLET.sub("", sentence.strip()).rstrip("；;，,。 \n")
    return s + "。"


def is_fact_sentence(s: str) -> bool:
    core = _BULLET.sub("", s.strip())
    return (12 <= len(core) <= 110 and not core.endswith(("：", ":")) and not core.startswith("#")
            and not any(w in core for w in _SKIP) and re.search(r"[\u4e00-\u9fff]{4}", core) is not None)


def facts_of(chunk: Chunk) -> list[Fact]:
    from sme_ai.text import split_sentences

    out = []
    for s in split_sentences(chunk.text):
        if not is_fact_sentence(s):
            continue
        kind = "docnum" if DOC_NUMBER.search(s) else "number" if ASKED_NUMBER.search(s) else "fact"
        out.append(Fact(chunk=chunk, sentence=s.strip(), answer=clean_sentence(s), kind=kind))
    return out


def short_title(title: str) -> str:
    """The title without its brackets and subtitle; "" when even that is too long to say in a question."""
    t = re.sub(r"[（(][^）)]*[）)]", "", title).replace("《", "").replace("》", "").split("：")[0]
    return t if len(t) <= 24 else ""


def _doc_ref(fact: Fact, rng: random.Random) -> str:
    t = short_title(fact.chunk.title)
    return rng.choice(("", f"按照《{t}》，", f"《{t}》里说的")) if t else ""


def well_formed(question: str) -> bool:
    """Balanced brackets, no dangling lead-in punctuation."""
    pairs = (("（", "）"), ("《", "》"), ("“", "”"), ("(", ")"))
    return all(question.count(a) == question.count(b) for a, b in pairs) and not re.search(r"[：:]\s*[？?]|^[）)：:，]", question)


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r"[，,；;。]", clean_sentence(sentence).rstrip("。")) if c]


def _year_lead(sentence: str) -> str:
    m = YEAR.search(sentence)
    return f"到{m.group(1)}年，" if m and f"到{m.group(1)}年" in sentence else ""


def number_question(fact: Fact, rng: random.Random) -> str | None:
    """The clause holding the number with the number turned into 多少; the year and the document as context."""
    clauses = _clauses(fact.sentence)
    for i, c in enumerate(clauses):
        m = ASKED_NUMBER.search(c)
        if not m:
            continue
        unit = re.sub(r"^[\d.\s]+", "", m.group(0))
        asked = c[: m.start()] + ("多少" if unit in _MONEY_OR_SHARE else "多少" + unit) + c[m.end():]
        lead = clauses[i - 1] + "，" if i and len(c) < 10 else ""
        if len(asked) < 6:
            return None
        year = _year_lead(fact.sentence) if "到20" not in lead + asked else ""
        doc = _doc_ref(fact, rng)
        return f"{rng.choice(OPENERS)}{doc}{year}{lead}{asked}？"
    return None


def docnum_question(fact: Fact, rng: random.Random) -> str | None:
    m = re.search(r"《([^《》]{4,40})》", fact.sentence)
    if not m:
        return None
    return rng.choice((f"《{m.group(1)}》的文号是多少？", f"{rng.choice(OPENERS)}《{m.group(1)}》是哪个文号？",
                       f"我想查《{m.group(1)}》的原文，它的文号是什么？"))


def fact_question(fact: Fact, rng: random.Random) -> str | None:
    m = _DEFINITION.match(clean_sentence(fact.sentence).rstrip("。"))
    if not m or any(ch in m.group(1) for ch in "，：:→") or len(m.group(3)) < 4:
        return None
    subject, verb = m.group(1), m.group(2)
    if _PRONOUN.match(subject):
        if not short_title(fact.chunk.title):
            return None
        subject = f"《{short_title(fact.chunk.title)}》" + _PRONOUN.sub("", subject).lstrip("份")
    ask = {"是指": "是指什么", "指的是": "指的是什么", "是": "是什么", "包括": "包括哪些", "主要包括": "主要包括哪些",
           "分为": "分为哪几类", "由": "由谁负责"}[verb]
    return f"{rng.choice(OPENERS)}{subject}{ask}？"


def question_for(fact: Fact, rng: random.Random) -> str | None:
    make = {"number": number_question, "docnum": docnum_question, "fact": fact_question}[fact.kind]
    q = make(fact, rng)
    return q if q and 6 <= len(q) <= 90 and well_formed(q) else None


def profile_prefix(rng: random.Random) -> str:
    """An owner describing the business before asking (the applicability questions)."""
    return rng.choice((
        f"我们是{rng.choice(CITIES)}一家做{rng.choice(INDUSTRIES)}的企业，年营收{rng.choice((800, 1500, 3000, 6000, 9000))}万左右，"
        f"员工{rng.choice((30, 60, 120, 250))}人。",
        f"我们厂做{rng.choice(INDUSTRIES)}，在{rng.choice(CITIES)}，规模不大。",
        f"我们是一家{rng.choice(('省级专精特新', '创新型中小企业', '小微', '规上工业'))}企业，做{rng.choice(INDUSTRIES)}的。",
    ))


@lru_cache(maxsize=1)
def _s2t():
    try:
        from opencc import OpenCC  # opencc-python-reimplemented (a core dependency)

        return OpenCC("s2t").convert
    except ImportError:  # pragma: no cover - a small mapping of the commonest characters
        table = str.maketrans("们业数转云达发这个么说为国资见试点补贴实务产质规术应证财务级计划项问题与门区长网图",
                              "們業數轉雲達發這個麼說為國資見試點補貼實務產質規術應證財務級計劃項問題與門區長網圖")
        return lambda s: s.translate(table)


def to_traditional(text: str) -> str:
    return _s2t()(text)


def english_question(fact: Fact, rng: random.Random) -> str | None:
    """Figures only: "What figure does the documents give for <term> by <year>?" has one answer sentence."""
    term = next((t for t in GLOSSARY if t in fact.sentence), None)
    if term is None or fact.kind != "number":
        return None
    year = YEAR.search(fact.sentence)
    when = f" by {year.group(1)}" if year and f"到{year.group(1)}年" in fact.sentence else ""
    title = short_title(fact.chunk.title)
    where = f"《{title}》" if title else "the documents"
    return rng.choice((f"What figure does {where} give for {GLOSSARY[term]}{when}?",
                       f"According to {where}, what is the number for {GLOSSARY[term]}{when}?",
                       f"How much or how many, for {GLOSSARY[term]}{when}, does {where} state?"))
