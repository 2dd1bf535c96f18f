"""What every command shares: validated settings from the global flags, the Assistant, progress bars."""

from __future__ import annotations

import sys
from pathlib import Path

from sme_ai.config import Settings


def settings_from(args, **overrides) -> Settings:
    """Settings from the global flags and `overrides`, validated like any other source: `--chunk-size 10` is a
    clear error, never a silently accepted value."""
    given = {"data_dir": Path(args.data_dir) if getattr(args, "data_dir", None) else None,
             "llm_backend": getattr(args, "llm_backend", None), "llm_model": getattr(args, "llm_model", None),
             **overrides}
    return Settings(**{k: v for k, v in given.items() if v is not None})  # invalid values: SettingsError


def assistant_from(args, **overrides):
    from sme_ai.assistant import Assistant

    return Assistant(settings_from(args, **overrides))


class Bars:
    """tqdm bars fed by the library's progress callback, one per stage."""

    def __init__(self):
        self.bars = {}

    def __call__(self, stage: str, done: int, total: int, detail: str = ""):
        from tqdm import tqdm

        labels = {"load": "读取文件", "ocr": "文字识别", "embed": "向量化", "download": "下载", "assemble": "组装"}
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), unit="", file=sys.stderr)
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self):
        for bar in self.bars.values():
            bar.close()
