"""Sections from a stream of headings, lines and tables: each section carries its heading path (outermost first)."""

from __future__ import annotations

import re

from sme_ai.types import Section

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


class Outline:
    """Collects lines under the current heading path; a table becomes a section of its own (kind "table")."""

    def __init__(self, page: int | None = None):
        self.sections: list[Section] = []
        self._path: list[tuple[int, str]] = []
        self._buf: list[str] = []
        self.page = page

    @property
    def heading_path(self) -> tuple[str, ...]:
        return tuple(h for _, h in self._path)

    def flush(self) -> None:
        body = "\n".join(self._buf).strip()
        if body:
            self.sections.append(Section(text=body, heading_path=self.heading_path, page=self.page))
        self._buf.clear()

    def heading(self, level: int, text: str) -> None:
        self.flush()
        self._path[:] = [(lv, h) for lv, h in self._path if lv < level] + [(level, text.strip())]

    def line(self, text: str) -> None:
        self._buf.append(text)

    def table(self, section: Section | None) -> None:
        if section is None:
            return
        self.flush()
        self.sections.append(Section(text=section.text, heading_path=self.heading_path, page=self.page,
                                     kind="table"))

    def done(self) -> list[Section]:
        self.flush()
        return self.sections


def sections_from_markdown(text: str) -> list[Section]:
    """Split Markdown on headings (not inside code fences)."""
    out = Outline()
    in_code = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if m:
            out.heading(len(m.group(1)), m.group(2))
        else:
            out.line(line)
    return out.done()
