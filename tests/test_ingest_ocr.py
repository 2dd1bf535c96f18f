"""OCR: scanned and mixed PDFs page by page, PNG/JPG files, faint and rotated scans, limits, OCR metadata.

The `model` tests run the real PP-OCRv4 models shipped in the rapidocr-onnxruntime wheel (10–30 s for a dense page on
two shared cores); the others are fast and never start OCR.
"""

import pytest

from pdf_fixtures import cer, image_pdf, render_pages, text_pdf
from sme_ai.errors import NoTextInImageError, OcrUnavailableError, ParseTimeoutError, ScannedPdfError, TooManyPagesError
from sme_ai.ingest.chunk import chunk_document
from sme_ai.ingest.limits import Limits
from sme_ai.ingest.loaders import load_file
from sme_ai.ingest.ocr import _lines, fix_ocr_text, is_blank, orientation
from sme_ai.types import Chunk

MB = 1024 * 1024
PAGE = [
    "工业和信息化部文件",
    "工信部联企业〔2024〕239号",
    "关于印发《中小企业数字化赋能专项行动方案（2025—2027年）》的通知",
    "到2027年，中小企业数字化转型取得显著成效，规模以上工业中小企业关键工序数控化率达到40%。",
    "对每个试点项目，中央财政给予不超过200万元的一次性奖补。",
    "工业和信息化部",
    "2024年5月20日",
]
FACTS = ["40%", "工信部联企业〔2024〕239号", "200万元", "2027年", "数控化率"]


def _scanned(tmp_path, pages, name="scan.pdf", **kw):
    images = render_pages(text_pdf(pages, **kw))
    p = tmp_path / name
    p.write_bytes(image_pdf(images))
    return p, images


# --- fast: no OCR runs -------------------------------------------------------------------------------


def test_ocr_brackets_of_a_document_number_are_repaired():
    assert fix_ocr_text("工信部联企业【2024）239号") == "工信部联企业〔2024〕239号"
    assert fix_ocr_text("财建[2023] 117号") == "财建〔2023〕117号"
    assert fix_ocr_text("投入 200 万元") == "投入200万元"
    assert fix_ocr_text("见表（2024）") == "见表（2024）"  # no 号 after it: not a 文号
    assert fix_ocr_text("（2025一2027年）") == "（2025—2027年）"  # the dash of a year range read as 一


def test_boxes_are_grouped_into_lines_left_to_right():
    def box(x, y, w=100, h=20):
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]

    result = [(box(300, 12), "第二段", 0.9), (box(10, 10), "第一段", 0.9), (box(10, 60), "下一行", 0.9),
              (box(10, 110, w=40), "EN", 0.9), (box(60, 110, w=40), "text", 0.9)]
    assert _lines(result) == ["第一段第二段", "下一行", "EN text"]
    # the same page upside down (a 500 × 200 image): the classifier flipped each line, the order is reversed
    flipped = [([[500 - x, 200 - y] for x, y in b], t, s) for b, t, s in result]
    assert _lines(flipped, orientation(flipped, flipped_share=1.0), (500, 200)) == _lines(result)
    assert orientation(result, flipped_share=0.0) == "normal"


def test_blank_page_detection():
    from PIL import Image, ImageDraw

    blank = Image.new("RGB", (400, 600), "white")
    assert is_blank(blank)
    page = blank.copy()
    ImageDraw.Draw(page).rectangle([40, 40, 360, 120], fill="black")
    assert not is_blank(page)


def test_scanned_pdf_with_ocr_off_says_so(tmp_path):
    from PIL import Image

    p = tmp_path / "scan.pdf"
    p.write_bytes(image_pdf([Image.new("RGB", (200, 300), "white")]))
    with pytest.raises(ScannedPdfError) as e:
        load_file(p, max_bytes=MB, limits=Limits(ocr=False))
    assert e.value.pages == 1 and not e.value.ocr_tried and "SME_AI_OCR" in str(e.value)


def test_blank_scan_with_ocr_on_says_ocr_found_nothing(tmp_path):
    from PIL import Image

    p = tmp_path / "blank.pdf"
    p.write_bytes(image_pdf([Image.new("RGB", (200, 300), "white")] * 2))
    with pytest.raises(ScannedPdfError) as e:
        load_file(p, max_bytes=MB)
    assert e.value.ocr_tried and e.value.pages == 2 and "OCR" in str(e.value)


def test_ocr_page_limit_is_checked_before_any_ocr(tmp_path, monkeypatch):
    from PIL import Image

    import sme_ai.ingest.ocr as ocr

    monkeypatch.setattr(ocr, "recognise", lambda image: pytest.fail("OCR must not start"))
    p = tmp_path / "long-scan.pdf"
    p.write_bytes(image_pdf([Image.new("RGB", (200, 300), "gray")] * 3))
    with pytest.raises(TooManyPagesError) as e:
        load_file(p, max_bytes=MB, limits=Limits(max_ocr_pages=2))
    assert (e.value.pages, e.value.limit) == (3, 2) and "SME_AI_MAX_OCR_PAGES" in str(e.value)


def test_pdf_page_limit(tmp_path, monkeypatch):
    import sme_ai.ingest.ocr as ocr

    monkeypatch.setattr(ocr, "recognise", lambda image: pytest.fail("a page with a text layer needs no OCR"))
    p = tmp_path / "long.pdf"
    p.write_bytes(text_pdf([["第一页内容，到2027年。"], ["第二页"], ["第三页"]]))
    with pytest.raises(TooManyPagesError) as e:
        load_file(p, max_bytes=MB, limits=Limits(max_pdf_pages=2))
    assert (e.value.pages, e.value.limit) == (3, 2) and "SME_AI_MAX_PDF_PAGES" in str(e.value)
    assert len(load_file(p, max_bytes=MB, limits=Limits(max_pdf_pages=3)).sections) == 3


def test_pdf_parse_time_limit(tmp_path):
    p = tmp_path / "slow.pdf"
    p.write_bytes(text_pdf([["第一页内容，到2027年。"], ["第二页内容。"]]))
    with pytest.raises(ParseTimeoutError) as e:
        load_file(p, max_bytes=MB, limits=Limits(max_parse_seconds=1e-9))
    assert e.value.limit == 1e-9 and "SME_AI_MAX_PARSE_SECONDS" in str(e.value)


def test_image_with_ocr_off(tmp_path):
    from PIL import Image

    p = tmp_path / "photo.png"
    Image.new("RGB", (50, 50), "white").save(p)
    with pytest.raises(OcrUnavailableError):
        load_file(p, max_bytes=MB, limits=Limits(ocr=False))
    with pytest.raises(NoTextInImageError):
        load_file(p, max_bytes=MB)  # blank: no OCR needed to know


def test_ocr_confidence_round_trips_through_chunk_metadata():
    c = Chunk(id="x", doc_id="d", source="s.pdf", title="t", text="正文", page=2, ocr_confidence=0.9731)
    meta = c.metadata()
    assert meta["ocr_confidence"] == 0.9731 and all(isinstance(v, (str, int, float, bool)) for v in meta.values())
    assert Chunk.from_metadata("x", "正文", meta).ocr_confidence == 0.9731
    plain = Chunk(id="y", doc_id="d", source="s.md", title="t", text="正文")
    assert plain.metadata()["ocr_confidence"] == -1.0
    assert Chunk.from_metadata("y", "正文", plain.metadata()).ocr_confidence is None
    assert Chunk.from_metadata("z", "正文", {"source": "old.md"}).ocr_confidence is None  # stored before this field


# --- model: the real OCR -----------------------------------------------------------------------------


@pytest.mark.model
def test_scanned_pdf_is_read_by_ocr(tmp_path):
    p, _ = _scanned(tmp_path, [PAGE])
    events = []
    doc = load_file(p, max_bytes=10 * MB, progress=lambda *e: events.append(e))
    text = "\n".join(s.text for s in doc.sections)
    for fact in FACTS:
        assert fact in text, (fact, text)
    rate = cer("".join(PAGE), text)
    print(f"\nOCR character error rate (scanned A4 page, 14 pt): {rate:.4f}")
    assert rate < 0.03
    assert [e[0] for e in events] == ["ocr"] and events[0][1:3] == (1, 1)
    section = doc.sections[0]
    assert section.page == 1 and 0.8 < section.ocr_confidence <= 1.0
    assert doc.metadata["doc_number"] == "工信部联企业〔2024〕239号"
    assert doc.metadata["issued_date"] == "2024-05-20" and doc.metadata["issuer"] == "工业和信息化部"
    assert doc.title.startswith("关于印发《中小企业数字化赋能专项行动方案")
    chunks = chunk_document(doc, size=360)
    assert chunks and all(c.ocr_confidence == section.ocr_confidence for c in chunks)


@pytest.mark.model
def test_mixed_pdf_is_read_page_by_page(tmp_path):
    scanned = render_pages(text_pdf([["第二页是扫描件：到2027年，上云率超过40%。"]]))
    p = tmp_path / "mixed.pdf"
    p.write_bytes(image_pdf([scanned[0], scanned[0]], text_pages={0: ["第一页有文字层：补助资金不超过200万元。"]}))
    events = []
    doc = load_file(p, max_bytes=10 * MB, progress=lambda *e: events.append(e))
    pages = {s.page: s for s in doc.sections}
    assert "200万元" in pages[1].text and pages[1].ocr_confidence is None
    assert "40%" in pages[2].text and pages[2].ocr_confidence is not None
    assert [e[1:3] for e in events] == [(1, 1)]  # only the page without a text layer was OCR'd


@pytest.mark.model
@pytest.mark.parametrize("kind", ["turned_left", "turned_right", "upside_down", "faint"])
def test_hard_scans(tmp_path, kind):
    from PIL import ImageEnhance

    image = render_pages(text_pdf([PAGE]))[0]
    if kind.startswith("turned"):
        image = image.rotate(90 if kind == "turned_left" else -90, expand=True, fillcolor="white")
    elif kind == "upside_down":
        image = image.rotate(180)
    else:  # grey text on a grey page: contrast cut to a fifth
        image = ImageEnhance.Contrast(image).enhance(0.2)
    p = tmp_path / f"{kind}.png"
    image.save(p)
    doc = load_file(p, max_bytes=10 * MB)
    text = doc.sections[0].text
    rate = cer("".join(PAGE), text)
    print(f"\nOCR character error rate ({kind}): {rate:.4f}")
    for fact in FACTS:
        assert fact in text, (kind, fact, text)
    assert text.index("239号") < text.index("40%") < text.index("200万元")  # lines in reading order
    assert rate < 0.05


@pytest.mark.model
def test_jpeg_photo_of_a_page(tmp_path):
    image = render_pages(text_pdf([PAGE[3:5]]), scale=1.5)[0]
    p = tmp_path / "photo.jpg"
    image.save(p, format="JPEG", quality=70)
    doc = load_file(p, max_bytes=10 * MB)
    assert "40%" in doc.sections[0].text and doc.sections[0].ocr_confidence > 0.8
    assert doc.sections[0].page is None and doc.title == "photo"
