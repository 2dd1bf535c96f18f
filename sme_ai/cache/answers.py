"""The answer cache: a repeated question is answered instantly, with its citations and evidence.

Keyed by the normalised question and the knowledge-base version, so any change to the knowledge base makes old
entries unreachable (and they age out of the LRU). Single flight: while one request generates the answer to a
question, others asking the same question wait for it instead of queueing the same generation again (a `Flight`:
they see the leader's evidence and quoted draft as soon as it has them, and get its answer, whatever it is).

A second, semantic lookup (`similar`) runs after retrieval, when the exact key missed: a near-duplicate of a cached
question with the same evidence and the same checkable terms gets that answer (rules in `sme_ai.cache.similar`).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator

from sme_ai.cache.similar import PUNCTUATION, Shape, same_question, shape
from sme_ai.types import Answer

_NOISE = re.compile(f"[{PUNCTUATION}-]+")
# courtesy around a question ("请问…", "老师，…", "…？请介绍一下。", "…谢谢"): the same question, found before retrieval
_COURTESY = re.compile(r"^(?:请问一下|请问|你好|您好|老师好|老师|麻烦问一下|麻烦问下|想问一下|我想问一下)+|"
                       r"(?:请详细介绍一下|请介绍一下|请说明一下|谢谢老师|谢谢|多谢)+$")


def cache_key(question: str, kb_version: int) -> str:
    """Traditional/simplified, full/half width, case, spaces, punctuation and courtesy around the question do not
    change it."""
    from sme_ai.text import normalize_text

    plain = _NOISE.sub("", normalize_text(question).lower())
    core = _COURTESY.sub("", plain)
    return f"{kb_version}:{core if len(core) >= 2 else plain}"  # "你好" alone stays "你好"


_SETTLED = ("extractive:unverifiable", "extractive:lost_facts", "extractive:model_refused")


def cacheable(answer: Answer) -> bool:
    """Not an answer produced because the model failed or the request was cancelled: those may differ next time.
    The quoted answer that replaced what the model wrote (nothing verifiable, the facts lost, a refusal where the
    documents answer) is what the same question gets again."""
    fallback = str(answer.meta.get("fallback") or "")
    return not fallback or fallback in _SETTLED


class Flight:
    """One question being answered now. The leader `show`s what its asker sees before the answer (the evidence, the
    quoted draft) and `finish`es with its answer (None: it failed or was cancelled); the others `follow` it."""

    def __init__(self):
        self._cond = threading.Condition()
        self._shown: list = []
        self._done = False
        self.answer: Answer | None = None

    def show(self, event) -> None:
        with self._cond:
            self._shown.append(event)
            self._cond.notify_all()

    def finish(self, answer: Answer | None) -> None:
        with self._cond:
            self.answer, self._done = answer, True
            self._cond.notify_all()

    @property
    def done(self) -> bool:
        with self._cond:
            return self._done

    def follow(self, timeout: float) -> Iterator:
        """What the leader has shown so far and shows from now on, until it finishes or `timeout` seconds pass
        (then `done` is still False). Quiet while nothing new comes: no update per tick for hundreds of waiters."""
        seen, deadline = 0, time.monotonic() + timeout
        while True:
            with self._cond:
                while seen == len(self._shown) and not self._done:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    self._cond.wait(left)
                new, seen, done = self._shown[seen:], len(self._shown), self._done
            yield from new
            if done:
                return


class AnswerCache:
    def __init__(self, size: int = 2000):
        self.size = size
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._shapes: dict[str, Shape] = {}  # key → its question's shape (standalone questions only)
        self._by_evidence: dict[tuple, set[str]] = {}  # (version, top passages) → keys
        self._flights: dict[str, Flight] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.similar_hits = 0

    def get(self, key: str) -> Answer | None:
        with self._lock:
            answer = self._items.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: str, answer: Answer, shape: Shape | None = None) -> None:
        if self.size <= 0 or not cacheable(answer):
            return
        with self._lock:
            self._items[key] = answer
            self._items.move_to_end(key)
            if shape is not None:
                self._forget_shape(key)
                self._shapes[key] = shape
                self._by_evidence.setdefault((shape.version, shape.passages), set()).add(key)
            while len(self._items) > self.size:
                old, _ = self._items.popitem(last=False)
                self._forget_shape(old)

    def similar(self, shape: Shape) -> Answer | None:
        """The cached answer to a near-duplicate of the question with this shape, or None (counted as a hit only
        when found: the exact lookup already counted the miss)."""
        with self._lock:
            for key in self._by_evidence.get((shape.version, shape.passages), ()):
                answer = self._items.get(key)
                if answer is not None and same_question(shape, self._shapes[key], answer.text):
                    self._items.move_to_end(key)
                    self.hits += 1
                    self.misses -= 1
                    self.similar_hits += 1
                    return answer
        return None

    def _forget_shape(self, key: str) -> None:
        old = self._shapes.pop(key, None)
        if old is not None:
            keys = self._by_evidence.get((old.version, old.passages), set())
            keys.discard(key)
            if not keys:
                self._by_evidence.pop((old.version, old.passages), None)

    def begin(self, key: str) -> tuple[Flight, bool]:
        """(the flight of this question, whether the caller leads it). The leader computes the answer and must call
        `end(key, answer)`; the others follow the flight."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = Flight()
            return flight, True

    def end(self, key: str, answer: Answer | None = None) -> None:
        with self._lock:
            flight = self._flights.pop(key, None)
        if flight:
            flight.finish(answer)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._shapes.clear()
            self._by_evidence.clear()

    def __len__(self) -> int:
        return len(self._items)


class NearDuplicate:
    """One question's near-duplicate lookup, handed to `Assistant.stream(reuse=...)`: called right after retrieval
    with the searched question and its hits, it remembers the question's `shape` (for the `put` of its own answer)
    and returns the cached answer to a near-duplicate, or None. `version` reads the knowledge base's version then."""

    def __init__(self, cache: AnswerCache, version: Callable[[], int]):
        self.cache, self.version = cache, version
        self.shape: Shape | None = None

    def __call__(self, searched: str, hits) -> Answer | None:
        self.shape = shape(searched, [h.chunk.id for h in hits], self.version())
        return self.cache.similar(self.shape)
