"""Upload types of the web app. Its settings (host, port, admin token, limits, cache, queue) are fields of the one
`sme_ai.config.Settings`, read from the same `SME_AI_*` environment and TOML file."""

from __future__ import annotations

UPLOAD_TYPES = (".pdf", ".docx", ".md", ".txt", ".html", ".htm")
QUESTION_LIST_TYPES = (".txt", ".csv", ".xlsx", ".jsonl")
