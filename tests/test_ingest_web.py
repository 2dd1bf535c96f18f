"""Web pages as saved from a browser, front matter, and the repair of spaces inside numbers."""

import pytest

from sme_ai.ingest.loaders import load_file
from sme_ai.ingest.spacing import repair_number_spacing

MB = 1024 * 1024

NOISY = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于印发专项行动方案的通知_政策文件_工业和信息化部</title>
<style>.x{color:red}</style><script>var tracker = "统计代码";</script></head>
<body>
<header><div class="logo">工业和信息化部 门户网站</div></header>
<nav><ul><li>首页</li><li>机构</li><li>新闻</li></ul></nav>
<div class="crumb" aria-hidden="true">当前位置：首页 &gt; 政策</div>
<div class="main"><article>
<h1>关于印发《中小企业数字化赋能专项行动方案》的通知</h1>
<p>工信部联企业〔2024〕239号</p>
<p>各省、自治区、直辖市中小企业主管部门：</p>
<svg width="10" height="10"><text>图标文字</text></svg>
<p>到2027年，中小企业数字化转型取得显著成效&nbsp;，试点城市每个给予不超过 1 0 0 0 万元奖补，
上云率达到 40 %。&ldquo;链式&rdquo;转型&amp;nbsp;稳步推进。</p>
<p style="display: none">隐藏的推广文字</p>
<p hidden>另一段隐藏文字</p>
<h2>一、重点任务</h2>
<p>加快推进中小企业数字化改造，第 1 0 条规定的 2024 2025 两个年度分别安排资金 200 万元。</p>
<table><caption>补助标准</caption><tr><th>项目</th><th>标准</th></tr><tr><td rowspan="2">改造</td><td>30万元</td></tr>
<tr><td>50万元</td></tr></table>
<p>各地要加强组织领导，确保各项任务落到实处，按时报送工作进展情况。相关部门要做好政策解读和宣传引导。</p>
<p>工业和信息化部</p><p>2024年5月20日</p>
</article></div>
<footer>版权所有 © 工业和信息化部 京ICP备00000000号</footer>
</body></html>"""


@pytest.fixture
def page(tmp_path):
    p = tmp_path / "notice.html"
    p.write_text(NOISY, encoding="utf-8")
    return load_file(p, max_bytes=MB)


def test_main_content_without_chrome_or_hidden_text(page):
    text = "\n".join(s.text for s in page.sections)
    for gone in ("统计代码", "首页", "门户网站", "当前位置", "图标文字", "隐藏的推广文字", "另一段隐藏文字", "版权所有", "color"):
        assert gone not in text, gone
    assert "工信部联企业〔2024〕239号" in text and "加快推进中小企业数字化改造" in text


def test_entities_decoded_and_number_spaces_repaired(page):
    text = "\n".join(s.text for s in page.sections)
    assert "“链式”转型" in text and "&" not in text and "nbsp" not in text
    assert "1000万元" in text and "40%" in text and "第10条" in text and "200万元" in text
    assert "2024 2025" in text  # two numbers stay two numbers


def test_title_heading_and_table(page):
    assert page.title == "关于印发专项行动方案的通知"  # the site's suffix after "_" dropped
    assert any(s.heading_path and s.heading_path[-1] == "一、重点任务" for s in page.sections)
    [table] = [s for s in page.sections if s.kind == "table"]
    assert table.text.split("\n") == ["补助标准", "项目：改造；标准：30万元", "项目：改造；标准：50万元"]
    assert page.metadata["doc_number"] == "工信部联企业〔2024〕239号"
    assert page.metadata["issued_date"] == "2024-05-20" and page.metadata["issuer"] == "工业和信息化部"


def test_short_page_falls_back_to_its_own_structure(tmp_path):
    p = tmp_path / "short.htm"
    p.write_text("<html><head><title>政策解讀</title></head><body><nav>导航</nav><div><h1>行動方案</h1>"
                 "<p>上雲率超過 40 %。</p><h2>保障</h2><p>加強組織領導。</p></div></body></html>", encoding="utf-8")
    doc = load_file(p, max_bytes=MB)
    assert doc.title == "政策解读"
    assert ("行动方案", "保障") in [s.heading_path for s in doc.sections]
    assert "上云率超过40%。" in doc.sections[0].text


@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_front_matter_after_leading_blank_lines(tmp_path, suffix):
    p = tmp_path / f"note{suffix}"
    p.write_text("\n\n  \n---\ntitle: 评测指标\ndoc_number: 工信厅企业〔2024〕56号\n---\n正文内容。\n", encoding="utf-8")
    doc = load_file(p, max_bytes=MB)
    assert doc.title == "评测指标" and doc.metadata["doc_number"] == "工信厅企业〔2024〕56号"
    assert "title:" not in doc.sections[0].text and doc.sections[0].text.startswith("正文内容")


def test_text_without_front_matter_keeps_its_dashes(tmp_path):
    p = tmp_path / "plain.txt"
    p.write_text("--- 分隔线以下是正文。\n内容。\n", encoding="utf-8")
    assert load_file(p, max_bytes=MB).sections[0].text.startswith("--- 分隔线")


@pytest.mark.parametrize("raw,fixed", [
    ("200 万元", "200万元"),
    ("第 1 0 条", "第10条"),
    ("到 2 0 2 7 年", "到2027年"),
    ("上云率 40 %", "上云率40%"),
    ("增长 12 . 5%", "增长12.5%"),
    ("共 3 家企业", "共3家企业"),
    ("2024 2025", "2024 2025"),
    ("2024 2025 年", "2024 2025年"),
    ("1 2 3 4", "1 2 3 4"),  # single digits with no Chinese around: left alone
    ("Windows 10 and 11", "Windows 10 and 11"),
    ("已是200万元", "已是200万元"),
])
def test_repair_number_spacing(raw, fixed):
    assert repair_number_spacing(raw) == fixed
    assert repair_number_spacing(fixed) == fixed  # idempotent
