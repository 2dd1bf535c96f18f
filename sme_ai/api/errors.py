"""The API's own errors (under SmeAiError, carrying data) and the mapping of every error to OpenAI's error format:
`{"error": {"message", "type", "code", "param"}}` with an HTTP status. Never a traceback."""

from __future__ import annotations

import re

from sme_ai.errors import (AssessmentInputError, DocumentNotFoundError, EmptyKnowledgeBaseError, IngestError,
                           ModelError, ProfileError, QuestionError, SettingsError, SmeAiError)


class ApiError(SmeAiError):
    """An error with its HTTP status and OpenAI error type."""

    status = 400
    type = "invalid_request_error"
    param: str | None = None


class AuthenticationError(ApiError):
    status, type = 401, "authentication_error"

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"{reason} Send `Authorization: Bearer KEY`; an operator creates keys with "
                         "`sme-ai keys create --tenant NAME`.")


class AdminKeyRequiredError(ApiError):
    status, type = 403, "permission_error"

    def __init__(self, key_id: str, action: str):
        self.key_id, self.action = key_id, action
        super().__init__(f"Key {key_id} may not {action}: only admin keys (`sme-ai keys create --admin`) manage "
                         "documents or other tenants.")


class KnowledgeBaseNotFoundError(ApiError):
    """A `model` (knowledge base) that does not exist or that the key may not use."""

    status, type, param = 404, "invalid_request_error", "model"

    def __init__(self, name: str, allowed: list[str]):
        self.name, self.allowed = name, allowed
        super().__init__(f"The model '{name}' does not exist or this key may not use it. GET /v1/models lists the "
                         f"knowledge bases this key may use: {', '.join(allowed) or '(none)'}.")


class RateLimitedError(ApiError):
    status, type = 429, "rate_limit_error"

    def __init__(self, key_id: str, retry_after: float):
        self.key_id, self.retry_after = key_id, retry_after
        super().__init__(f"Too many requests for key {key_id}: retry after {retry_after:.1f} s (limits: "
                         "SME_AI_API_RATE_PER_MINUTE, SME_AI_API_RATE_BURST).")


class RequestTooLargeError(ApiError):
    status = 413

    def __init__(self, size: int, limit: int, what: str = "request body"):
        self.size, self.limit, self.what = size, limit, what
        super().__init__(f"The {what} is too large ({size / 1e6:.1f} MB > {limit / 1e6:.1f} MB). Split it, or raise "
                         "SME_AI_API_MAX_REQUEST_MB / SME_AI_MAX_UPLOAD_MB.")


class InvalidRequestError(ApiError):
    def __init__(self, message: str, param: str | None = None):
        self.param = param
        super().__init__(message)


class TenantNameError(ApiError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"Invalid tenant name '{name}': use 1–63 lower-case letters, digits, '-' or '_', starting "
                         "with a letter or digit.")


class KeyNotFoundError(ApiError):
    status = 404

    def __init__(self, key_id: str):
        self.key_id = key_id
        super().__init__(f"No API key with id '{key_id}'. `sme-ai keys list` shows them.")


_STATUS = [(DocumentNotFoundError, 404), (EmptyKnowledgeBaseError, 409), (ModelError, 503),
           (QuestionError, 400), (AssessmentInputError, 400), (ProfileError, 400), (SettingsError, 400),
           (IngestError, 400)]
_TYPES = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error",
          409: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error"}


def code_of(error: Exception) -> str:
    """`DocumentNotFoundError` → "document_not_found"."""
    name = re.sub(r"(Error|_)$", "", type(error).__name__)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


def describe(error: SmeAiError) -> tuple[int, dict]:
    """(HTTP status, OpenAI error body) for any error the product raises on purpose."""
    if isinstance(error, ApiError):
        return error.status, error_body(str(error), error.type, code_of(error), error.param)
    status = next((s for cls, s in _STATUS if isinstance(error, cls)), 400)
    type_ = "server_error" if status >= 500 else _TYPES.get(status, "invalid_request_error")
    return status, error_body(str(error), type_, code_of(error))
