"""Review aggregation, rating and Monte Carlo on a Dask cluster (``pip install embedrating[dask]``).

The review state is mergeable — states built on any split of the events, merged in any order,
equal the state built on all of them (SPEC §5) — so a cluster gives exactly the single-process
result whatever the partitioning, even when one reviewer's reviews or one review's revisions land
in different partitions:

- :func:`aggregate_reviews` builds one :class:`~embedrating.ReviewAggregator` per partition of a
  Dask DataFrame of events (C++ ingestion without the GIL), merges the states in a tree
  reduction and returns the merged state;
- :func:`rate` rates the partitions of a :class:`~embedrating.Dataset` (or of a Dask DataFrame of
  operator rows) in parallel and returns a Dask DataFrame of ``Ratings.to_frame()`` rows;
- :func:`monte_carlo` splits the draws of a Monte Carlo run over the workers; the counter-based
  generator makes draw k the same on every machine, so the result equals
  ``embedrating.sensitivity.monte_carlo`` of the same seed.

States, models, datasets and scored data travel between processes as pickles, which are their
``serialize()`` archives. The functions use the current ``dask.distributed`` client when there is
one (``distributed.Client("tcp://scheduler:8786")``) and Dask's default scheduler otherwise.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Sequence
from typing import Any

import pandas as pd

try:
    import dask
    import dask.dataframe as dd
    from dask.delayed import Delayed, delayed
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "embedrating.dask needs Dask: pip install 'embedrating[dask]' (dask[dataframe] and distributed)"
    ) from e

from . import _core
from ._aggregator import EVENT_COLUMNS, ReviewAggregator
from ._asof import as_of_days
from ._convert import DateLike
from ._dataset import Dataset
from ._errors import data_error
from ._model import Model
from .sensitivity import _monte_carlo_result, _scored, Method, MonteCarloResult


__all__ = ["aggregate_reviews", "aggregate_reviews_delayed", "monte_carlo", "rate", "read_events"]


# ---------------------------------------------------------------------------------------------
# input


def read_events(path: str | os.PathLike[str], **kwargs: Any) -> dd.DataFrame:
    """Review events from a Parquet dataset (a file, a directory — e.g. hive-partitioned by
    month as ``month=2025-01/part-0.parquet`` — or a URL fsspec understands, such as
    ``s3://bucket/events/``) with :func:`dask.dataframe.read_parquet`, keeping only the SPEC §5
    event columns present (the hive partition key is a directory name, not an event column).
    `kwargs` go to ``read_parquet`` (``filters=[("month", ">=", "2025-01")]``,
    ``storage_options=``, ``blocksize=`` …)."""
    ddf = dd.read_parquet(os.fspath(path) if isinstance(path, os.PathLike) else path, **kwargs)
    cols = [c for c in EVENT_COLUMNS if c in ddf.columns]
    missing = [c for c in ("review_id", "operator_id", "reviewer_id", "time", "level") if c not in ddf.columns]
    if missing:

        raise data_error(f"{path}: missing required event column(s) {', '.join(missing)}", field=missing[0])
    return ddf[cols]


def _events(events: Any) -> dd.DataFrame:
    if isinstance(events, (str, os.PathLike)):
        return read_events(events)
    if isinstance(events, pd.DataFrame):
        return dd.from_pandas(events, npartitions=1, sort=False)
    if not isinstance(events, dd.DataFrame):
        raise TypeError(f"events must be a Dask DataFrame, a pandas DataFrame or a Parquet path, not {type(events).__name__}")
    return events


def _operator_ids(operators: Any, model: Model | None) -> list[str]:
    """The operator list as the ReviewAggregator constructor reads it (checked here, once)."""
    return ReviewAggregator(operators, model).operator_ids


# ---------------------------------------------------------------------------------------------
# aggregation


def _partition_state(part: pd.DataFrame, operator_ids: list[str], model: Model | None, name: str) -> ReviewAggregator:
    agg = ReviewAggregator(operator_ids, model)
    if len(part):
        # the core's DataFrame path: same checks and reject examples as add(); rows are named
        # "<name>:<index label>" (C++, without the GIL)
        agg._core.add_frame(part, name)
    return agg


def _merge_states(*states: ReviewAggregator) -> ReviewAggregator:
    # a copy: an input may stay in a worker's memory and be merged again when a task is retried
    out = copy.copy(states[0])
    for s in states[1:]:
        out.merge(s)
    return out


def _tree(items: list[Any], combine: Any, split_every: int, name: str) -> Any:
    level = 0
    while len(items) > 1:
        items = [
            delayed(combine, pure=True)(*items[i : i + split_every], dask_key_name=f"{name}-{level}-{i // split_every}")
            for i in range(0, len(items), split_every)
        ]
        level += 1
    return items[0]


def aggregate_reviews_delayed(
    events_ddf: Any,
    operators: Dataset | pd.DataFrame | Sequence[str] | Any,
    model: Model | None = None,
    *,
    split_every: int = 8,
) -> Delayed:
    """The graph of :func:`aggregate_reviews` as one ``dask.delayed`` value (to compute together
    with other work, or to persist)."""
    if int(split_every) < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every}")
    ddf = _events(events_ddf)
    ids = _operator_ids(operators, model)
    token = dask.base.tokenize(ddf, ids, None if model is None else model.fingerprint)
    ids_d = delayed(ids, name=f"er-operators-{token}", traverse=False)
    model_d = delayed(model, name=f"er-model-{token}", traverse=False)
    parts = ddf.to_delayed()
    states = [
        delayed(_partition_state, pure=True)(p, ids_d, model_d, f"partition {i}", dask_key_name=f"er-state-{token}-{i}")
        for i, p in enumerate(parts)
    ]
    if not states:
        return delayed(_partition_state)(pd.DataFrame(columns=list(ddf.columns)), ids_d, model_d, "empty")
    return _tree(states, _merge_states, int(split_every), f"er-merge-{token}")


def aggregate_reviews(
    events_ddf: Any,
    operators: Dataset | pd.DataFrame | Sequence[str] | Any,
    model: Model | None = None,
    *,
    split_every: int = 8,
) -> ReviewAggregator:
    """The review aggregation state of every event of `events_ddf`, built on the cluster.

    `events_ddf`: a Dask DataFrame of review events (SPEC §5 columns, as for
    :meth:`ReviewAggregator.add`), a Parquet path (read by :func:`read_events`) or a pandas
    DataFrame. `operators`, `model`: as for :class:`ReviewAggregator` (the operator list, and the
    model whose ``[reviews]`` settings apply; default the shipped model).

    Each partition becomes one state (C++ ingestion without the GIL, so worker threads run in
    parallel); states are merged ``split_every`` at a time in a tree reduction, and the merged
    state is returned. It equals the state built by one process on all the events
    (``ReviewAggregator.__eq__``) whatever the partitioning. Rejected rows are counted as in one
    process; their examples name the partition and the row's index label
    (``"partition 3:1042: …"``)."""
    return aggregate_reviews_delayed(events_ddf, operators, model, split_every=split_every).compute()


# ---------------------------------------------------------------------------------------------
# rating


def _rate_partition(
    operators: pd.DataFrame,
    indicators: pd.DataFrame | None,
    facilities: pd.DataFrame | None,
    reviews: ReviewAggregator | pd.DataFrame | None,
    model: Model,
    as_of: DateLike,
    calendar: Any,
    first_row: int | None = None,
) -> pd.DataFrame:
    import warnings

    ds = Dataset(operators, indicators, reviews=reviews, facilities=facilities)
    with warnings.catch_warnings():
        # run warnings (as_of outside the effective period) are issued once, on the caller's side,
        # by rate()'s one-row rating that makes the frame's meta
        warnings.simplefilter("ignore")
        frame = model.rate(ds, as_of, calendar=calendar).to_frame()
    if first_row is not None:  # the rows' labels in the whole dataset's frame
        frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    return frame


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    parts = max(1, min(parts, n)) if n else 1
    bounds = [n * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _default_partitions() -> int:
    try:
        from distributed import get_client

        return max(1, 2 * sum(get_client().nthreads().values()))
    except (ImportError, ValueError):
        return max(1, os.cpu_count() or 1)


def rate(
    dataset_or_ddf: Dataset | dd.DataFrame,
    model: Model,
    as_of: DateLike,
    *,
    reviews: ReviewAggregator | Any = None,
    npartitions: int | None = None,
    calendar: Any = None,
) -> dd.DataFrame:
    """Rates every operator on the cluster; returns a Dask DataFrame of the rows of
    ``model.rate(dataset, as_of).to_frame()`` (operators in their input order; ``.compute()``
    gives a pandas DataFrame equal to the single-process one).

    `dataset_or_ddf`: a :class:`Dataset` — its operators are cut into `npartitions` slices
    (default: twice the cluster's threads), with their indicators and facilities — or a Dask
    DataFrame of wide operator rows (operators and indicators in one frame), one slice per
    partition. `reviews`: review events (a Dask DataFrame or Parquet path, aggregated first with
    :func:`aggregate_reviews` over all the operators) or a :class:`ReviewAggregator`; default the
    dataset's own. The merged review state goes to every partition, so each operator's review
    measures are those of the whole run (a grade never depends on the other operators of its
    partition: priors are model parameters). `as_of` is required (the clock is never read)."""

    if not isinstance(model, Model):
        raise TypeError(f"model must be an embedrating.Model, not {type(model).__name__}")
    as_of_days(as_of)  # a bad date fails here, not on a worker
    if reviews is not None and not isinstance(reviews, ReviewAggregator):
        if isinstance(dataset_or_ddf, Dataset):
            ids: Any = dataset_or_ddf.operator_ids
        else:
            ids = dataset_or_ddf["operator_id"].compute().astype(str).tolist()
        reviews = aggregate_reviews(reviews, ids, model)
    if isinstance(dataset_or_ddf, Dataset):
        ds = dataset_or_ddf
        if reviews is None:
            reviews = ds._aggregator_for(model)
        ops = ds.operators if isinstance(ds.operators, pd.DataFrame) else pd.DataFrame(ds.operators)
        same = ds.indicators is ds.operators
        ind = None if ds.indicators is None or same else pd.DataFrame(ds.indicators)
        fac = None if ds.facilities is None else pd.DataFrame(ds.facilities)
        n = len(ops)
        slices = _split(n, int(npartitions) if npartitions else _default_partitions())
        token = dask.base.tokenize(ops, ind, fac, model.fingerprint, str(as_of), None if reviews is None else reviews.serialize())
        shared = delayed((reviews, model), name=f"er-rate-shared-{token}", traverse=False)
        op_ids = ops["operator_id"].astype(str).str.strip() if n else pd.Series([], dtype=object)

        def cut(a: int, b: int) -> tuple[pd.DataFrame, Any, Any]:
            o = ops.iloc[a:b]
            keep = op_ids.iloc[a:b]
            ind_slice = o if same else None if ind is None else ind[ind["operator_id"].astype(str).str.strip().isin(keep)]
            fac_slice = None if fac is None else fac[fac["operator_id"].astype(str).str.strip().isin(keep)]
            return o, ind_slice, fac_slice

        parts = [
            delayed(_rate_shared, pure=True)(*cut(a, b), shared, str(as_of), calendar, a, dask_key_name=f"er-rate-{token}-{i}")
            for i, (a, b) in enumerate(slices)
        ]
        # the frame's meta: one operator rated here (which also issues the run's warnings, once)
        meta = _rate_partition(*cut(0, min(1, n)), reviews, model, as_of, calendar, 0).iloc[:0]
    elif isinstance(dataset_or_ddf, dd.DataFrame):
        token = dask.base.tokenize(dataset_or_ddf, model.fingerprint, str(as_of), None if reviews is None else reviews.serialize())
        shared = delayed((reviews, model), name=f"er-rate-shared-{token}", traverse=False)
        parts = [
            delayed(_rate_shared, pure=True)(p, p, None, shared, str(as_of), calendar, None, dask_key_name=f"er-rate-{token}-{i}")
            for i, p in enumerate(dataset_or_ddf.to_delayed())
        ]
        head = dataset_or_ddf.get_partition(0).head(1, compute=True)
        meta = _rate_partition(head, head, None, reviews, model, as_of, calendar).reset_index(drop=True).iloc[:0]
    else:
        raise TypeError(f"rate() takes an embedrating.Dataset or a Dask DataFrame, not {type(dataset_or_ddf).__name__}")
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _rate_shared(
    o: pd.DataFrame, ind: Any, fac: Any, shared: tuple[Any, Model], as_of: str, calendar: Any, first_row: int | None
) -> pd.DataFrame:
    reviews, model = shared
    return _rate_partition(o, ind, fac, reviews, model, as_of, calendar, first_row)


# ---------------------------------------------------------------------------------------------
# Monte Carlo


def _mc_part(scored: Any, first: int, n: int, options: dict[str, Any]) -> dict[str, Any]:
    r = _core.monte_carlo(scored._core, draws=int(n), first_draw=int(first), quantiles=[], **options)
    part = {k: r[k] for k in ("counts", "per_draw", "weights", "cutoffs", "grade", "active", "total", "not_graded",
                              "memory", "model_fingerprint", "kernel_isa")}
    part["first_draw"] = int(first)
    return part


def monte_carlo(
    model: Model | Any,
    dataset: Dataset | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    as_of: DateLike | None = None,
    method: Method = "dirichlet",
    concentration: float = 200.0,
    spread: float = 0.1,
    cutoff_jitter: float = 0.0,
    interval: float = 0.95,
    chunks: int | None = None,
) -> MonteCarloResult:
    """:func:`embedrating.sensitivity.monte_carlo` with the draws split over the cluster: the
    data is scored once (here), each task runs draws ``first … first + n − 1`` of the same
    counter-based sequence (Philox keyed by seed and draw index), and the parts are combined —
    grade counts add, draws and per-draw rows concatenate — into a result equal to the
    single-process run with the same arguments and ``quantiles=()``: the per-operator total
    quantiles are not computed here (their histogram windows come from all the draws at once).

    `chunks`: how many tasks (default: twice the cluster's threads, at most one per draw)."""

    s = _scored(model, dataset, as_of, "monte_carlo")
    k = int(draws)
    if k < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    options = {"seed": int(seed), "method": str(method), "concentration": float(concentration),
               "spread": float(spread), "cutoff_jitter": float(cutoff_jitter), "interval": float(interval)}
    # a bad option fails here, on one draw, with the core's message naming it
    _core.monte_carlo(s._core, draws=1, quantiles=[], **options)
    ranges = _split(k, int(chunks) if chunks else _default_partitions())
    token = uuid.uuid4().hex  # a Scored has no content hash: a fresh name per run
    scored_d = delayed(s, name=f"er-mc-scored-{token}", traverse=False)
    tasks = [
        delayed(_mc_part, pure=True)(scored_d, a, b - a, options, dask_key_name=f"er-mc-{token}-{a}") for a, b in ranges
    ]
    parts = list(dask.compute(*tasks))
    r = _core.monte_carlo_combine(parts, **options)  # the core's combine_draw_ranges: one run, bit for bit
    return _monte_carlo_result(
        s, r, draws=k, seed=int(seed), method=str(method), concentration=float(concentration), spread=float(spread),
        cutoff_jitter=float(cutoff_jitter), quantiles=[], resolution=0.5, bins=128, interval=float(interval), threads=1,
    )
