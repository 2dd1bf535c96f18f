"""Start the app: `python app_gradio.py` (127.0.0.1:7860 unless SME_AI_HOST / SME_AI_PORT say otherwise).

It serves the knowledge base already indexed in `Settings().data_dir` (`sme-ai ingest corpora` fills it).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys

log = logging.getLogger("sme_ai.app")


def configure_queue(demo, settings) -> None:
    """Chat requests run concurrently (their retrieval and cache hits are cheap); the model itself is serialised by
    the gate; other events default to a few at a time; knowledge-base writes have their own limit of one.
    `api_open=False`: every event goes through the queue (its size and the concurrency limits hold); Gradio's
    direct route `/gradio_api/run/<name>` refuses them (every event of the page is queued), and `HttpGuard` closes
    that route too."""
    demo.queue(max_size=settings.queue_max, default_concurrency_limit=4, status_update_rate="auto", api_open=False)


def preload_event_imports() -> None:
    """Gradio runs every event inside a matplotlib backend switch (`gradio.utils.MatplotlibBackendMananger`); its
    first use imports matplotlib.pyplot, about a second on a 2-core Zen-1 EPYC, on the server's event loop, so the
    first question after start waited for it (first useful answer 1.2 s, browser-measured, against 0.37 s for the
    rest). Done here, before the first trainee, as part of the warm-up."""
    try:
        import matplotlib
    except ImportError:  # Gradio skips the switch without matplotlib too
        return
    matplotlib.get_backend()  # resolving the backend is what imports pyplot


# Gradio's queue keeps a record of the last GRADIO_ANALYTICS_MAX_EVENTS events (default 10,000) for its monitoring
# page and rebuilt a pandas summary of all of them after every GRADIO_ANALYTICS_CACHE_FREQUENCY-th event (default:
# every one) on a worker thread: 8 % of the server's CPU at 200 trainees after 430 events, growing with the session.
# The app does not rely on that page (the question log is the trainer's view): a short record, summarised rarely.
GRADIO_QUEUE_BOOKKEEPING = {"GRADIO_ANALYTICS_MAX_EVENTS": "500", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "500"}


def gradio_queue_bookkeeping() -> None:
    """Set Gradio's queue-analytics knobs (read when the queue is made), unless the environment sets them."""
    for name, value in GRADIO_QUEUE_BOOKKEEPING.items():
        os.environ.setdefault(name, value)


def http_middleware(ctx) -> list:
    """The app's guard in front of Gradio's own routes (direct runs; uploads need the admin token when set), and the
    page rendered once per kind of request (`pagecache`)."""
    from starlette.middleware import Middleware

    from sme_ai.app.guard import HttpGuard
    from sme_ai.app.pagecache import PageCache

    return [Middleware(HttpGuard, token=ctx.settings.admin_token, guard=ctx.guard), Middleware(PageCache)]


INSECURE = ("警告：本服务对本机以外开放（{where}），但没有设置管理员口令（SME_AI_ADMIN_TOKEN）。任何能访问它的人都可以"
            "上传和删除知识库文档、读取学员提问记录、长时间占用模型。请设置口令，或只绑定 127.0.0.1。")


def exposure(settings) -> str:
    """Where the app is reachable from beyond this machine ("" when only on loopback)."""
    where = []
    host = (settings.host or "127.0.0.1").strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        where.append(f"--host {host}")
    if settings.share:
        where.append("--share 公网分享链接")
    return "，".join(where)


def launch(ctx, *, prevent_thread_lock: bool = False, quiet: bool = False):
    from sme_ai.app.sessions import lazy_session_configs
    from sme_ai.app.ui import CSS, build_app, theme

    app = ctx.settings  # the web-app fields of the one Settings
    lazy_session_configs()  # a page's first event does not copy the configuration of every block
    demo = build_app(ctx)
    configure_queue(demo, app)
    demo.launch(
        server_name=app.host, server_port=app.port, share=app.share, max_threads=app.max_threads,
        max_file_size=app.max_upload_bytes, show_error=False, ssr_mode=False, quiet=quiet,
        blocked_paths=[str(ctx.asst.settings.data_dir), str(ctx.asst.settings.home)],
        prevent_thread_lock=prevent_thread_lock, theme=theme(), css=CSS, footer_links=["api"],
        app_kwargs={"middleware": http_middleware(ctx)},
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
    p.add_argument("--insecure", action="store_true",
                   help="start on a non-loopback address or with --share even without SME_AI_ADMIN_TOKEN (unsafe)")
    args = p.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the app never phones home
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    gradio_queue_bookkeeping()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "share": args.share or None}.items() if v}
    try:
        settings = Settings(**overrides)
        where = exposure(settings)
        if where and not settings.admin_token:
            if not args.insecure:
                print("错误: " + INSECURE.format(where=where) + "（确需如此请加 --insecure。）", file=sys.stderr)
                return 2
            print(INSECURE.format(where=where) + "（已按 --insecure 启动。）", file=sys.stderr)
        ctx = build_app_context(settings)
        if not args.no_warm_up:
            log.info("loading the embedder, the knowledge base and the model…")
            ctx.warm_up()
            preload_event_imports()
    except SmeAiError as e:
        print(f"错误: {e}", file=sys.stderr)
        return 2
    log.info("knowledge base: %s (%d documents, version %d)", settings.data_dir, len(ctx.asst.documents()),
             ctx.asst.kb.version)
    launch(ctx)
    return 0
