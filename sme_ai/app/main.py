"""Start the app: `python app_gradio.py` (127.0.0.1:7860 unless SME_AI_HOST / SME_AI_PORT say otherwise).

It serves the knowledge base already indexed in `Settings().data_dir` (`sme-ai ingest corpora` fills it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

log = logging.getLogger("sme_ai.app")


def configure_queue(demo, settings) -> None:
    """Chat requests run concurrently (their retrieval and cache hits are cheap); the model itself is serialised by
    the gate; other events default to a few at a time; knowledge-base writes have their own limit of one."""
    demo.queue(max_size=settings.queue_max, default_concurrency_limit=4, status_update_rate="auto")


def launch(ctx, *, prevent_thread_lock: bool = False, quiet: bool = False):
    from sme_ai.app.ui import CSS, build_app, theme

    app = ctx.settings  # the web-app fields of the one Settings
    demo = build_app(ctx)
    configure_queue(demo, app)
    demo.launch(
        server_name=app.host, server_port=app.port, share=app.share, max_threads=app.max_threads,
        max_file_size=app.max_upload_bytes, show_error=False, ssr_mode=False, quiet=quiet,
        blocked_paths=[str(ctx.asst.settings.data_dir), str(ctx.asst.settings.home)],
        prevent_thread_lock=prevent_thread_lock, theme=theme(), css=CSS, footer_links=["api"],
    )
    return demo


def main(argv: list[str] | None = None) -> int:
    from sme_ai.app.context import build_app_context
    from sme_ai.config import Settings
    from sme_ai.errors import SmeAiError

    p = argparse.ArgumentParser(prog="app_gradio.py", description="中小企业数字化转型助手 · 网页版")
    p.add_argument("--host", help="bind address (default: $SME_AI_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: $SME_AI_PORT or 7860)")
    p.add_argument("--share", action="store_true", help="create a public Gradio share link (off by default)")
    p.add_argument("--no-warm-up", action="store_true", help="load the models on the first question instead")
    args = p.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the app never phones home
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "share": args.share or None}.items() if v}
    try:
        settings = Settings(**overrides)
        ctx = build_app_context(settings)
        if not args.no_warm_up:
            log.info("loading the embedder, the knowledge base and the model…")
            ctx.warm_up()
    except SmeAiError as e:
        print(f"错误: {e}", file=sys.stderr)
        return 2
    log.info("knowledge base: %s (%d documents, version %d)", settings.data_dir, len(ctx.asst.documents()),
             ctx.asst.kb.version)
    launch(ctx)
    return 0
