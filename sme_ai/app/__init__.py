"""The Gradio web app: thin tabs over plain handlers, one idea per module.

- `context.py`    what handlers share: the Assistant (model behind the gate), cache, locks, log; the app's own
                  settings (host, port, admin token, limits, queue) are fields of the one `Settings`
- `gate.py`       one generation at a time, FIFO, with each waiter's position;  `pump.py` runs a request in a
                  worker thread so its handler can show that position
- `cache.py`      answers keyed by normalised question + knowledge-base version, single flight
- `answering.py`  cache → retrieval → generation, shared by chat and the trainer batch
- `chat.py`, `knowledge.py`, `training.py`, `planning.py`   the tabs' handlers (plain functions, no gradio)
- `render.py`     sanitised Markdown for everything shown;  `uploads.py` upload types, checks and safe names
- `session.py`    per-user state;  `logbook.py` question log and feedback (JSONL, bounded by size)
- `guard.py`      the admin token with lockouts, and the HTTP guard in front of Gradio's direct-run and upload routes
- `ui.py`, `plan_tabs.py`, `controls.py`   the Gradio page (the only modules that import gradio);  `main.py` the
                  entry point (refuses an exposed address without an admin token)

Importing this package imports neither gradio nor any model.
"""

from __future__ import annotations


def build_app(ctx=None):
    """The Gradio Blocks for `ctx` (default: built from the environment's settings)."""
    from sme_ai.app.context import build_app_context
    from sme_ai.app.ui import build_app as _build

    return _build(ctx or build_app_context())


def main(argv: list[str] | None = None) -> int:
    from sme_ai.app.main import main as _main

    return _main(argv)


__all__ = ["build_app", "main"]
