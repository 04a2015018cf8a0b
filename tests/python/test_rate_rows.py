"""``_core.rate_rows`` (C++ ``rate_rows``, include/embedrating/rate.hpp): a block of rows rated alone
equals the same rows of ``_core.rate`` and records the whole dataset's input hash; a bad range
raises DataError naming it. The field-by-field C++ test is tests/cpp/rate_rows_test.cpp."""

from __future__ import annotations

import numpy as np
import pytest

import embedrating as er
from embedrating import _core
from embedrating._asof import as_of_days

from _helpers import SAMPLE_AS_OF


@pytest.mark.parametrize("rows", [1, 7, 64, 299, 300])
def test_blocks_equal_the_rows_of_rate(model: er.Model, sample: er.Dataset, rows: int) -> None:
    core = sample._core_for(model)
    day = as_of_days(SAMPLE_AS_OF)
    whole = _core.rate(model._core, core, day)
    n = len(whole)
    assert n == 300
    for begin in range(0, n, rows):
        count = min(rows, n - begin)  # the last block may be partial
        block = _core.rate_rows(model._core, core, begin, count, day)
        assert len(block) == count
        assert block.input_hash == whole.input_hash
        assert block.operator_ids == whole.operator_ids[begin : begin + count]
        for field in ("status", "grade_by_score", "final_grade", "terminate", "total_centi", "dimension_centi"):
            np.testing.assert_array_equal(getattr(block, field), getattr(whole, field)[begin : begin + count], err_msg=field)
        np.testing.assert_array_equal(block.indicator_score, whole.indicator_score[begin : begin + count])
        for i in range(count):
            assert block.explain(i) == whole.explain(begin + i)


def test_a_bad_range_raises_data_error_naming_it(model: er.Model, sample: er.Dataset) -> None:
    core = sample._core_for(model)
    day = as_of_days(SAMPLE_AS_OF)
    with pytest.raises(er.DataError, match=r"rows \[300, 300 \+ 1\) are out of range \(the dataset has 300 operators\)"):
        _core.rate_rows(model._core, core, 300, 1, day)
    with pytest.raises(er.DataError, match=r"rows \[5, 5 \+ 0\) are an empty range"):
        _core.rate_rows(model._core, core, 5, 0, day)
