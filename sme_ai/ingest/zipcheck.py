"""DOCX, XLSX and PPTX files are zips: refuse a zip bomb before any parser inflates it.

The sizes checked are those the zip's directory declares; Python's zipfile never inflates a member past its
declared size, so a lying directory cannot get more data through a parser than was checked here.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sme_ai.errors import CorruptFileError, ZipBombError
from sme_ai.ingest.limits import Limits

MAX_MEMBERS = 10_000


def check_zip(path: Path, data: bytes, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
        raise CorruptFileError(path, f"not a valid Office file (zip): {e}") from e
    if len(infos) > MAX_MEMBERS:
        raise CorruptFileError(path, f"{len(infos)} members in the zip (more than {MAX_MEMBERS})")
    total = sum(i.file_size for i in infos)
    biggest = max(infos, key=lambda i: i.file_size, default=None)
    member = biggest.filename if biggest else ""
    ratio = total / max(1, len(data))
    if total > limits.max_unzipped_bytes or ratio > limits.max_zip_ratio:
        raise ZipBombError(path, total, len(data), limit_bytes=limits.max_unzipped_bytes,
                           limit_ratio=limits.max_zip_ratio, member=member)
