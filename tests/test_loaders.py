"""Every loader, and every bad input: a specific error naming the file."""

import io

import pytest

from sme_ai.errors import (
    BinaryFileError,
    CorruptFileError,
    EmptyFileError,
    EncryptedPdfError,
    FileMissingError,
    FileTooLargeError,
    ScannedPdfError,
    UnsupportedFileTypeError,
)
from sme_ai.ingest.loaders import load_file

MB = 1024 * 1024


def _text_pdf(pages: list[str]) -> bytes:
    """A minimal PDF with a real (ASCII, Helvetica) text layer, one page per string."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
        content_no = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_no} 0 R "
                    f"/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(len(objs))
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_pdf_pages_are_kept(tmp_path):
    p = tmp_path / "a.pdf"
    p.write_bytes(_text_pdf(["Cloud adoption target 40 percent.", "Second page text here."]))
    doc = load_file(p, max_bytes=MB)
    assert [s.page for s in doc.sections] == [1, 2]
    assert "40 percent" in doc.sections[0].text


def test_corrupt_pdf(tmp_path):
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog garbage" + bytes(range(256)) * 4)
    with pytest.raises(CorruptFileError) as e:
        load_file(p, max_bytes=MB)
    assert "broken.pdf" in str(e.value)


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = tmp_path / "plain.pdf"
    src.write_bytes(_text_pdf(["secret text"]))
    w = PdfWriter()
    for page in PdfReader(src).pages:
        w.add_page(page)
    w.encrypt(user_password="pw", owner_password="owner")
    p = tmp_path / "locked.pdf"
    with open(p, "wb") as f:
        w.write(f)
    with pytest.raises(EncryptedPdfError) as e:
        load_file(p, max_bytes=MB)
    assert "locked.pdf" in str(e.value) and "加密" in str(e.value)


def test_pdf_without_text_layer_says_scanned(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=612, height=792)
    w.add_blank_page(width=612, height=792)
    p = tmp_path / "scan.pdf"
    with open(p, "wb") as f:
        w.write(f)
    with pytest.raises(ScannedPdfError) as e:
        load_file(p, max_bytes=MB)
    assert e.value.pages == 2 and "OCR" in str(e.value)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(EmptyFileError):
        load_file(p, max_bytes=MB)
    q = tmp_path / "blank.md"
    q.write_text("---\ntitle: x\n---\n\n   \n", encoding="utf-8")
    with pytest.raises(EmptyFileError):
        load_file(q, max_bytes=MB)


def test_binary_file_with_txt_name(tmp_path):
    p = tmp_path / "image.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    with pytest.raises(BinaryFileError) as e:
        load_file(p, max_bytes=MB)
    assert "image.txt" in str(e.value)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16", "utf-16-le"])
def test_text_encodings(tmp_path, encoding):
    text = "中小企业数字化转型：到2027年，上云率超过40%。"
    p = tmp_path / f"{encoding}.txt"
    p.write_bytes(text.encode(encoding))
    doc = load_file(p, max_bytes=MB)
    assert doc.sections[0].text == text


def test_too_large(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes("数字化".encode() * 200_000)
    with pytest.raises(FileTooLargeError) as e:
        load_file(p, max_bytes=MB)
    assert e.value.size > MB and "SME_AI_MAX_FILE_MB" in str(e.value)


def test_unsupported_extension(tmp_path):
    p = tmp_path / "sheet.xls"
    p.write_bytes(b"whatever")
    with pytest.raises(UnsupportedFileTypeError) as e:
        load_file(p, max_bytes=MB)
    assert ".pdf" in str(e.value)


def test_missing_path(tmp_path):
    with pytest.raises(FileMissingError):
        load_file(tmp_path / "nope.md", max_bytes=MB)


def test_docx_headings_and_tables(tmp_path):
    from docx import Document as Docx

    d = Docx()
    d.core_properties.title = "试点方案"
    d.add_heading("总体目标", level=1)
    d.add_paragraph("到2027年完成改造。")
    d.add_heading("资金安排", level=2)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "项目", "金额"
    t.cell(1, 0).text, t.cell(1, 1).text = "改造补助", "30万元"
    p = tmp_path / "plan.docx"
    d.save(p)
    doc = load_file(p, max_bytes=MB)
    assert doc.title == "试点方案"
    paths = [s.heading_path for s in doc.sections]
    assert ("总体目标",) in paths and ("总体目标", "资金安排") in paths
    # a table row keeps its header (was "改造补助 | 30万元" before tables became row-with-header sections)
    assert doc.sections[-1].kind == "table" and doc.sections[-1].text == "项目：改造补助；金额：30万元"


def test_corrupt_docx(tmp_path):
    p = tmp_path / "bad.docx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CorruptFileError):
        load_file(p, max_bytes=MB)


def test_html_main_text_and_headings(tmp_path):
    p = tmp_path / "page.html"
    p.write_text("<html><head><title>政策解讀</title><script>alert(1)</script></head><body><nav>首页 导航</nav>"
                 "<article><h1>行動方案</h1><p>到2027年，上雲率超過40%。</p><h2>保障</h2><p>加強組織領導。</p></article>"
                 "<footer>版权所有</footer></body></html>", encoding="utf-8")
    doc = load_file(p, max_bytes=MB)
    assert doc.title == "政策解读"
    text = "\n".join(s.text for s in doc.sections)
    assert "上云率超过40%" in text and "alert" not in text and "导航" not in text and "版权" not in text
    assert ("行动方案", "保障") in [s.heading_path for s in doc.sections]


def test_markdown_front_matter_becomes_metadata(tmp_path):
    p = tmp_path / "m.md"
    p.write_text("---\ntitle: 评测指标\ndoc_type: indicators\ndoc_number: 工信厅企业〔2024〕56号\nsources: [S3]\n"
                 "reliability: A\n---\n## 维度\n四个维度。\n", encoding="utf-8")
    doc = load_file(p, max_bytes=MB, source="indicators/m.md")
    assert doc.title == "评测指标" and doc.doc_type == "indicators" and doc.source == "indicators/m.md"
    assert doc.metadata["doc_number"] == "工信厅企业〔2024〕56号" and doc.metadata["sources"] == ["S3"]
