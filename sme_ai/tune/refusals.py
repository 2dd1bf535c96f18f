"""Questions the shipped corpus cannot answer, whose right answer is the refusal: invented policies, years the
corpus does not cover, rumours the corpus itself lists as 误传, and questions off the topic altogether. (The fourth
kind, a real question whose answering passage was taken out of the context, is made in `data.py`.)"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from sme_ai.tune.questions import CITIES, INDUSTRIES, OPENERS, Fact, number_question

_BY_YEAR = re.compile(r"到(20\d{2})年")

ISSUERS = ("国务院办公厅", "发改委", "工信部", "财政部", "商务部", "科技部", "人社部", "国家税务总局", "省工信厅", "市中小企业局")
PROGRAMMES = ("中小企业数字化转型三年行动计划", "中小企业智能制造专项补贴办法", "专精特新企业上云奖励实施细则",
              "数字化转型贷款贴息管理办法", "中小企业AI应用券发放办法", "工业软件首购补贴实施方案", "中小企业数据资产入表奖励办法",
              "数字化车间星级评定办法", "中小企业算力券管理办法", "制造业数字化转型税收抵免办法", "中小企业出海数字化专项行动方案",
              "数字化服务商星级认定办法", "工业互联网平台用户补贴细则", "中小企业数字人才培训补贴办法")
ASKS = ("有哪些补贴政策？", "每家企业最多能拿多少钱？", "申报条件是什么？", "什么时候开始申报？", "具体支持哪些方向？",
        "对我们这种小厂有什么要求？", "补贴比例是多少？", "要准备哪些材料？")
OFF_TOPIC = ("推荐几只数字化转型概念股，哪只能涨？", "比特币现在还能买吗？", "明天东莞会下雨吗？", "帮我写一首关于春天的诗。",
             "红烧肉怎么做才好吃？", "个人所得税汇算清缴怎么操作？", "我们公司想招一个会计，工资开多少合适？",
             "给我讲个笑话吧。", "今年的高考分数线是多少？", "怎么注册一家香港公司？", "房贷利率最近降了吗？",
             "世界杯下一届在哪里举办？", "What's the weather like in Shenzhen tomorrow?", "Which stocks should I buy this week?",
             "Can you write me a poem about the sea?", "How do I cook rice in a microwave?",
             "What's the best smartphone to buy in 2026?", "How do I file personal income tax in the US?")
UNCOVERED_YEARS = ("2018", "2019", "2028", "2029", "2031", "2032", "2035")


def invented_policies(rng: random.Random, corpus_text: str, n: int) -> Iterable[tuple[str, str]]:
    """A programme name that appears nowhere in the corpus, issued by a real-sounding office on a made-up date."""
    made = 0
    for _ in range(n * 20):
        name = rng.choice(PROGRAMMES)
        if rng.random() < 0.5:
            name += f"（{rng.choice(('2025', '2026', '2028'))}—{rng.choice(('2027', '2029', '2030'))}年）"
        if name in corpus_text:
            continue
        when = f"{rng.choice(('2025', '2026'))}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日" if rng.random() < 0.5 else "最近"
        q = rng.choice((f"{rng.choice(ISSUERS)}{when}印发的《{name}》{rng.choice(ASKS)}",
                        f"{rng.choice(OPENERS)}听说有个《{name}》，{rng.choice(ASKS)}",
                        f"我们是做{rng.choice(INDUSTRIES)}的，《{name}》{rng.choice(ASKS)}"))
        yield q, "invented"
        made += 1
        if made >= n:
            return


def uncovered_years(facts: list[Fact], rng: random.Random, corpus_text: str, n: int) -> Iterable[tuple[str, str]]:
    """A target the corpus gives for one year, asked for a year no document mentions."""
    years = [y for y in UNCOVERED_YEARS if y not in corpus_text]
    dated = [f for f in facts if f.kind == "number" and _BY_YEAR.search(f.sentence)]
    rng.shuffle(dated)
    made = 0
    for fact in dated:
        q = number_question(fact, rng)
        if not q or len(_BY_YEAR.findall(q)) != 1:
            continue
        yield _BY_YEAR.sub(f"到{rng.choice(years)}年", q), "uncovered_year"
        made += 1
        if made >= n:
            return


_CLAIM = re.compile(r"[“\"]([^”\"]{6,60})[”\"]")


def rumours(corpus_text: str, rng: random.Random, per_claim: int = 5) -> Iterable[tuple[str, str]]:
    """Each claim quoted on a 误传 line, asked about as if it were policy ("how do we apply for it?")."""
    claims = []
    for line in corpus_text.splitlines():
        if "误传" in line:
            claims += [c for c in _CLAIM.findall(line) if not c.startswith(("小巨人关键", "转型补贴"))]
    templates = ("听说{c}，我们怎么申请？", "网上说{c}，具体怎么落实？", "{c}，这个政策的申报时间是什么时候？",
                 "朋友说{c}，我们这样的小企业能拿到多少？", "{c}，需要准备哪些材料？", "有文章讲{c}，细则在哪里能看到？")
    for c in claims:
        for t in rng.sample(templates, min(per_claim, len(templates))):
            yield t.format(c=c.rstrip("，。")), "rumour"


def off_topic(rng: random.Random) -> Iterable[tuple[str, str]]:
    for q in OFF_TOPIC:
        yield q, "off_topic"
    for _ in range(12):
        yield f"我们在{rng.choice(CITIES)}做{rng.choice(INDUSTRIES)}，{rng.choice(OFF_TOPIC)}", "off_topic"
