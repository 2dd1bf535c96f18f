"""Spaces that PDF extraction and web pages put inside numbers and between a number and its unit.

"200 万元" → "200万元", "第 1 0 条" → "第10条", "40 %" → "40%", "12 . 5" → "12.5"; two separate numbers such as
"2024 2025" stay two numbers (only runs of single digits are joined, and only next to Chinese text).
"""

from __future__ import annotations

import re

from sme_ai.text import HAN

_UNIT = rf"[{HAN}%％‰]"
# a run of single digits separated by single spaces: "1 0", "2 0 2 4"
_DIGIT_RUN = re.compile(r"(?<![\d.,])\d(?: \d)+(?![\d.,])")
_NUM_UNIT = re.compile(rf"(?<=\d)[ \u00a0\u3000]+(?={_UNIT})")
_HAN_NUM = re.compile(rf"(?<=[{HAN}])[ \u00a0\u3000]+(?=\d)")
_DECIMAL = re.compile(r"(?<=\d) ?\. ?(?=\d)")
_NEXT_TO_HAN = re.compile(rf"[{HAN}%％‰] ?$|^ ?{_UNIT}")


def _join_digit_run(m: re.Match) -> str:
    before = m.string[max(0, m.start() - 2) : m.start()]
    after = m.string[m.end() : m.end() + 2]
    if _NEXT_TO_HAN.search(before) or re.match(rf" ?{_UNIT}", after):
        return m.group(0).replace(" ", "")
    return m.group(0)


def repair_number_spacing(text: str) -> str:
    """Remove spaces inside numbers and between a number and the Chinese text around it (idempotent)."""
    text = _DIGIT_RUN.sub(_join_digit_run, text)
    text = _DECIMAL.sub(".", text)
    text = _NUM_UNIT.sub("", text)
    return _HAN_NUM.sub("", text)
