"""The plan as Markdown and as DOCX (python-docx, with the East Asian font set so Chinese renders everywhere)."""

from __future__ import annotations

from pathlib import Path

from sme_ai.assess.indicators import level_name
from sme_ai.plan.model import Plan, PlanSection, Reference, Table

BODY_FONT = "宋体"  # SimSun: on every Chinese Windows; LibreOffice substitutes an installed CJK font
HEADING_FONT = "黑体"  # SimHei
LATIN_FONT = "Times New Roman"


def _subtitle(plan: Plan) -> str:
    p, t = plan.profile, plan.target
    level = "待自测" if plan.assessment_level is None else level_name(plan.assessment_level)
    return (f"{p.industry} · {p.region} · {p.tier} · 当前等级：{level} · 目标：{level_name(t.target)}"
            f"（12个月内{level_name(t.milestone)}） · 生成日期：{plan.created} · 撰写方式：{plan.mode}")


def reference_line(r: Reference) -> str:
    where = " · ".join(x for x in (r.section, f"第{r.page}页" if r.page else "") if x)
    return f"[{r.n}] 《{r.title}》{where}（{r.source}）：“{r.quote}”"


# --- Markdown ----------------------------------------------------------------------------------


def _md_table(t: Table) -> list[str]:
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", "<br>")  # noqa: E731
    return ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)] + [
        "| " + " | ".join(esc(c) for c in row) + " |" for row in t.rows]


def _md_section(k: int, s: PlanSection, plan: Plan) -> list[str]:
    out = [f"## {k}. {s.title}", ""]
    out += [f"- {f}" for f in s.facts]
    out += [f"- 依据：{b}" for b in s.basis]
    if s.facts or s.basis:
        out.append("")
    if s.table:
        out += _md_table(s.table) + [""]
    if s.body:
        out += _md_body(s.body) + [""]
    if s.key == "references":
        out += [reference_line(r) for r in plan.references] or ["（没有引用）"]
        out.append("")
    return out


def body_blocks(body: str) -> list[tuple[bool, str]]:
    """The prose as (is list item, text) lines: list items stay list items."""
    return [(line.startswith("- "), line[2:] if line.startswith("- ") else line)
            for line in (x.strip() for x in body.splitlines()) if line]


def _md_body(body: str) -> list[str]:
    out, prev = [], None
    for item, text in body_blocks(body):
        if prev is not None and item != prev:
            out.append("")  # a blank line between a list and prose, or the prose joins the last item
        out.append(f"- {text}" if item else text)
        prev = item
    return out


def render_markdown(plan: Plan) -> str:
    lines = [f"# {plan.title}", "", _subtitle(plan), ""]
    for k, s in enumerate(plan.sections, start=1):
        lines += _md_section(k, s, plan)
    return "\n".join(lines).rstrip() + "\n"


def export_markdown(plan: Plan, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(plan), encoding="utf-8")
    return path


# --- DOCX --------------------------------------------------------------------------------------


def _set_fonts(style_or_run, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts explicitly, East Asian included, and drop theme fonts that would override them."""
    from docx.oxml.ns import qn

    style_or_run.font.name = latin
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        fonts.set(qn(attr), value)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _styles(doc) -> None:
    from docx.shared import Pt, RGBColor

    normal = doc.styles["Normal"]
    _set_fonts(normal, BODY_FONT)
    normal.font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[name]
        _set_fonts(style, HEADING_FONT)
        style.font.color.rgb = RGBColor(0x1F, 0x2D, 0x3D)
    for name in ("List Bullet", "List Number", "Table Grid"):
        if name in [s.name for s in doc.styles]:
            _set_fonts(doc.styles[name], BODY_FONT)


def _widths(t: Table, total_cm: float = 16.0) -> list[float]:
    """Column widths in proportion to their average text length (clamped), so long columns get the room."""
    weights = []
    for i, head in enumerate(t.columns):
        lengths = [len(head)] + [len(str(r[i])) for r in t.rows]
        weights.append(min(40.0, max(6.0, sum(lengths) / len(lengths))))
    return [total_cm * w / sum(weights) for w in weights]


def _docx_table(doc, t: Table) -> None:
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, t.columns):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        _set_fonts(run, HEADING_FONT)
    for row in t.rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = str(text)
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(9)
                    _set_fonts(run, BODY_FONT)
    widths = _widths(t)
    for column, width in zip(table.columns, widths):  # the grid (LibreOffice reads it) and each cell (Word)
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)


def _docx_section(doc, k: int, s: PlanSection, plan: Plan, chart: Path | None) -> None:
    doc.add_heading(f"{k}. {s.title}", level=1)
    for f in s.facts:
        doc.add_paragraph(f, style="List Bullet")
    for b in s.basis:
        doc.add_paragraph("依据：" + b, style="List Bullet")
    if s.key == "diagnosis" and chart is not None:
        from docx.shared import Cm

        doc.add_picture(str(chart), width=Cm(16))
    if s.table:
        _docx_table(doc, s.table)
    for item, text in body_blocks(s.body):
        doc.add_paragraph(text, style="List Bullet" if item else None)
    if s.key == "references":
        from docx.shared import Cm

        for r in plan.references:  # numbered by their own [n], which the text cites: no list numbering on top
            par = doc.add_paragraph(reference_line(r))
            par.paragraph_format.left_indent = Cm(0.9)
            par.paragraph_format.first_line_indent = Cm(-0.9)


def export_docx(plan: Plan, path: Path | str, chart: Path | str | None = None) -> Path:
    """Write the plan as a Word document; `chart` (a PNG, e.g. from `sme_ai.assess.chart.render_chart`) goes under the diagnosis."""
    from docx import Document

    path = Path(path)
    doc = Document()
    _styles(doc)
    doc.core_properties.title = plan.title
    doc.core_properties.language = "zh-CN"
    doc.add_heading(plan.title, level=0)
    doc.add_paragraph(_subtitle(plan))
    for k, s in enumerate(plan.sections, start=1):
        _docx_section(doc, k, s, plan, Path(chart) if chart else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
