"""Readers (retrieval) run together; a writer (upload, remove, re-index) waits for them and runs alone.

Retrieval holds the read side only until its evidence is found, so a knowledge-base change waits at most for the
searches in flight, never for queued generations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class ReadWriteLock:
    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._writer = True  # new readers wait from here on
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def read_first(events: Iterable[T], lock: ReadWriteLock) -> Iterator[T]:
    """Hold the read side of `lock` while the first item of `events` is produced (retrieval), then let go."""
    it = iter(events)
    try:
        with lock.read():
            first = next(it, None)
        if first is None:
            return
        yield first
        yield from it
    finally:
        close = getattr(it, "close", None)
        if close:
            close()
