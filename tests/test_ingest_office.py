"""PowerPoint slides, Word titles, zip-bomb and size limits for Office files, limits passed down by load_paths."""

import io
import zipfile

import pytest

from sme_ai.errors import CorruptFileError, DocumentTooLongError, ZipBombError
from sme_ai.ingest.limits import Limits
from sme_ai.ingest.loaders import load_file
from sme_ai.ingest.pipeline import load_paths

MB = 1024 * 1024


def _pptx(path):
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.core_properties.title = ""
    s1 = prs.slides.add_slide(prs.slide_layouts[1])  # title and content
    s1.shapes.title.text = "数字化转型路线"
    s1.placeholders[1].text_frame.text = "到2027年上云率超过40%"
    s1.notes_slide.notes_text_frame.text = "讲解时强调试点城市"
    s2 = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    s2.shapes.title.text = "补助标准"
    table = s2.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["项目", "金额"], ["改造补助", "30万元"], ["平台服务", "5万元"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    s3 = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    box = s3.shapes.add_textbox(Inches(1), Inches(1), Inches(5), Inches(1))
    box.text_frame.text = "联系电话：0571-12345678"
    prs.save(path)


def test_pptx_slides_keep_their_numbers(tmp_path):
    p = tmp_path / "deck.pptx"
    _pptx(p)
    doc = load_file(p, max_bytes=10 * MB)
    assert doc.title == "数字化转型路线"
    by_page = {}
    for s in doc.sections:
        by_page.setdefault(s.page, []).append(s)
    assert sorted(by_page) == [1, 2, 3]
    first = by_page[1][0]
    assert first.heading_path == ("第1页 数字化转型路线",)
    assert "上云率超过40%" in first.text and "备注：讲解时强调试点城市" in first.text
    [table] = [s for s in by_page[2] if s.kind == "table"]
    assert table.heading_path == ("第2页 补助标准",) and table.text.split("\n") == ["项目：改造补助；金额：30万元",
                                                                                "项目：平台服务；金额：5万元"]
    assert by_page[3][0].heading_path == ("第3页",) and "0571-12345678" in by_page[3][0].text


def _office_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A 129 KB zip holding a 128 MiB member."""
    return _office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (128 * MB)})


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_zip_bomb_is_refused_before_parsing(tmp_path, suffix, monkeypatch, bomb):
    import docx
    import openpyxl
    import pptx

    data = bomb
    assert len(data) < 200_000  # about 129 KB on disk
    p = tmp_path / f"bomb{suffix}"
    p.write_bytes(data)
    for module, name in ((docx, "Document"), (openpyxl, "load_workbook"), (pptx, "Presentation")):
        monkeypatch.setattr(module, name, lambda *a, **k: pytest.fail("the parser must not see a zip bomb"))
    with pytest.raises(ZipBombError) as e:
        load_file(p, max_bytes=MB)
    err = e.value
    assert err.unzipped == 128 * MB + len(b"<Types/>") and err.compressed == len(data)
    assert err.member == "word/document.xml" and "SME_AI_MAX_ZIP_RATIO" in str(err) and "压缩炸弹" in str(err)


def test_total_unzipped_size_limit_even_at_a_modest_ratio(tmp_path):
    import os

    data = _office_zip({"word/media/image1.png": os.urandom(300_000)})  # incompressible: ratio about 1
    p = tmp_path / "photos.docx"
    p.write_bytes(data)
    with pytest.raises(ZipBombError) as e:
        load_file(p, max_bytes=MB, limits=Limits(max_unzipped_bytes=200_000))
    assert e.value.unzipped == 300_000 and e.value.limit_bytes == 200_000
    with pytest.raises(CorruptFileError):  # within the limits it reaches the parser, which finds no document
        load_file(p, max_bytes=MB)


def test_docx_title_from_first_heading_when_properties_have_none(tmp_path):
    from docx import Document as Docx

    d = Docx()
    d.core_properties.title = "Microsoft Word - 文档1.docx"  # an editor's placeholder is no title
    d.add_heading("关于开展数字化转型试点的通知", level=1)
    d.add_paragraph("正文。")
    p = tmp_path / "通知.docx"
    d.save(p)
    assert load_file(p, max_bytes=MB).title == "关于开展数字化转型试点的通知"


def test_document_character_limit(tmp_path):
    p = tmp_path / "long.txt"
    p.write_text("数字化转型。" * 1000, encoding="utf-8")
    with pytest.raises(DocumentTooLongError) as e:
        load_file(p, max_bytes=MB, limits=Limits(max_doc_chars=5000))
    assert e.value.chars == 6000 and "SME_AI_MAX_DOC_CHARS" in str(e.value)


def test_load_paths_passes_limits_down(tmp_path):
    (tmp_path / "long.txt").write_text("数字化转型。" * 1000, encoding="utf-8")
    (tmp_path / "short.txt").write_text("短文。", encoding="utf-8")
    loaded = load_paths([tmp_path], chunk_size=360, overlap=1, max_bytes=MB, limits=Limits(max_doc_chars=5000))
    assert [d.source for d, _ in loaded.documents] == ["short.txt"]
    assert len(loaded.failures) == 1 and "long.txt" in loaded.failures[0][0] and "SME_AI_MAX_DOC_CHARS" in loaded.failures[0][1]
    with pytest.raises(TypeError):
        Limits(max_pages_typo=3)


def test_settings_carry_the_limits(fake_settings):
    s = fake_settings
    assert s.max_unzipped_bytes == int(s.max_unzipped_mb * MB) and s.max_zip_ratio > 10
    assert s.max_pdf_pages >= 100 and s.max_parse_seconds > 0 and s.max_doc_chars >= 1_000_000
    assert s.ocr is True and s.max_ocr_pages >= 1
    assert s.model_copy(update={"ocr": False}).ocr is False
