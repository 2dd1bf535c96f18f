"""One answer for the app: cache first, then retrieval (concurrent), then generation (through the gate).

`answer_events` yields the Assistant's own events (Evidence, Delta, Final) plus `Waiting` while the request waits
for the model, `Joining` while it waits for the same question asked by someone else (then the evidence and quoted draft of the
one answering it, as they come, and its answer as `Cached`), or only `Cached` when the answer came from the cache
(its evidence is `answer.hits`). Chat and the trainer batch both use it, so the
cache, the gate and the question log behave the same everywhere.

The cache is asked twice: by the exact key before retrieval, and, for a standalone question, by its shape right after
retrieval (a near-duplicate of a cached question: `sme_ai.cache.similar`), inside the Assistant's stream (`reuse`),
so a hit ends it there and the model is never asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from sme_ai.app.pump import Waiting, pump
from sme_ai.app.rwlock import read_first
from sme_ai.cache import NearDuplicate, cache_key
from sme_ai.types import Answer, Cached, Draft, Evidence, Final

JOIN_TIMEOUT_S = 600


@dataclass(frozen=True)
class Joining:
    """The same question is being answered for someone else right now; this request waits for that answer."""


def _cache_policy(question: str, history: list[tuple[str, str]]) -> tuple[bool, bool]:
    """(look up, store). A standalone question is looked up and stored. A short question in a conversation is one
    the Assistant rewrites with the history; without a follow-up word ("那…呢", "它", "其中"…) it is most likely
    self-contained, so it may be served from the cache, but what the rewrite produces is never stored under it."""
    from sme_ai.question import has_follow_up_word, needs_rewrite
    from sme_ai.text import normalize_text

    if not needs_rewrite(normalize_text(question), history):
        return True, True
    return not has_follow_up_word(question), False


def _follow(flight) -> Iterator:
    """Say once that this request joins the one answering the same question now, then show what its leader shows
    (the evidence, the quoted draft) as it comes, quietly in between: with hundreds of trainees, an update every half
    second per waiting request costs the server more than the wait."""
    yield Joining()
    yield from flight.follow(JOIN_TIMEOUT_S)


def answer_events(ctx, question: str, history: list[tuple[str, str]] | None = None, *, session_id: str = "",
                  log: bool = True) -> Iterator:
    from sme_ai.question import check_question

    t0 = time.perf_counter()
    question = check_question(question, ctx.asst.settings.max_question_chars)
    history = history or []
    look, store = _cache_policy(question, history)
    key = cache_key(question, ctx.asst.kb.version) if look else None
    answer = ctx.cache.get(key) if key else None
    flight, leader = None, False
    if answer is None and store:
        flight, leader = ctx.cache.begin(key)
        if not leader:  # the leader's answer, cached or not (a quoted one when the model was busy): the same wait
            yield from _follow(flight)
            answer = flight.answer if flight.done else None
            if answer is None:  # it failed, was cancelled or took too long: answer it ourselves
                flight, leader = ctx.cache.begin(key)
    cached = answer is not None
    events = None
    reuse = NearDuplicate(ctx.cache, lambda: ctx.asst.kb.version)  # in the worker, after retrieval, before the model

    try:
        if answer is None:
            stream = ctx.asst.stream(question, history, reuse=reuse if store else None)
            events = pump(read_first(stream, ctx.kb_lock), ctx.gate, tick=1.0)
            for event in events:
                if isinstance(event, Cached):  # a near-duplicate was answered: the model was never asked
                    answer, cached = event.answer, True
                    if leader:
                        ctx.cache.put(key, answer)
                elif isinstance(event, Final):
                    answer = event.answer
                    if leader:
                        ctx.cache.put(key, answer, reuse.shape)
                else:
                    if leader and isinstance(event, (Evidence, Draft)):
                        flight.show(event)  # those asking the same question now see it too
                    yield event
    finally:
        if events is not None:
            events.close()  # cancels the worker's place at the model (pump)
        if leader:
            ctx.cache.end(key, answer)
    if answer is None:
        return
    if cached:  # the cached answer, as the answer to this asker's own words (the log shows what they asked)
        answer = replace(answer, question=question)
    if log:
        ctx.log.question(session_id, answer, cached=cached, ms=(time.perf_counter() - t0) * 1000)
    if cached:
        yield Cached(answer)  # one update: the evidence travels inside the answer (answer.hits)
    else:
        yield Final(answer)


def answer_once(ctx, question: str, *, log: bool = False,
                on_wait: Callable[[int], None] | None = None) -> tuple[Answer, bool]:
    """The final answer and whether it came from the cache (for batches); `on_wait(ahead)` while the model is
    busy with `ahead` requests before this one."""
    for event in answer_events(ctx, question, log=log):
        if isinstance(event, Waiting) and on_wait:
            on_wait(event.ahead)
        elif isinstance(event, Cached):
            return event.answer, True
        if isinstance(event, Final):
            return event.answer, False
    raise RuntimeError("no answer produced")


__all__ = ["Cached", "Joining", "Waiting", "answer_events", "answer_once"]
