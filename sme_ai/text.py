"""Shared text tools, used by every stage: normalisation, sentence split, character bigrams, tokenisation.

`normalize_text` is pure and idempotent: strip pinyin ruby annotations (`業(yè)` → `業`), drop HTML tag debris and
stray `>` inside words, convert traditional to simplified characters (OpenCC t2s), unify full-width ASCII letters
and digits, and tidy whitespace. Documents are normalised once when they are loaded and questions once when they
arrive; the other tools here expect normalised text and do not normalise again.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PINYIN_LETTERS = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
# a Han character followed by (syllable): the syllable has 1–6 letters, at least one vowel, no digits/spaces
_RUBY = re.compile(rf"(?<=\S)[(（]([{_PINYIN_LETTERS}]{{1,6}})[)）]")
_TONE = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]")
_VOWEL = re.compile("[aeiouvüāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", re.IGNORECASE)
_TAG_DEBRIS = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\s*/?>|(?<![a-zA-Z0-9])/[a-zA-Z]+>")
_STRAY_GT = re.compile(rf"(?<=[^\s<>=\-]){'>'}(?=[{HAN}?？])")
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC  # opencc-python-reimplemented: pure Python, no native build

    return OpenCC("t2s")


def strip_pinyin(text: str) -> str:
    """Remove pinyin in brackets after a character; keep every other bracket.

    A syllable with a tone mark goes wherever it stands (the seed has one after a mojibake letter); a toneless
    one such as (de) only directly after a Han character. Upper case or vowel-less brackets are never pinyin.
    """

    def repl(m: re.Match) -> str:
        syllable = m.group(1)
        if syllable != syllable.lower() or not _VOWEL.search(syllable):
            return m.group(0)
        after_han = re.match(f"[{HAN}]", m.string[m.start() - 1]) is not None
        return "" if _TONE.search(syllable) or after_han else m.group(0)

    return _RUBY.sub(repl, text)


def to_simplified(text: str) -> str:
    return _converter().convert(text)


def unify_width(text: str) -> str:
    return text.translate(_FULLWIDTH_ALNUM)


def normalize_text(text: str) -> str:
    """The one normalisation for documents and questions (idempotent)."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = strip_pinyin(text)
    text = _TAG_DEBRIS.sub("", text)
    text = _STRAY_GT.sub("", text)
    text = to_simplified(text)
    text = unify_width(text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def is_english(text: str) -> bool:
    """Mostly Latin letters: the question is asked in English (answer in English, skip Chinese BM25)."""
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * max(1, han)


# --- sentences and bigrams ------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*\n?|\n|$)")


def split_sentences(text: str) -> list[str]:
    """Sentences with their end punctuation; a line break stays attached so lists keep their lines."""
    return [s.strip(" \t") for s in _SENTENCE.findall(text) if s.strip()]


_MARKED = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:\[\d+\])*[。！？!?]?")


def marked_sentences(text: str) -> list[str]:
    """An answer's sentences, each with the [n] markers that follow it ("…40%[1]。" is one sentence)."""
    return _MARKED.findall(text)


def bigrams(text: str) -> set[str]:
    """Character bigrams without whitespace: the overlap measure between a sentence and a passage."""
    t = re.sub(r"\s+", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)}


# --- tokenisation (BM25 and sentence scoring) -------------------------------------------------------

_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 等 对 为 把 被 也 都 就 而 并 从 向 于 以 之 其 这 那 这个 那个 这些 那些 吗 呢 吧 啊 呀
    嘛 么 什么 怎么 怎样 怎么样 如何 多少 哪些 哪个 哪 几 谁 有 没有 有没有 我 我们 我的 你 你们 他 她 它 他们 咱们
    请问 请 问 一下 能 能否 可以 可不可以 要 需要 应该 会 是否 是不是 有关 关于 相关 一个 个 啥 呗 还 又 吧 着 过 给
    让 得 地 到 去 来 说 讲 告诉 知道 想 a an the of to in on for and or is are was be what which how who does do
    i we my our you your it this that with by as at from""".split()
)
_PUNCT = re.compile(r"^[\W_]+$")
_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    with resources.as_file(resources.files("sme_ai.data") / "domain_dict.txt") as path:
        tk.load_userdict(str(path))
    tk.initialize()
    return tk


def tokenize(text: str) -> list[str]:
    """Lower-cased jieba search-mode tokens of normalised text, without stopwords and punctuation.

    Sentences and questions (up to `_MEMO_CHARS`) are memoised: the same passages' sentences are scored again for
    every question that retrieves them (jieba was ~60 % of the answer pipeline's own time). Whole chunks, tokenised
    once at ingest, are not kept. The dictionary is fixed (the shipped one), so an entry never goes stale."""
    text = text.lower()
    return list(_memo_tokens(text) if len(text) <= _MEMO_CHARS else _cut(text))


_MEMO_CHARS = 400


def _cut(text: str) -> tuple[str, ...]:
    tk = _tokenizer()
    with _jieba_lock:  # jieba's Tokenizer is not documented as thread-safe
        words = list(tk.cut_for_search(text))
    return tuple(w for w in (w.strip() for w in words) if w and w not in _STOPWORDS and not _PUNCT.match(w))


_memo_tokens = lru_cache(maxsize=20_000)(_cut)
