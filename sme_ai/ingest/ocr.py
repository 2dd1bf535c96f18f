"""OCR with RapidOCR (PP-OCRv4 Chinese models inside the rapidocr-onnxruntime wheel: nothing is downloaded).

`recognise(image)` turns a PIL image into text lines (boxes on one line joined, reading order) and the mean
confidence of what it read. Before recognition the page is made grey and its contrast stretched (faint scans).
A page is read without RapidOCR's line-direction classifier first (on level pages it wrongly flips a few whole
lines, which are then lost), and again with it only when that reading is poor (a page upside down or turned
anticlockwise). The page's orientation, from the boxes' shape and the classifier's labels, puts the lines back
in reading order.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sme_ai.errors import CorruptFileError, NoTextInImageError, OcrUnavailableError
from sme_ai.ingest.cleanup import repair_line_breaks
from sme_ai.ingest.limits import Limits
from sme_ai.ingest.official import official_metadata, title_from_lines
from sme_ai.ingest.spacing import repair_number_spacing
from sme_ai.text import HAN, normalize_text
from sme_ai.types import Section

CLS_RETRY_BELOW = 0.9  # mean confidence under which a page is read again with the line-direction classifier
MAX_SIDE = 3000  # larger images are scaled down first (the detector works at about 1000–2000 px anyway)
_lock = threading.Lock()
# OCR reads 〔〕 as 【】, [], () in any mix: a 文号 gets its proper brackets back
_DOC_NUMBER = re.compile(rf"(?<=[{HAN}])\s*[〔\[［【(（{{]\s*(\d{{4}})\s*[〕\]］】)）}}]\s*(\d{{1,4}})\s*(?=号)")
_YEAR_DASH = re.compile(r"(?<=\d{4})\s*[一－\-~～]\s*(?=\d{4}\s*年)")


@dataclass(frozen=True)
class OcrText:
    text: str
    confidence: float | None  # mean over the recognised boxes, weighted by their length; None if nothing read
    boxes: int


class _ClsRecorder:
    """Wraps RapidOCR's line-direction classifier to keep its labels: "180" for most lines means the page is
    upside down (or, with upright boxes, turned 90° anticlockwise), which fixes the reading order."""

    def __init__(self, cls):
        self.cls, self.labels = cls, []

    def __call__(self, images):
        out = self.cls(images)
        self.labels = [str(r[0]) for r in (out[1] or [])]
        return out


@lru_cache(maxsize=1)
def _engine():
    from rapidocr_onnxruntime import RapidOCR  # a core dependency; its models ship inside the wheel

    engine = RapidOCR()
    if hasattr(engine, "text_cls"):  # rapidocr-onnxruntime 1.4: the classifier is an attribute
        engine.text_cls = _ClsRecorder(engine.text_cls)
    return engine


def _prepare(image):
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    if max(image.size) > MAX_SIDE:
        scale = MAX_SIDE / max(image.size)
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    return ImageOps.autocontrast(image.convert("L"), cutoff=1).convert("RGB")


def is_blank(image, spread: int = 12) -> bool:
    """Nothing on the page: almost every pixel has the same grey (a blank page costs no OCR)."""
    grey = image.convert("L")
    lo, hi = grey.getextrema()
    if hi - lo < spread:
        return True
    hist = grey.histogram()
    top = max(range(256), key=hist.__getitem__)
    near = sum(hist[max(0, top - spread) : top + spread + 1])
    return near / max(1, sum(hist)) > 0.9995


def _upright(box: list, orientation: str, width: float, height: float) -> list[tuple[float, float]]:
    """A box's corners in the frame of the page as it should be read."""
    turn = {"normal": lambda x, y: (x, y), "180": lambda x, y: (width - x, height - y),
            "ccw": lambda x, y: (height - y, x), "cw": lambda x, y: (y, width - x)}[orientation]
    return [turn(float(p[0]), float(p[1])) for p in box]


def orientation(result: list, flipped_share: float) -> str:
    """How the page lies: text lines upright (boxes taller than wide) mean a page turned by 90°; the classifier
    saying "180" for most lines tells which way (or that a level page is upside down)."""
    tall = sum(_height(b) > 2 * _width(b) for b, _, _ in result) / max(1, len(result))
    if tall > 0.6:
        return "ccw" if flipped_share > 0.5 else "cw"
    return "180" if flipped_share > 0.5 else "normal"


def _width(box) -> float:
    return max(p[0] for p in box) - min(p[0] for p in box)


def _height(box) -> float:
    return max(p[1] for p in box) - min(p[1] for p in box)


def _lines(result: list, orient: str = "normal", size: tuple[float, float] = (0.0, 0.0)) -> list[str]:
    """Boxes grouped into lines by their vertical centre, each line read left to right, in the page's frame."""
    boxes = []
    for box, text, _ in result:
        pts = _upright(box, orient, *size)
        ys = [p[1] for p in pts]
        boxes.append((min(ys), max(ys), min(p[0] for p in pts), text))
    boxes.sort(key=lambda b: (b[0] + b[1]) / 2)
    lines: list[list[tuple]] = []
    for b in boxes:
        mid = (b[0] + b[1]) / 2
        if lines and abs(mid - sum((x[0] + x[1]) / 2 for x in lines[-1]) / len(lines[-1])) < (b[1] - b[0]) / 2:
            lines[-1].append(b)
        else:
            lines.append([b])
    return [_join([x[3] for x in sorted(line, key=lambda x: x[2])]) for line in lines]


def _join(parts: list[str]) -> str:
    """Boxes of one line side by side: a space only between two ASCII words."""
    out = ""
    for p in parts:
        out += " " + p if out and out[-1].isascii() and out[-1].isalnum() and p[:1].isascii() else p
    return out


def _run(image, use_cls: bool) -> tuple[list, float, float]:
    """RapidOCR's boxes, their mean confidence (weighted by length) and the share of lines it found upside down."""
    import numpy as np

    with _lock:  # one onnxruntime session, already using every core
        engine = _engine()
        recorder = getattr(engine, "text_cls", None)
        if isinstance(recorder, _ClsRecorder):
            recorder.labels = []
        result, _ = engine(np.asarray(image), use_cls=use_cls)
        labels = list(getattr(recorder, "labels", []))
    result = result or []
    chars = sum(len(t) for _, t, _ in result)
    score = sum(float(s) * len(t) for _, t, s in result) / chars if chars else 0.0
    flipped = sum(lb == "180" for lb in labels) / len(labels) if labels else 0.0
    return result, score, flipped


def _best_run(image) -> tuple[list, float, float]:
    """Without the line-direction classifier first: on a level page it flips a few full lines by mistake, and those
    lines are lost. Only a page read poorly that way (upside down, or turned anticlockwise) is read again with it."""
    result, score, flipped = _run(image, use_cls=False)
    if score < CLS_RETRY_BELOW:
        again = _run(image, use_cls=True)
        if sum(len(t) for _, t, _ in again[0]) * again[1] > sum(len(t) for _, t, _ in result) * score:
            result, score, flipped = again
    return result, score, flipped


def fix_ocr_text(text: str) -> str:
    """What OCR typically gets wrong in Chinese official text: the brackets of a 文号, the dash of a year range
    read as 一, and spaces inside numbers."""
    text = _DOC_NUMBER.sub(lambda m: f"〔{m.group(1)}〕{m.group(2)}", text)
    text = _YEAR_DASH.sub("—", text)
    return repair_number_spacing(text)


def recognise(image) -> OcrText:
    image = _prepare(image)
    result, score, flipped = _best_run(image)
    if not result:
        return OcrText("", None, 0)
    lines = _lines(result, orientation(result, flipped), image.size)
    text = normalize_text("\n".join(lines))  # line breaks are repaired by the caller, after metadata
    return OcrText(fix_ocr_text(text), round(score, 4), len(result))


def load_image(path: Path, data: bytes, limits: Limits, **_: Any) -> tuple[list[Section], dict[str, Any]]:
    """A photo or scan of a page (PNG, JPEG): one section, marked with its OCR confidence."""
    import io
    import warnings

    from PIL import Image

    if not limits.ocr:
        raise OcrUnavailableError(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise CorruptFileError(path, f"image: {e}") from e
    if is_blank(image):
        raise NoTextInImageError(path)
    ocr = recognise(image)
    if not ocr.text:
        raise NoTextInImageError(path)
    meta: dict[str, Any] = official_metadata(ocr.text)
    if title := title_from_lines(ocr.text.split("\n")):
        meta["title"] = title
    return [Section(text=repair_line_breaks(ocr.text), ocr_confidence=ocr.confidence)], meta
