#!/usr/bin/env python3
"""The DataFrame -> C++ dataset stage of Python rating, and its share of Model.rate(Dataset(df)).

    .venv/bin/python bench/python/bench_dataset_stages.py bench/python 1e6 3

Arguments: the bench/python directory whose bench_rate.py builds the frame (so an older tree can be
measured with its own frame builder), operators, repetitions. The frame is bench_rate.py's
(`tiled(operator_frame(model), n, False)`). CPU seconds (time.process_time), best of the repetitions:

  convert     Dataset(df).validate(model): the frame's columns read, checked and put in the C++ dataset
  core_first  model.rate(d) of an already converted dataset (first call: the input hash included)
  e2e         model.rate(Dataset(df))

Used for the "Dataset building round" of bench/README.md (before and after in the same session).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, sys.argv[1])
import bench_rate as br  # noqa: E402

import embedrating as er  # noqa: E402


def cpu(fn: Callable[[Any], Any], repeat: int, setup: Callable[[], Any] = lambda: None) -> float:
    best = float("inf")
    for _ in range(repeat):
        x = setup()
        gc.collect()
        t = time.process_time()
        fn(x)
        best = min(best, time.process_time() - t)
    return best


def main() -> int:
    n, repeat = int(float(sys.argv[2])), int(sys.argv[3])
    model = er.default_model()
    df = br.tiled(br.operator_frame(model), n, False)

    def converted() -> er.Dataset:
        d = er.Dataset(df)
        d.validate(model)
        return d

    t_conv = cpu(lambda _: er.Dataset(df).validate(model), repeat)
    t_core = cpu(lambda d: model.rate(d, as_of=br.AS_OF), repeat, converted)
    t_e2e = cpu(lambda _: model.rate(er.Dataset(df), as_of=br.AS_OF), repeat)
    print(f"{er.__file__}: convert {t_conv:.3f} s  core_first {t_core:.3f} s  e2e {t_e2e:.3f} s  e2e/core {t_e2e / t_core:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
