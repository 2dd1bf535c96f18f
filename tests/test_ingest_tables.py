"""Tables from PDF, DOCX, XLSX, CSV and HTML: every row keeps its header; the chunker never cuts inside a row."""

import pytest

from pdf_fixtures import text_pdf
from sme_ai.ingest.chunk import chunk_document
from sme_ai.ingest.loaders import load_file
from sme_ai.ingest.tables import table_lines
from sme_ai.types import Document, Section

MB = 1024 * 1024
GRID = [["项目", "补助标准", "备注"], ["改造补助", "30万元", "按年度"], ["平台服务", "每家5万元", ""]]
ROWS = ["项目：改造补助；补助标准：30万元；备注：按年度", "项目：平台服务；补助标准：每家5万元"]


def _tables(doc):
    return [s for s in doc.sections if s.kind == "table"]


def test_rows_keep_their_header():
    assert table_lines(GRID) == ROWS
    assert table_lines([["", ""], ["项目", "金额"], [None, None], ["补助", 30.0]]) == ["项目：补助；金额：30"]
    assert table_lines([["只有一行", "两格"]]) == ["只有一行 | 两格"]  # no data rows: the row itself
    # a horizontally merged cell is kept once, under both headers
    assert table_lines([["项目", "标准", "说明"], ["咨询", "另行通知", "另行通知"]]) == ["项目：咨询；标准/说明：另行通知"]


def test_docx_table_with_merged_cells(tmp_path):
    from docx import Document as Docx

    d = Docx()
    d.add_heading("资金安排", level=1)
    t = d.add_table(rows=4, cols=3)
    for r, row in enumerate([["类别", "项目", "补助标准"], ["", "改造补助", "30万元"], ["", "平台服务", "5万元"],
                             ["其他", "咨询", ""]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    t.cell(1, 0).merge(t.cell(2, 0)).text = "数字化改造"  # vertical merge over two rows
    t.cell(3, 1).merge(t.cell(3, 2)).text = "另行通知"  # horizontal merge
    p = tmp_path / "funds.docx"
    d.save(p)
    doc = load_file(p, max_bytes=MB)
    [table] = _tables(doc)
    assert table.heading_path == ("资金安排",)
    assert table.text.split("\n") == [
        "类别：数字化改造；项目：改造补助；补助标准：30万元",
        "类别：数字化改造；项目：平台服务；补助标准：5万元",
        "类别：其他；项目/补助标准：另行通知",
    ]


def test_xlsx_sheets_merged_cells_and_numbers(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "补助"
    ws.append(["地区", "项目", "金额（万元）"])
    ws.append(["杭州", "改造", 30])
    ws.append([None, "平台", 5.5])
    ws.merge_cells("A2:A3")
    other = wb.create_sheet("联系人")
    other.append(["部门", "电话"])
    other.append(["中小企业处", "0571-12345678"])
    p = tmp_path / "funds.xlsx"
    wb.save(p)
    doc = load_file(p, max_bytes=MB)
    sheets = {s.heading_path: s.text for s in _tables(doc)}
    assert sheets[("补助",)].split("\n") == ["地区：杭州；项目：改造；金额（万元）：30", "地区：杭州；项目：平台；金额（万元）：5.5"]
    assert sheets[("联系人",)] == "部门：中小企业处；电话：0571-12345678"


@pytest.mark.parametrize("encoding,sep", [("utf-8-sig", ","), ("gbk", ";"), ("utf-8", "\t")])
def test_csv(tmp_path, encoding, sep):
    p = tmp_path / "funds.csv"
    p.write_bytes("\n".join(sep.join(r) for r in GRID).encode(encoding))
    doc = load_file(p, max_bytes=MB)
    assert _tables(doc)[0].text.split("\n") == ROWS


def test_pdf_ruled_table_rows_with_header_and_not_twice(tmp_path):
    p = tmp_path / "funds.pdf"
    p.write_bytes(text_pdf([["关于开展试点的通知", "补助标准见下表。"]], table=GRID))
    doc = load_file(p, max_bytes=MB)
    [table] = _tables(doc)
    assert table.text.split("\n") == ROWS and table.page == 1
    text = next(s for s in doc.sections if s.kind == "text").text
    assert "补助标准见下表" in text and "改造补助" not in text  # the cells are not repeated in the page text


def test_chunker_never_cuts_inside_a_row():
    rows = [f"项目：第{i}项数字化改造；补助标准：{i * 10}万元；说明：按照实际投入的30%给予补助" for i in range(40)]
    doc = Document(source="t.xlsx", title="补助", sections=(Section(text="\n".join(rows), kind="table"),))
    chunks = chunk_document(doc, size=200, overlap=1)
    assert len(chunks) > 5
    seen = []
    for c in chunks:
        lines = c.text.split("\n")
        assert all(line in rows for line in lines), lines  # whole rows only
        assert len(c.text) <= 200
        seen += lines
    assert seen == rows  # every row once, in order: no overlap inside a table


def test_an_overlong_row_is_still_split_to_fit():
    row = "项目：" + "很长的说明文字，" * 40 + "补助30万元"
    doc = Document(source="t.csv", title="t", sections=(Section(text=row, kind="table"),))
    chunks = chunk_document(doc, size=120)
    assert len(chunks) > 1 and all(len(c.text) <= 120 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == row.replace(" ", "")
