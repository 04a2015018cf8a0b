#pragma once
/// \file rate.hpp
/// Rating: `rate(model, dataset, as_of)` over all operators, column-wise, and `rate_one` for a
/// service that rates one operator at a time. The clock is never read.
#include "dataset.hpp"
#include "date.hpp"
#include "model.hpp"
#include "ratings.hpp"

namespace embedrating {

struct rate_options {
  bool compute_input_hash = true;  ///< SHA-256 of the dataset (recorded in the result)
};

/// Rates every operator of `data` at the evaluation date `as_of`. Throws data_error for missing
/// columns, out-of-range values and missing inputs under an "error" missing policy.
ratings rate(const model& m, const dataset& data, civil_date as_of, const rate_options& options = {});

/// Rates row `row` of `data` alone (same result as that row of rate()).
ratings rate_one(const model& m, const dataset& data, std::size_t row, civil_date as_of,
                 const rate_options& options = {});

}  // namespace embedrating
