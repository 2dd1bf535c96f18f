"""One model, one context: generations run one at a time (or `slots` at a time, for a model server with parallel
slots), first come first served, and each waiter knows its place.

`GatedLLM` wraps any LLM (the Protocol's one method, `stream`) so that every caller of the model in this process
goes through the same gate: chat answers, follow-up rewrites, trainer batches and plan sections alike. A Gradio
`concurrency_limit=1` on the chat event alone would neither serialise the plan tab against the chat nor let
retrieval and cached answers run concurrently; the gate does both.

The ticket of the current request is bound to the worker thread that iterates the request (see `pump.py`), so the
handler can show "n requests ahead of you" while its worker waits.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sme_ai.errors import SmeAiError

_local = threading.local()


class GenerationCancelled(SmeAiError):
    def __init__(self, reason: str = "请求已取消 (the request was cancelled before the model was free)."):
        super().__init__(reason)


class GenerationWaitTimeout(GenerationCancelled):
    """Waited longer than the gate allows: the caller answers extractively instead of keeping the line long."""

    def __init__(self, waited_s: float):
        super().__init__(f"排队等待模型超过 {waited_s:.0f} 秒 (waited {waited_s:.0f} s for the model).")


class Ticket:
    """One request's place in the line; `cancel()` takes it out (the waiter raises GenerationCancelled)."""

    __slots__ = ("cancelled",)

    def __init__(self):
        self.cancelled = False


def bind_ticket(ticket: Ticket | None) -> None:
    """Make `ticket` the current thread's place in line (called by the worker thread that serves a request)."""
    _local.ticket = ticket


def current_ticket() -> Ticket:
    return getattr(_local, "ticket", None) or Ticket()


class GenerationGate:
    """FIFO access to the one model. `max_wait_s`: a request that has waited this long leaves the line with
    GenerationWaitTimeout (its client has most likely given up; the Assistant then answers extractively), so the
    model never works through a backlog of abandoned requests. None: wait for ever."""

    def __init__(self, max_wait_s: float | None = None, slots: int = 1):
        self.max_wait_s = max_wait_s
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._holders: dict[Ticket, int] = {}  # generating now → re-entry depth (a generation that calls it again)

    @contextmanager
    def hold(self, ticket: Ticket | None = None) -> Iterator[None]:
        ticket = ticket or current_ticket()
        with self._cond:
            if ticket in self._holders:  # re-entrant for the same request
                self._holders[ticket] += 1
            else:
                self._line.append(ticket)
                start, timed_out = time.monotonic(), False
                try:
                    while not ticket.cancelled and (len(self._holders) >= self.slots or self._line[0] is not ticket):
                        waited = time.monotonic() - start
                        if self.max_wait_s is not None and waited >= self.max_wait_s:
                            timed_out = True
                            break
                        left = None if self.max_wait_s is None else self.max_wait_s - waited
                        self._cond.wait(timeout=1.0 if left is None else min(1.0, left))
                finally:
                    self._line.remove(ticket)
                    self._cond.notify_all()
                if timed_out:
                    raise GenerationWaitTimeout(time.monotonic() - start)
                if ticket.cancelled:
                    raise GenerationCancelled()
                self._holders[ticket] = 1
        try:
            yield
        finally:
            with self._cond:
                self._holders[ticket] -= 1
                if self._holders[ticket] == 0:
                    del self._holders[ticket]
                    self._cond.notify_all()

    def cancel(self, ticket: Ticket) -> None:
        with self._cond:
            ticket.cancelled = True
            self._cond.notify_all()

    def position(self, ticket: Ticket) -> int | None:
        """0: generating now; n > 0: n requests ahead (those generating included); None: not at the model."""
        with self._cond:
            if ticket in self._holders:
                return 0
            try:
                return self._line.index(ticket) + len(self._holders)
            except ValueError:
                return None

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._line)

    @property
    def busy(self) -> bool:
        """Every slot is generating."""
        with self._cond:
            return len(self._holders) >= self.slots


@contextmanager
def _lower_priority(nice: int) -> Iterator[None]:
    """This thread (and threads it starts) at `nice` more than now while inside; restored after where allowed."""
    tid = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, tid)
        if nice > 0:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, before + nice))
    except (AttributeError, OSError):  # not Linux, or not allowed: generate at the usual priority
        nice = 0
    try:
        yield
    finally:
        if nice > 0:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, before)
            except OSError:  # lowering niceness needs CAP_SYS_NICE: the thread stays nicer, which is harmless
                pass


class GatedLLM:
    """An LLM whose `stream` holds the gate from the first token until the generator is exhausted or closed.

    `load` builds the real model on first use, so building the app stays cheap; `name` never loads it.
    """

    def __init__(self, load: Callable[[], object], gate: GenerationGate, name: str = "", nice: int = 0):
        """`nice`: an in-process model generates at this nice level (Linux: per thread, inherited by the threads the
        model starts), so on a small box retrieval, quoted drafts and cached answers are served while it works."""
        self._load = load
        self._llm = None
        self._load_lock = threading.Lock()
        self.gate = gate
        self.name = name
        self.nice = nice

    @property
    def inner(self):
        with self._load_lock:
            if self._llm is None:
                self._llm = self._load()
                self.name = self.name or getattr(self._llm, "name", "")
            return self._llm

    def stream(self, messages, **kwargs) -> Iterator[str]:
        with self.gate.hold(), _lower_priority(self.nice):
            yield from self.inner.stream(messages, **kwargs)

    def __getattr__(self, attr):  # count_tokens and friends
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.inner, attr)
