"""Folders shipped with the package: the prompt templates and the knowledge base in `corpora/`.

In the repository they stay at the top level; the wheel maps them into the package (`sme_ai/prompts`,
`sme_ai/corpora`; see `[tool.hatch.build.targets.wheel.force-include]` in pyproject.toml), so an installed package
finds them inside itself and a checkout finds them beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """`prompts` or `corpora`: inside the installed package, else at the top of the checkout."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def prompts_dir() -> Path:
    return shipped("prompts")


def corpus_dir() -> Path:
    return shipped("corpora")
