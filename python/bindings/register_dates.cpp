// embedrating._core: dates (days since 1970-01-01 across the boundary), month arithmetic and the
// vectorised date and code helpers the Python side uses.
#include <optional>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;

// ---------------------------------------------------------------------------------------------
// Dates and text helpers (vectorised)

/// Strict dates: (int32 days with INT32_MIN for missing, positions of unparsable items).
py::tuple parse_dates(const py::sequence& items) {
  const auto n = static_cast<py::ssize_t>(py::len(items));
  py::array_t<std::int32_t> out(n);
  std::int32_t* p = out.mutable_data();
  std::vector<py::ssize_t> bad;
  for (py::ssize_t i = 0; i < n; ++i) {
    py::object o = items[static_cast<std::size_t>(i)];
    bool wrong = false;
    const auto t = text_item(o.ptr(), wrong);
    p[i] = civil_date::missing().days();
    if (wrong) {
      bad.push_back(i);
      continue;
    }
    if (!t || trimmed(*t).empty()) continue;
    const auto d = parse_date(trimmed(*t));
    if (d) p[i] = d->days();
    else bad.push_back(i);
  }
  return py::make_tuple(out, bad);
}

}  // namespace

void register_dates(py::module_& m) {
  m.attr("MISSING_DATE") = civil_date::missing().days();
  m.def(
      "parse_date",
      [](const std::string& s) -> std::optional<std::int32_t> {
        const auto d = embedrating::parse_date(s);
        if (!d) return std::nullopt;
        return d->days();
      },
      "text"_a, "Strict YYYY-MM-DD (or YYYY/MM/DD) → days since 1970-01-01, None if malformed.");
  m.def("parse_dates", &parse_dates, "items"_a,
        "Vectorised parse_date over a sequence (None/NaN/\"\" missing) → (days, bad positions).");
  m.def(
      "add_months", [](std::int32_t days, int months) { return add_months(civil_date(days), months).days(); },
      "days"_a, "months"_a, "Calendar-month arithmetic (day clamped to the month's end).");
  m.def("codes_of", &codes_of, "values"_a, "levels"_a,
        "Codes of trimmed texts among levels (-1: empty or missing) → (int64 codes, first row that is not a "
        "level, or -1).");
}

}  // namespace embedrating::python
