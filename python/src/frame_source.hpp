#pragma once
// A pandas DataFrame (or a mapping of columns) as an embedrating::table_source, so DataFrames go
// through the core's one ingestion path (io.hpp): the core classifies, parses and checks every
// column; nothing here decides what a column means.
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.hpp"

namespace embedrating::python {

/// One chunk holding every row. Columns of numeric, boolean, datetime and categorical dtypes are
/// handed over as typed arrays — in place when the dtype matches (float64, int64, bool,
/// datetime64, categorical codes), converted once otherwise; text columns as views of the Python
/// strings' UTF-8 (Arrow-backed strings as views of their buffers); other objects (numbers, dates,
/// lists of codes) as their text. Missing values (None, NaN, pd.NA, NaT) are missing cells.
/// Messages name the row by its index label. Holds references to the arrays: use it with the GIL.
class frame_source final : public table_source {
 public:
  /// `table`: a DataFrame (its index labels the rows) or a mapping of equally long columns.
  frame_source(py::handle table, std::string name);

  const std::string& name() const noexcept override { return name_; }
  const std::vector<std::string>& header() const noexcept override { return header_; }
  bool next(table_chunk& chunk) override;
  error_location where(std::size_t row, std::size_t column) const override;
  std::size_t size_hint() const noexcept override { return rows_; }
  std::size_t rows() const noexcept { return rows_; }

 private:
  struct column {
    column_view view;
    std::vector<py::object> keep;            ///< arrays and strings the view points into
    std::vector<std::string_view> cells;     ///< text cells
    std::deque<std::string> owned;           ///< texts made from non-string objects
    std::vector<std::string_view> levels;    ///< categorical levels
    std::vector<double> f64;                 ///< converted numbers
    std::vector<std::int64_t> i64;           ///< converted integers / timestamps
    std::vector<std::int32_t> i32;           ///< converted dates
    std::vector<std::uint8_t> valid;         ///< masks of nullable arrays
  };
  void add_column(const std::string& name, py::handle values);
  void set_objects(column& c, py::handle objects);
  bool set_arrow(column& c, py::handle series);

  std::string name_;
  std::vector<std::string> header_;
  std::vector<std::unique_ptr<column>> columns_;
  py::object index_;  ///< row labels (None: 0, 1, …)
  std::size_t rows_ = 0;
  bool done_ = false;
};

}  // namespace embedrating::python
