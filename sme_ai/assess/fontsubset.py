"""Build the chart's CJK font: a subset of Noto Sans CJK SC holding exactly the glyphs of the chart's fixed labels.

    python -m sme_ai.assess.fontsubset /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

The package cannot rely on a system CJK font, so it ships this subset (`fonts/chart-cjk-subset.otf`, SIL Open Font
License 1.1, see `fonts/OFL.txt`). Run again when a label of the chart (or a name in the indicators data file)
changes; a fast test fails when a label needs a glyph the subset lacks. fontTools is needed only here.
"""

from __future__ import annotations

import sys
from pathlib import Path

FONT_DIR = Path(__file__).with_name("fonts")
SUBSET = FONT_DIR / "chart-cjk-subset.otf"
FAMILY = "SME AI Chart CJK"  # a modified version under its own name (Noto declares no Reserved Font Name)
SC_INDEX = 2  # NotoSansCJK-Regular.ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK


def build_subset(source: Path, target: Path = SUBSET, text: str | None = None) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from sme_ai.assess.chart import label_text

    chars = text if text is not None else label_text()
    font = TTFont(str(source), fontNumber=SC_INDEX) if str(source).endswith(".ttc") else TTFont(str(source))
    options = subset.Options()
    options.layout_features = []  # no GSUB/GPOS: single glyphs, smaller file
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.hinting = False
    options.desubroutinize = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    _rename(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    return target


def _rename(font) -> None:
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 16):
            names.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID in (3, 4):
            names.setName(f"{FAMILY} Regular", rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            names.setName(FAMILY.replace(" ", "") + "-Regular", rec.nameID, rec.platformID, rec.platEncID, rec.langID)
    if "CFF " in font:
        font["CFF "].cff.fontNames = [FAMILY.replace(" ", "") + "-Regular"]


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    print(build_subset(Path(sys.argv[1])))
