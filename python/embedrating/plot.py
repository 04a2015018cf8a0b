"""Plots of ratings with matplotlib (imported here, not by ``import embedrating``).

Each function draws on `ax` (a new figure's axes when None) and returns the Axes. ``lang`` ("en"
or "zh") picks the labels. Chinese text needs a CJK font: the first of :data:`CJK_FONTS` that
matplotlib's font manager knows is added as a fallback family to every text drawn here (Debian:
``apt-get install fonts-noto-cjk``, as scripts/install-deps.sh does). Without one, a
:class:`UserWarning` says so once and Chinese glyphs will be missing.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager

from ._repr_html import _GRADE_COLOURS as _HTML_GRADE_COLOURS
from ._codes import display_names
from ._ratings import Ratings
from .sensitivity import _labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = [
    "CJK_FONTS",
    "cjk_font",
    "contributions",
    "dimension_profile",
    "grade_distribution",
    "stability",
    "tornado",
    "transitions",
]

CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Serif CJK SC",
)
"""Font families with Simplified Chinese glyphs, in order of preference."""

_GRADE_ORDER = ("5A", "4A", "3A", "2A", "1A", "unrated", "not_graded")
# one palette for the HTML views and the plots
_GRADE_COLOURS = {**_HTML_GRADE_COLOURS, "not_graded": "#d9d9d9"}
_DIM_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")

_TEXT = {
    "en": {
        "distribution": "Grade distribution",
        "operators": "Operators",
        "by_district": "district",
        "by_mode": "operating mode",
        "grade": "Grade",
        "unrated": "unrated",
        "not_graded": "not graded",
        "contributions": "Points of {op}: {grade} (by score {by_score})",
        "points": "Points",
        "total": "Total",
        "profile": "Mean dimension ratio by grade",
        "ratio": "Points / available",
        "lost": "not earned",
    },
    "zh": {
        "distribution": "等级分布",
        "operators": "运营商数",
        "by_district": "区",
        "by_mode": "运营模式",
        "grade": "等级",
        "unrated": "不予评级",
        "not_graded": "未参评",
        "contributions": "{op} 得分构成：{grade}（按得分 {by_score}）",
        "points": "分数",
        "total": "总分",
        "profile": "各等级维度平均得分率",
        "ratio": "得分率",
        "lost": "失分",
    },
}

_font_cache: dict[str, str | None] = {}


def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, or None. Fonts installed after
    matplotlib built its font cache are found too (the system font files are scanned once)."""
    if "font" in _font_cache:
        return _font_cache["font"]

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in CJK_FONTS if n in names), None)

    name = known()
    if name is None:  # a cache older than the font: add the CJK font files it lacks
        seen = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            base = path.rsplit("/", 1)[-1].lower()
            if path not in seen and any(k in base for k in ("cjk", "wqy", "sourcehansans", "simhei", "msyh")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # pragma: no cover - a broken font file
                    continue
        name = known()
    _font_cache["font"] = name
    return name


def _family(*texts: str) -> list[str] | None:
    """The font family list for texts drawn here: the configured families with the CJK font as
    a fallback (None: matplotlib's default, when no CJK font is installed)."""
    cjk = cjk_font()
    if cjk is None:
        if any(_CJK.search(t) for t in texts):
            warnings.warn(
                "embedrating.plot: no CJK font found (looked for "
                + ", ".join(CJK_FONTS[:3])
                + ", …); Chinese text will not render. On Debian: apt-get install fonts-noto-cjk",
                UserWarning,
                stacklevel=3,
            )
        return None
    families = list(mpl.rcParams["font.family"])
    return families + [cjk] if cjk not in families else families


def _words(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f'lang must be "en" or "zh", got "{lang}"')
    return _TEXT[lang]


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _fonts(ax: Axes, family: list[str] | None) -> None:
    """Gives every text of `ax` (title, labels, tick labels, legend, annotations) the family."""
    if family is None:
        return
    from matplotlib.text import Text

    for t in ax.findobj(Text):
        t.set_fontfamily(family)
    legend = ax.get_legend()
    if legend is not None:
        for t in legend.get_texts():
            t.set_fontfamily(family)
        legend.get_title().set_fontfamily(family)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int) -> str:
    """Wraps at spaces (a CJK text has none: shortened instead)."""
    import textwrap

    lines = textwrap.wrap(text, width) if " " in text else [text]
    return "\n".join(_short(line, width + 4) for line in lines[:3])


def _grade_label(g: str, w: dict[str, str]) -> str:
    return w.get(g, g) if g in ("unrated", "not_graded") else g


# ---------------------------------------------------------------------------------------------


def grade_distribution(ratings: Ratings, by: str | None = None, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Operators per final grade (5A … 1A, unrated, not graded) as bars; with `by` (e.g.
    "district" or "mode"), one stacked bar per value of that column."""
    w = _words(lang)
    ax = _axes(ax, (7.0, 4.0) if by is None else (9.0, 4.5))
    dist = ratings.distribution(by=by)
    if by is None:
        labels = [_grade_label(g, w) for g in dist.index]
        ax.bar(labels, dist.to_numpy(), color=[_GRADE_COLOURS[g] for g in dist.index])
        for x, v in enumerate(dist.to_numpy()):
            ax.annotate(str(int(v)), (x, v), ha="center", va="bottom", fontsize="small")
        ax.set_xlabel(w["grade"])
    else:
        table = dist
        values = [str(v) for v in table.index]
        if by == "mode":  # operating modes by name, in the plot's language

            names = display_names("modes", lang) if lang == "zh" else {}
            values = [names.get(v, v) for v in values]
        bottom = np.zeros(len(values))
        for g in table.columns:
            counts = table[g].to_numpy(dtype=np.float64)
            ax.bar(values, counts, bottom=bottom, color=_GRADE_COLOURS[g], label=_grade_label(g, w))
            bottom += counts
        ax.legend(title=w["grade"], fontsize="small", ncols=1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_xlabel(w.get(f"by_{by}", by))
        if len(values) > 6:
            ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylabel(w["operators"])
    ax.set_title(w["distribution"] + ("" if by is None else f" — {w.get(f'by_{by}', by)}"))
    ax.spines[["top", "right"]].set_visible(False)
    texts = [t.get_text() for t in ax.get_xticklabels()]
    _fonts(ax, _family(w["distribution"], *texts))
    return ax


def contributions(
    ratings: Ratings, operator_id: str, ax: Axes | None = None, lang: str = "en", *, level: str = "indicator"
) -> Axes:
    """A waterfall of the points an operator earned, indicator by indicator (``level=
    "indicator"``, coloured by dimension) or dimension by dimension (``level="dimension"``), up
    to the total, with the points available but not earned as outlines and the grade cut-offs
    (minimum totals) as reference lines."""
    w = _words(lang)
    if level not in ("indicator", "dimension"):
        raise ValueError(f'level must be "indicator" or "dimension", got "{level}"')
    e = ratings.explanation(operator_id, lang=lang)
    c = e.contributions
    rows = c[c["kind"] == "indicator"] if level == "indicator" else c[c["kind"] == "dimension"]
    dims = [d for d in c.loc[c["kind"] == "dimension", "id"]]
    dim_of = dict(zip(ratings.model.indicators["id"], ratings.model.indicators["dimension"]))
    colours = {d: _DIM_COLOURS[k % len(_DIM_COLOURS)] for k, d in enumerate(dims)}
    ax = _axes(ax, (10.0, 5.0) if level == "indicator" else (7.0, 4.5))
    start = 0.0
    labels = []
    for x, r in enumerate(rows.itertuples(index=False)):
        colour = colours[dim_of[r.id]]
        ax.bar(x, r.points, bottom=start, color=colour, width=0.7)
        if r.available > r.points:
            ax.bar(x, r.available - r.points, bottom=start + r.points, width=0.7, fill=False,
                   edgecolor=colour, linewidth=0.8, linestyle=":")  # fmt: skip
        if x + 1 < len(rows):
            ax.plot([x + 0.35, x + 0.65], [start + r.points] * 2, color="#555", linewidth=0.6)
        start += r.points
        labels.append(_short(r.label, 24) if level == "indicator" else _wrap(r.label, 16))
    n = len(rows)
    ax.bar(n, e.total, color="#333", width=0.7)
    ax.annotate(f"{e.total:.2f}", (n, e.total), ha="center", va="bottom", fontsize="small")
    labels.append(w["total"])
    model = ratings.model
    for g, t in model.cutoffs.items():
        ax.axhline(t, color=_GRADE_COLOURS[str(g)], linewidth=0.8, linestyle="--", zorder=0)
        ax.annotate(str(g), (1.0, t), xycoords=("axes fraction", "data"), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize="small", color=_GRADE_COLOURS[str(g)])  # fmt: skip
    ax.set_xticks(range(n + 1), labels, rotation=90 if level == "indicator" else 0)
    ax.set_xlim(-0.6, n + 0.6)
    ax.set_ylim(0, max(model.total_points, e.total) * 1.05)
    ax.set_ylabel(w["points"])
    title = w["contributions"].format(
        op=operator_id, grade=_grade_label(e.grade or "not_graded", w), by_score=_grade_label(e.grade_by_score or "—", w)
    )
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    _fonts(ax, _family(title, *labels))
    return ax


def dimension_profile(ratings: Ratings, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Mean dimension ratio (points earned / points available in that dimension) of the graded
    operators of each final grade, one line per grade across the dimensions."""
    w = _words(lang)
    model = ratings.model
    nodes = model.indicators
    dims = model.dimensions
    available = np.asarray(ratings.dimension_available, dtype=np.float64)
    earned = np.asarray(ratings.dimension_centi, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(available > 0, earned / available, np.nan)
    graded = ratings.status == 0
    grade = np.asarray(ratings.final_grade)
    labels_col = nodes.set_index("id")["label_zh" if lang == "zh" else "label"]
    dim_labels = [str(labels_col[d]) or d for d in dims]
    ax = _axes(ax, (8.0, 4.5))
    x = np.arange(len(dims))
    for g in ("5A", "4A", "3A", "2A", "1A", "unrated"):
        lvl = ("unrated", "1A", "2A", "3A", "4A", "5A").index(g)
        sel = graded & (grade == lvl)
        if not sel.any():
            continue
        mean = np.nanmean(ratio[sel], axis=0)
        ax.plot(x, mean, marker="o", color=_GRADE_COLOURS[g], label=f"{_grade_label(g, w)} ({int(sel.sum())})")
    ax.set_xticks(x, [_wrap(t, 18) for t in dim_labels])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(w["ratio"])
    ax.set_title(w["profile"])
    ax.grid(axis="y", linewidth=0.4, alpha=0.6)
    ax.legend(title=w["grade"], fontsize="small", loc="lower left")
    ax.spines[["top", "right"]].set_visible(False)
    _fonts(ax, _family(w["profile"], *dim_labels))
    return ax


# ---------------------------------------------------------------------------------------------
# Sensitivity (embedrating.sensitivity, issue 13)

_SENS_TEXT = {
    "en": {
        "stability": "Grade stability: the {n} least stable operators ({draws} draws)",
        "share": "Share of draws",
        "tornado": "One-at-a-time swings (weights ±{delta:g}%, cut-offs ±{cut:g} points)",
        "moved": "Operators whose grade changes",
        "total": "Mean |change of total| (points)",
        "low": "−δ",
        "high": "+δ",
        "cutoff": "{g} cut-off",
        "transitions": "Grade transitions ({moved} of {n} operators move)",
        "model_a": "Grade under model A",
        "model_b": "Grade under model B",
        "current": "current",
    },
    "zh": {
        "stability": "等级稳定性：最不稳定的 {n} 家运营商（{draws} 次抽样）",
        "share": "抽样占比",
        "tornado": "单因素敏感性（权重 ±{delta:g}%，分数线 ±{cut:g} 分）",
        "moved": "等级变动的运营商占比",
        "total": "总分平均变动（分）",
        "low": "−δ",
        "high": "+δ",
        "cutoff": "{g} 分数线",
        "transitions": "等级变动矩阵（{n} 家中 {moved} 家变动）",
        "model_a": "模型 A 等级",
        "model_b": "模型 B 等级",
        "current": "当前",
    },
}


def _sens_words(lang: str) -> dict[str, str]:
    _words(lang)  # the same check of lang
    return _SENS_TEXT[lang]


def stability(result: Any, ax: Axes | None = None, lang: str = "en", *, top: int = 25) -> Axes:
    """The grade probabilities of the `top` least stable active operators of a Monte Carlo run
    (:func:`embedrating.sensitivity.monte_carlo`), one stacked bar per operator (least stable at
    the top), coloured by grade; a black outline marks each operator's current grade."""
    w = _sens_words(lang)
    g = _words(lang)
    ops = result.operators
    ops = ops[ops["status"] == "active"].sort_values("stability", kind="stable").head(top)
    ax = _axes(ax, (9.0, max(3.0, 0.28 * len(ops) + 1.5)))
    y = np.arange(len(ops))[::-1]
    left = np.zeros(len(ops))
    grades = ("unrated", "1A", "2A", "3A", "4A", "5A")
    for grade in grades:
        p = ops[f"p_{grade}"].to_numpy(dtype=np.float64)
        ax.barh(y, p, left=left, color=_GRADE_COLOURS[grade], height=0.75, label=_grade_label(grade, g))
        current = (ops["grade"].astype(object) == grade).to_numpy()
        if current.any():
            ax.barh(y[current], p[current], left=left[current], height=0.75, fill=False, edgecolor="black", linewidth=1.2)
        left += p
    ids = [str(i) for i in ops.index]
    ax.set_yticks(y, ids)
    ax.set_xlim(0, 1)
    ax.set_xlabel(w["share"])
    title = w["stability"].format(n=len(ops), draws=result.draws)
    ax.set_title(title)
    ax.legend(title=g["grade"], fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    _fonts(ax, _family(title, w["share"], *[_grade_label(x, g) for x in grades]))
    return ax


def tornado(oat: Any, ax: Axes | None = None, lang: str = "en", *, top: int = 15, metric: str = "moved") -> Axes:
    """A tornado chart of a one-at-a-time analysis (:func:`embedrating.sensitivity.one_at_a_time`):
    for the `top` most influential parameters, the effect of −δ to the left and +δ to the right —
    ``metric="moved"``: the share of active operators whose grade changes; ``"total"``: the mean
    |change of total| in points."""
    if metric not in ("moved", "total"):
        raise ValueError(f'metric must be "moved" or "total", got "{metric}"')
    w = _sens_words(lang)

    s = oat.summary
    if metric == "total":
        s = s.assign(_key=s["mean_abs_change_low"] + s["mean_abs_change_high"]).sort_values("_key", ascending=False, kind="stable")
        low, high = s["mean_abs_change_low"], s["mean_abs_change_high"]
    else:
        low, high = s["moved_low"], s["moved_high"]
    s, low, high = s.head(top), low.head(top).to_numpy(dtype=np.float64), high.head(top).to_numpy(dtype=np.float64)
    names = _labels(oat.model, lang)
    labels = [w["cutoff"].format(g=i) if k == "cutoff" else _short(names.get(i, i), 28) for k, i in zip(s["kind"], s["id"])]
    ax = _axes(ax, (9.0, max(3.0, 0.35 * len(s) + 1.5)))
    y = np.arange(len(s))[::-1]
    ax.barh(y, -low, color="#4c72b0", height=0.7, label=w["low"])
    ax.barh(y, high, color="#dd8452", height=0.7, label=w["high"])
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_yticks(y, labels)
    span = max(float(np.max(low, initial=0.0)), float(np.max(high, initial=0.0)), 1e-9)
    ax.set_xlim(-1.1 * span, 1.1 * span)
    if metric == "moved":
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{100 * abs(v):.0f}%"))
    else:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):g}"))
    xlabel = w["moved"] if metric == "moved" else w["total"]
    ax.set_xlabel(xlabel)
    title = w["tornado"].format(delta=100 * oat.options["delta"], cut=oat.options["cutoff_delta"])
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    _fonts(ax, _family(title, xlabel, *labels))
    return ax


def transitions(comparison: Any, ax: Axes | None = None, lang: str = "en") -> Axes:
    """The grade transition matrix of a model comparison (:func:`embedrating.sensitivity.compare`)
    as a heat map with the counts written in each cell (colour on a log scale, so that the few
    operators off the diagonal show)."""
    w = _sens_words(lang)
    g = _words(lang)
    t = comparison.transitions
    counts = t.to_numpy(dtype=np.float64)
    ax = _axes(ax, (6.5, 5.5))
    ax.imshow(np.log1p(counts), cmap="Blues", aspect="equal")
    top = float(np.log1p(counts).max()) if counts.size else 0.0
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            v = int(counts[i, j])
            colour = "white" if top > 0 and np.log1p(v) > 0.6 * top else "#222"
            weight = "bold" if i != j and v > 0 else "normal"
            ax.text(j, i, str(v), ha="center", va="center", color=colour, fontsize="small", fontweight=weight)
    labels = [_grade_label(str(x), g) for x in t.index]
    ax.set_xticks(range(len(t.columns)), [_grade_label(str(x), g) for x in t.columns])
    ax.set_yticks(range(len(t.index)), labels)
    ax.set_xlabel(w["model_b"])
    ax.set_ylabel(w["model_a"])
    s = comparison.summary
    title = w["transitions"].format(moved=s["moved"], n=s["operators"])
    ax.set_title(title)
    _fonts(ax, _family(title, w["model_a"], w["model_b"], *labels))
    return ax


def __dir__() -> list[str]:
    # only the public API (not the modules and names this module imports)
    return sorted(__all__)
