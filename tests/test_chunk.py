import re

from sme_ai.ingest.chunk import PROTECTED, chunk_document, split_long
from sme_ai.text import split_sentences
from sme_ai.ingest.loaders import load_file
from sme_ai.types import Document, Section


def _doc(text, heading=("标题", "第一节")):
    return Document(source="t.md", title="标题", sections=(Section(text=text, heading_path=heading),))


def test_sentences_split_on_chinese_punctuation():
    assert split_sentences("第一句。第二句！第三句？第四句；尾巴") == ["第一句。", "第二句！", "第三句？", "第四句；", "尾巴"]


def test_chunks_respect_size_and_keep_all_text():
    text = "".join(f"这是第{i}句话，内容关于中小企业数字化转型。" for i in range(60))
    chunks = chunk_document(_doc(text), size=200, overlap=1)
    assert len(chunks) > 3
    assert all(len(c.text) <= 200 for c in chunks)
    for i in range(60):
        assert any(f"这是第{i}句话" in c.text for c in chunks)


def test_overlap_repeats_one_sentence():
    text = "".join(f"句子{i}的内容比较长一些。" for i in range(30))
    chunks = chunk_document(_doc(text), size=100, overlap=1)
    last = split_sentences(chunks[0].text)[-1]
    assert chunks[1].text.startswith(last)


def test_never_cuts_inside_numbers_or_document_numbers():
    long = ("根据工信部联企业〔2024〕239号文件和财建〔2023〕117号文件的要求" * 6) + "，到2027年上云率超过40%，资金12345.67万元" * 5
    pieces = split_long(long, 50)
    joined = "".join(pieces)
    assert joined.replace(" ", "") == long.replace(" ", "")
    for p in pieces:
        # every 文号/number in a piece is whole: it also appears in the original at a protected span
        for m in PROTECTED.finditer(p):
            assert m.group(0) in long
    protected = [m.group(0) for m in PROTECTED.finditer(long) if len(m.group(0)) > 3]
    for token in set(protected):
        assert any(token in p for p in pieces), token


def test_chunk_carries_title_and_section_and_index_text():
    chunks = chunk_document(_doc("正文。"), size=100)
    c = chunks[0]
    assert c.section == "第一节"  # the title heading is not repeated in the section path
    assert c.index_text.startswith("标题 > 第一节\n")


def test_chunk_ids_are_stable_content_hashes():
    a = chunk_document(_doc("同样的内容。另一句。"), size=100)
    b = chunk_document(_doc("同样的内容。另一句。"), size=100)
    c = chunk_document(_doc("不同的内容。"), size=100)
    assert [x.id for x in a] == [x.id for x in b]
    assert a[0].id != c[0].id
    assert re.fullmatch(r"[0-9a-f]{32}", a[0].id)


def test_markdown_headings_become_sections(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("---\ntitle: 测试文档\ndoc_type: policy\nreliability: B\n---\n# 测试文档\n## 目标\n到2027年。\n### 细项\n内容。\n## 任务\n任务内容。\n", encoding="utf-8")
    doc = load_file(p, max_bytes=10**6)
    chunks = chunk_document(doc, size=300)
    assert [c.section for c in chunks] == ["目标", "目标 > 细项", "任务"]
    assert all(c.doc_type == "policy" and c.reliability == "B" for c in chunks)


def test_seed_chunks_keep_document_number_whole(seed_path):
    doc = load_file(seed_path, max_bytes=10**7)
    chunks = chunk_document(doc, size=360)
    assert any("工信部联企业〔2024〕239号" in c.text for c in chunks)
    assert all(len(c.text) <= 360 for c in chunks)
