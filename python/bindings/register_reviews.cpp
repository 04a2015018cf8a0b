// embedrating._core: the review aggregator (events from arrays, DataFrames and CSV; summaries;
// save/load), review keys and times (embedrating.reviews).
#include <cmath>
#include <optional>

#include <embedrating/estimators.hpp>

#include "bindings.hpp"

#include <cstdio>
#include "frame_source.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
namespace est = embedrating::estimators;

/// review_key over a sequence of str (trimmed; None/NaN → the key of "").
py::array_t<std::uint64_t> review_keys(const py::sequence& items) {
  const auto n = static_cast<py::ssize_t>(py::len(items));
  py::array_t<std::uint64_t> out(n);
  std::uint64_t* p = out.mutable_data();
  for (py::ssize_t i = 0; i < n; ++i) {
    py::object o = items[static_cast<std::size_t>(i)];
    bool bad = false;
    const auto t = text_item(o.ptr(), bad);
    if (bad) throw py::type_error("review_keys: item " + std::to_string(i) + " is not a str");
    p[i] = review_key(t ? trimmed(*t) : std::string_view());
  }
  return out;
}

/// ISO 8601 instants as the review CSV reader reads them → (int64 Unix seconds with no_time for
/// missing, positions of unparsable items).
py::tuple parse_times(const py::sequence& items) {
  const auto n = static_cast<py::ssize_t>(py::len(items));
  py::array_t<std::int64_t> out(n);
  std::int64_t* p = out.mutable_data();
  std::vector<py::ssize_t> bad_rows;
  for (py::ssize_t i = 0; i < n; ++i) {
    py::object o = items[static_cast<std::size_t>(i)];
    bool bad = false;
    const auto t = text_item(o.ptr(), bad);
    p[i] = no_time;
    if (bad) {
      bad_rows.push_back(i);
      continue;
    }
    if (!t || trimmed(*t).empty()) continue;
    const auto v = embedrating::parse_review_time(trimmed(*t));
    if (v) p[i] = *v;
    else bad_rows.push_back(i);
  }
  return py::make_tuple(out, bad_rows);
}

// ---------------------------------------------------------------------------------------------
// Aggregator

/// The location of a review batch array: its field name.
error_location field_location(const char* name) {
  error_location w;
  w.field = name;
  return w;
}

template <class T>
const T* data_or_null(const std::optional<exact_array<T>>& a, std::size_t n, const char* name) {
  if (!a) return nullptr;
  if (a->ndim() != 1 || static_cast<std::size_t>(a->shape(0)) != n)
    throw data_error(field_location(name),
                     "review batch: array has " + std::to_string(a->size()) + " elements, review_key has " +
                         std::to_string(n));
  return a->data();
}

void add_batch(py_aggregator& self, const exact_array<std::uint64_t>& review_key_,
               const exact_array<std::uint32_t>& operator_index, const exact_array<std::uint64_t>& reviewer_key,
               const exact_array<std::int64_t>& time, const exact_array<std::int8_t>& level,
               const std::optional<exact_array<std::uint32_t>>& revision,
               const std::optional<exact_array<std::uint8_t>>& status,
               const std::optional<exact_array<std::int64_t>>& rectified_at,
               const std::optional<exact_array<std::int64_t>>& followed_up_at,
               const std::optional<exact_array<std::uint8_t>>& has_service_record) {
  if (review_key_.ndim() != 1) throw data_error("review batch: arrays must be one-dimensional");
  const auto n = static_cast<std::size_t>(review_key_.shape(0));
  auto required = [&](const auto& a, const char* name) {
    if (a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != n)
      throw data_error(field_location(name),
                       "review batch: array has " + std::to_string(a.size()) + " elements, review_key has " +
                           std::to_string(n));
    return a.data();
  };
  review_batch b;
  b.size = n;
  b.review_key = review_key_.data();
  b.operator_index = required(operator_index, "operator_index");
  b.reviewer_key = required(reviewer_key, "reviewer_key");
  b.time = required(time, "time");
  b.level = required(level, "level");
  b.revision = data_or_null(revision, n, "revision");
  b.status = data_or_null(status, n, "status");
  b.rectified_at = data_or_null(rectified_at, n, "rectified_at");
  b.followed_up_at = data_or_null(followed_up_at, n, "followed_up_at");
  b.has_service_record = data_or_null(has_service_record, n, "has_service_record");
  py::gil_scoped_release nogil;
  std::lock_guard<std::mutex> lock(self.mu);
  self.agg.add(b);
}

/// Events one by one with their text ids (the path for rows a batch cannot express: missing or
/// unknown ids, unparsable cells); each `where` names the row in rejection examples.
void add_events(py_aggregator& self, const std::vector<std::string>& review_id,
                const exact_array<std::uint32_t>& revision, const std::vector<std::string>& operator_id,
                const std::vector<std::string>& reviewer_id, const exact_array<std::int64_t>& time,
                const exact_array<std::int8_t>& level, const exact_array<std::uint8_t>& status,
                const exact_array<std::int64_t>& rectified_at, const exact_array<std::int64_t>& followed_up_at,
                const std::vector<std::string>& service_record_id, const std::vector<std::string>& where) {
  const std::size_t n = review_id.size();
  for (std::size_t len : {static_cast<std::size_t>(revision.size()), operator_id.size(), reviewer_id.size(),
                          static_cast<std::size_t>(time.size()), static_cast<std::size_t>(level.size()),
                          static_cast<std::size_t>(status.size()), static_cast<std::size_t>(rectified_at.size()),
                          static_cast<std::size_t>(followed_up_at.size()), service_record_id.size(), where.size()})
    if (len != n) throw data_error("add_events: the columns differ in length");
  py::gil_scoped_release nogil;
  std::lock_guard<std::mutex> lock(self.mu);
  for (std::size_t i = 0; i < n; ++i) {
    review_event e;
    e.review_id = review_id[i];
    e.revision = revision.data()[i];
    e.operator_id = operator_id[i];
    e.reviewer_id = reviewer_id[i];
    e.time = time.data()[i];
    e.level = level.data()[i];
    e.status = static_cast<review_status>(status.data()[i]);
    e.rectified_at = rectified_at.data()[i];
    e.followed_up_at = followed_up_at.data()[i];
    e.service_record_id = service_record_id[i];
    self.agg.add(e, where[i]);
  }
}

template <class Derived>
py::array_t<double> array_of(const Eigen::ArrayBase<Derived>& a) {
  py::array_t<double> out(static_cast<py::ssize_t>(a.size()));
  std::copy(a.derived().data(), a.derived().data() + a.size(), out.mutable_data());
  return out;
}

py::dict summary_dict(const review_summary& s, const std::vector<std::vector<double>>& stars) {
  py::dict stars_cols;
  for (std::size_t k = 0; k < 5; ++k) stars_cols[py::str("stars_" + std::to_string(k + 1))] = stars[k];
  py::list rejects;
  for (std::size_t k = 0; k < reject_kind_count; ++k)
    rejects.append(py::make_tuple(to_string(static_cast<reject_kind>(k)), s.rejects.counts[k], s.rejects.examples[k]));
  using counts_t = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 5, Eigen::RowMajor>;
  using weights_t = Eigen::Matrix<double, Eigen::Dynamic, 5, Eigen::RowMajor>;
  py::list ids;
  for (const auto& id : s.operator_ids) ids.append(utf8(id));
  return py::dict(
      "as_of"_a = s.as_of.days(), "operator_ids"_a = ids, "counts"_a = counts_t(s.counts),
      "weights"_a = weights_t(s.weights), "stars"_a = stars_cols, "valid_n"_a = array_of(s.valid_n),
      "effective_n"_a = array_of(s.effective_n), "satisfaction_index"_a = array_of(s.satisfaction_index),
      "satisfaction_rate"_a = array_of(s.satisfaction_rate), "wilson_lower"_a = array_of(s.wilson_lower),
      "jeffreys_lower"_a = array_of(s.jeffreys_lower), "jeffreys_upper"_a = array_of(s.jeffreys_upper),
      "bayes_rate"_a = array_of(s.bayes_rate), "bayes_index"_a = array_of(s.bayes_index),
      "eb_rate"_a = array_of(s.eb_rate), "bad_open"_a = copy1(s.bad_open),
      "bad_closed_in_time"_a = copy1(s.bad_closed_in_time), "bad_overdue"_a = copy1(s.bad_overdue),
      "bad_followed_up"_a = copy1(s.bad_followed_up), "low_volume"_a = copy1(s.low_volume),
      "eb_alpha"_a = s.eb_alpha, "eb_beta"_a = s.eb_beta, "eb_pooled"_a = s.eb_pooled, "eb_note"_a = utf8(s.eb_note),
      "events_seen"_a = s.events_seen, "records_kept"_a = s.records_kept, "rejects"_a = rejects);
}

py::list rejects_list(const reject_log& r) {
  py::list out;
  for (std::size_t k = 0; k < reject_kind_count; ++k) {
    py::list ex;
    for (const auto& e : r.examples[k]) ex.append(utf8(e));
    out.append(py::make_tuple(to_string(static_cast<reject_kind>(k)), r.counts[k], ex));
  }
  return out;
}

void register_aggregator(py::module_& m) {
  py::class_<py_aggregator>(m, "ReviewAggregator",
                            "The event-level review aggregation state (C++ embedrating::review_aggregator). "
                            "Long calls run without the GIL; a mutex serialises calls on one object.")
      .def(py::init([](std::vector<std::string> operator_ids, const model* settings_of) {
             return py_aggregator(review_aggregator(std::move(operator_ids),
                                                    settings_of ? settings_of->spec().reviews : review_settings{}));
           }),
           "operator_ids"_a, "model"_a = py::none(), "An empty state; the review settings of `model` (defaults if None).")
      .def("add_batch", &add_batch, "review_key"_a.noconvert(), "operator_index"_a.noconvert(),
           "reviewer_key"_a.noconvert(), "time"_a.noconvert(), "level"_a.noconvert(), "revision"_a = py::none(),
           "status"_a = py::none(), "rectified_at"_a = py::none(), "followed_up_at"_a = py::none(),
           "has_service_record"_a = py::none(),
           "Adds a batch of parallel arrays in place (exact dtypes, C-contiguous: no copy).")
      .def("add_events", &add_events, "review_id"_a, "revision"_a.noconvert(), "operator_id"_a, "reviewer_id"_a,
           "time"_a.noconvert(), "level"_a.noconvert(), "status"_a.noconvert(), "rectified_at"_a.noconvert(),
           "followed_up_at"_a.noconvert(), "service_record_id"_a, "where"_a)
      .def(
          "add_frame",
          [](py_aggregator& self, py::handle table, const std::string& name) {
            frame_source src(table, name);  // views of the frame's arrays, taken with the GIL
            // the core reads the views without Python (frame_source::where takes the GIL back to
            // name a row), so Dask worker threads ingest partitions in parallel
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(self.mu);
            add_events(self.agg, src);
          },
          "table"_a, "name"_a = "DataFrame",
          "Adds every row of an events DataFrame (or mapping of columns) by the core's ingestion path: the same "
          "checks and reject examples as add_csv, naming rows by their index label.")
      .def(
          "add_csv",
          [](py_aggregator& self, const std::string& path, const std::string& encoding) {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(self.mu);
            self.agg.add_csv(path, encoding);
          },
          "path"_a, "encoding"_a = "auto", "Adds every row of a review-event CSV (SPEC §5 columns).")
      .def(
          "merge",
          [](py_aggregator& self, const py_aggregator& other) {
            if (&self == &other) {
              const review_aggregator copy = other.locked_copy();
              py::gil_scoped_release nogil;
              std::lock_guard<std::mutex> lock(self.mu);
              self.agg.merge(copy);
              return;
            }
            py::gil_scoped_release nogil;
            std::scoped_lock lock(self.mu, other.mu);
            self.agg.merge(other.agg);
          },
          "other"_a)
      .def(
          "summary",
          [](const py_aggregator& self, std::int32_t as_of, const holiday_calendar* calendar) {
            std::optional<review_summary> s;
            std::vector<std::vector<double>> stars(5);
            {
              py::gil_scoped_release nogil;
              {
                std::lock_guard<std::mutex> lock(self.mu);
                s = calendar ? self.agg.summary(civil_date(as_of), *calendar) : self.agg.summary(civil_date(as_of));
              }
              // the star columns exactly as apply_to sets them for rate()
              dataset tmp(s->operator_ids, "summary");
              s->apply_to(tmp);
              for (std::size_t k = 0; k < 5; ++k) stars[k] = *tmp.review_column("stars_" + std::to_string(k + 1));
            }
            return summary_dict(*s, stars);
          },
          "as_of"_a, "calendar"_a = py::none(),
          "Measures per operator at as_of (days since 1970-01-01); deadlines on `calendar` (default: China's official one).")
      .def("serialize",
           [](const py_aggregator& self) {
             std::string bytes;
             {
               py::gil_scoped_release nogil;
               std::lock_guard<std::mutex> lock(self.mu);
               bytes = self.agg.serialize();
             }
             return py::bytes(bytes);
           })
      .def_static(
          "deserialize",
          [](const py::bytes& data, const std::string& source_name) {
            const std::string_view bytes = data;
            py::gil_scoped_release nogil;
            return py_aggregator(review_aggregator::deserialize(bytes, source_name));
          },
          "data"_a, "source_name"_a = "<bytes>")
      .def(
          "save",
          [](const py_aggregator& self, const std::string& path) {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(self.mu);
            self.agg.save(path);
          },
          "path"_a, "Atomic save of the binary archive.")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release nogil;
            return py_aggregator(review_aggregator::load(path));
          },
          "path"_a)
      .def("copy", [](const py_aggregator& self) { return py_aggregator(self); })
      .def_property_readonly("operator_ids",
                             [](const py_aggregator& self) {
                               std::lock_guard<std::mutex> lock(self.mu);
                               return self.agg.operator_ids();
                             })
      .def_property_readonly("events_seen",
                             [](const py_aggregator& self) {
                               std::lock_guard<std::mutex> lock(self.mu);
                               return self.agg.events_seen();
                             })
      .def_property_readonly("records_kept",
                             [](const py_aggregator& self) {
                               std::lock_guard<std::mutex> lock(self.mu);
                               return self.agg.records_kept();
                             })
      .def_property_readonly("memory_bytes",
                             [](const py_aggregator& self) {
                               std::lock_guard<std::mutex> lock(self.mu);
                               return self.agg.memory_bytes();
                             })
      .def_property_readonly("rejects",
                             [](const py_aggregator& self) {
                               std::lock_guard<std::mutex> lock(self.mu);
                               return rejects_list(self.agg.rejects());
                             })
      .def(
          "same_settings",
          [](const py_aggregator& self, const model& mo) {
            std::lock_guard<std::mutex> lock(self.mu);
            // every setting of the table (embedrating/review_fields.hpp), as the CLI compares a state with a model
            return review_settings_difference(self.agg.settings(), mo.spec().reviews).empty();
          },
          "model"_a, "True when this state's review settings are the model's.")
      .def("__eq__", [](const py_aggregator& a, const py_aggregator& b) {
        if (&a == &b) return true;
        std::scoped_lock lock(a.mu, b.mu);
        return a.agg == b.agg;
      });

  m.def("review_key", [](const std::string& id) { return review_key(id); }, "id"_a,
        "The 64-bit key of a text id (a decimal number below 2^63 is its own value).");
  m.def("review_keys", &review_keys, "ids"_a, "Vectorised review_key over a sequence of str (trimmed).");
  m.def(
      "parse_time",
      [](const std::string& s) -> std::optional<std::int64_t> { return embedrating::parse_review_time(s); }, "text"_a,
      "ISO 8601 instant → Unix seconds (no offset: China Standard Time), None if malformed.");
  m.def("parse_times", &parse_times, "items"_a,
        "Vectorised parse_time (None/NaN/\"\" missing → NO_TIME) → (seconds, bad positions).");
  m.attr("NO_TIME") = no_time;
}

}  // namespace

void register_reviews(py::module_& m) { register_aggregator(m); }

}  // namespace embedrating::python
