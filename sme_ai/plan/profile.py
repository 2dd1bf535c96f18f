"""The enterprise profile an owner fills in (form, YAML/JSON file or API), validated with messages in Chinese.

Keys may be the English field names or their Chinese labels (行业, 地区, 是否试点城市, 员工人数, ...). Whether the
city is a pilot city is what the owner says (是/否/不确定): the product never guesses it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sme_ai.errors import ProfileError
from sme_ai.plan.catalog import find_tier, industry_choices, tier_choices

LABELS = {
    "name": "企业名称", "industry": "行业", "industry_detail": "细分行业/主要产品", "region": "地区",
    "pilot_city": "是否试点城市", "employees": "员工人数", "revenue_wan": "年营业收入（万元）", "tier": "企业类型（梯度层级）",
    "systems": "现有系统", "pain_points": "痛点", "goals": "目标", "budget_wan": "预算区间（万元）",
    "time_frame_months": "时间周期（月）",
}
_KEY_ALIASES = {v: k for k, v in LABELS.items()} | {
    "企业": "name", "名称": "name", "细分行业": "industry_detail", "主要产品": "industry_detail", "所在地区": "region",
    "城市": "region", "试点城市": "pilot_city", "员工": "employees", "人数": "employees", "营业收入": "revenue_wan",
    "年营业收入": "revenue_wan", "营收": "revenue_wan", "企业类型": "tier", "梯度层级": "tier", "层级": "tier",
    "系统": "systems", "预算": "budget_wan", "时间周期": "time_frame_months", "周期": "time_frame_months",
}
_YES = {"是", "yes", "y", "true", "1", "对", "有"}
_NO = {"否", "no", "n", "false", "0", "不是", "没有"}
_UNKNOWN = {"不确定", "不知道", "未知", "unknown", "不清楚", "待确认"}


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[、,，;；\n]+", value) if p.strip()]
    return value


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float = Field(ge=0)
    max: float = Field(ge=0)

    def label(self) -> str:
        return f"{self.min:g}万元" if self.min == self.max else f"{self.min:g}–{self.max:g}万元"


class EnterpriseProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = ""
    industry: str = Field(min_length=1)
    industry_detail: str = ""
    region: str = Field(min_length=2)
    pilot_city: bool | None
    employees: int = Field(ge=1, le=100000)
    revenue_wan: float = Field(ge=0)
    tier: str
    systems: list[str] = []
    pain_points: list[str] = []
    goals: list[str] = []
    budget_wan: Budget | None = None
    time_frame_months: int = Field(12, ge=3, le=36)

    @model_validator(mode="before")
    @classmethod
    def _chinese_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {_KEY_ALIASES.get(str(k).strip(), k): v for k, v in data.items()}
        return data

    @field_validator("pilot_city", mode="before")
    @classmethod
    def _pilot(cls, v: Any) -> Any:
        if v is None or isinstance(v, bool):  # an explicit null means 不确定
            return v
        text = str(v).strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        if text in _UNKNOWN:
            return None
        raise ValueError("请填写“是”“否”或“不确定”。是否为试点城市以企业所说为准，本工具不作猜测，可向当地工信部门确认")

    @field_validator("tier", mode="before")
    @classmethod
    def _tier(cls, v: Any) -> str:
        tier = find_tier(str(v or ""))
        if tier is None:
            raise ValueError(f"无法识别“{v}”；请从以下类型中选择：{'、'.join(tier_choices())}")
        return tier.name

    @field_validator("systems", "pain_points", "goals", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return [] if v is None else _split_list(v)

    @field_validator("budget_wan", mode="before")
    @classmethod
    def _budget(cls, v: Any) -> Any:
        if v is None or v == "":
            return None
        if isinstance(v, int | float):
            return {"min": v, "max": v}
        if isinstance(v, list | tuple) and len(v) == 2:
            return {"min": v[0], "max": v[1]}
        if isinstance(v, str):
            nums = re.findall(r"\d+(?:\.\d+)?", v)
            if 1 <= len(nums) <= 2:
                return {"min": float(nums[0]), "max": float(nums[-1])}
            raise ValueError("请写成“20-50”（单位万元）或 [20, 50]")
        return v

    @model_validator(mode="after")
    def _budget_order(self) -> "EnterpriseProfile":
        if self.budget_wan and self.budget_wan.min > self.budget_wan.max:
            raise ValueError("预算区间（万元）：下限不能大于上限")
        return self

    @property
    def pilot_label(self) -> str:
        return {True: "是", False: "否", None: "不确定（请向当地工信部门确认）"}[self.pilot_city]


_MESSAGES = {
    "missing": "必填项，请填写",
    "string_too_short": "不能为空",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "extra_forbidden": "无法识别的字段",
    "list_type": "应为列表，或用顿号、逗号分隔的文字",
    "string_type": "应为文字",
}


def _problem(err: dict) -> tuple[str, str]:
    loc = [str(x) for x in err.get("loc", ())]
    field = loc[0] if loc else "profile"
    label = LABELS.get(field, field) + (f"（{field}）" if field in LABELS else "")
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "value_error":
        msg = str(ctx.get("error", err.get("msg", "")))
    elif kind in ("greater_than_equal", "greater_than"):
        msg = f"不能小于{ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        msg = f"不能大于{ctx.get('le', ctx.get('lt'))}"
    elif kind == "extra_forbidden":
        msg = f"无法识别的字段；可用字段：{'、'.join(f'{k}（{v}）' for k, v in LABELS.items())}"
    else:
        msg = _MESSAGES.get(kind, err.get("msg", "格式不正确"))
    if kind == "missing" and field == "pilot_city":
        msg += "：是/否/不确定（以企业所说为准，本工具不作猜测）"
    if kind == "missing" and field == "tier":
        msg += f"：{'、'.join(tier_choices())}"
    if kind == "missing" and field == "industry":
        msg += f"，可选：{'、'.join(industry_choices())}，也可直接填写行业名称"
    return label, msg


def load_profile(data: dict | EnterpriseProfile, path=None) -> EnterpriseProfile:
    """A validated profile, or ProfileError listing every bad or missing field in Chinese."""
    if isinstance(data, EnterpriseProfile):
        return data
    if not isinstance(data, dict):
        raise ProfileError([("profile", "企业信息应是键值对（YAML/JSON 对象）")], path)
    try:
        return EnterpriseProfile.model_validate(data)
    except ValidationError as e:
        raise ProfileError([_problem(err) for err in e.errors()], path) from None
