"""The questionnaire: the 2024 indicators as the data file describes them, validated once into pydantic models.

Everything a form needs (items with options and points, the 16 scenarios with their four level descriptions, the
level rules) comes from `indicators_2024.yaml`; nothing here is hard-coded.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

DATA_FILE = Path(__file__).with_name("indicators_2024.yaml")
LEVEL_NAMES = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(_Frozen):
    id: str
    label: str
    points: float


class Item(_Frozen):
    id: str
    name: str
    kind: Literal["single", "multi"]
    points: float
    options: tuple[Option, ...]
    help: str = ""
    group: str = ""  # filled by the loader: the group name
    dimension: str = ""  # filled by the loader: the dimension id

    def option(self, key: str) -> Option | None:
        """An option by id or by its exact label."""
        return next((o for o in self.options if key in (o.id, o.label)), None)


class Group(_Frozen):
    id: str
    name: str
    points: float
    items: tuple[Item, ...]


class Dimension(_Frozen):
    id: str
    name: str
    en: str
    points: float
    groups: tuple[Group, ...]

    @property
    def items(self) -> list[Item]:
        return [i for g in self.groups for i in g.items]


class Category(_Frozen):
    id: str
    name: str
    en: str


class Scenario(_Frozen):
    id: str
    name: str
    en: str
    category: str
    constraint: bool
    tools: str
    levels: dict[int, str]


class LevelRule(_Frozen):
    level: int
    min_score: float
    min_scenarios: int = 0
    min_constraint: int = 0


class AlternativeRules(_Frozen):
    note: str
    levels: tuple[LevelRule, ...]


class LevelRules(_Frozen):
    source: str
    note: str
    levels: tuple[LevelRule, ...]
    alternative: AlternativeRules | None = None

    def rule(self, level: int) -> LevelRule | None:
        return next((r for r in self.levels if r.level == level), None)


class Bands2022(_Frozen):
    note: str
    bands: tuple[LevelRule, ...]


class Questionnaire(_Frozen):
    version: str
    title: str
    doc_number: str
    reading: str
    caveats: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    categories: tuple[Category, ...]
    scenarios: tuple[Scenario, ...]
    level_rules: LevelRules
    level_bands_2022: Bands2022

    @property
    def items(self) -> list[Item]:
        return [i for d in self.dimensions for i in d.items]

    def item(self, key: str) -> Item | None:
        """An item by id or by its name."""
        return next((i for i in self.items if key in (i.id, i.name)), None)

    def scenario(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if key in (s.id, s.name)), None)

    def category(self, cid: str) -> Category:
        return next(c for c in self.categories if c.id == cid)

    @property
    def score_max(self) -> float:
        return sum(d.points for d in self.dimensions)


def _with_parents(raw: dict) -> dict:
    for dim in raw["dimensions"]:
        for group in dim["groups"]:
            for item in group["items"]:
                item.setdefault("group", group["name"])
                item.setdefault("dimension", dim["id"])
    return raw


@lru_cache(maxsize=4)
def load_questionnaire(path: Path = DATA_FILE) -> Questionnaire:
    import yaml

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Questionnaire.model_validate(_with_parents(raw))


def level_name(level: int | None) -> str:
    return "未知" if level is None else LEVEL_NAMES[level]
