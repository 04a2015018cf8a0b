"""embedrating.plot: lazy import, what each plot draws, and Chinese text rendered with a CJK font
(no "Glyph … missing from font(s)" warning; pytest also turns any warning into an error)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import embedrating as er  # noqa: E402

GLYPH_WARNING = r"(?i)glyph .* missing|missing from font"
PLOTS: dict[str, Callable[[er.Ratings, Axes, str], Axes]] = {
    "grade_distribution": lambda r, ax, lang: er.plot.grade_distribution(r, ax=ax, lang=lang),
    "grade_distribution_by_district": lambda r, ax, lang: er.plot.grade_distribution(r, by="district", ax=ax, lang=lang),
    "contributions": lambda r, ax, lang: er.plot.contributions(r, "WH-JA-0015", ax=ax, lang=lang),
    "contributions_by_dimension": lambda r, ax, lang: er.plot.contributions(
        r, "WH-JA-0015", ax=ax, lang=lang, level="dimension"
    ),
    "dimension_profile": lambda r, ax, lang: er.plot.dimension_profile(r, ax=ax, lang=lang),
}


@pytest.fixture
def ax() -> Iterator[Axes]:
    fig = Figure(figsize=(9, 5), layout="constrained")  # no pyplot: no global state
    FigureCanvasAgg(fig)  # rendered by Agg: draw() lays out and rasterises every glyph
    yield fig.add_subplot()


def _draw(ax: Axes) -> list[warnings.WarningMessage]:
    assert isinstance(ax.figure.canvas, FigureCanvasAgg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.canvas.draw()
    return list(caught)


def test_import_embedrating_does_not_import_matplotlib() -> None:
    code = (
        "import sys, embedrating as er\n"
        "assert 'matplotlib' not in sys.modules, 'import embedrating imported matplotlib'\n"
        "assert 'plot' in dir(er)\n"
        "er.plot.grade_distribution\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120)


def test_a_cjk_font_is_installed() -> None:
    font = er.plot.cjk_font()
    assert font is not None, (
        "no CJK font for matplotlib: install Debian's fonts-noto-cjk (scripts/install-deps.sh does)"
    )
    assert font in er.plot.CJK_FONTS


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(PLOTS))
def test_plots_draw_chinese_without_missing_glyphs(ratings: er.Ratings, ax: Axes, name: str, lang: str) -> None:
    out = PLOTS[name](ratings, ax, lang)
    assert out is ax
    caught = _draw(ax)
    glyphs = [str(w.message) for w in caught if "missing" in str(w.message).lower()]
    assert not glyphs, glyphs
    assert not caught, [str(w.message) for w in caught]
    texts = [t.get_text() for t in ax.texts] + [ax.get_title()] + [t.get_text() for t in ax.get_xticklabels()]
    if lang == "zh":
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts), texts


def test_the_glyph_check_would_catch_a_font_without_chinese(ax: Axes) -> None:
    # The control: the same check sees the warning when Chinese is drawn with a Latin-only font.
    ax.set_title("等级分布", fontfamily="DejaVu Sans")
    caught = _draw(ax)
    assert any("missing" in str(w.message).lower() for w in caught), [str(w.message) for w in caught]


def test_grade_distribution_bars(ratings: er.Ratings, ax: Axes) -> None:
    er.plot.grade_distribution(ratings, ax=ax, lang="zh")
    dist = ratings.distribution()
    heights = [p.get_height() for p in ax.patches]
    assert heights == dist.tolist()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["5A", "4A", "3A", "2A", "1A", "不予评级", "未参评"]
    assert ax.get_title() == "等级分布"


def test_grade_distribution_by_district_stacks_to_the_counts(ratings: er.Ratings, ax: Axes) -> None:
    er.plot.grade_distribution(ratings, by="district", ax=ax)
    table = ratings.distribution(by="district")
    n_values, n_grades = table.shape
    assert len(ax.patches) == n_values * n_grades
    tops = np.zeros(n_values)
    for k, p in enumerate(ax.patches):
        tops[k % n_values] = max(tops[k % n_values], p.get_y() + p.get_height())
    assert tops.tolist() == table.sum(axis=1).astype(float).tolist()
    with pytest.raises(KeyError):
        er.plot.grade_distribution(ratings, by="no_such_column", ax=ax)


def test_contributions_waterfall_reaches_the_total(ratings: er.Ratings, ax: Axes) -> None:
    er.plot.contributions(ratings, "WH-JA-0015", ax=ax)
    e = ratings.explanation("WH-JA-0015")
    leaves = e.contributions[e.contributions.kind == "indicator"]
    filled = [p for p in ax.patches if p.get_fill()]
    assert len(filled) == len(leaves) + 1
    *steps, total = filled
    assert [p.get_height() for p in steps] == pytest.approx(leaves["points"].tolist())
    assert steps[-1].get_y() + steps[-1].get_height() == pytest.approx(e.total)
    assert total.get_height() == pytest.approx(e.total)
    cutoffs = sorted(line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "--")
    assert cutoffs == sorted(ratings.model.cutoffs.tolist())
    assert ax.get_xticklabels()[-1].get_text() == "Total"


def test_contributions_by_dimension(ratings: er.Ratings, ax: Axes) -> None:
    er.plot.contributions(ratings, "WH-JA-0002", ax=ax, lang="zh", level="dimension")
    i = ratings.operator_ids.index("WH-JA-0002")
    filled = [p for p in ax.patches if p.get_fill()]
    assert [p.get_height() for p in filled[:-1]] == pytest.approx((ratings.dimension_centi[i] / 100.0).tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["安全管理", "服务供给与质量", "运营管理", "居民好差评", "总分"]
    with pytest.raises(ValueError, match="level"):
        er.plot.contributions(ratings, "WH-JA-0002", ax=ax, level="group")


def test_dimension_profile_means(ratings: er.Ratings, ax: Axes) -> None:
    er.plot.dimension_profile(ratings, ax=ax)
    frame = ratings.to_frame()
    lines = ax.get_lines()
    labels = [line.get_label() for line in lines]
    assert [x.split(" ")[0] for x in labels] == ["5A", "4A", "3A", "2A", "1A", "unrated"]
    five = frame.index[frame.grade == "5A"].to_numpy()
    dims = ratings.model.dimensions
    nodes = ratings.model.indicators["id"].tolist()
    avail = ratings.available_centi[:, [nodes.index(d) for d in dims]]
    expected = (ratings.dimension_centi[five] / avail[five]).mean(axis=0)
    assert lines[0].get_ydata() == pytest.approx(expected)
    assert labels[0] == f"5A ({len(five)})"


def test_new_figure_when_no_axes_given(ratings: er.Ratings) -> None:
    import matplotlib.pyplot as plt

    try:
        for make in PLOTS.values():
            ax = make(ratings, None, "zh")  # type: ignore[arg-type]
            assert isinstance(ax, Axes)
            assert not [w for w in _draw(ax)]
    finally:
        plt.close("all")


def test_bad_lang(ratings: er.Ratings, ax: Axes) -> None:
    with pytest.raises(ValueError, match="lang"):
        er.plot.grade_distribution(ratings, ax=ax, lang="fr")
