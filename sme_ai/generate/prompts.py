"""Prompt templates live as files (the shipped `prompts/`, or a folder of your own) and are loaded by name."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sme_ai.errors import SmeAiError
from sme_ai.resources import prompts_dir


class PromptNotFoundError(SmeAiError):
    def __init__(self, name: str, folder: Path):
        super().__init__(f"Prompt '{name}' not found in {folder} (expected {name}.txt).")


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


def load_prompt(name: str, folder: Path | None = None) -> str:
    folder = Path(folder) if folder else prompts_dir()
    path = folder / f"{name}.txt"
    if not path.is_file():
        raise PromptNotFoundError(name, folder)
    return _read(path)
