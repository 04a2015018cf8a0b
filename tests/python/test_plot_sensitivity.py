"""The sensitivity plots of embedrating.plot (issue 13): stability, tornado and transitions draw what
their results hold, and Chinese labels render with a CJK font (no "Glyph … missing" warning;
pytest also turns any warning into an error)."""

from __future__ import annotations

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
from _helpers import SAMPLE_AS_OF  # noqa: E402


@pytest.fixture(scope="module")
def mc(model: er.Model, sample: er.Dataset) -> er.sensitivity.MonteCarloResult:
    return er.sensitivity.monte_carlo(model, sample, as_of=SAMPLE_AS_OF, draws=200, seed=1)


@pytest.fixture(scope="module")
def oat(model: er.Model, sample: er.Dataset) -> er.sensitivity.OATResult:
    return er.sensitivity.one_at_a_time(model, sample, as_of=SAMPLE_AS_OF, delta=0.3)


@pytest.fixture(scope="module")
def comparison(model: er.Model, sample: er.Dataset) -> er.sensitivity.Comparison:
    w = model.weights.copy()
    w["satisfaction_index"] *= 1.5
    return er.sensitivity.compare(model, model.with_weights(w / w.sum()), sample, as_of=SAMPLE_AS_OF)


@pytest.fixture
def ax() -> Iterator[Axes]:
    fig = Figure(figsize=(9, 6), layout="constrained")
    FigureCanvasAgg(fig)
    yield fig.add_subplot()


def _draw(ax: Axes) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.canvas.draw()
    return list(caught)


PLOTS: dict[str, Callable[..., Axes]] = {
    "stability": lambda mc, oat, c, ax, lang: er.plot.stability(mc, ax=ax, lang=lang),
    "tornado": lambda mc, oat, c, ax, lang: er.plot.tornado(oat, ax=ax, lang=lang),
    "tornado_total": lambda mc, oat, c, ax, lang: er.plot.tornado(oat, ax=ax, lang=lang, metric="total"),
    "transitions": lambda mc, oat, c, ax, lang: er.plot.transitions(c, ax=ax, lang=lang),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(PLOTS))
def test_sensitivity_plots_draw_chinese_without_missing_glyphs(mc, oat, comparison, ax: Axes, name: str, lang: str) -> None:
    out = PLOTS[name](mc, oat, comparison, ax, lang)
    assert out is ax
    caught = _draw(ax)
    assert not caught, [str(w.message) for w in caught]
    texts = [ax.get_title(), ax.get_xlabel()] + [t.get_text() for t in ax.get_yticklabels()]
    if lang == "zh":
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts), texts


def test_stability_bars_are_the_grade_probabilities_of_the_least_stable(mc, ax: Axes) -> None:
    er.plot.stability(mc, ax=ax, top=10)
    ops = mc.operators[mc.operators["status"] == "active"].sort_values("stability", kind="stable").head(10)
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    assert [label for _, label in ticks] == list(ops.index), "least stable at the top"
    filled = [p for p in ax.patches if p.get_fill()]
    assert len(filled) == 6 * 10
    widths = np.array([p.get_width() for p in filled]).reshape(6, 10)
    want = ops[["p_unrated", "p_1A", "p_2A", "p_3A", "p_4A", "p_5A"]].to_numpy().T
    np.testing.assert_allclose(widths, want)
    outlines = [p for p in ax.patches if not p.get_fill()]
    assert len(outlines) == 10, "one outline per operator: its current grade"


def test_tornado_bars_are_the_shares_that_move(oat, ax: Axes) -> None:
    er.plot.tornado(oat, ax=ax, top=5)
    s = oat.summary.head(5)
    bars = ax.patches
    left, right = bars[:5], bars[5:10]
    np.testing.assert_allclose([-p.get_width() for p in left], s["moved_low"].to_numpy())
    np.testing.assert_allclose([p.get_width() for p in right], s["moved_high"].to_numpy())
    with pytest.raises(ValueError, match="metric"):
        er.plot.tornado(oat, ax=ax, metric="median")


def test_transitions_heat_map_writes_every_count(comparison, ax: Axes) -> None:
    er.plot.transitions(comparison, ax=ax, lang="zh")
    counts = [int(t.get_text()) for t in ax.texts]
    assert counts == comparison.transitions.to_numpy().ravel().tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5A", "4A", "3A", "2A", "1A", "不予评级"]
    assert ax.get_xlabel() == "模型 B 等级"


def test_bad_lang(mc, ax: Axes) -> None:
    with pytest.raises(ValueError, match="lang"):
        er.plot.stability(mc, ax=ax, lang="fr")
