"""Review estimators (SPEC §5, §7), vectorised over numpy arrays (C++ ``estimators.hpp``).

Counts are floats (decayed counts may be fractional). Scalars in give a float out; arrays (any
shape, broadcast together) give arrays of the broadcast shape. float64 contiguous arrays reach
the C++ code without a copy. Bad arguments raise :class:`embedrating.DataError` naming the
function, the argument, the element and the value.

Also here: :class:`embedrating.ReviewAggregator` (the event-level aggregation state) and
:func:`review_keys` (64-bit keys of text ids, as the aggregator computes them).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from . import _core
from ._aggregator import ReviewAggregator, review_keys
from ._errors import data_error

Z_95 = 1.959963984540054
"""The two-sided 95 % normal quantile, the default z of the Wilson bound."""

BetaPriorFit = _core.BetaPriorFit

__all__ = [
    "Z_95",
    "BetaPriorFit",
    "ReviewAggregator",
    "bayesian_average",
    "fit_beta_prior",
    "jeffreys_interval",
    "kish_effective_n",
    "review_keys",
    "wilson_interval",
    "wilson_lower_bound",
]


def _flat(*args: Any) -> tuple[tuple[int, ...], bool, list[np.ndarray]]:
    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    scalar = all(a.ndim == 0 for a in arrays)
    shaped = np.broadcast_arrays(*arrays)
    shape = shaped[0].shape
    return shape, scalar, [np.ascontiguousarray(a).reshape(-1) for a in shaped]


def _out(values: np.ndarray, shape: tuple[int, ...], scalar: bool) -> Any:
    if scalar:
        return float(values[0])
    return np.asarray(values).reshape(shape)


def wilson_lower_bound(good: Any, n: Any, z: float = Z_95) -> Any:
    """The lower end of the Wilson score interval of good/n (0 when n = 0)."""
    shape, scalar, (g, m) = _flat(good, n)
    return _out(_core.wilson_lower_bound(g, m, float(z)), shape, scalar)


def wilson_interval(good: Any, n: Any, z: float = Z_95) -> tuple[Any, Any]:
    """The Wilson score interval (lower, upper) of good/n; [0, 1] when n = 0."""
    shape, scalar, (g, m) = _flat(good, n)
    lo, hi = _core.wilson_interval(g, m, float(z))
    return _out(lo, shape, scalar), _out(hi, shape, scalar)


def jeffreys_interval(good: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """The equal-tailed Jeffreys interval (lower, upper) of good/n (Brown, Cai & DasGupta 2001)."""
    shape, scalar, (g, m) = _flat(good, n)
    lo, hi = _core.jeffreys_interval(g, m, float(confidence))
    return _out(lo, shape, scalar), _out(hi, shape, scalar)


def bayesian_average(
    good: Any, n: Any, prior_mean: float, prior_weight: float, *, scale: tuple[float, float] = (0.0, 1.0)
) -> Any:
    """(good + prior_weight · prior_mean) / (n + prior_weight); prior_mean when the weight is
    infinite (a pooled fit) or n + weight = 0.

    By default a share: `good` of `n` reviews are good and `prior_mean` is a rate in [0, 1].
    For any other value scale give ``scale=(low, high)``: `good` is then the **sum** of the `n`
    values (n × their mean) and `prior_mean` lies in [low, high] — e.g. star averages with
    ``scale=(1, 5)`` (``good`` = Σ stars) or the satisfaction index with ``scale=(0, 100)``.
    The sums are checked against the scale (low·n ≤ good ≤ high·n)::

        bayesian_average(4.2 * 12, 12, prior_mean=4.0, prior_weight=30, scale=(1, 5))   # ≈ 4.057
    """
    low, high = (float(scale[0]), float(scale[1]))
    if not (np.isfinite(low) and np.isfinite(high) and high > low):

        raise data_error(f"bayesian_average: scale {scale!r} must be two finite numbers, low < high", field="scale")
    shape, scalar, (g, m) = _flat(good, n)
    if (low, high) == (0.0, 1.0):
        return _out(_core.bayesian_average(g, m, float(prior_mean), float(prior_weight)), shape, scalar)

    if not low <= float(prior_mean) <= high:
        raise data_error(f"bayesian_average: prior_mean = {prior_mean} is outside the scale [{low}, {high}]", field="prior_mean")
    bad = np.flatnonzero((g < low * m - 1e-9 * np.abs(m)) | (g > high * m + 1e-9 * np.abs(m)))
    if bad.size:
        k = int(bad[0])
        raise data_error(
            f"bayesian_average: element {k}: good = {g[k]} is not a sum of n = {m[k]} values in [{low}, {high}] "
            f"(with scale=, good is the sum of the values, n × their mean)",
            field="good",
        )
    # the same estimator on the values mapped to [0, 1], mapped back: (Σx + w·μ) / (n + w)
    width = high - low
    unit = (g - low * m) / width
    unit = np.where(np.isclose(unit, 0.0, atol=1e-12), 0.0, unit)
    unit = np.where(np.isclose(unit, m, rtol=1e-12, atol=1e-12), m, unit)
    out = _core.bayesian_average(
        np.ascontiguousarray(unit, dtype=np.float64), m, (float(prior_mean) - low) / width, float(prior_weight)
    )
    return _out(low + width * np.asarray(out), shape, scalar)


def kish_effective_n(sum_w: Any, sum_w2: Any) -> Any:
    """Kish's effective sample size (Σw)² / Σw² from the sums Σw and Σw²."""
    shape, scalar, (a, b) = _flat(sum_w, sum_w2)
    return _out(_core.kish_effective_n(a, b), shape, scalar)


def fit_beta_prior(
    good: Any,
    n: Any,
    method: Literal["maximum_likelihood", "method_of_moments", "moments_unweighted"] = "maximum_likelihood",
    *,
    min_strength: float = 1e-3,
    max_strength: float = 1e6,
) -> BetaPriorFit:
    """The empirical-Bayes Beta prior of the operators' shares good/n (one element per
    operator): ``.alpha``, ``.beta``, ``.mean``, ``.prior_strength``, ``.pooled``, ``.note``…
    When the data show no spread beyond binomial noise the fit is *pooled*: alpha and beta are 0
    (not estimated), prior_strength is inf and mean the pooled rate — never huge numbers.

    ``method``:

    - ``"maximum_likelihood"`` (default): the beta-binomial marginal likelihood.
    - ``"method_of_moments"`` (also ``"moments_weighted"``, ``"kleinman"``): Kleinman's (1973)
      moments, weighted by each operator's n and corrected for binomial noise.
    - ``"moments_unweighted"`` (also ``"ebbr"``): the mean and variance of the raw shares, each
      operator once, binomial noise not removed — the ``method = "mm"`` of R's ebbr package. Gives
      weaker priors than Kleinman's when operators have few reviews; use it to reproduce ebbr."""
    _, _, (g, m) = _flat(good, n)
    return _core.fit_beta_prior(g, m, method, float(min_strength), float(max_strength))
