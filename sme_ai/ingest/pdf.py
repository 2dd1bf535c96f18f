"""PDF: the text layer page by page (pypdf), tables with their headers (pdfplumber), and OCR for pages without
a text layer (rendered with pypdfium2), so a scanned or a mixed PDF is read page by page.

Limits: the page count is checked before anything is read, the parse time between pages, and the number of
pages that need OCR before the first is recognised.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from sme_ai.errors import CorruptFileError, EncryptedPdfError, ScannedPdfError, TooManyPagesError
from sme_ai.ingest.cleanup import repair_line_breaks, strip_repeated_lines
from sme_ai.ingest.limits import Deadline, Limits, report
from sme_ai.ingest.official import clean_title, official_metadata, title_from_lines
from sme_ai.ingest.spacing import repair_number_spacing
from sme_ai.ingest.tables import table_section
from sme_ai.text import normalize_text
from sme_ai.types import Progress, Section

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 10  # a page with less text than this (a page number, a stamp) is read by OCR
RENDER_LONG_SIDE = 2000  # pixels on the long side of a page rendered for OCR (about 170 dpi for A4)


def _open(path: Path, data: bytes):
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedPdfError(path)
        return reader, len(reader.pages)
    except EncryptedPdfError:
        raise
    except Exception as e:  # pypdf can raise almost anything on a mangled file
        if type(e).__name__ in ("DependencyError", "FileNotDecryptedError") or any(
                w in str(e).lower() for w in ("encrypt", "password")):
            raise EncryptedPdfError(path) from e
        raise CorruptFileError(path, str(e) or type(e).__name__) from e


def _has_image(page) -> bool:
    try:
        xobjects = page["/Resources"].get_object().get("/XObject") or {}
        return any(xobjects[name].get_object().get("/Subtype") == "/Image" for name in xobjects)
    except Exception:  # odd resources: assume a scan rather than lose the page
        return True


def _needs_ocr(text: str, page) -> bool:
    """No text layer, or next to none (a page number, a stamp) on a page that holds an image."""
    chars = len("".join(text.split()))
    return chars == 0 or (chars < MIN_TEXT_CHARS and _has_image(page))


def _text_layer(path: Path, reader, n: int, deadline: Deadline) -> list[str]:
    pages = []
    for i, page in enumerate(reader.pages):
        try:
            pages.append((page.extract_text() or "").replace("\x00", ""))  # some CID fonts leave NULs
        except Exception as e:  # one broken page: the file is broken
            raise CorruptFileError(path, f"page {i + 1}: {e or type(e).__name__}") from e
        deadline.check(i + 1, n)
    return pages


def _tables(data: bytes, pages: list[int], deadline: Deadline, n: int) -> dict[int, tuple[list[Section], str]]:
    """Per page with ruled tables: the table sections, and the page's text outside them."""
    import pdfplumber

    found: dict[int, tuple[list[Section], str]] = {}
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for no in pages:
                page = pdf.pages[no - 1]
                tables = page.find_tables()
                if tables:
                    boxes = [t.bbox for t in tables]
                    rest = page.filter(lambda o: not any(_inside(o, b) for b in boxes)).extract_text() or ""
                    sections = [s for t in tables if (s := table_section(t.extract(), page=no))]
                    found[no] = (sections, rest)
                deadline.check(no, n)
    except Exception as e:  # tables are a bonus: the text layer is still there
        if type(e).__name__ == "ParseTimeoutError":
            raise
        log.debug("pdfplumber failed on a PDF: %s", e)
    return found


def _inside(obj: dict, bbox: tuple) -> bool:
    x0, top, x1, bottom = bbox
    cx = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
    cy = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
    return x0 <= cx <= x1 and top <= cy <= bottom


def _ocr_pages(path: Path, data: bytes, pages: list[int], deadline: Deadline, n: int,
               progress: Progress | None) -> dict[int, tuple[str, float | None]]:
    import pypdfium2 as pdfium

    from sme_ai.ingest.ocr import is_blank, recognise

    out: dict[int, tuple[str, float | None]] = {}
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise CorruptFileError(path, f"cannot render pages for OCR: {e}") from e
    try:
        for k, no in enumerate(pages, start=1):
            page = doc[no - 1]
            width, height = page.get_size()
            scale = min(3.0, max(1.0, RENDER_LONG_SIDE / max(width, height, 1)))
            image = page.render(scale=scale).to_pil()
            if not is_blank(image):
                ocr = recognise(image)
                if ocr.text:
                    out[no] = (ocr.text, ocr.confidence)
            report(progress, "ocr", k, len(pages), f"{path.name} p.{no}")
            deadline.check(no, n)
    finally:
        doc.close()
    return out


def load_pdf(path: Path, data: bytes, limits: Limits, progress: Progress | None = None,
             **_: Any) -> tuple[list[Section], dict[str, Any]]:
    reader, n = _open(path, data)
    if n > limits.max_pdf_pages:
        raise TooManyPagesError(path, n, limits.max_pdf_pages)
    deadline = Deadline(path, limits.max_parse_seconds)
    raw = _text_layer(path, reader, n, deadline)
    need_ocr = [i + 1 for i, t in enumerate(raw) if _needs_ocr(t, reader.pages[i])]
    with_text = [i + 1 for i in range(n) if i + 1 not in need_ocr]
    ocr: dict[int, tuple[str, float | None]] = {}
    if need_ocr and limits.ocr:
        if len(need_ocr) > limits.max_ocr_pages:
            raise TooManyPagesError(path, len(need_ocr), limits.max_ocr_pages, what="ocr pages",
                                    setting="SME_AI_MAX_OCR_PAGES")
        ocr = _ocr_pages(path, data, need_ocr, deadline, n, progress)
    tables = _tables(data, with_text, deadline, n) if with_text else {}
    texts = []
    for no in range(1, n + 1):
        if no in ocr and len(ocr[no][0]) >= len(raw[no - 1].strip()):
            texts.append(ocr[no][0])
        elif no in tables:
            texts.append(normalize_text(tables[no][1].replace("\x00", "")))
        else:
            ocr.pop(no, None)
            texts.append(normalize_text(raw[no - 1]))
    if not any(t.strip() for t in texts) and not tables:
        raise ScannedPdfError(path, n, ocr_tried=bool(need_ocr and limits.ocr))
    texts = strip_repeated_lines(texts)
    meta: dict[str, Any] = official_metadata("\n".join(texts))  # before line repair: 文号 and dates alone on lines
    sections: list[Section] = []
    for no, text in enumerate(texts, start=1):
        if text.strip():
            conf = ocr[no][1] if no in ocr else None
            sections.append(Section(text=repair_number_spacing(repair_line_breaks(text)), page=no,
                                    ocr_confidence=conf))
        sections.extend(tables.get(no, ([], ""))[0])
    info = reader.metadata or {}
    title = clean_title(normalize_text(str(info.get("/Title") or "")))
    first = next((t for t in texts if t.strip()), "")
    if title := title or title_from_lines(first.split("\n")):
        meta["title"] = title
    return sections, meta
