"""The assessment as a PNG, in Chinese: a radar of the four dimensions (left) and a radar of the 16 scenario levels
(right), the view owners know from the official evaluation platform.

The labels never depend on a system font: the package ships a subset of Noto Sans CJK SC
(`fonts/chart-cjk-subset.otf`, SIL OFL 1.1) holding exactly the glyphs of the fixed labels below and of the names
in the indicators data file; `sme_ai.assess.fontsubset` rebuilds it. Numbers and Latin letters come from DejaVu Sans
(matplotlib's own). matplotlib is imported only here, and only its object API with the Agg canvas.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from sme_ai.assess.indicators import LEVEL_NAMES, load_questionnaire
from sme_ai.assess.model import Assessment
from sme_ai.errors import MissingExtraError

FONT_FILE = Path(__file__).with_name("fonts") / "chart-cjk-subset.otf"
_COLORS = {"lifecycle": "#4C78A8", "production": "#F58518", "supply": "#54A24B", "management": "#B279A2"}
_BUSINESS = "数字化经营"  # the dimension the 2024 indicators evaluate by scenario levels, not by points
# every fixed string the chart draws (the dynamic parts are names from the data file, level names and digits)
_FIXED = ("数字化水平自评：估计（打分）", "四个维度得分率（%）", "数字化经营按16个场景平均等级折算",
          "16个业务场景等级（*为约束性场景，第三方解读）", "当前等级", "一级二级三级四级未达一级", "场景等级")


def label_text() -> str:
    """Every character the chart's labels can need: what the shipped font subset must cover."""
    q = load_questionnaire()
    names = [d.name for d in q.dimensions] + [_BUSINESS] + [c.name for c in q.categories] + [s.name for s in q.scenarios]
    ascii_ = "".join(chr(c) for c in range(0x20, 0x7F))
    return "".join(sorted(set("".join(names) + "".join(_FIXED) + "".join(LEVEL_NAMES.values()) + ascii_ + "：（）%*/")))


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of the shipped CJK subset, registered with matplotlib's font manager; None if it is missing."""
    if not FONT_FILE.is_file():  # pragma: no cover - a broken install
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    return font_manager.FontProperties(fname=str(FONT_FILE)).get_name()


def dimension_values(a: Assessment) -> list[tuple[str, float, str]]:
    """(label, percent, detail) for the radar's four axes: the three scored dimensions and 数字化经营 (the mean
    scenario level as a share of level 4), in the indicators' order."""
    rows = [(d.name, 100 * d.points / d.max if d.max else 0.0, f"{d.points:g}/{d.max:g}") for d in a.dimensions]
    mean = sum(s.level for s in a.scenarios) / len(a.scenarios) if a.scenarios else 0.0
    rows.insert(1, (_BUSINESS, 100 * mean / 4, f"平均{mean:.1f}级"))
    return rows


def _labels(a: Assessment) -> dict:
    return {"title": f"数字化水平自评：估计{a.level_name}（打分 {a.score:g}/{a.score_max:g}）",
            "t1": "四个维度得分率（%）", "t2": "16个业务场景等级（*为约束性场景，第三方解读）",
            "scen": [s.name + ("*" if s.constraint else "") for s in a.scenarios],
            "levels": [LEVEL_NAMES[k] for k in (1, 2, 3, 4)]}


def _angles(n: int) -> list[float]:
    return [2 * math.pi * k / n for k in range(n)]


def _radar(ax, values: list[float], labels: list[str], vmax: float, color: str, ticks: list[float],
           tick_labels: list[str]) -> None:
    angles = _angles(len(values))
    ax.set_theta_offset(math.pi / 2)  # the first axis at the top, clockwise, like the platform
    ax.set_theta_direction(-1)
    ax.plot(angles + angles[:1], values + values[:1], color=color, linewidth=1.8)
    ax.fill(angles + angles[:1], values + values[:1], color=color, alpha=0.25)
    ax.set_ylim(0, vmax)
    ax.set_yticks(ticks, tick_labels, fontsize=7, color="#666")
    ax.set_xticks(angles, labels, fontsize=9)
    ax.tick_params(axis="x", pad=10)
    ax.set_rlabel_position(180 / len(values))  # radial labels between the first two axes
    ax.grid(alpha=0.35)


def render_chart(a: Assessment, path: Path) -> Path:
    try:  # the object API with an Agg canvas: no pyplot, no global backend, safe in a threaded app
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise MissingExtraError("matplotlib", "chart") from e
    font = cjk_font()
    text = _labels(a)
    rc = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(13, 6.4))
        FigureCanvasAgg(fig)
        left = fig.add_subplot(1, 2, 1, projection="polar")
        right = fig.add_subplot(1, 2, 2, projection="polar")
        dims = dimension_values(a)
        _radar(left, [v for _, v, _ in dims], [f"{name}\n{detail}" for name, _, detail in dims], 100, "#4C78A8",
               [25, 50, 75, 100], ["25", "50", "75", "100"])
        left.set_title(text["t1"], fontsize=11, pad=22)
        levels = [float(s.level) for s in a.scenarios]
        _radar(right, levels, text["scen"], 4, "#F58518", [1, 2, 3, 4], text["levels"])
        for label, s in zip(right.get_xticklabels(), a.scenarios):  # the category by colour, as on the platform
            label.set_color(_COLORS.get(s.category, "#333"))
        cats = {s.category: s.category_name for s in a.scenarios}
        right.legend(handles=[Patch(color=_COLORS.get(c, "#888"), label=name) for c, name in cats.items()],
                     loc="upper left", bbox_to_anchor=(1.02, 1.05), fontsize=8, frameon=False)
        right.set_title(text["t2"], fontsize=11, pad=22)
        fig.suptitle(text["title"], fontsize=13)
        fig.subplots_adjust(left=0.06, right=0.86, top=0.83, bottom=0.07, wspace=0.45)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    return path
