"""The gazetteer: which places a text names, and a source sentence about another place than the question's."""

from sme_ai.generate.context import Passage, sentence_score
from sme_ai.generate.extractive import extractive_answer
from sme_ai.places import other_place, places_in
from sme_ai.question import answer_patterns
from sme_ai.text import bigrams, tokenize
from sme_ai.types import Chunk, Hit


def test_places_by_their_short_names_with_or_without_a_suffix():
    assert places_in("我们在温州，淄博市和广东省的做法") == {"温州", "淄博", "广东"}
    assert places_in("上海浦东新区是首批试点") >= {"上海", "浦东新区"}
    assert places_in("中小企业上云率超过40%") == frozenset()  # no place: a national rule


def test_another_city_is_another_place_even_in_the_same_province():
    assert other_place(places_in("温州每家企业能补多少钱"), "以中山市为例，二级最高30万元")
    assert not other_place(places_in("温州每家企业能补多少钱"), "温州对单个企业的补助标准资料未给出")
    assert not other_place(places_in("温州每家企业能补多少钱"), "中央层面没有统一的单企补助标准")  # applies everywhere
    # 佛山's provincial funds do not answer a question about 中山, though both lie in 广东
    assert other_place(places_in("中山拿到了多少省级资金"), "佛山2023年获拨省级资金0.64亿元")
    assert not other_place(places_in("中山拿到了多少省级资金"), "广州、佛山、中山各0.64亿元")
    # a question about a province is answered by its cities
    assert not other_place(places_in("广东的省级试点给了多少钱"), "东莞2023年省级资金先拨付0.8亿元")
    assert other_place(places_in("广东的省级试点给了多少钱"), "宁波提出了生产效率提升20%的目标")
    assert not other_place(frozenset(), "以中山市为例")  # a question naming no place


def _passage(n, text):
    hit = Hit(chunk=Chunk(id=f"c{n}", doc_id="d", source="pilot.md", title="城市试点", text=text), score=1.0)
    return Passage(n=n, hit=hit, sentences=(text,))


def test_another_citys_amounts_lose_the_answer_bonus_and_the_lead():
    q = "我们在温州，按温州的办法每家企业能补多少钱？"
    zhongshan = "以中山市为例，其细则按改造后达到的数字化等级分档补助：二级最高30万元，三级最高60万元。"
    wenzhou = "温州对单个企业的具体补助标准，本知识库只取得了文件开头，资料未给出。"
    args = (set(tokenize(q)), bigrams(q))
    assert sentence_score(*args, zhongshan, True, answers=answer_patterns(q), places=places_in(q)) < \
        sentence_score(*args, zhongshan, True, answers=answer_patterns(q))
    answer = extractive_answer(q, [_passage(1, zhongshan), _passage(2, wenzhou)])
    assert answer.startswith("温州对单个企业"), answer
