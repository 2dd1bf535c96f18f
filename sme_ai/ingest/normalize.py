"""Text normalisation shared by documents and questions.

`normalize_text` is pure: strip pinyin ruby annotations (`業(yè)` → `業`), drop HTML tag debris and stray `>`
inside words, convert traditional to simplified characters (OpenCC t2s), unify full-width ASCII letters and
digits, and tidy whitespace. `repair_line_breaks` and `strip_repeated_lines` handle PDF artefacts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PINYIN_LETTERS = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
# a Han character followed by (syllable): the syllable has 1–6 letters, at least one vowel, no digits/spaces
_RUBY = re.compile(rf"(?<=\S)[(（]([{_PINYIN_LETTERS}]{{1,6}})[)）]")
_TONE = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]")
_VOWEL = re.compile("[aeiouvüāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", re.IGNORECASE)
_TAG_DEBRIS = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\s*/?>|(?<![a-zA-Z0-9])/[a-zA-Z]+>")
_STRAY_GT = re.compile(rf"(?<=[^\s<>=\-]){'>'}(?=[{_HAN}?？])")
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
        after_han = re.match(f"[{_HAN}]", m.string[m.start() - 1]) is not None
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


_SENTENCE_END = "。！？；!?;：:”」』）)"


def repair_line_breaks(text: str) -> str:
    """Join lines that a PDF broke inside a Chinese sentence (a Han/digit on both sides, no sentence end)."""
    out = re.sub(rf"(?<=[{_HAN}，、“（0-9%])\n(?=[{_HAN}，、。”）0-9])", "", text)
    return out


def _line_key(line: str) -> str:
    line = line.strip()
    return re.sub(r"\d+", "#", line) if len(line) <= 40 else line


def strip_repeated_lines(pages: list[str], min_pages: int = 3, share: float = 0.6) -> list[str]:
    """Drop header/footer lines (first or last two of a page) that repeat on most pages, page numbers included."""
    if len(pages) < min_pages:
        return pages
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln for ln in page.split("\n") if ln.strip()]
        edge = set(lines[:2] + lines[-2:])
        counts.update({_line_key(ln) for ln in edge})
    repeated = {k for k, c in counts.items() if c >= max(min_pages, share * len(pages))}
    if not repeated:
        return pages
    cleaned = []
    for page in pages:
        lines = page.split("\n")
        n = len(lines)
        keep = [ln for i, ln in enumerate(lines) if not ((i < 2 or i >= n - 2) and _line_key(ln) in repeated)]
        cleaned.append("\n".join(keep))
    return cleaned


def is_english(text: str) -> bool:
    """Mostly Latin letters: the question is asked in English (answer in English, skip Chinese BM25)."""
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * max(1, han)
