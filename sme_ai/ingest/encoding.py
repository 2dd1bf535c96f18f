"""Decode the bytes of a text file: BOMs, UTF-8, UTF-16 without BOM, GB18030 (a superset of GBK), then a guess."""

from __future__ import annotations

from pathlib import Path

from sme_ai.errors import BinaryFileError, EncodingError

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / (len(sample) / 2)
    odd_nul = sample[1::2].count(0) / (len(sample) / 2)
    # ASCII-heavy UTF-16 has NULs on one side; CJK UTF-16 has few NULs, so also try a strict decode
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _plausible(text: str) -> bool:
    """Mostly Han, CJK punctuation, printable ASCII or whitespace: what a real Chinese/English text is made of."""
    if not text:
        return False
    ok = sum(1 for ch in text if ch.isspace() or " " <= ch <= "~" or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return ok / len(text) > 0.9


def _is_binary(data: bytes) -> bool:
    sample = data[:8000]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / max(1, len(sample)) > 0.05


def decode_text(data: bytes, path: Path | str = "<bytes>") -> str:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc)
    if utf16 := _looks_utf16(data):
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8000] and len(data) % 2 == 0:
        for enc in ("utf-16-le", "utf-16-be"):  # UTF-16 without BOM, mostly Han: few NULs, so try it strictly
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _plausible(text[:4000]):
                return text
    if _is_binary(data):
        raise BinaryFileError(path)
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise EncodingError(path)
    return str(best)
