"""What a question is before it is answered: the length guard and follow-up detection.

Front ends use these too (the app's answer cache must know whether a question depends on the conversation), so
they live below every stage.
"""

from __future__ import annotations

import re

from sme_ai.errors import EmptyQuestionError, QuestionTooLongError

# words that make a question lean on the previous one: "那小微企业呢？", "它的条件", "其中哪些"
FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|其中|它|这个|这|该|此|同样|and|what about|how about)|[呢吗]？?$|它|其|这个|那个|上述",
                       re.I)


def check_question(question: str, limit: int) -> str:
    """The question stripped; an empty one or one over `limit` characters is a clear error."""
    q = (question or "").strip()
    if not q:
        raise EmptyQuestionError()
    if len(q) > limit:
        raise QuestionTooLongError(len(q), limit)
    return q


def has_follow_up_word(question: str) -> bool:
    return bool(FOLLOW_UP.search(question))


def needs_rewrite(question: str, history: list[tuple[str, str]] | None) -> bool:
    """In a conversation, a short question or one with a follow-up word is rewritten into a standalone one.
    `question` is normalised text."""
    return bool(history) and (len(question) <= 12 or has_follow_up_word(question))
