"""PDFs and page images made by the tests themselves: a real CJK text layer (fpdf2 + Noto Sans CJK from Debian's
fonts-noto-cjk), pages rendered to images (pypdfium2), and image-only "scanned" PDFs built from them."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

_KNOWN = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
]


def cjk_font() -> tuple[str, int]:
    """(font file, index in the collection) of a simplified-Chinese font, or skip saying how to get one."""
    for path in _KNOWN:
        if Path(path).exists():
            return path, 2  # in Noto's CJK collections index 2 is the SC face
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh-cn", "file"], capture_output=True, text=True).stdout
        for f in (line.split(":")[0].strip() for line in out.splitlines() if line.strip()):
            if f.endswith((".ttf", ".otf", ".ttc")):
                return f, 0
    pytest.skip("no CJK font on this machine: install Debian's fonts-noto-cjk (the Makefile does)")


_font_cache: dict[str, object] = {"chars": frozenset(), "path": None}


def _truetype_subset(chars: frozenset[str], out: Path) -> Path:
    """The CJK font cut down to `chars`, its CFF outlines turned into TrueType ones: fpdf2 writes a broken
    text layer (NULs, nothing for pdfminer) with CFF-flavoured fonts such as Noto CJK, a correct one with TrueType."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    path, index = cjk_font()
    font = TTFont(path, fontNumber=index, lazy=True)
    opts = subset.Options()
    opts.layout_features, opts.name_IDs, opts.notdef_outline = [], ["*"], True
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    if "CFF " in font:
        order, glyphs = font.getGlyphOrder(), font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder, glyf.glyphs = order, {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf.glyphs[name] = pen.glyph()
        font["glyf"], font["loca"] = glyf, newTable("loca")
        for tag in ("CFF ", "VORG"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"] = newTable("maxp")
        maxp.tableVersion, maxp.numGlyphs = 0x00010000, len(order)
        for attr in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxTwilightPoints",
                     "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                     "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["head"].glyphDataFormat = 0
        post = font["post"]
        post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
        font.sfntVersion = "\x00\x01\x00\x00"
    font.save(out)
    return out


def font_for(text: str) -> str:
    """A TrueType CJK font holding every character of `text` (rebuilt, with what it had, when one is missing)."""
    import tempfile

    need = frozenset(ch for ch in text if not ch.isspace()) | frozenset("0123456789%")
    have = _font_cache["chars"]
    if not need <= have or _font_cache["path"] is None:
        chars = have | need
        out = Path(tempfile.mkdtemp(prefix="sme-ai-font-")) / "cjk-subset.ttf"
        _font_cache["path"] = str(_truetype_subset(chars, out))
        _font_cache["chars"] = chars
    return str(_font_cache["path"])


def text_pdf(pages: list[list[str]], *, size: int = 14, title: str = "", table: list[list[str]] | None = None) -> bytes:
    """A PDF with a real CJK text layer: one list of paragraphs per page; `table` is drawn (ruled) on page 1."""
    from fpdf import FPDF

    everything = "".join(p for page in pages for p in page) + title + "".join(c for r in table or [] for c in r)
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=font_for(everything))
    if title:
        pdf.set_title(title)
    for n, paragraphs in enumerate(pages):
        pdf.add_page()
        pdf.set_font("cjk", size=size)
        for para in paragraphs:
            pdf.multi_cell(0, size * 0.75, para)
            pdf.ln(2)
        if table and n == 0:
            pdf.ln(4)
            from fpdf.fonts import FontFace

            with pdf.table(headings_style=FontFace()) as t:
                for row in table:
                    r = t.row()
                    for cell in row:
                        r.cell(cell)
    return bytes(pdf.output())


def render_pages(data: bytes, scale: float = 2.0) -> list:
    """Each page of a PDF as a PIL image."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].render(scale=scale).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def image_pdf(images: list, text_pages: dict[int, list[str]] | None = None) -> bytes:
    """A "scanned" PDF: each image fills an A4 page with no text layer; `text_pages` (0-based) get a text layer
    page instead, to make a mixed PDF."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    if text_pages:
        pdf.add_font("cjk", fname=font_for("".join(p for page in text_pages.values() for p in page)))
    for i, image in enumerate(images):
        pdf.add_page()
        if text_pages and i in text_pages:
            pdf.set_font("cjk", size=14)
            for para in text_pages[i]:
                pdf.multi_cell(0, 10, para)
            continue
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance over the reference length, whitespace ignored."""
    ref = "".join(reference.split())
    hyp = "".join(hypothesis.split())
    prev = list(range(len(hyp) + 1))
    for i, rc in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, hc in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rc != hc))
        prev = cur
    return prev[-1] / max(1, len(ref))
