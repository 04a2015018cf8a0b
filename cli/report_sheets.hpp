#pragma once
/// \file report_sheets.hpp
/// What `embedrating rate` and `reviews summarize` publish, as sheets (sheet.hpp): the ratings,
/// the grade directory (等级评定目录, Art. 7), the grade distribution and the review summary, in
/// English or Chinese (headers, status and mode names, grade names).
#include <functional>
#include <string>
#include <vector>

#include <embedrating/catalogue.hpp>
#include <embedrating/directory.hpp>  // directory_valid_to
#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>

#include "sheet.hpp"

namespace embedrating::cli {

struct report_context {
  const model& m;
  const dataset& d;
  const catalogue& cat;
  const ratings& r;
  bool zh = false;
  std::size_t first_row = 0;  ///< dataset row of ratings row 0 (a block of rate_rows; only ratings_rows reads it)
};

/// Operator i's value of the text attribute `name` ("" when the dataset has no such column).
std::string attribute_or(const dataset& d, const char* name, std::size_t i);
/// Operator i's display name: name_zh, else name.
std::string operator_name(const dataset& d, std::size_t i);

/// One row per operator: ids, names, status, total, grades, dimension points, rules, provenance.
sheet ratings_sheet(const report_context& c);
/// The same sheet without its rows, and its rows one at a time (the row vector is reused between
/// calls): the CSV output streams them instead of holding every cell at once. For a block of
/// rows (rate_rows), row i of `c.r` is dataset row `c.first_row + i`.
sheet ratings_columns(const report_context& c);
void ratings_rows(const report_context& c, const std::function<void(const std::vector<std::string>&)>& each);
/// One CSV line (with "\n") of a row, appended to `out`.
void append_csv_row(std::string& out, const std::vector<std::string>& row);
/// Graded operators 1A–5A with their validity: valid_from = as_of, valid_to = as_of +
/// valid_months − 1 day, never past the model's effective_to.
sheet directory_sheet(const report_context& c, int valid_months);
/// Operators per final grade: all, then by district, then by operating mode.
sheet distribution_sheet(const report_context& c);
/// The review summary of `reviews summarize` (one row per operator).
sheet review_summary_sheet(const review_summary& sm, bool zh);

/// Operating mode and status names in the catalogue's language ("" → "" ).
std::string mode_name(const catalogue& cat, const std::string& code, bool zh);
std::string status_name(const catalogue& cat, operator_status s, bool zh);

}  // namespace embedrating::cli
