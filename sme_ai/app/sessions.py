"""A page's first event without a full copy of the page's configuration.

Gradio builds a `SessionState` for every new page session on the first event it sends, and that state starts with the
configuration of every block of the app (`config_values`: `get_config()` per block, an `inspect.signature` each),
which only a deep link ever reads. With this app's 142 blocks that is ~25 ms of CPU per page on a 2-core Zen-1 EPYC
(45 ms under load), on the server's event loop, so every other page's events wait behind it: at 200 trainees asking
within 20 s, 9 s of the event loop in one minute (py-spy). Without it, first useful answer p95 at 200 trainees on that
box, default backend: 3.69 → 0.82 s, 5.18 → 3.10 s (prewarmed, two seeds), 8.48 → 2.87 s (no prewarm)
(`evals/reports/bench_load-20261207-s17-200-sessions.md`).

`lazy_session_configs()` makes `config_values` a mapping that builds a block's configuration when it is first read
and all of them when it is iterated (a deep link), so what Gradio reads is what it read before. It relies on the
pinned Gradio's `SessionState.__init__(blocks)` filling `config_values` from `blocks.blocks`; tests compare the
lazy mapping with Gradio's own on the app's page, so an upgrade that changes this fails there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable


class LazyConfigs(dict):
    """Block id → configuration, each made from the session's blocks when first read (Gradio's `config_values`)."""

    def __init__(self, blocks_config, ids: Iterable[int]):
        super().__init__()
        self._order = list(ids)
        self._blocks_config, self._pending, self._complete = blocks_config, set(self._order), False
        self._lock = threading.Lock()

    def _make(self, key) -> None:
        with self._lock:
            if key in self._pending:
                self._pending.discard(key)
                block = self._blocks_config.blocks.get(key)
                if block is not None:
                    dict.__setitem__(self, key, self._blocks_config.config_for_block(key, [], block))

    def _make_all(self) -> None:
        """Every configuration made, in the page's block order as Gradio made them (blocks added later after)."""
        if self._complete:
            return
        for key in self._order:
            self._make(key)
        with self._lock:
            first = set(self._order)
            ordered = [(k, dict.__getitem__(self, k)) for k in self._order if dict.__contains__(self, k)]
            ordered += [(k, v) for k, v in dict.items(self) if k not in first]
            dict.clear(self)
            dict.update(self, ordered)
            self._complete = True

    def __missing__(self, key):
        self._make(key)
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in self._pending

    def __setitem__(self, key, value) -> None:  # Gradio replaces a block's configuration after an update
        with self._lock:
            self._pending.discard(key)
            dict.__setitem__(self, key, value)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __iter__(self):
        self._make_all()
        return super().__iter__()

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._pending)

    def keys(self):
        self._make_all()
        return super().keys()

    def values(self):
        self._make_all()
        return super().values()

    def items(self):
        self._make_all()
        return super().items()


class _WithoutBlocks:
    """The app as Gradio's `SessionState.__init__` sees it, minus the blocks whose configurations it would copy."""

    def __init__(self, app):
        self._app = app

    @property
    def blocks(self) -> dict:
        return {}

    def __getattr__(self, name):
        return getattr(self._app, name)


def lazy_session_configs() -> None:
    """Install the lazy `config_values` in Gradio's `SessionState` (once per process)."""
    from gradio import state_holder

    cls = state_holder.SessionState
    if hasattr(cls.__init__, "gradio_init"):
        return
    gradio_init = cls.__init__

    def __init__(self, blocks):
        gradio_init(self, _WithoutBlocks(blocks))
        ids = [k for k in self.blocks_config.blocks if k in blocks.blocks]
        self.config_values = LazyConfigs(self.blocks_config, ids)

    __init__.gradio_init = gradio_init  # Gradio's own, for the tests that compare the two
    cls.__init__ = __init__
