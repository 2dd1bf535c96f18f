"""`create_app(settings)`: the FastAPI app over the same Assistant as every other front end, one per tenant.

Errors come back in OpenAI's format with the product's messages (never a traceback); bodies over
`api_max_request_mb` get 413; the access log names method, path, status, key id and tenant, never contents.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sme_ai.api import chat, knowledge, plans
from sme_ai.api.errors import RateLimitedError, RequestTooLargeError, describe, error_body
from sme_ai.api.keys import KeyStore
from sme_ai.api.ratelimit import TokenBuckets
from sme_ai.api.schemas import ErrorResponse, Health
from sme_ai.api.tenants import Tenants
from sme_ai.config import Settings
from sme_ai.errors import SmeAiError

log = logging.getLogger(__name__)
ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 413, 429, 503)}
DESCRIPTION = """An OpenAI-compatible API over sme-ai's knowledge bases: grounded answers with verified citations
(`message.citations`, `message.refused`), search, documents, self-assessments and retrofit plans.

Authenticate with `Authorization: Bearer KEY` (`sme-ai keys create --tenant NAME [--admin]`). Each key belongs to a
tenant with its own knowledge base; `GET /v1/models` lists the knowledge bases a key may use, and `model` chooses one
("sme-ai": the key's own)."""


@dataclass
class Services:
    settings: Settings
    keys: KeyStore
    tenants: Tenants
    limits: TokenBuckets


class BodyLimitAndLog:
    """Pure ASGI (streaming responses pass through untouched): 413 for a body over the limit; one log line per
    request."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0, status = time.perf_counter(), [0]
        length = dict(scope.get("headers") or []).get(b"content-length", b"0")
        size = int(length) if length.isdigit() else 0
        if size > self.limit:
            return await _send_json(send, *describe(RequestTooLargeError(size, self.limit)))
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise RequestTooLargeError(received, self.limit)
            return message

        async def watched(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, limited, watched)
        finally:
            state = scope.get("state") or {}
            log.info("%s %s %s %.0fms key=%s tenant=%s", scope["method"], scope["path"], status[0],
                     (time.perf_counter() - t0) * 1000, state.get("key_id", "-"), state.get("tenant", "-"))


async def _send_json(send, status: int, body: dict) -> None:
    response = JSONResponse(body, status_code=status)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SmeAiError)
    async def product_error(request: Request, exc: SmeAiError):
        status, body = describe(exc)
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))} if isinstance(exc, RateLimitedError) else None
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        param = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or None
        message = f"Invalid request: {param or 'body'}: {first.get('msg')}."
        return JSONResponse(error_body(message, "invalid_request_error", "invalid_request", param), status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        type_ = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return JSONResponse(error_body(str(exc.detail), type_, f"http_{exc.status_code}"), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("Internal error; the server log has the details.", "server_error",
                                       "internal_error"), status_code=500)


def create_app(settings: Settings | None = None, *, llm=None, embedder=None, keys: KeyStore | None = None) -> FastAPI:
    """The API app. `llm` / `embedder`: backends to use instead of the ones the settings name (tests); loaded once
    and shared by every tenant's Assistant."""
    from sme_ai import __version__

    settings = settings or Settings()
    services = Services(settings, keys or KeyStore(settings.keys_path), Tenants(settings, llm=llm, embedder=embedder),
                        TokenBuckets(settings.api_rate_per_minute, settings.api_rate_burst))
    app = FastAPI(title="sme-ai API", version=__version__, description=DESCRIPTION, responses=ERRORS,
                  docs_url="/docs", redoc_url=None)
    app.state.services = services
    _install_error_handlers(app)
    for module in (chat, knowledge, plans):
        app.include_router(module.router)

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        """Up and serving (no key needed; loads no model)."""
        return Health(version=__version__)

    app.add_middleware(BodyLimitAndLog, limit=settings.max_request_bytes)
    if not services.keys.list():
        log.warning("no API keys in %s: create one with `sme-ai keys create --tenant NAME`", services.keys.path)
    return app
