"""Iterate a blocking event stream in a worker thread, so its consumer can report progress while it waits.

`pump(events, gate)` relays every item of `events`; while the worker waits for the model it yields `Waiting(ahead)`
whenever the number of requests ahead changes. If the consumer stops early (the browser went away), the worker's
ticket is cancelled and the stream is closed at its next step, which releases the model.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sme_ai.app.gate import GenerationGate, Ticket, bind_ticket

T = TypeVar("T")
_ITEM, _ERROR, _DONE = range(3)


@dataclass(frozen=True)
class Waiting:
    ahead: int  # requests before this one at the model (the one generating included)


def pump(events: Iterable[T], gate: GenerationGate, *, tick: float = 0.25) -> Iterator[T | Waiting]:
    ticket = Ticket()
    box: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work():
        bind_ticket(ticket)
        it = iter(events)
        try:
            for item in it:
                box.put((_ITEM, item))
                if stop.is_set():
                    break
        except BaseException as e:  # noqa: BLE001 - relayed to the consumer, raised there
            box.put((_ERROR, e))
            return
        finally:
            close = getattr(it, "close", None)
            if close:
                close()
            bind_ticket(None)
        box.put((_DONE, None))

    threading.Thread(target=work, daemon=True, name="sme-ai-request").start()
    last = None
    try:
        while True:
            try:
                kind, value = box.get(timeout=tick)
            except queue.Empty:
                ahead = gate.position(ticket)
                if ahead and ahead != last:
                    last = ahead
                    yield Waiting(ahead)
                continue
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise value
            yield value
    finally:
        stop.set()
        gate.cancel(ticket)
