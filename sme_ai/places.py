"""Which Chinese places a text names (provinces and prefecture-level cities, `data/places_cn.txt`), and whether a
source sentence is about another place than the one a question asks about: the corpus gives each pilot city's own
rules, and "温州每家企业能补多少钱" must not be answered with 中山's amounts."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, str], re.Pattern]:
    """name → its province (a province, and a municipality, maps to itself), and one pattern for all names, longest
    first."""
    province_of: dict[str, str] = {}
    for line in files("sme_ai.data").joinpath("places_cn.txt").read_text(encoding="utf-8").splitlines():
        names = line.split("#", 1)[0].split()
        for name in names:
            province_of.setdefault(name, names[0])
    pattern = re.compile("|".join(map(re.escape, sorted(province_of, key=len, reverse=True))))
    return province_of, pattern


def places_in(text: str) -> frozenset[str]:
    """The places `text` names, by their short names ("淄博市" → 淄博, "广东省" → 广东)."""
    _, pattern = _gazetteer()
    return frozenset(pattern.findall(text))


def other_place(asked: frozenset[str], sentence: str) -> bool:
    """The sentence is about another place than the question (`asked`, from `places_in`): it names a city and
    none of the question's cities (佛山's 0.64亿元 for "中山拿到了多少省级资金", though both lie in 广东), or, for a
    question that names only provinces, its places lie in none of them. A sentence naming no place (a national
    rule) is about every place."""
    if not asked:
        return False
    province_of, _ = _gazetteer()
    named = places_in(sentence)
    cities = {p for p in named if province_of[p] != p}
    asked_cities = {p for p in asked if province_of[p] != p}
    if asked_cities:
        return bool(cities) and not cities & asked_cities
    return bool(named) and not {province_of[p] for p in named} & asked
