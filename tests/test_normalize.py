import re

import pytest

from sme_ai.ingest.cleanup import repair_line_breaks, strip_repeated_lines
from sme_ai.text import normalize_text, strip_pinyin


def test_seed_document_is_cleaned(seed_path):
    raw = seed_path.read_text(encoding="utf-8")
    assert "(yè)" in raw and "業" in raw  # the seed really is messy
    text = normalize_text(raw)
    assert "工业和信息化部" in text
    assert "中小企业数字化" in text
    # no pinyin annotation left: a bracket holding only latin letters with or without tone marks
    assert not re.search(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]", text)
    # legitimate brackets survive
    assert "(2025—2027年)" in text
    assert "工信部联企业〔2024〕239号" in text
    assert "工信厅企业〔2020〕10号" in text
    assert "/span>" not in text and ">“小巨人”" not in text


def test_normalize_is_idempotent(seed_path):
    once = normalize_text(seed_path.read_text(encoding="utf-8"))
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("業(yè)", "業"),
        ("中國(guó)人民銀行", "中國人民銀行"),
        ("方案(2025—2027年)", "方案(2025—2027年)"),
        ("条款(A)", "条款(A)"),  # upper case: not pinyin
        ("协议(TCP)", "协议(TCP)"),
        ("见附件(1)", "见附件(1)"),
        ("abc(de)", "abc(de)"),  # toneless and not after a Han character
        ("的(de)", "的"),
        ("髽I(yè)和", "髽I和"),  # a tone-marked syllable after mojibake
    ],
)
def test_strip_pinyin(raw, expected):
    assert strip_pinyin(raw) == expected


def test_traditional_to_simplified_and_width():
    assert normalize_text("中小企業上雲率的目標") == "中小企业上云率的目标"
    assert normalize_text("到２０２７年超过４０％，ＡＩ应用") == "到2027年超过40％，AI应用"


def test_question_and_document_share_normalisation():
    assert normalize_text("數(shù)字化轉(zhuǎn)型") == normalize_text("数字化转型") == "数字化转型"


def test_repair_line_breaks_joins_broken_chinese_sentences_only():
    text = "到2027年，中小企业数字化转型取得\n积极进展。\n第二段开始"
    assert repair_line_breaks(text) == "到2027年，中小企业数字化转型取得积极进展。\n第二段开始"


def test_strip_repeated_lines_removes_headers_and_page_numbers():
    bodies = ["甲方案的内容。", "乙方面的要求。", "丙类的说明。", "丁项的安排。", "戊组的结论。"]
    pages = [f"某某市工业和信息化局文件\n{body}\n— {i} —" for i, body in enumerate(bodies, start=1)]
    cleaned = strip_repeated_lines(pages)
    assert all("某某市工业和信息化局文件" not in p for p in cleaned)
    assert all("—" not in p for p in cleaned)
    assert cleaned[2] == "丙类的说明。"
