"""Uploaded files: the checks live in `sme_ai.uploads` (the HTTP API uses the same ones); the app adds its question
lists for the trainer view."""

from __future__ import annotations

from pathlib import Path

from sme_ai.uploads import UPLOAD_TYPES, StoredUpload, UploadRejectedError, check_upload, safe_name, store_upload

QUESTION_LIST_TYPES = (".txt", ".csv", ".xlsx", ".jsonl")  # question lists for the trainer view

__all__ = ["QUESTION_LIST_TYPES", "UPLOAD_TYPES", "StoredUpload", "UploadRejectedError", "check_upload",
           "discard_within", "safe_name", "store_upload"]


def discard_within(paths, root: Path | str | None) -> None:
    """Delete the files among `paths` that lie inside `root` (Gradio's upload folder), and their folders if empty;
    never anything outside it."""
    if not root:
        return
    root = Path(root).resolve()
    for p in paths or []:
        try:
            p = Path(p).resolve()
            if root in p.parents and p.is_file():
                p.unlink()
                if p.parent != root and not any(p.parent.iterdir()):
                    p.parent.rmdir()
        except OSError:
            continue
