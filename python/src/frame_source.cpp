// DataFrames as table sources (see frame_source.hpp).
#include "frame_source.hpp"

#include <datetime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace embedrating::python {

namespace {

using namespace pybind11::literals;

py::module_& pandas() {
  static py::module_ pd = py::module_::import("pandas");
  return pd;
}

/// Ticks per second of a numpy datetime64 unit ("s", "ms", "us", "ns"); 0: days; -1: other.
std::int64_t ticks_of_unit(const std::string& unit) {
  if (unit == "s") return 1;
  if (unit == "ms") return 1000;
  if (unit == "us") return 1000000;
  if (unit == "ns") return 1000000000;
  if (unit == "D") return 0;
  return -1;
}

bool is_missing_object(PyObject* o) {
  if (o == Py_None) return true;
  if (PyFloat_Check(o)) return std::isnan(PyFloat_AS_DOUBLE(o));
  const char* t = Py_TYPE(o)->tp_name;
  return std::strcmp(t, "NAType") == 0 || std::strcmp(t, "NaTType") == 0;
}

std::string str_of(py::handle o) {
  const py::str s = py::str(o);
  Py_ssize_t n = 0;
  const char* p = PyUnicode_AsUTF8AndSize(s.ptr(), &n);
  if (p == nullptr) throw py::error_already_set();
  return std::string(p, static_cast<std::size_t>(n));
}

/// "YYYY-MM-DD" of a datetime.date; a datetime's own calendar day (a time-zone-aware one in
/// China Standard Time).
std::string date_text(PyObject* o) {
  py::handle h(o);
  py::object d = py::reinterpret_borrow<py::object>(h);
  if (PyDateTime_Check(o)) {
    if (!h.attr("tzinfo").is_none()) {
      static py::object cst = py::module_::import("datetime").attr("timezone")(
          py::module_::import("datetime").attr("timedelta")("hours"_a = 8));
      d = d.attr("astimezone")(cst);
    }
    d = d.attr("date")();
  }
  return str_of(d.attr("isoformat")());
}

}  // namespace

frame_source::frame_source(py::handle table, std::string name) : name_(std::move(name)) {
  if (PyDateTimeAPI == nullptr) PyDateTime_IMPORT;
  py::object items;
  const py::object DataFrame = pandas().attr("DataFrame");
  if (py::isinstance(table, DataFrame)) {
    index_ = table.attr("index");
    rows_ = py::len(table);
    items = table.attr("items")();
  } else if (PyMapping_Check(table.ptr()) && py::hasattr(table, "items")) {
    index_ = py::none();
    items = table.attr("items")();
    bool first = true;
    for (const auto kv : py::reinterpret_borrow<py::iterable>(items)) {
      const std::size_t n = py::len(kv.cast<py::tuple>()[1]);
      if (!first && n != rows_) {
        error_location w;
        w.file = name_;
        w.field = str_of(kv.cast<py::tuple>()[0]);
        throw data_error(w, "the columns of a mapping differ in length: " + std::to_string(rows_) + " and " + std::to_string(n));
      }
      rows_ = n;
      first = false;
    }
    items = table.attr("items")();
  } else {
    throw py::type_error("a table must be a pandas DataFrame or a mapping of columns, not " +
                         std::string(Py_TYPE(table.ptr())->tp_name));
  }
  for (const auto kv : py::reinterpret_borrow<py::iterable>(items)) {
    const auto t = kv.cast<py::tuple>();
    const std::string col = str_of(t[0]);
    if (std::find(header_.begin(), header_.end(), col) != header_.end()) {
      error_location w;
      w.file = name_;
      w.field = col;
      throw data_error(w, "column name appears twice");
    }
    header_.push_back(col);
    add_column(col, t[1]);
  }
}

void frame_source::add_column(const std::string& name, py::handle values) {
  auto c = std::make_unique<column>();
  column_view& v = c->view;
  py::module_& pd = pandas();
  py::object s = py::reinterpret_borrow<py::object>(values);
  if (!py::isinstance(s, pd.attr("Series"))) s = pd.attr("Series")(s, "copy"_a = false);
  if (py::len(s) != rows_) {
    error_location w;
    w.file = name_;
    w.field = name;
    throw data_error(w, "has " + std::to_string(py::len(s)) + " rows, not " + std::to_string(rows_));
  }
  py::object dtype = s.attr("dtype");
  if (py::isinstance(dtype, pd.attr("DatetimeTZDtype"))) {  // an instant: its day in China Standard Time
    s = s.attr("dt").attr("tz_convert")("Asia/Shanghai").attr("dt").attr("tz_localize")(py::none());
    dtype = s.attr("dtype");
  }
  if (py::hasattr(dtype, "pyarrow_dtype")) {  // Arrow dates and timestamps: as numpy datetime64
    const std::string kind = py::str(dtype.attr("kind"));
    const std::string text = py::str(dtype.attr("pyarrow_dtype"));
    if (kind == "M" || text.rfind("date", 0) == 0 || text.rfind("timestamp", 0) == 0) {
      const py::object nat = py::module_::import("numpy").attr("datetime64")("NaT");
      s = pd.attr("Series")(s.attr("to_numpy")("dtype"_a = "datetime64[ns]", "na_value"_a = nat));
      dtype = s.attr("dtype");
    }
  }
  const bool numpy_dtype = py::isinstance<py::dtype>(dtype);
  if (py::isinstance(dtype, pd.attr("CategoricalDtype"))) {
    py::array codes = s.attr("cat").attr("codes").attr("to_numpy")();
    c->keep.push_back(codes);
    v.type = column_type::categorical;
    v.data = codes.data();
    v.code_bytes = static_cast<std::uint8_t>(codes.itemsize());
    const py::object cats = dtype.attr("categories");
    for (const auto item : py::reinterpret_borrow<py::iterable>(cats)) {
      if (PyUnicode_Check(item.ptr())) {
        Py_ssize_t n = 0;
        const char* p = PyUnicode_AsUTF8AndSize(item.ptr(), &n);
        if (p == nullptr) throw py::error_already_set();
        c->keep.push_back(py::reinterpret_borrow<py::object>(item));
        c->levels.emplace_back(p, static_cast<std::size_t>(n));
      } else {
        c->owned.push_back(PyDateTime_Check(item.ptr()) || PyDate_Check(item.ptr()) ? date_text(item.ptr()) : str_of(item));
        c->levels.emplace_back(c->owned.back());
      }
    }
    v.levels = c->levels.data();
    v.level_count = c->levels.size();
  } else if (numpy_dtype) {
    const py::dtype dt = py::reinterpret_borrow<py::dtype>(dtype);
    const char kind = dt.kind();
    if (kind == 'f') {
      py::array a = s.attr("to_numpy")("dtype"_a = "float64");
      a = py::array::ensure(a, py::array::c_style);
      c->keep.push_back(a);
      v.type = column_type::float64;
      v.data = a.data();
    } else if (kind == 'i' || kind == 'u') {
      py::array a = s.attr("to_numpy")("dtype"_a = "int64");
      a = py::array::ensure(a, py::array::c_style);
      c->keep.push_back(a);
      v.type = column_type::int64;
      v.data = a.data();
    } else if (kind == 'b') {
      py::array a = py::array::ensure(s.attr("to_numpy")(), py::array::c_style);
      c->keep.push_back(a);
      v.type = column_type::boolean;
      v.data = a.data();
    } else if (kind == 'M') {
      const std::string str = py::str(dtype.attr("str"));  // "<M8[ns]"
      const std::string unit = str.substr(str.find('[') + 1, str.find(']') - str.find('[') - 1);
      const std::int64_t tps = ticks_of_unit(unit);
      py::array a = py::array::ensure(s.attr("to_numpy")(), py::array::c_style);
      c->keep.push_back(a);
      if (tps > 0) {
        v.type = column_type::timestamp;
        v.ticks_per_second = tps;
        v.data = a.data();
      } else if (tps == 0) {  // datetime64[D]: days
        const auto* d = static_cast<const std::int64_t*>(a.data());
        c->i32.resize(rows_);
        for (std::size_t i = 0; i < rows_; ++i)
          c->i32[i] = d[i] == std::numeric_limits<std::int64_t>::min() ? civil_date::missing().days() : static_cast<std::int32_t>(d[i]);
        v.type = column_type::date;
        v.data = c->i32.data();
      } else {
        set_objects(*c, s.attr("to_numpy")("dtype"_a = "object"));
      }
    } else {
      set_objects(*c, s.attr("to_numpy")("dtype"_a = "object"));
    }
  } else {
    // pandas extension arrays: nullable numbers and booleans, strings (Python or Arrow), Arrow types
    const std::string kind = py::str(dtype.attr("kind"));
    const bool nullable_number = kind == "i" || kind == "u" || kind == "f" || kind == "b";
    if (set_arrow(*c, s)) {
      // Arrow strings: views of the Arrow buffers
    } else if (nullable_number) {
      py::array mask = py::array::ensure(s.attr("isna")().attr("to_numpy")(), py::array::c_style);
      const auto* m = static_cast<const std::uint8_t*>(mask.data());
      c->valid.resize(rows_);
      for (std::size_t i = 0; i < rows_; ++i) c->valid[i] = m[i] ? 0 : 1;
      v.valid = c->valid.data();
      const char* target = kind == "f" ? "float64" : kind == "b" ? "bool" : "int64";
      py::array a = py::array::ensure(s.attr("to_numpy")("dtype"_a = target, "na_value"_a = 0), py::array::c_style);
      c->keep.push_back(a);
      v.type = kind == "f" ? column_type::float64 : kind == "b" ? column_type::boolean : column_type::int64;
      v.data = a.data();
    } else {
      set_objects(*c, s.attr("to_numpy")("dtype"_a = "object"));
    }
  }
  columns_.push_back(std::move(c));
}

/// Arrow-backed strings (string[pyarrow], pd.ArrowDtype(pa.string() / pa.large_string())):
/// views of the Arrow buffers, no Python object per row. False when the column is not one.
bool frame_source::set_arrow(column& c, py::handle series) {
  const py::object arr = series.attr("array");
  if (!py::hasattr(arr, "__arrow_array__")) return false;
  py::module_ pa;
  try {
    pa = py::module_::import("pyarrow");
  } catch (const py::error_already_set&) {
    return false;
  }
  py::object chunked = arr.attr("__arrow_array__")();
  py::object a = py::hasattr(chunked, "combine_chunks") ? chunked.attr("combine_chunks")() : chunked;
  const py::object type = a.attr("type");
  const bool small = pa.attr("types").attr("is_string")(type).cast<bool>();
  const bool large = pa.attr("types").attr("is_large_string")(type).cast<bool>();
  if (!small && !large) return false;
  const py::list buffers = a.attr("buffers")();
  const std::size_t offset = a.attr("offset").cast<std::size_t>();
  auto address = [&](std::size_t k) -> const std::uint8_t* {
    if (buffers[k].is_none()) return nullptr;
    return reinterpret_cast<const std::uint8_t*>(buffers[k].attr("address").cast<std::uintptr_t>());
  };
  const std::uint8_t* validity = address(0);
  const std::uint8_t* offsets = address(1);
  const char* data = reinterpret_cast<const char*>(address(2));
  c.keep.push_back(a);
  c.cells.resize(rows_);
  for (std::size_t i = 0; i < rows_; ++i) {
    const std::size_t j = offset + i;
    if (validity != nullptr && ((validity[j >> 3] >> (j & 7)) & 1) == 0) continue;  // null: missing
    std::int64_t b = 0, e = 0;
    if (large) {
      std::memcpy(&b, offsets + 8 * j, 8);
      std::memcpy(&e, offsets + 8 * (j + 1), 8);
    } else {
      std::int32_t b32 = 0, e32 = 0;
      std::memcpy(&b32, offsets + 4 * j, 4);
      std::memcpy(&e32, offsets + 4 * (j + 1), 4);
      b = b32, e = e32;
    }
    if (data != nullptr) c.cells[i] = std::string_view(data + b, static_cast<std::size_t>(e - b));
  }
  c.view.type = column_type::text;
  c.view.data = c.cells.data();
  c.view.stride = 1;
  return true;
}

/// Objects: strings as views of their UTF-8, missing values as empty cells, anything else as text
/// (numbers as Python prints them, dates as YYYY-MM-DD, lists and sets of codes joined by ';').
void frame_source::set_objects(column& c, py::handle objects) {
  const py::array a = py::array::ensure(objects);
  if (!a || a.ndim() != 1) throw py::value_error("a column must be one-dimensional");
  c.keep.push_back(a);
  const py::ssize_t stride = a.strides(0);
  const char* base = static_cast<const char*>(a.data());
  c.cells.resize(rows_);
  for (std::size_t i = 0; i < rows_; ++i) {
    PyObject* o = *reinterpret_cast<PyObject* const*>(base + static_cast<py::ssize_t>(i) * stride);
    if (PyUnicode_Check(o)) {
      Py_ssize_t n = 0;
      const char* p = PyUnicode_AsUTF8AndSize(o, &n);
      if (p == nullptr) throw py::error_already_set();
      c.cells[i] = std::string_view(p, static_cast<std::size_t>(n));
      continue;
    }
    if (is_missing_object(o)) continue;
    std::string text;
    if (PyBool_Check(o)) {
      text = o == Py_True ? "true" : "false";
    } else if (PyDate_Check(o)) {  // datetime.date, datetime.datetime, pandas.Timestamp
      text = date_text(o);
    } else if (PyList_Check(o) || PyTuple_Check(o) || PyAnySet_Check(o) || py::isinstance<py::array>(o)) {
      py::object items = py::reinterpret_borrow<py::object>(o);
      if (PyAnySet_Check(o)) items = py::module_::import("builtins").attr("sorted")(items, "key"_a = py::module_::import("builtins").attr("str"));
      for (const auto x : py::reinterpret_borrow<py::iterable>(items)) {
        if (is_missing_object(x.ptr())) continue;
        text += (text.empty() ? "" : ";") + str_of(x);
      }
      if (text.empty()) continue;
    } else {
      text = str_of(o);
    }
    c.owned.push_back(std::move(text));
    c.cells[i] = c.owned.back();
  }
  c.view.type = column_type::text;
  c.view.data = c.cells.data();
  c.view.stride = 1;
}

bool frame_source::next(table_chunk& chunk) {
  chunk.columns.clear();
  chunk.first_row = 0;
  chunk.rows = 0;
  if (done_ || rows_ == 0) return false;
  done_ = true;
  chunk.rows = rows_;
  for (const auto& c : columns_) chunk.columns.push_back(c->view);
  return true;
}

error_location frame_source::where(std::size_t row, std::size_t column) const {
  error_location w;
  w.file = name_;
  if (row != npos) {
    if (index_.is_none()) {
      w.row = std::to_string(row);
    } else {
      py::gil_scoped_acquire gil;
      w.row = str_of(index_[py::int_(row)]);
    }
  }
  if (column != npos && column < header_.size()) w.field = header_[column];
  return w;
}

}  // namespace embedrating::python
