"""The one Settings object: constructor > SME_AI_* environment > TOML file > defaults.

Nothing here touches the disk at import time; folders are created by the code that writes into them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def _default_home() -> Path:
    return Path.home() / ".cache" / "sme-ai"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "sme-ai"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SME_AI_", extra="forbid", validate_default=True)

    # where things live
    data_dir: Path = Field(default_factory=_default_data_dir, description="knowledge base (Chroma + BM25 + manifest)")
    home: Path = Field(default_factory=_default_home, description="model cache")

    # embedding
    embedder: Literal["sentence-transformers", "hash"] = "sentence-transformers"
    embedder_model: str = Field("embeddinggemma-300m", description="catalog name, or a sentence-transformers folder")
    embed_batch_size: int = Field(16, ge=1)
    embedder_dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    # onnx, 227 dev questions, 2-core AVX2 EPYC: query p50 277 → 126 ms, hybrid search 283 → 130 ms, cosine to
    # torch's vectors 1.0000 (evals/reports/bench_embed-20261207-s14.md); "auto" = onnx for a folder it can export
    # (EmbeddingGemma) where torch would run float32, else torch (bfloat16 on CPUs with avx512_bf16: not compared)
    embedder_runtime: Literal["auto", "onnx", "torch"] = Field("auto", description=(
        "how the sentence-transformers embedder runs: ONNX Runtime (exported once into the model cache) or torch"))
    query_cache_size: int = Field(1024, ge=0, description="query vectors kept (0 = embed every query)")
    query_batch_size: int = Field(16, ge=1, description="queries asked at the same time embedded in one model call "
                                  "(1 = each alone)")
    query_workers: int = Field(2, ge=1, le=16, description="model calls for queries run at once through ONNX Runtime "
                               "(torch always 1): a second call uses the cores the first leaves idle")
    # int8, dev set, 2-core AVX2 CPU: query p50 251 → 138 ms, hybrid hit@5 0.762 = 0.762, hit@1 0.683 → 0.678, but
    # the answers lose: extractive key facts 0.825 → 0.819, refusal 0.900 → 0.880 (0.860 with min_dense_score 0.38),
    # evals/reports/bench_embed-20261202-s11.md: not the default
    embedder_query_quantize: Literal["none", "int8"] = Field("none", description=(
        "queries through an int8 copy of the embedder's linear layers (CPU; documents keep full precision)"))

    # vector store: embedded Chroma under data_dir, a Chroma server, or in memory (tests)
    vector_store: Literal["chroma", "chroma-http", "memory"] = "chroma"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    chroma_collection_prefix: str = Field("", pattern=r"^([A-Za-z0-9][A-Za-z0-9_-]{1,40})?$", description=(
        "chroma-http: names this knowledge base's collections on the shared server (default: derived from the "
        "resolved data_dir, so tenants and knowledge bases never share one; workers sharing a knowledge base must "
        "see the same data_dir path or set the same prefix)"))

    # generation (used by later stages)
    llm_backend: Literal["llama-cpp", "transformers", "openai", "extractive"] = "llama-cpp"
    # the 0.5B since the eleventh session: on the whole dev set with the skeleton check it answers as the 1.5B does
    # (key facts 0.819 vs 0.825, one question; refusal 0.900 both) at under half the wait (one generation p50:
    # first token 3.0 vs 6.9 s, total 4.1 vs 9.4 s), one run: evals/reports/answers-20261202-s11.md; the 1.5B stays
    # in the catalog
    llm_model: str = Field("qwen2.5-coder-0.5b", description="catalog name, or a GGUF file / model folder path")
    llm_lora: str | None = Field(None, description="a LoRA adapter on top of llm_model (llama-cpp backend): a shipped "
                                                   "adapter's name (sme-ai-lora-0.5b) or a GGUF file (sme-ai tune export)")
    n_threads: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1)
    n_ctx: int = Field(4096, ge=512)
    max_answer_tokens: int = Field(220, ge=16)
    max_answer_chars: int = Field(240, ge=40, description="a chat answer is cut at a sentence past this many characters")
    openai_base_url: str = "http://127.0.0.1:8080"
    openai_model: str = ""
    openai_api_key: str = ""
    openai_timeout: float = 120.0
    llm_nice: int = Field(10, ge=0, le=19, description="the app's in-process model generates at this nice level, so "
                          "retrieval, quoted drafts and cached answers are served while it works (0: off)")
    llm_slots: int = Field(1, ge=1, le=64, description="generations the app runs at once: 1 for the in-process model; "
                           "a model server's parallel slots (llama-server --parallel N) behind the openai backend")

    # ingestion
    chunk_size: int = Field(360, ge=80, description="target chunk size in characters")
    chunk_overlap: int = Field(1, ge=0, le=5, description="sentences repeated between neighbouring chunks")
    max_file_mb: float = Field(50.0, gt=0)
    max_unzipped_mb: float = Field(256.0, gt=0, description="a DOCX/XLSX/PPTX (a zip) may decompress to at most this")
    max_zip_ratio: float = Field(100.0, gt=1, description="largest decompressed/compressed size ratio of such a zip "
                                 "(text-heavy Office files stay well under 30:1; a zip bomb is far above)")
    max_pdf_pages: int = Field(1000, ge=1, description="PDFs with more pages are refused")
    max_parse_seconds: float = Field(300.0, gt=0, description="time to read one PDF, OCR included (checked per page)")
    max_doc_chars: int = Field(3_000_000, ge=1000, description="characters of text one document may yield")
    ocr: bool = Field(True, description="recognise text in scanned PDF pages and images (RapidOCR, bundled models)")
    max_ocr_pages: int = Field(100, ge=1, description="pages of one document that may need OCR (about 3–10 s each)")

    # retrieval
    dense_k: int = Field(20, ge=1)
    bm25_k: int = Field(20, ge=1)
    rrf_k: int = Field(60, ge=1)
    top_k: int = Field(5, ge=1)

    # answering
    max_question_chars: int = Field(2000, ge=10)
    context_chars: int = Field(600, ge=100, description="budget for the compact context, in characters")
    context_passages: int = Field(4, ge=1)
    min_dense_score: float = Field(0.40, description="below this best dense cosine the answer is a refusal")
    # dev set, all 227, 0.5B, one run: first token p50 14.5 → 4.6 s, key facts 0.808 → 0.797, refusal 0.900 = 0.900,
    # claim support 0.961 → 0.969; 1.5B, 18 questions: first token p50 26.0 → 8.1 s
    model_context: Literal["passages", "evidence"] = Field("evidence", description=(
        "what the model's prompt holds: only the sentences the quoted answer selected (a third of the prompt, a "
        "first token ~3× sooner), or the compact context's passages"))
    # 3 instead of 5, 2-core Zen-1 EPYC: prompt 449 → 410 tokens p50, first token 5.3–5.6 → 4.9 s (bench_answer), but
    # key facts 0.859 → 0.853 and multihop 0.72 → 0.68 on the whole dev set (answers-20261207-s14.md): 5 stays
    model_evidence_sentences: int = Field(5, ge=1, le=5, description=(
        "how many of the quoted answer's sentences the model's evidence prompt holds (model_context=evidence): "
        "fewer prompt tokens, a sooner first token"))
    answer_skeleton: bool = Field(True, description=(
        "the model's answer must keep what the quoted evidence's first two sentences say, and a model refusal "
        "where retrieval found relevant passages is not believed: else the quoted answer is the answer (the "
        "small local models lose or misbind facts; turn off for a strong model of your own)"))
    skeleton_sentences: int = Field(2, ge=1, le=5, description=(
        "how many of the quoted answer's first sentences the model's answer must keep (answer_skeleton)"))
    prompts_dir: Path | None = Field(None, description="prompt templates (default: the shipped prompts/)")

    # the web app (app_gradio.py)
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
    max_wait_s: float | None = Field(90.0, gt=0, description="seconds a chat request waits for the busy model; "
                                     "then it gets the extractive answer (None: wait for ever)")
    max_threads: int = Field(320, ge=8, description="Gradio's worker threads (each chat request in flight holds one)")
    app_dir: Path | None = Field(None, description="question log, feedback, uploads (default: <data_dir>/app)")
    heavy_actions_need_token: bool | None = Field(None, description="trainer batches and plan drafting (long holds "
                                                  "on the one model) only for admin-token holders; None: when "
                                                  "admin_token is set")
    token_failures_allowed: int = Field(3, ge=1, description="wrong admin tokens per session or address before "
                                        "a lockout that doubles with each further failure")
    token_lockout_max_s: float = Field(300.0, gt=0, description="the longest lockout after wrong admin tokens")
    log_max_mb: float = Field(20.0, gt=0, description="question log and feedback: each file rotates at this size "
                              "(one older file is kept)")
    feedback_per_minute: int = Field(10, ge=1, description="feedback clicks accepted per session per minute")
    uploads_per_minute: int = Field(20, ge=1, description="files one session may upload per minute")

    # the HTTP API (`sme-ai serve`, sme_ai.api): one knowledge base per tenant under <data_dir>/tenants/<tenant>/
    api_host: str = Field("127.0.0.1", description="`sme-ai serve` bind address; loopback unless you mean to expose it")
    api_port: int = Field(8700, ge=1, le=65535)
    api_max_request_mb: float = Field(25.0, gt=0, description="largest request body (uploads included): else 413")
    api_rate_per_minute: float = Field(120.0, gt=0, description="requests per minute per API key (token bucket)")
    api_rate_burst: int = Field(30, ge=1, description="requests an API key may make at once before the rate applies")
    api_keys_file: Path | None = Field(None, description="hashed API keys (default: <data_dir>/api_keys.json)")

    def __init__(self, **values):
        """A value that fails validation, from any source (argument, environment, TOML), is a SettingsError that
        names the field, the value and the rule."""
        try:
            super().__init__(**values)
        except ValidationError as e:
            from sme_ai.errors import SettingsError

            raise SettingsError([(".".join(map(str, err["loc"])), err.get("input"), err["msg"])
                                 for err in e.errors()]) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("SME_AI_CONFIG", "sme-ai.toml")
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * 1024 * 1024)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        return int(self.api_max_request_mb * 1024 * 1024)

    @property
    def keys_path(self) -> Path:
        """The API keys file (sha256 hashes only)."""
        return self.api_keys_file or Path(self.data_dir) / "api_keys.json"

    @property
    def heavy_actions_locked(self) -> bool:
        """Whether batches and plans need the admin token (the explicit setting, else: a token is configured)."""
        if self.heavy_actions_need_token is None:
            return bool(self.admin_token)
        return self.heavy_actions_need_token and bool(self.admin_token)

    @property
    def app_folder(self) -> Path:
        """The web app's question log, feedback and uploads."""
        return self.app_dir or Path(self.data_dir) / "app"
