"""The deployment's question log and feedback store: JSON lines under <data_dir>/app, for the trainer view.

Records hold the question, whether it was refused or cached (and the kinds of value asked for that its answer
says the documents lack), the time taken and an anonymous session id; never a name, an address or the uploaded
files. Each file is bounded: past `max_bytes` it becomes `<name>.1.jsonl` (replacing the older one), so the log keeps
between one and two files' worth of the latest records.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sme_ai.cache import cache_key


FIELD_CHARS = 2000  # of a question or an answer, this much is stored


class Logbook:
    def __init__(self, folder: Path, max_bytes: int = 20 * 1024 * 1024):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @property
    def questions_path(self) -> Path:
        return self.folder / "questions.jsonl"

    @property
    def feedback_path(self) -> Path:
        return self.folder / "feedback.jsonl"

    def _append(self, path: Path, record: dict[str, Any]) -> None:
        line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%S"), **record}, ensure_ascii=False) + "\n"
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                if path.stat().st_size + len(line.encode("utf-8")) > self.max_bytes:
                    os.replace(path, _older(path))
            except FileNotFoundError:
                pass
            with open(path, "a", encoding="utf-8") as f:
                f.write(line)

    def question(self, session_id: str, answer, *, cached: bool, ms: float) -> None:
        self._append(self.questions_path, {
            "session": session_id, "question": answer.question[:FIELD_CHARS], "refused": answer.refused,
            "cached": cached, "citations": len(answer.citations), "ms": round(ms, 1),
            "reason": answer.meta.get("refusal_reason", ""), "gap": answer.meta.get("value_gap", []),
        })

    def feedback(self, session_id: str, question: str, answer_text: str, value: str) -> None:
        self._append(self.feedback_path, {"session": session_id, "question": question[:FIELD_CHARS],
                                          "answer": answer_text[:FIELD_CHARS], "value": value})

    def _read(self, path: Path) -> list[dict[str, Any]]:
        """The older file's records, then the current one's."""
        out = []
        for p in (_older(path), path):
            try:
                with open(p, encoding="utf-8") as f:
                    for line in f:
                        try:
                            out.append(json.loads(line))
                        except json.JSONDecodeError:  # a torn last line after a crash: skip it
                            continue
            except FileNotFoundError:
                continue
        return out

    def questions(self) -> list[dict[str, Any]]:
        return self._read(self.questions_path)

    def feedbacks(self) -> list[dict[str, Any]]:
        return self._read(self.feedback_path)

    def frequent(self, n: int = 20, *, refused_only: bool = False) -> list[dict[str, Any]]:
        """Questions grouped by their normalised form, most asked first: question, count, refused (times the
        documents did not answer it: a refusal, or an answer that says the date or amount asked for is not in them),
        last asked."""
        groups: dict[str, dict[str, Any]] = {}
        counts: Counter[str] = Counter()
        for r in self.questions():
            unanswered = bool(r.get("refused") or r.get("gap"))
            if refused_only and not unanswered:
                continue
            key = cache_key(r.get("question", ""), 0)
            counts[key] += 1
            g = groups.setdefault(key, {"question": r.get("question", ""), "refused": 0, "last": ""})
            g["refused"] += unanswered
            g["last"] = max(g["last"], r.get("ts", ""))
        down = Counter(cache_key(f.get("question", ""), 0) for f in self.feedbacks() if f.get("value") == "down")
        return [{"question": groups[k]["question"], "count": c, "refused": groups[k]["refused"], "thumbs_down": down[k],
                 "last": groups[k]["last"]} for k, c in counts.most_common(n)]


def _older(path: Path) -> Path:
    return path.with_name(path.stem + ".1" + path.suffix)
