"""Settings of the web app only (the library's own settings stay in `sme_ai.config.Settings`).

Read from the same `SME_AI_*` environment: `SME_AI_HOST`, `SME_AI_PORT`, `SME_AI_ADMIN_TOKEN`, `SME_AI_MAX_UPLOAD_MB`…
Nothing is created on disk here; the folders under `data_dir` are made by the code that writes into them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

UPLOAD_TYPES = (".pdf", ".docx", ".md", ".txt", ".html", ".htm")
QUESTION_LIST_TYPES = (".txt", ".csv", ".xlsx", ".jsonl")


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SME_AI_", extra="ignore")

    host: str = Field("127.0.0.1", description="bind address; loopback unless you mean to expose the app")
    port: int = Field(7860, ge=1, le=65535)
    share: bool = Field(False, description="a public Gradio share link: off unless asked for")
    admin_token: str = Field("", description="when set, changing the knowledge base and reading the log require it")
    max_upload_mb: float = Field(20.0, gt=0, description="per uploaded file")
    max_batch_questions: int = Field(300, ge=1, description="questions per uploaded list in the trainer view")
    cache_size: int = Field(2000, ge=0, description="answers kept in the answer cache (0 = no cache)")
    chat_concurrency: int = Field(200, ge=1, description="chat requests in flight (retrieval, cache hits and those "
                                  "waiting for the model); more wait in Gradio's queue, which shows their position")
    queue_max: int = Field(1000, ge=1, description="requests waiting in Gradio's queue before new ones are refused")
    max_threads: int = Field(320, ge=8, description="Gradio's worker threads (each chat request in flight holds one)")
    app_dir: Path | None = Field(None, description="question log, feedback, uploads (default: <data_dir>/app)")

    def folder(self, data_dir: Path) -> Path:
        return self.app_dir or Path(data_dir) / "app"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
