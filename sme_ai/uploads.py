"""Uploaded files (the web app's and the HTTP API's): checked for type and size, then copied under a generated
folder with a sanitised name.

The stored name never carries the user's path: folders, drive letters, `..`, control and shell characters are
dropped. The knowledge base keys the document by that sanitised name, so uploading a file again updates it.
"""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from sme_ai.errors import IngestError

UPLOAD_TYPES = (".pdf", ".docx", ".xlsx", ".pptx", ".csv", ".md", ".txt", ".html", ".htm", ".png", ".jpg",
                ".jpeg")  # documents for the knowledge base (images and scanned PDFs are read by OCR)
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w is Unicode-aware: Chinese names stay readable
_MAGIC = {".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".pptx": (b"PK\x03\x04",),
          ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}


class UploadRejectedError(IngestError):
    """An upload refused before ingestion. `path` is the sanitised display name, never a server path."""


@dataclass(frozen=True)
class StoredUpload:
    name: str  # sanitised display name; the document's source key
    path: Path  # where the copy lives on the server


def safe_name(name: str, default: str = "file") -> str:
    """The last component of `name`, NFKC-normalised, with anything but letters, digits, `.`, `-`, `_` replaced."""
    base = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80] or default
    suffix = _UNSAFE.sub("", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(path: Path, name: str, *, allowed: tuple[str, ...], max_bytes: int) -> None:
    display = safe_name(name)
    suffix = Path(display).suffix.lower()
    if suffix not in allowed:
        raise UploadRejectedError(display, f"不支持的文件类型 '{suffix or '(无)'}'，仅支持 {' '.join(allowed)}。")
    size = Path(path).stat().st_size
    if size > max_bytes:
        raise UploadRejectedError(display, f"文件过大（{size / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB。")
    if size == 0:
        raise UploadRejectedError(display, "文件为空。")
    with open(path, "rb") as f:
        head = f.read(8)
    if suffix in _MAGIC and not head.startswith(_MAGIC[suffix]):
        raise UploadRejectedError(display, f"文件内容不是有效的 {suffix} 格式，请重新导出后上传。")


def store_upload(path: Path | str, name: str, folder: Path, *, allowed: tuple[str, ...], max_bytes: int) -> StoredUpload:
    """Check and copy one upload into `folder/<time>-<random>/<safe name>`. Raises UploadRejectedError."""
    path = Path(path)
    check_upload(path, name, allowed=allowed, max_bytes=max_bytes)
    display = safe_name(name)
    target = Path(folder) / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}" / display
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return StoredUpload(name=display, path=target)
