"""Chinese tokenisation for BM25: jieba search-mode cut with a domain dictionary, stopwords removed."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources

from sme_ai.ingest.normalize import normalize_text

_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 等 对 为 把 被 也 都 就 而 并 从 向 于 以 之 其 这 那 这个 那个 这些 那些 吗 呢 吧 啊 呀
    嘛 么 什么 怎么 怎样 怎么样 如何 多少 哪些 哪个 哪 几 谁 有 没有 有没有 我 我们 我的 你 你们 他 她 它 他们 咱们
    请问 请 问 一下 能 能否 可以 可不可以 要 需要 应该 会 是否 是不是 有关 关于 相关 一个 个 啥 呗 还 又 吧 着 过 给
    让 得 地 到 去 来 说 讲 告诉 知道 想 a an the of to in on for and or is are was be what which how who does do
    i we my our you your it this that with by as at from""".split()
)
_PUNCT = re.compile(r"^[\W_]+$")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    with resources.as_file(resources.files("sme_ai.data") / "domain_dict.txt") as path:
        tk.load_userdict(str(path))
    tk.initialize()
    return tk


def tokenize(text: str) -> list[str]:
    """Normalised, lower-cased search-mode tokens without stopwords and punctuation."""
    text = normalize_text(text).lower()
    tk = _tokenizer()
    with _lock:  # jieba's Tokenizer is not documented as thread-safe
        words = list(tk.cut_for_search(text))
    return [w for w in (w.strip() for w in words) if w and w not in _STOPWORDS and not _PUNCT.match(w)]
