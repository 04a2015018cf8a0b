#pragma once
// The one place pybind11 is included for embedrating._core, and the helpers every binding area
// shares: read-only numpy views that keep their owner alive, text and number conversions, the
// review aggregator wrapper, and the register_* function of each area.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <embedrating/embedrating.hpp>
#include <embedrating/estimators.hpp>
#include <embedrating/serialize.hpp>

namespace embedrating::python {

namespace py = pybind11;

/// A read-only numpy view of `data` (shape/strides in elements) whose base is `owner`: the array
/// keeps the C++ object alive and never copies. Empty arrays are fresh (numpy needs no buffer).
template <class T>
py::array view(py::handle owner, const T* data, std::vector<py::ssize_t> shape, std::vector<py::ssize_t> strides) {
  py::ssize_t count = 1;
  for (py::ssize_t s : shape) count *= s;
  for (auto& s : strides) s *= static_cast<py::ssize_t>(sizeof(T));
  if (count == 0 || data == nullptr) return py::array(py::dtype::of<T>(), shape, strides);
  py::array a(py::dtype::of<T>(), std::move(shape), std::move(strides), data, owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

/// A 1-D read-only view of a vector owned by `owner`.
template <class T>
py::array view1(py::handle owner, const std::vector<T>& v) {
  return view(owner, v.data(), {static_cast<py::ssize_t>(v.size())}, {1});
}

/// A 1-D read-only view of a shared column owned (through its shared vector) by `owner`.
template <class T>
py::array view1(py::handle owner, const shared_column<T>& v) {
  return view1(owner, v.vector());
}

/// A fresh 1-D numpy array holding a copy of `v` (for values computed on the fly).
template <class T>
py::array_t<T> copy1(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

template <class T>
py::array_t<T> copy1(const shared_column<T>& v) {
  return copy1(v.vector());
}

/// A C-contiguous array of exactly T, used in place (no conversion: pybind11 refuses others).
template <class T>
using exact_array = py::array_t<T, py::array::c_style>;

/// Days since 1970-01-01, or None for a missing date.
/// The archive of `x` (serialize.hpp `to_bytes`) as Python bytes, encoded without the GIL: the
/// `to_bytes` of Model, Dataset, Ratings and Scored.
template <class T>
py::bytes archive_bytes(const T& x) {
  std::string bytes;
  {
    py::gil_scoped_release nogil;
    bytes = to_bytes(x);
  }
  return py::bytes(bytes);
}

inline py::object date_days(civil_date d) {
  if (d.is_missing()) return py::none();
  return py::int_(d.days());
}

/// embedrating.DataError instances of collected problems (register_errors.cpp).
py::list data_errors(const std::vector<data_error>& problems);

/// The shortest "%.15g"/"%.17g" text that reads back as v (nan, inf, -inf), for reprs.
inline std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// A Python str from UTF-8 bytes (invalid bytes replaced).
inline py::str utf8(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

/// Text of a Python item: str → its UTF-8; None, float NaN, pandas NA/NaT → nullopt (missing);
/// anything else sets `bad`.
inline std::optional<std::string_view> text_item(PyObject* o, bool& bad) {
  bad = false;
  if (PyUnicode_Check(o)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == nullptr) throw py::error_already_set();
    return std::string_view(s, static_cast<std::size_t>(n));
  }
  if (o == Py_None) return std::nullopt;
  if (PyFloat_Check(o) && std::isnan(PyFloat_AS_DOUBLE(o))) return std::nullopt;
  const std::string tname = Py_TYPE(o)->tp_name;
  if (tname == "NAType" || tname == "NaTType") return std::nullopt;
  bad = true;
  return std::nullopt;
}

/// `s` without leading and trailing spaces and tabs (as the CSV readers trim cells).
inline std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The review aggregator behind embedrating.ReviewAggregator: the core object and a mutex, since
/// the long calls (add, summary, save) run without the GIL and two Python threads may share it.
struct py_aggregator {
  review_aggregator agg;
  mutable std::mutex mu;

  explicit py_aggregator(review_aggregator a) : agg(std::move(a)) {}
  py_aggregator(const py_aggregator& o) : agg(o.locked_copy()) {}
  py_aggregator(py_aggregator&& o) noexcept : agg(std::move(o.agg)) {}
  py_aggregator& operator=(const py_aggregator&) = delete;

  review_aggregator locked_copy() const {
    std::lock_guard<std::mutex> lock(mu);
    return agg;
  }
};

// Small conversions the areas share (convert.cpp).

/// Trimmed texts of a 1-D numpy object array or a sequence (None, NaN, NA/NaT → "").
std::vector<std::string> texts_of(py::handle values);
/// Codes of trimmed texts among levels (-1: empty or missing) → (int64 codes, first bad row or -1).
py::tuple codes_of(py::handle values, const std::vector<std::string>& levels);
/// Checks factorised codes (-1 missing) against the number of distinct values.
void check_codes(const exact_array<std::int64_t>& codes, std::size_t distinct, const char* what);
grade grade_of(int lvl);
language language_of(const std::string& lang);
const char* scoring_name(scoring_kind k);
const char* missing_name(missing_policy::kind_t k);
const char* gate_kind_name(gate::kind_t k);
const char* warning_kind_name(operator_warning::kind_t k);

// The binding areas, one file each; module.cpp wires them in this order.
void register_errors(py::module_& m);       // register_errors.cpp: embedrating.Error and subclasses
void register_dates(py::module_& m);        // register_dates.cpp: dates, month arithmetic, codes
void register_model(py::module_& m);        // register_model.cpp: Model
void register_dataset(py::module_& m);      // register_dataset.cpp: Dataset, read_operators/read_facilities
void register_calendar(py::module_& m);     // register_publishing.cpp: HolidayCalendar
void register_reviews(py::module_& m);      // register_reviews.cpp: ReviewAggregator, review keys and times
void register_estimators(py::module_& m);   // register_estimators.cpp: Wilson, Jeffreys, Bayesian average, Kish, Beta prior
void register_ratings(py::module_& m);      // register_ratings.cpp: score, rate, rate_one, Ratings, Scored
void register_weights(py::module_& m);      // register_weights.cpp: embedrating.weights
void register_calibrate(py::module_& m);    // register_calibrate.cpp: embedrating.calibrate, reviewable models
void register_sensitivity(py::module_& m);  // register_sensitivity.cpp: embedrating.sensitivity
void register_publishing(py::module_& m);   // register_publishing.cpp: roll_forward, Chinese citations

}  // namespace embedrating::python
