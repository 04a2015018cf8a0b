#pragma once
/// \file rate.hpp
/// Rating: `rate(model, dataset, as_of)` over all operators, column-wise, `rate_rows` for a block
/// of rows (a large population in pieces) and `rate_one` for a service that rates one operator at
/// a time. The clock is never read. All three are
/// `regrade(score(...), model)` (scored.hpp): the stages that do not depend on points, then points
/// and grades.
#include "dataset.hpp"
#include "date.hpp"
#include "model.hpp"
#include "ratings.hpp"

namespace embedrating {

class review_aggregator;
class holiday_calendar;

struct rate_options {
  bool compute_input_hash = true;  ///< SHA-256 of the dataset (recorded in the result; cached with the dataset)
  bool keep_node_points = false;   ///< store n × nodes earned/available matrices (else computed per operator on request)
  /// Review events whose summary at as_of replaces the dataset's review columns (see score_options).
  const review_aggregator* reviews = nullptr;
  const holiday_calendar* calendar = nullptr;  ///< working days of review deadlines (nullptr: China's)
};

/// Rates every operator of `data` at the evaluation date `as_of`. Throws data_error for missing
/// columns, out-of-range values and missing inputs under an "error" missing policy.
ratings rate(const model& m, const dataset& data, civil_date as_of, const rate_options& options = {});

/// Rates row `row` of `data` alone (same result as that row of rate()), reading the row in place;
/// the recorded input hash is that of the row alone.
ratings rate_one(const model& m, const dataset& data, std::size_t row, civil_date as_of,
                 const rate_options& options = {});

/// Rates rows [begin, begin + count) of `data`: the same result as those rows of rate() in every
/// field (row i of the result is row begin + i of rate()), except that the run's warnings are
/// repeated by every block. The recorded input hash is that of the whole dataset (computed once
/// and cached with it), so blocks can be written one after another as if rate() had run: the
/// ratings of a large population never need to exist at once (the CLI rates and writes CSV in
/// blocks this way, `--block-rows`). Errors in the data are those of the rows rated; a range
/// that is empty or does not lie within the dataset throws data_error naming it. With
/// `options.reviews`, every call applies the review summary to a copy of the dataset: for many
/// blocks, apply the summary once (review_summary::apply_to) and rate the blocks without it.
ratings rate_rows(const model& m, const dataset& data, std::size_t begin, std::size_t count, civil_date as_of,
                  const rate_options& options = {});

}  // namespace embedrating
