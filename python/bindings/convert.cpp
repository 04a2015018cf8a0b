// embedrating._core: small conversions the binding areas share (declared in bindings.hpp).
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "bindings.hpp"

namespace embedrating::python {

// ---------------------------------------------------------------------------------------------
// Small conversions

/// Trimmed texts of a 1-D numpy object array or a sequence, as text_list does in Python: str →
/// trimmed of spaces and tabs; None, NaN, pandas NA/NaT → ""; anything else → str(item), trimmed.
/// Object arrays are read in place (no intermediate list).
std::vector<std::string> texts_of(py::handle values) {
  std::vector<std::string> out;
  auto one = [](PyObject* o, std::string& dst) {
    bool bad = false;
    const auto t = text_item(o, bad);
    if (t) {
      dst.assign(trimmed(*t));
    } else if (bad) {
      const py::str s = py::str(py::handle(o));
      Py_ssize_t n = 0;
      const char* p = PyUnicode_AsUTF8AndSize(s.ptr(), &n);
      if (p == nullptr) throw py::error_already_set();
      dst.assign(trimmed(std::string_view(p, static_cast<std::size_t>(n))));
    }
  };
  if (py::isinstance<py::array>(values)) {
    const auto a = py::reinterpret_borrow<py::array>(values);
    if (a.ndim() != 1) throw py::value_error("texts: a one-dimensional array is required");
    if (a.dtype().kind() == 'O') {
      const auto n = static_cast<std::size_t>(a.shape(0));
      const py::ssize_t stride = a.strides(0);
      const char* base = static_cast<const char*>(a.data());
      out.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        one(*reinterpret_cast<PyObject* const*>(base + static_cast<py::ssize_t>(i) * stride), out[i]);
      return out;
    }
  }
  const py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(values.ptr(), "texts: a sequence is required"));
  if (!seq) throw py::error_already_set();
  const auto n = static_cast<std::size_t>(PySequence_Fast_GET_SIZE(seq.ptr()));
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) one(items[i], out[i]);
  return out;
}

/// Codes of texts among `levels` (an object array read in place, or a sequence): items are
/// trimmed as texts_of trims them; "", None, NaN, pandas NA → -1. Returns (int64 codes, row of the
/// first item that is not a level or -1): the caller names the value in its error.
py::tuple codes_of(py::handle values, const std::vector<std::string>& levels) {
  std::vector<std::string_view> lv(levels.begin(), levels.end());
  std::int64_t first_bad = -1;
  std::string scratch;
  auto code = [&](PyObject* o, std::size_t i) -> std::int64_t {
    bool bad = false;
    std::string_view t;
    if (const auto v = text_item(o, bad)) {
      t = trimmed(*v);
    } else if (bad) {
      const py::str s = py::str(py::handle(o));
      scratch = std::string(s);
      t = trimmed(scratch);
    }
    if (t.empty()) return -1;
    for (std::size_t k = 0; k < lv.size(); ++k)
      if (lv[k] == t) return static_cast<std::int64_t>(k);
    if (first_bad < 0) first_bad = static_cast<std::int64_t>(i);
    return -1;
  };
  auto fill = [&](std::size_t n, auto item) {
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(n));
    std::int64_t* p = out.mutable_data();
    for (std::size_t i = 0; i < n; ++i) p[i] = code(item(i), i);
    return py::make_tuple(out, first_bad);
  };
  if (py::isinstance<py::array>(values)) {
    const auto a = py::reinterpret_borrow<py::array>(values);
    if (a.ndim() == 1 && a.dtype().kind() == 'O') {
      const py::ssize_t stride = a.strides(0);
      const char* base = static_cast<const char*>(a.data());
      return fill(static_cast<std::size_t>(a.shape(0)), [&](std::size_t i) {
        return *reinterpret_cast<PyObject* const*>(base + static_cast<py::ssize_t>(i) * stride);
      });
    }
  }
  const py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(values.ptr(), "codes: a sequence is required"));
  if (!seq) throw py::error_already_set();
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  return fill(static_cast<std::size_t>(PySequence_Fast_GET_SIZE(seq.ptr())), [&](std::size_t i) { return items[i]; });
}

/// Checks factorised codes (-1 missing) against the number of distinct values.
void check_codes(const exact_array<std::int64_t>& codes, std::size_t distinct, const char* what) {
  const std::int64_t* c = codes.data();
  for (py::ssize_t i = 0; i < codes.size(); ++i)
    if (c[i] < -1 || c[i] >= static_cast<std::int64_t>(distinct))
      throw py::value_error(std::string(what) + ": code " + std::to_string(c[i]) + " in row " + std::to_string(i) +
                            " is not -1 .. " + std::to_string(distinct) + " - 1");
}


grade grade_of(int lvl) {
  if (lvl < 0 || lvl > 5) throw data_error("grade level " + std::to_string(lvl) + " is not 0 (unrated) .. 5 (5A)");
  return grade_from_level(lvl);
}

language language_of(const std::string& lang) {
  if (lang == "en") return language::en;
  if (lang == "zh") return language::zh;
  throw py::value_error("lang must be \"en\" or \"zh\", got \"" + lang + "\"");
}

const char* scoring_name(scoring_kind k) {
  switch (k) {
    case scoring_kind::linear: return "linear";
    case scoring_kind::piecewise: return "piecewise";
    case scoring_kind::steps: return "steps";
    case scoring_kind::boolean: return "boolean";
    case scoring_kind::categorical: return "categorical";
  }
  return "?";
}

const char* missing_name(missing_policy::kind_t k) {
  switch (k) {
    case missing_policy::kind_t::error: return "error";
    case missing_policy::kind_t::zero: return "zero";
    case missing_policy::kind_t::fixed: return "fixed";
    case missing_policy::kind_t::fallback: return "fallback";
  }
  return "?";
}

const char* gate_kind_name(gate::kind_t k) { return to_string(k); }

const char* warning_kind_name(operator_warning::kind_t k) {
  switch (k) {
    case operator_warning::kind_t::missing_fixed: return "missing_fixed";
    case operator_warning::kind_t::missing_fallback: return "missing_fallback";
    case operator_warning::kind_t::missing_zero: return "missing_zero";
    case operator_warning::kind_t::rule_warning: return "rule_warning";
    case operator_warning::kind_t::low_review_volume: return "low_review_volume";
  }
  return "?";
}

}  // namespace embedrating::python
