"""Web pages as people save them: main content by trafilatura (falling back to the page's own structure),
without inline SVG, scripts, styles, navigation or hidden elements; data tables row by row with their header.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

from sme_ai.ingest.encoding import decode_text
from sme_ai.ingest.limits import Limits
from sme_ai.ingest.official import official_metadata
from sme_ai.ingest.outline import sections_from_markdown
from sme_ai.ingest.spacing import repair_number_spacing
from sme_ai.ingest.tables import table_section
from sme_ai.text import normalize_text
from sme_ai.types import Section

_DROP = ["script", "style", "svg", "nav", "footer", "header", "noscript", "template", "iframe", "form", "aside",
         "button", "select", "object", "canvas", "math"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")
_TITLE_SUFFIX = re.compile(r"\s*(?:[_|｜]|\s-\s).*$")
MIN_MAIN_CHARS = 200  # below this trafilatura guesses; the page's own headings and paragraphs are better


def _is_hidden(tag) -> bool:
    attrs = getattr(tag, "attrs", None) or {}
    return ("hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true"
            or bool(_HIDDEN_STYLE.search(str(attrs.get("style", "")))))


def _clean(soup) -> None:
    for tag in soup(_DROP):
        tag.decompose()
    for tag in soup.find_all(_is_hidden):
        if not tag.decomposed:
            tag.decompose()


def _grid(table) -> list[list[str]]:
    """Cell texts with rowspan and colspan repeated into every position they cover."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.find_all("tr")):
        row: list[str] = []
        c = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in pending:
                row.append(pending.pop((r, c)))
                c += 1
            text = cell.get_text(" ", strip=True)
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for k in range(span):
                row.append(text)
                for d in range(1, down):
                    pending[(r + d, c + k)] = text
            c += span
        while (r, c) in pending:
            row.append(pending.pop((r, c)))
            c += 1
        grid.append(row)
    return grid


def _int(value) -> int:
    try:
        return max(1, min(50, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _take_tables(soup) -> list[tuple[tuple[str, ...], Section]]:
    """Data tables (no table inside, at least two rows) out of the page, each with the heading above it."""
    found = []
    for table in soup.find_all("table"):
        if table.decomposed or table.find("table") or len(table.find_all("tr")) < 2:
            continue  # a layout table: its text stays in the page
        heading = table.find_previous(["h1", "h2", "h3", "h4", "h5", "h6"])
        path = (normalize_text(heading.get_text(" ", strip=True)),) if heading else ()
        section = table_section(_grid(table))
        caption = table.find("caption")
        if section:
            if caption and caption.get_text(strip=True):
                section = Section(text=normalize_text(caption.get_text(" ", strip=True)) + "\n" + section.text,
                                  kind="table")
            found.append((path, section))
        table.decompose()
    return found


def _fallback_lines(soup) -> list[str]:
    root = soup.find("article") or soup.find("main") or soup.body or soup
    lines = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "pre", "div"]):
        if el.name == "div" and el.find(["p", "div", "li", "h1", "h2", "h3", "table"]):
            continue
        txt = el.get_text(" ", strip=True)
        if txt:
            lines.append(f"{'#' * int(el.name[1])} {txt}" if el.name[0] == "h" and el.name[1:].isdigit() else txt)
    return lines


def _main_text(soup) -> str:
    import trafilatura

    text = trafilatura.extract(str(soup), output_format="markdown", include_tables=False, include_comments=False,
                               include_images=False, include_links=False, deduplicate=False) or ""
    if len(text) >= MIN_MAIN_CHARS:
        return text
    return "\n".join(_fallback_lines(soup))


def _title(soup) -> str:
    if soup.title and (t := soup.title.get_text(" ", strip=True)):
        short = _TITLE_SUFFIX.sub("", t)
        return short if len(short) >= 4 else t
    h1 = soup.find("h1")
    return h1.get_text(" ", strip=True) if h1 else ""


def repair_web_text(text: str) -> str:
    """Entities left over (double-escaped pages show `&nbsp;`), spaces inside numbers and units."""
    text = _ENTITY.sub(lambda m: html_lib.unescape(m.group(0)), text)
    return repair_number_spacing(normalize_text(text))


def load_html(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    from bs4 import BeautifulSoup

    markup = decode_text(data, path)  # the text's length is checked by load_file: saved pages carry big inline images
    soup = BeautifulSoup(markup, "lxml")
    title = normalize_text(_title(soup))
    _clean(soup)
    tables = _take_tables(soup)
    text = repair_web_text(_main_text(soup))
    sections = sections_from_markdown(text)
    for heading, table in tables:
        sections.append(Section(text=repair_web_text(table.text), heading_path=heading, kind="table"))
    meta: dict[str, Any] = official_metadata(text)
    if title:
        meta["title"] = title
    return sections, meta
