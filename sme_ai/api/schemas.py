"""Request and response bodies (pydantic, at the edge): the OpenAI chat schema with sme-ai's extra fields
(`message.citations`, `message.refused`), and the product's own endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None = None
    param: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


# --- chat completions ---------------------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's request; sampling fields are accepted and ignored (answers are grounded and verified)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(description="a knowledge base from GET /v1/models, or \"sme-ai\" for the key's own")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


class CitationOut(BaseModel):
    n: int
    title: str
    section: str = ""
    page: int | None = None
    source: str
    quote: str
    ocr_confidence: float | None = None  # present when the quoted passage was recognised by OCR
    doc_number: str | None = None  # the cited document's 文号, when it has one


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    citations: list[CitationOut] = Field(default_factory=list, description="the sources the [n] markers point to")
    refused: bool = Field(False, description="true: the documents do not cover the question")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "sme-ai"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# --- search and documents -----------------------------------------------------------------------


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_type: list[str] | None = None
    source: list[str] | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, ge=1, le=50)
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    filters: SearchFilters | None = None
    model: str | None = Field(None, description="knowledge base (default: the key's own)")


class HitOut(BaseModel):
    id: str
    score: float
    legs: dict[str, int]
    leg_scores: dict[str, float]
    source: str
    title: str
    section: str
    page: int | None
    doc_type: str
    reliability: str
    text: str


class SearchResponse(BaseModel):
    object: Literal["list"] = "list"
    model: str
    data: list[HitOut]


class DocumentList(BaseModel):
    object: Literal["list"] = "list"
    model: str
    data: list[dict[str, Any]]


class IngestResult(BaseModel):
    model: str
    name: str = Field(description="the sanitised file name: the document's source key")
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    chunks_embedded: int
    chunks_reused: int


class Removed(BaseModel):
    model: str
    deleted: list[str]


# --- assessments and plans ----------------------------------------------------------------------


class AssessmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any] = Field(description="questionnaire answers: {\"items\": {...}, \"scenarios\": {...}}")
    model: str | None = None
    format: Literal["json", "markdown"] | None = None


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: dict[str, Any] = Field(description="enterprise profile (as in evals/plans/profiles/*.yaml)")
    assessment: dict[str, Any] | None = Field(None, description="a saved assessment, or questionnaire answers")
    model: str | None = None
    format: Literal["json", "markdown", "docx"] | None = Field(None, description="or choose by the Accept header")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
