"""Everything the app shows, as sanitised Markdown: text from documents, questions and the model is escaped.

Two layers: this module escapes every untrusted string (HTML entities, and Markdown syntax outside HTML blocks), and
the Gradio components keep their own HTML sanitiser on. Nothing a file name, a document or an answer contains can
become a tag, a link or a script.
"""

from __future__ import annotations

import html
import re

from sme_ai.types import Answer, Citation, Hit

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_MARKER = re.compile(r"\\\[(\d{1,2})\\\]")
_BACKSLASH = re.compile(r"\\(?!\|)")  # all but the tables' `\|`
_LINKISH = re.compile(r"[\[\]]|(?<=[A-Za-z])(?=://)|(?<=\bwww)(?=\.)|(?<=[\w.+-])(?=@[\w-])", re.IGNORECASE)


def esc_html(text: object) -> str:
    """For text inside HTML tags (Markdown is not applied there)."""
    return html.escape(str(text or ""), quote=True)


def esc_md(text: object) -> str:
    """For text in Markdown: entities for <, >, &, quotes; a backslash before every Markdown character."""
    return _MD_SPECIAL.sub(r"\\\1", esc_html(text))


def defang_md(text: object) -> str:
    """Markdown from our own templates with untrusted text inside (profile fields, model prose, quoted passages):
    headings, lists, emphasis and tables stay; nothing can become HTML (`<` → `&lt;`, except the tables' `<br>`),
    a link or an image (`[` and `]` escaped), or an autolink (`http\\://`, `www\\.`, `a\\@b`)."""
    text = _BACKSLASH.sub(r"\\\\", str(text or ""))  # a backslash of the text never escapes our escapes
    text = text.replace("<", "&lt;").replace("&lt;br>", "<br>")
    return _LINKISH.sub(lambda m: "\\" + m.group(0) if m.group(0) else "\\", text)


def _where(section: str, page: int | None) -> str:
    return " · ".join(x for x in (section, f"第{page}页" if page else "") if x)


def citation_block(c: Citation) -> str:
    """One expandable citation: the marker and title in the summary; section/page, quote and source inside."""
    where = _where(c.section, c.page)
    number = f"（{esc_html(c.doc_number)}）" if c.doc_number else ""
    return (f"<details><summary><b>[{c.n}]</b> 《{esc_html(c.title)}》{number}{' · ' + esc_html(where) if where else ''}</summary>"
            f"<blockquote>{esc_html(c.quote)}</blockquote><p><small>来源：{esc_html(c.source)}"
            f"{' · ' + esc_html(where) if where else ''}{' · ' + esc_html(c.ocr_note) if c.ocr_note else ''}"
            "</small></p></details>")


def answer_markdown(answer: Answer, *, cached: bool = False) -> str:
    """The chat bubble of a final answer; a refusal is set apart as a quoted warning."""
    if answer.refused:
        body = "\n".join("> " + esc_md(line) if line.strip() else ">" for line in answer.text.splitlines())
        return "⚠️ **资料中未找到可靠答案**\n\n" + body
    text = _MARKER.sub(r"<sup>[\1]</sup>", esc_md(answer.text))
    parts = [text]
    if answer.citations:
        parts.append("**引用来源**（点击展开）\n\n" + "\n".join(citation_block(c) for c in answer.citations))
    if str(answer.meta.get("fallback", "")).startswith("extractive") and not answer.meta.get("draft"):
        parts.append(f"<small>{QUOTED_NOTE}</small>")
    if cached:
        parts.append("<small>⚡ 相同或相近的问题已回答过，来自缓存</small>")
    return "\n\n".join(parts)


# the final answer is the quotation, not what the model wrote (it lost a fact, refused, or could not be verified)
QUOTED_NOTE = "📄 以上摘自资料原文：助手组织的回答未通过核验（漏掉或改动了资料中的关键信息）或未能完成，未采用"


DRAFT_HEAD = "📄 **资料原文摘录**（先供参考；助手正在组织回答，完成后替换这里）"
WRITING_HEAD = "✍️ **助手正在组织回答**（尚未核验）"


def draft_markdown(answer: Answer) -> str:
    """The quoted draft: the evidence's own sentences with their citations, marked as a quotation."""
    return DRAFT_HEAD + "\n\n" + answer_markdown(answer)


def partial_markdown(text: str, draft: str = "") -> str:
    """The model's text as it streams, under the quoted draft when there is one (the owner sees which is which)."""
    writing = esc_md(text) + " ▌"
    return f"{draft}\n\n---\n\n{WRITING_HEAD}\n\n{writing}" if draft else writing


def error_markdown(message: str) -> str:
    return "❌ " + esc_md(message).replace("\n", "  \n")


def evidence_markdown(hits: tuple[Hit, ...] | list[Hit], question: str = "", limit: int = 5, chars: int = 180) -> str:
    """The evidence panel: the passages found, shown before the answer streams."""
    if not hits:
        return "#### 检索到的资料\n\n（知识库中没有找到相关内容）"
    head = "#### 检索到的资料\n\n"
    if question:
        head += f"检索问题：{esc_md(question)}\n\n"
    items = []
    for i, h in enumerate(list(hits)[:limit], start=1):
        c = h.chunk
        where = _where(c.section, c.page)
        text = c.text if len(c.text) <= chars else c.text[:chars] + "…"
        items.append(f"**{i}. 《{esc_md(c.title)}》** {esc_md(where)}  \n"
                     f"<small>来源：{esc_html(c.source)}</small>  \n{esc_md(text)}")
    return head + "\n\n".join(items)


def status_markdown(kind: str, detail: str = "") -> str:
    icons = {"search": "🔎", "wait": "⏳", "write": "✍️", "done": "✅", "cached": "⚡", "refused": "⚠️", "error": "❌"}
    return f"{icons.get(kind, '')} {esc_md(detail)}".strip().replace("\n", "  \n")  # keep the lines of a list
