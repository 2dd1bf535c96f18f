"""Titles and the header fields of Chinese official documents (公文): 发文机关, 成文日期, 文号.

`official_metadata(text)` returns `issuer`, `issued_date` (ISO, e.g. 2024-05-20) and `doc_number` (brackets
unified to 〔〕, e.g. 工信部联企业〔2024〕239号) where the text shows them; `looks_like_title` and `title_from_lines`
pick a title from a document's first lines when the file has none in its metadata.
"""

from __future__ import annotations

import re

from sme_ai.text import HAN

_DOC_NUMBER = re.compile(rf"([{HAN}]{{1,15}})\s*[〔\[［【(（]\s*(\d{{4}})\s*[〕\]］】)）]\s*(\d{{1,4}})\s*号")
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_NUM = r"[0-9〇零○Ｏ一二三四五六七八九十]"
_DATE = re.compile(rf"({_NUM}{{4}})\s*年\s*({_NUM}{{1,3}})\s*月\s*({_NUM}{{1,3}})\s*日")
_LABELLED_DATE = re.compile(rf"(?:成文日期|发文日期|印发日期|发布日期)\s*[:：]\s*{_DATE.pattern}")
_LABELLED_ISSUER = re.compile(r"(?:发文机关|发文单位|发布机构|发文机构)\s*[:：]\s*([^\n；;，,]{2,40})")
_ISSUER_END = ("部", "委", "厅", "局", "办公室", "办", "政府", "委员会", "院", "中心", "会", "署", "行", "室", "处",
               "总局", "协会", "联合会", "集团", "公司", "所", "馆", "组", "党委", "办公厅")
_TITLE_END_PUNCT = "。！？；!?;，,：:、"
_TITLE_JUNK = re.compile(r"^(microsoft\s+(word|powerpoint|excel)\s*-|untitled|无标题|document\d*|文档\d*$)|"
                         r"\.(docx?|pdf|wps|pptx?|xlsx?)$", re.I)
_DOC_TYPE_END = re.compile("(通知|意见|决定|公告|通告|批复|函|报告|规定|纪要)$")  # what a 公文 title ends with
_TITLE_WORDS = re.compile("(通知|意见|方案|办法|决定|公告|通告|批复|函|报告|规定|细则|指南|规划|纲要|条例|计划|"
                          "指引|清单|目录|解读|问答)$")


def _cn_number(s: str) -> int:
    if s.isdigit():
        return int(s)
    if "十" in s:  # 二十, 十二, 二十一
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return int("".join(str(_CN_DIGITS.get(ch, 0)) for ch in s))


def _iso(m: re.Match) -> str | None:
    y, mo, d = (_cn_number(g) for g in m.groups()[-3:])
    if 1949 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def find_doc_number(text: str, head_chars: int = 1500) -> str | None:
    """The document's own 文号: one alone on a line near the top, else the first one in the opening lines."""
    head = text[:head_chars]
    found = None
    for line in head.split("\n")[:40]:
        line = line.strip()
        m = _DOC_NUMBER.search(line)
        if m and len(line) <= len(m.group(0)) + 4:  # a line of its own (maybe with 文号： before it)
            found = m
            break
    if found is None:
        found = _DOC_NUMBER.search(head[:400])
    if found is None:
        return None
    return f"{found.group(1)}〔{found.group(2)}〕{int(found.group(3))}号"


def _looks_issuer(line: str) -> bool:
    line = line.strip()
    return 2 <= len(line) <= 40 and bool(re.fullmatch(rf"[{HAN}（）()、 ]+", line)) and line.endswith(_ISSUER_END)


def find_date_and_issuer(text: str) -> tuple[str | None, str | None]:
    """成文日期 and 发文机关 from the signature block (the issuer lines right above a date alone on its line), or
    from labelled fields such as "成文日期：2024年5月20日"."""
    date = issuer = None
    if m := _LABELLED_DATE.search(text):
        date = _iso(m)
    if m := _LABELLED_ISSUER.search(text):
        issuer = m.group(1).strip()
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        m = _DATE.fullmatch(lines[i].strip("（）() "))
        if not m:
            continue
        date = date or _iso(m)
        above = []
        j = i - 1
        while j >= 0 and _looks_issuer(lines[j]) and len(above) < 6:
            above.insert(0, lines[j])
            j -= 1
        if above and not issuer:
            issuer = "、".join(above)
        break
    return date, issuer


def official_metadata(text: str) -> dict[str, str]:
    meta: dict[str, str] = {}
    if number := find_doc_number(text):
        meta["doc_number"] = number
    date, issuer = find_date_and_issuer(text)
    if date:
        meta["issued_date"] = date
    if issuer:
        meta["issuer"] = issuer
    return meta


def looks_like_title(line: str) -> bool:
    """Short, not a sentence (no sentence punctuation at the end), not a number, date or 文号."""
    line = line.strip().lstrip("#").strip()
    if not (2 <= len(line) <= 60) or line[-1] in _TITLE_END_PUNCT:
        return False
    if _DOC_NUMBER.fullmatch(line) or _DATE.fullmatch(line) or not re.search(rf"[{HAN}A-Za-z]", line):
        return False
    return not line.startswith(("---", "http", "www."))


def clean_title(title: str) -> str:
    """A metadata title unless it is an editor's placeholder ("Microsoft Word - 文档1.docx", "untitled")."""
    title = (title or "").strip()
    return "" if not title or _TITLE_JUNK.search(title) else title


def _unbalanced(text: str) -> bool:
    return any(text.count(a) > text.count(b) for a, b in ("《》", "（）", "()", "“”"))


def title_from_lines(lines: list[str]) -> str:
    """A 公文 title (关于…的通知, maybe over two or three lines) among the first lines, else the first line when it
    looks like a title."""
    first = [ln.strip() for ln in lines[:12] if ln.strip()]
    for i, line in enumerate(first):
        if not (line.startswith("关于") or _TITLE_WORDS.search(line)) or _DOC_NUMBER.search(line):
            continue
        title, j = line, i + 1
        while j < len(first) and len(title + first[j]) <= 80 and (
                _unbalanced(title) or (not _DOC_TYPE_END.search(title) and _TITLE_WORDS.search(first[j])
                                       and len(first[j]) <= 30)):
            title, j = title + first[j], j + 1
        if looks_like_title(title):
            return title
    # else a short line without sentence punctuation inside it (a wrapped line of a paragraph has some)
    return next((ln for ln in first[:1] if looks_like_title(ln) and len(ln) <= 40 and not _looks_issuer(ln)
                 and not re.search("[，,。；;]", ln)), "")
