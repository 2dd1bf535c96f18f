"""Word and PowerPoint files: headings, paragraphs and tables (rows with their header), slides with numbers."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from sme_ai.errors import CorruptFileError
from sme_ai.ingest.limits import Limits
from sme_ai.ingest.official import clean_title, looks_like_title
from sme_ai.ingest.outline import Outline
from sme_ai.ingest.tables import table_section
from sme_ai.ingest.zipcheck import check_zip
from sme_ai.text import normalize_text
from sme_ai.types import Section

_HEADING_STYLE = re.compile(r"(?:Heading|标题)\s*(\d)")


def _docx_grid(table) -> list[list[str]]:
    """Rows of cell texts; python-docx repeats a merged cell in every grid position it covers."""
    return [[cell.text for cell in row.cells] for row in table.rows]


def load_docx(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    check_zip(path, data, limits)
    from docx import Document as Docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Docx(io.BytesIO(data))
    except Exception as e:  # python-docx raises several types for a broken package
        raise CorruptFileError(path, type(e).__name__) from e
    out = Outline()
    first_heading = first_line = ""
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, doc)
            text = normalize_text(p.text)
            if not text:
                continue
            style = (p.style.name if p.style is not None else "") or ""
            m = _HEADING_STYLE.match(style)
            if m or style == "Title":
                out.heading(int(m.group(1)) if m else 1, text)
                first_heading = first_heading or text
            else:
                out.line(text)
                first_line = first_line or text
        elif tag == "tbl":
            out.table(table_section(_docx_grid(Table(child, doc))))
    title = clean_title(normalize_text(doc.core_properties.title or "")) or first_heading
    if not title and looks_like_title(first_line):
        title = first_line
    return out.done(), {"title": title} if title else {}


def _shape_texts(shape) -> list[Section | str]:
    """Text lines and table sections of one shape, group shapes recursively, in reading order."""
    if shape.shape_type is not None and getattr(shape, "shapes", None) is not None:  # a group
        return [item for s in shape.shapes for item in _shape_texts(s)]
    if getattr(shape, "has_table", False) and shape.has_table:
        grid = [[cell.text for cell in row.cells] for row in shape.table.rows]
        section = table_section(grid)
        return [section] if section else []
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        return [t for t in (normalize_text(p.text) for p in shape.text_frame.paragraphs) if t]
    return []


def _slide_title(slide) -> str:
    shape = slide.shapes.title
    return normalize_text(shape.text_frame.text).replace("\n", " ") if shape is not None and shape.has_text_frame else ""


def load_pptx(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    """One section per slide (page = the slide number, heading = 第N页 and the slide title)."""
    check_zip(path, data, limits)
    from pptx import Presentation

    try:
        prs = Presentation(io.BytesIO(data))
    except Exception as e:  # python-pptx raises several types for a broken package
        raise CorruptFileError(path, type(e).__name__) from e
    sections: list[Section] = []
    first_title = ""
    for n, slide in enumerate(prs.slides, start=1):
        title = _slide_title(slide)
        first_title = first_title or title
        heading = (f"第{n}页 {title}" if title else f"第{n}页",)
        lines: list[str] = []
        for shape in slide.shapes:
            for item in _shape_texts(shape):
                if isinstance(item, Section):
                    sections.append(Section(text=item.text, heading_path=heading, page=n, kind="table"))
                elif item != title:
                    lines.append(item)
        if slide.has_notes_slide:
            notes = normalize_text(slide.notes_slide.notes_text_frame.text) if slide.notes_slide.notes_text_frame else ""
            if notes:
                lines.append(f"备注：{notes}")
        if not lines and title and not any(s.page == n for s in sections):
            lines.append(title)  # a title-only slide still says something
        if lines:
            sections.append(Section(text="\n".join(lines), heading_path=heading, page=n))
    sections.sort(key=lambda s: (s.page or 0, s.kind == "table"))
    title = clean_title(normalize_text(prs.core_properties.title or "")) or first_title
    return sections, {"title": title} if title else {}
