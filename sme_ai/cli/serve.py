"""`sme-ai serve`: the HTTP API (sme_ai.api) under uvicorn, on loopback unless told otherwise."""

from __future__ import annotations

import logging
import sys

from sme_ai.cli.common import settings_from


def cmd_serve(args) -> int:
    from sme_ai.errors import MissingExtraError

    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("uvicorn", "api") from None
    from sme_ai.api import create_app

    overrides = {"api_host": args.host, "api_port": args.port}
    settings = settings_from(args, **{k: v for k, v in overrides.items() if v is not None})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    if settings.api_host not in ("127.0.0.1", "localhost", "::1"):
        print(f"注意：API 监听 {settings.api_host}，不只是本机 (not loopback only).", file=sys.stderr)
    print(f"sme-ai API → http://{settings.api_host}:{settings.api_port}/docs", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning", access_log=False)
    return 0


def add_command(sub) -> None:
    s = sub.add_parser("serve", help="the HTTP API (OpenAI-compatible chat with citations, search, documents, plans)")
    s.add_argument("--host", help="bind address (default: $SME_AI_API_HOST or 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default: $SME_AI_API_PORT or 8700)")
    s.set_defaults(func=cmd_serve)
