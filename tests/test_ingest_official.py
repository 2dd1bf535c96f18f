"""Titles and the 公文 header fields: 发文机关 (issuer), 成文日期 (issued_date), 文号 (doc_number)."""

import pytest

from pdf_fixtures import text_pdf
from sme_ai.ingest.loaders import load_file
from sme_ai.ingest.official import clean_title, looks_like_title, official_metadata, title_from_lines

MB = 1024 * 1024
NOTICE = """工业和信息化部文件
工信部联企业〔2024〕239号
关于印发《中小企业数字化赋能专项行动方案
（2025—2027年）》的通知
各省、自治区、直辖市中小企业主管部门：
根据财建〔2023〕117号文件要求，现将方案印发给你们，请认真贯彻落实。
工业和信息化部
财政部
2024年5月20日
（此件公开发布）"""


def test_official_fields_of_a_notice():
    meta = official_metadata(NOTICE)
    assert meta == {"doc_number": "工信部联企业〔2024〕239号", "issued_date": "2024-05-20", "issuer": "工业和信息化部、财政部"}


def test_title_of_a_notice_spans_two_lines():
    assert title_from_lines(NOTICE.split("\n")) == "关于印发《中小企业数字化赋能专项行动方案（2025—2027年）》的通知"


@pytest.mark.parametrize("line,number", [
    ("工信厅企业函[2024]56号", "工信厅企业函〔2024〕56号"),
    ("浙经信企业〔2023〕 7 号", "浙经信企业〔2023〕7号"),
    ("国办发（2022）012号", "国办发〔2022〕12号"),
])
def test_document_number_forms(line, number):
    assert official_metadata(f"某某文件\n{line}\n关于做好有关工作的通知\n正文。")["doc_number"] == number


def test_a_number_cited_deep_in_the_body_is_not_the_documents_own():
    body = "说明。" * 200 + "根据工信部联企业〔2024〕239号文件。"
    assert "doc_number" not in official_metadata(body)


def test_dates_in_chinese_numerals_and_labelled_fields():
    assert official_metadata("正文。\n浙江省经济和信息化厅\n二〇二四年十二月三十一日")["issued_date"] == "2024-12-31"
    meta = official_metadata("发文机关：杭州市经济和信息化局\n成文日期：2023年7月1日\n正文。")
    assert meta == {"issued_date": "2023-07-01", "issuer": "杭州市经济和信息化局"}
    assert "issued_date" not in official_metadata("正文中提到2024年13月40日。\n2024年13月40日")  # no such day


def test_plain_text_is_no_official_document():
    assert official_metadata("到2027年，上云率超过40%。\n企业要加快数字化转型。") == {}


@pytest.mark.parametrize("line,ok", [
    ("中小企业数字化转型指南", True),
    ("到2027年，上云率超过40%。", False),
    ("工信部联企业〔2024〕239号", False),
    ("2024年5月20日", False),
    ("一、总体要求：", False),
    ("2024", False),
])
def test_looks_like_title(line, ok):
    assert looks_like_title(line) is ok


def test_placeholder_titles_are_dropped():
    assert clean_title("Microsoft Word - 通知.docx") == "" and clean_title("untitled") == ""
    assert clean_title("中小企业数字化转型指南") == "中小企业数字化转型指南"


def test_text_file_title_and_fields(tmp_path):
    p = tmp_path / "tz.txt"
    p.write_text(NOTICE, encoding="utf-8")
    doc = load_file(p, max_bytes=MB)
    assert doc.title == "关于印发《中小企业数字化赋能专项行动方案（2025—2027年）》的通知"  # not the masthead line
    assert doc.metadata["doc_number"] == "工信部联企业〔2024〕239号" and doc.metadata["issuer"] == "工业和信息化部、财政部"
    q = tmp_path / "para.txt"
    q.write_text("到2027年，上云率超过40%。\n第二句。", encoding="utf-8")
    assert load_file(q, max_bytes=MB).title == "para"  # a sentence is no title: the file name stays


def test_front_matter_wins_over_detection(tmp_path):
    p = tmp_path / "m.md"
    p.write_text("---\ntitle: 方案\ndoc_number: 工信部联企业〔2024〕239号\nissuer: 工业和信息化部等四部门\n---\n"
                 + NOTICE, encoding="utf-8")
    meta = load_file(p, max_bytes=MB).metadata
    assert meta["issuer"] == "工业和信息化部等四部门" and meta["issued_date"] == "2024-05-20"


def test_pdf_title_and_fields_from_the_text_layer(tmp_path):
    p = tmp_path / "notice.pdf"
    p.write_bytes(text_pdf([NOTICE.split("\n")], title="Microsoft Word - 239.docx"))
    doc = load_file(p, max_bytes=MB)
    assert doc.title == "关于印发《中小企业数字化赋能专项行动方案（2025—2027年）》的通知"
    assert doc.metadata["doc_number"] == "工信部联企业〔2024〕239号"
    assert doc.metadata["issued_date"] == "2024-05-20" and doc.metadata["issuer"] == "工业和信息化部、财政部"
    # short lines (header, 文号, signature) are not glued to the next one by the PDF line-break repair
    assert doc.sections[0].text.startswith("工业和信息化部文件\n工信部联企业〔2024〕239号\n关于印发")
    q = tmp_path / "titled.pdf"
    q.write_bytes(text_pdf([["正文第一句话比较长，说明有关情况。"]], title="数字化转型指南"))
    assert load_file(q, max_bytes=MB).title == "数字化转型指南"


@pytest.mark.parametrize("store", ["memory", "chroma"])
def test_filters_and_citations_use_the_official_fields(fake_settings, tmp_path, store):
    from sme_ai.assistant import Assistant

    asst = Assistant(fake_settings.model_copy(update={"vector_store": store, "llm_backend": "extractive"}))
    (tmp_path / "notice.txt").write_text(NOTICE + "\n到2027年，中小企业上云率超过40%。\n", encoding="utf-8")
    (tmp_path / "other.txt").write_text("某市关于中小企业数字化转型的做法：开展诊断服务。\n", encoding="utf-8")
    asst.ingest([tmp_path / "notice.txt", tmp_path / "other.txt"])
    number = {"doc_number": ["工信部联企业〔2024〕239号"]}
    for mode in ("bm25", "dense", "hybrid"):
        hits = asst.search("中小企业上云率", k=5, filters=number, mode=mode)
        assert hits and {h.chunk.source for h in hits} == {"notice.txt"}, mode
    assert asst.search("中小企业上云率", k=5, filters={"issued_date": ["2024-05-20"]}, mode="bm25")
    assert not asst.search("中小企业上云率", k=5, filters={"doc_number": ["国办发〔2022〕12号"]})
    hit = asst.search("中小企业上云率", k=5, filters=number)[0]
    assert hit.to_dict()["issuer"] == "工业和信息化部、财政部"
    from sme_ai.generate.answer import citations_for
    from sme_ai.generate.context import compact_context
    from sme_ai.generate.verify import Verified

    passages = compact_context("中小企业上云率", [hit])
    (cited,) = citations_for(Verified(text="上云率超过40%[1]。", used=[1]), passages)
    assert cited.doc_number == "工信部联企业〔2024〕239号" and cited.to_dict()["doc_number"] == cited.doc_number
