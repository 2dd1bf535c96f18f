"""Tidying a small model's prose: it copies the context's "[n] 《title》section：" labels, writes Markdown headings
and lists, and stops mid-sentence at the token limit. `clean_model_text` keeps each sentence with its marker."""

from __future__ import annotations

import re

from sme_ai.generate.context import Passage

_LIST = re.compile(r"^\s*(#+|[-*•]|\d+[.、)])\s*")
_LEAD = re.compile(r"^\[(\d+)\]\s*")
# the prompt's own syntax and template openers must never reach the owner: "根据<资料>中的信息，", "</资料>"
_PROMPT_SYNTAX = re.compile(r"</?\s*资料\s*>|</?\s*企业情况\s*>")
_OPENER = re.compile(  # first what is left of "根据<资料>和<企业情况>的信息，" once the tags are gone: "根据资料和资料的信息，"
    r"^(根据|依据|按照)[^，,。：:！？\[]{0,8}?(资料|材料|的信息)[^，,。：:！？\[]{0,4}?(?:[，,：:]\s*|(?=\[\d+\])|$)|"
    r"^(根据|依据|按照)(以上|上述|所给|提供的)?(资料|材料|信息)(中的|里的|中|里)?(信息|内容|所述)?[，,：:]?\s*|"
    r"^(资料|材料)(中|里)?(显示|指出|提到)[，,：:]\s*")
# a lead-in the model wrote before a list ("具体包括：", "具体来说："): once the list is flattened it says nothing
_LEAD_IN = re.compile(r"^.{0,6}(如下|包括|来说|而言|以下几点|以下几个方面|步骤)$")


def _drop_unfinished(raw: str) -> str:
    """Generation stopped by the token limit leaves half a sentence at the end: drop it."""
    text = raw.rstrip()
    core = re.sub(r"(\[\d+\])+$", "", text).rstrip()
    if core and core[-1] not in "。！？!?":
        cut = max(text.rfind(c) for c in "。！？!?\n")
        return text[: cut + 1] if cut > 0 else text
    return text


def _unlabel(line: str, labels: dict[int, str], headings: set[str]) -> str:
    """ "[n] 《title》section：text" (a copied context label) → "text[n]"; a label cut short → ""."""
    m = _LEAD.match(line)
    if not m:
        for n, label in labels.items():
            line = line.replace(f"[{n}] {label}：", f"[{n}]")
        for heading in headings:  # a copied section heading without its number
            line = line.replace(f"{heading}：", "")
        return line
    n, rest = int(m.group(1)), line[m.end():]
    label = labels.get(n, "")
    if label and rest.startswith(label):
        rest = rest[len(label):].lstrip("：: ")
    elif label and label.startswith(rest.rstrip("。：: ")):
        return ""
    return rest if re.search(r"\[\d+\][。！？；]?$", rest) else re.sub(r"([。！？；]?)$", f"[{n}]\\1", rest, count=1)


def clean_model_text(raw: str, passages: list[Passage], title: str = "") -> str:
    """Small models copy the context's "[n] 《title》section：" labels, write Markdown headings and lists, and stop
    mid-sentence at the token limit: keep each sentence with its marker, drop the rest."""
    raw = _PROMPT_SYNTAX.sub("资料", raw).replace("资料资料", "资料")
    labels = {p.n: p.label for p in passages}
    headings = {h for p in passages for h in (p.hit.chunk.section, *p.hit.chunk.section.split(" > ")) if len(h) >= 6}
    lines = []
    pieces = [piece for line in _drop_unfinished(raw).splitlines()  # "…。[n] 《label》：…" starts a new piece
              for piece in re.split(r"(?<=[。！？])\s*(?=\[\d+\]\s)", line)]
    for line in pieces:
        while _LIST.match(line):
            line = _LIST.sub("", line, count=1)
        line = re.sub(r"(?<=[。；：）)\]])\s*[-*•]\s+", "", line.replace("**", "").strip())
        line = _unlabel(line, labels, headings)
        line = line.strip()
        opened = _OPENER.sub("", line)
        if opened != line:  # the opener's own marker and punctuation go with it
            line = re.sub(r"^(?:\[\d+\])*[。，,、；;：:\s]*", "", opened)
        body, marks = re.match(r"(.*?)((?:\[\d+\])*)$", line, re.S).groups()
        body = body.rstrip("。！？；;，,：: ")
        if body and body != title and not _LEAD_IN.match(body):
            lines.append(body + marks + "。")
    return "".join(lines)
