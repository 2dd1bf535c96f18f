"""The LLM Protocol (one required method, `stream`), its helpers and a scripted fake. Backends: `backends.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@runtime_checkable
class LLM(Protocol):
    name: str

    def stream(self, messages: list[Message], *, max_tokens: int = 256, temperature: float = 0.0,
               stop: list[str] | None = None) -> Iterator[str]:
        """Text deltas of one chat completion. Safe to call from several threads: generations never interleave."""
        ...


def complete(llm: LLM, messages: list[Message], **kwargs) -> str:
    return "".join(llm.stream(messages, **kwargs))


def apply_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """Cut `text` at the first stop string. Returns (text, stopped)."""
    cut = min((i for s in stop or [] if (i := text.find(s)) >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class FakeLLM:
    """Scripted: `reply(messages) -> str`, streamed in small pieces. max_tokens counts characters."""

    def __init__(self, reply: Callable[[list[Message]], str] | str = "资料中未提及。", name: str = "fake"):
        self._reply = reply if callable(reply) else (lambda _m, r=reply: r)
        self.name = name
        self.calls: list[list[Message]] = []

    def stream(self, messages, *, max_tokens=256, temperature=0.0, stop=None):
        self.calls.append(messages)
        text, _ = apply_stop(self._reply(messages)[:max_tokens], stop)
        for i in range(0, len(text), 3):
            yield text[i : i + 3]
