"""Per-user session state, held by Gradio per browser tab (gr.State), never in a module global or the cache."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_TURNS = 50


@dataclass
class Turn:
    question: str
    shown: str  # the rendered (sanitised) answer as the chat shows it
    answer: Any = None  # the Answer, when there is one
    feedback: str = ""  # "up" | "down" | ""


@dataclass
class Session:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    turns: list[Turn] = field(default_factory=list)
    assessment: Any = None  # the last self-assessment, carried into the plan tab
    _workdir: Path | None = None
    _times: dict[str, list[float]] = field(default_factory=dict)  # rate limits per kind of action

    @property
    def history(self) -> list[tuple[str, str]]:
        """(question, answer text) pairs for follow-up questions: only turns that produced an answer."""
        return [(t.question, t.answer.text) for t in self.turns if t.answer is not None][-4:]

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        del self.turns[:-MAX_TURNS]

    def allow(self, kind: str, per_minute: int, count: int = 1, now: float | None = None) -> bool:
        """Whether `count` more actions of `kind` fit in the last minute's allowance (and count them if so)."""
        now = time.monotonic() if now is None else now
        recent = self._times[kind] = [t for t in self._times.get(kind, []) if now - t < 60.0]
        if len(recent) + count > per_minute:
            return False
        recent.extend([now] * count)
        return True

    def allow_feedback(self, per_minute: int, now: float | None = None) -> bool:
        return self.allow("feedback", per_minute, now=now)

    def workdir(self) -> Path:
        """This session's folder for downloads (answers, exports, plans); removed with the session."""
        if self._workdir is None or not self._workdir.is_dir():
            self._workdir = Path(tempfile.mkdtemp(prefix=f"sme-ai-{self.id}-"))
        return self._workdir

    def close(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def ensure(session: Session | None) -> Session:
    return session if isinstance(session, Session) else Session()


def close_session(session: Session | None) -> None:
    """Gradio's delete_callback for the session state."""
    if isinstance(session, Session):
        session.close()
