"""The assessment as a PNG: score per dimension (left) and level per scenario, grouped by category (right).

matplotlib is imported only here, and only its object API with the Agg canvas. Labels are Chinese when a CJK font is installed (e.g. Debian's
fonts-noto-cjk), English otherwise, so the image never shows empty boxes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sme_ai.assess.model import Assessment
from sme_ai.errors import MissingExtraError

_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")
_COLORS = {"lifecycle": "#4C78A8", "production": "#F58518", "supply": "#54A24B", "management": "#B279A2"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font family that covers simplified Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FAMILIES if name in installed), None)


def _labels(a: Assessment, chinese: bool) -> dict:
    if chinese:
        return {"dims": [d.name for d in a.dimensions], "scen": [s.name + ("*" if s.constraint else "") for s in a.scenarios],
                "t1": "各维度得分（%）", "t2": "16个业务场景等级（*为约束性场景，第三方解读）",
                "title": f"数字化水平自评：估计{a.level_name}（打分 {a.score:g}/{a.score_max:g}）",
                "levels": ["未达一级", "一级", "二级", "三级", "四级"]}
    return {"dims": [d.en for d in a.dimensions], "scen": [s.en + ("*" if s.constraint else "") for s in a.scenarios],
            "t1": "Score per dimension (%)", "t2": "Level per business scenario (* constraint, third-party reading)",
            "title": f"Self-assessment: estimated level {a.level} (score {a.score:g}/{a.score_max:g})",
            "levels": ["0", "1", "2", "3", "4"]}


def render_chart(a: Assessment, path: Path) -> Path:
    try:  # the object API with an Agg canvas: no pyplot, no global backend, safe in a threaded app
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise MissingExtraError("matplotlib", "chart") from e
    font = cjk_font()
    text = _labels(a, chinese=font is not None)
    rc = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(12, 6))
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2]})
        pct = [100 * d.points / d.max if d.max else 0 for d in a.dimensions]
        bars = left.bar(text["dims"], pct, color="#7F8C9A")
        for bar, d in zip(bars, a.dimensions):
            left.annotate(f"{d.points:g}/{d.max:g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                          ha="center", va="bottom", fontsize=9)
        left.set_ylim(0, 110)
        left.set_title(text["t1"], fontsize=11)
        y = list(range(len(a.scenarios)))[::-1]
        right.barh(y, [s.level for s in a.scenarios], color=[_COLORS.get(s.category, "#888") for s in a.scenarios])
        right.set_yticks(y, text["scen"], fontsize=9)
        right.set_xlim(0, 4)
        right.set_xticks(range(5), text["levels"])
        right.grid(axis="x", alpha=0.3)
        cats = {s.category: (s.category_name if font else s.category) for s in a.scenarios}
        right.legend(handles=[Patch(color=_COLORS.get(c, "#888"), label=name) for c, name in cats.items()],
                     loc="lower right", fontsize=8)
        right.set_title(text["t2"], fontsize=11)
        fig.suptitle(text["title"], fontsize=13)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    return path
