// embedrating._core: score, rate, rate_rows, rate_one, regrade and the Ratings/Scored results as read-only
// numpy views whose base is the owning C++ object.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <embedrating/serialize.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
// ---------------------------------------------------------------------------------------------
// Rating and ratings

using ratings_ptr = std::shared_ptr<ratings>;

/// Rating options with the events of `reviews` (the core applies their summary at as_of, with
/// deadlines on `calendar`, default China's official one). The caller holds the aggregator's lock.
template <class Options>
Options with_reviews(Options opts, const py_aggregator* reviews, const holiday_calendar* calendar) {
  if (reviews != nullptr) opts.reviews = &reviews->agg;
  opts.calendar = calendar;
  return opts;
}

/// The aggregator's lock while the core reads its events (none without an aggregator).
std::unique_lock<std::mutex> lock_events(const py_aggregator* reviews) {
  return reviews != nullptr ? std::unique_lock<std::mutex>(reviews->mu) : std::unique_lock<std::mutex>();
}

/// `rate_with(options)` without the GIL, under the aggregator's lock, with the review options set.
template <class Rate>
ratings_ptr rate_unlocked(const py_aggregator* reviews, bool input_hash, const holiday_calendar* calendar, Rate&& rate_with) {
  auto out = std::make_shared<ratings>();
  rate_options opts;
  opts.compute_input_hash = input_hash;
  py::gil_scoped_release nogil;
  const auto lock = lock_events(reviews);
  *out = rate_with(with_reviews(opts, reviews, calendar));
  return out;
}

ratings_ptr rate_py(const model& mo, const dataset& d, std::int32_t as_of, const py_aggregator* reviews,
                    bool input_hash, const holiday_calendar* calendar) {
  return rate_unlocked(reviews, input_hash, calendar, [&](const rate_options& o) { return rate(mo, d, civil_date(as_of), o); });
}

template <class T, class E>
py::array enum_view(py::handle owner, const std::vector<E>& v) {
  static_assert(sizeof(T) == sizeof(E), "enum layout");
  return view(owner, reinterpret_cast<const T*>(v.data()), {static_cast<py::ssize_t>(v.size())}, {1});
}

template <class Matrix>
py::array matrix_view(py::handle owner, const Matrix& x) {
  // Eigen's default storage is column-major: element (i, j) at i + j * rows.
  return view(owner, x.data(), {static_cast<py::ssize_t>(x.rows()), static_cast<py::ssize_t>(x.cols())},
              {1, static_cast<py::ssize_t>(x.rows())});
}

std::size_t row_of(const ratings& r, const py::object& key) {
  if (py::isinstance<py::str>(key)) {
    const std::int64_t i = r.find(key.cast<std::string>());
    if (i < 0) {
      error_location w;
      w.operator_id = key.cast<std::string>();
      throw data_error(w, "no such operator in these ratings");
    }
    return static_cast<std::size_t>(i);
  }
  const auto i = key.cast<std::int64_t>();
  if (i < 0 || static_cast<std::size_t>(i) >= r.size())
    throw py::index_error("operator row " + std::to_string(i) + " is out of range (" + std::to_string(r.size()) +
                          " operators)");
  return static_cast<std::size_t>(i);
}

}  // namespace


void register_ratings(py::module_& m) {
  py::class_<ratings, ratings_ptr>(m, "Ratings",
                                   "The result of a rating run (struct of arrays). Array properties are "
                                   "read-only numpy views that keep this object alive.")
      .def("__len__", &ratings::size)
      .def(
          "to_bytes",
          &archive_bytes<ratings>,
          "The ratings archive (docs/archives.md, format 2): grades, fired rules, warnings, history and the "
          "scored data they were graded from, so that the loaded ratings explains.")
      .def_static(
          "from_bytes",
          [](const py::bytes& data, const std::string& source_name) {
            const std::string_view bytes = data;
            auto out = std::make_shared<ratings>();
            py::gil_scoped_release nogil;
            *out = from_bytes<ratings>(bytes, source_name);
            return out;
          },
          "data"_a, "source_name"_a = "<bytes>",
          "Reads a ratings archive (format 1 or 2; format 1 keeps no scores: explain() then raises); "
          "ArchiveError naming source_name for anything wrong.")
      .def_property_readonly("operator_ids", [](const ratings& r) { return r.operator_ids.vector(); })
      .def_property_readonly("status", [](py::object self) {
        return enum_view<std::uint8_t>(self, self.cast<const ratings&>().status.vector());
      })
      .def_property_readonly("grade_by_score", [](py::object self) {
        return enum_view<std::int8_t>(self, self.cast<const ratings&>().grade_by_score.vector());
      })
      .def_property_readonly("final_grade", [](py::object self) {
        return enum_view<std::int8_t>(self, self.cast<const ratings&>().final_grade.vector());
      })
      .def_property_readonly("terminate",
                             [](py::object self) { return view1(self, self.cast<const ratings&>().terminate); })
      .def_property_readonly("total_centi",
                             [](py::object self) { return view1(self, self.cast<const ratings&>().total_centi); })
      .def_property_readonly("dimension_centi", [](py::object self) {
        return matrix_view(self, self.cast<const ratings&>().dimension_centi);
      })
      .def(
          "node_matrices",
          [](const ratings& r) {
            Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> earned, available;
            {
              Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> e, a;
              py::gil_scoped_release nogil;
              r.node_matrices(e, a);
              earned = e;
              available = a;
            }
            return py::make_tuple(py::array(py::cast(std::move(earned))), py::array(py::cast(std::move(available))));
          },
          "(earned, available): n × nodes centi-points, computed on request (model node order).")
      .def(
          "dimension_available",
          [](const ratings& r) {
            const auto& dims = r.rating_model->dimension_nodes();
            py::array_t<std::int64_t> out({static_cast<py::ssize_t>(r.size()), static_cast<py::ssize_t>(dims.size())});
            auto o = out.mutable_unchecked<2>();
            for (std::size_t i = 0; i < r.size(); ++i)
              for (std::size_t d = 0; d < dims.size(); ++d)
                o(static_cast<py::ssize_t>(i), static_cast<py::ssize_t>(d)) = r.available_centi(i, dims[d]);
            return out;
          },
          "n × dimensions centi-points available after re-allocation.")
      .def(
          "node_points",
          [](const ratings& r, std::size_t row) {
            std::vector<std::int64_t> e, a;
            r.node_points(row, e, a);
            return py::make_tuple(copy1(e), copy1(a));
          },
          "row"_a, "(earned, available) centi-points of every node for one operator.")
      .def_property_readonly("indicator_score", [](py::object self) {
        return matrix_view(self, self.cast<const ratings&>().leaf_scores());
      })
      .def_property_readonly("previous_grade",
                             [](py::object self) { return view1(self, self.cast<const ratings&>().previous_grade); })
      .def_property_readonly("history_limit", [](py::object self) {
        return enum_view<std::int8_t>(self, self.cast<const ratings&>().history_limit.vector());
      })
      .def_property_readonly("history_lapses_on", [](py::object self) {
        return enum_view<std::int32_t>(self, self.cast<const ratings&>().history_lapses_on.vector());
      })
      .def_property_readonly("fired_offsets",
                             [](py::object self) { return view1(self, self.cast<const ratings&>().fired_offsets); })
      .def("fired",
           [](const ratings& r) {
             std::vector<std::uint32_t> rule(r.fired.size());
             std::vector<std::int32_t> lapses(r.fired.size());
             for (std::size_t k = 0; k < r.fired.size(); ++k) {
               rule[k] = r.fired[k].rule;
               lapses[k] = r.fired[k].lapses_on.days();
             }
             return py::make_tuple(copy1(r.fired_offsets), copy1(rule), copy1(lapses));
           },
           "(offsets, rule index, lapse day) of every fired rule; CSR by operator.")
      .def("warnings",
           [](const ratings& r) {
             py::list out;
             const model& rm = *r.rating_model;
             for (std::size_t i = 0; i + 1 < r.warning_offsets.size(); ++i)
               for (std::uint32_t k = r.warning_offsets[i]; k < r.warning_offsets[i + 1]; ++k) {
                 const operator_warning& w = r.warnings[k];
                 std::string about;
                 if (w.kind == operator_warning::kind_t::rule_warning) about = rm.spec().rules[w.index].id;
                 else if (w.kind != operator_warning::kind_t::low_review_volume)
                   about = rm.leaf_ids()[w.index];
                 out.append(py::make_tuple(i, warning_kind_name(w.kind), about));
               }
             return out;
           },
           "[(row, kind, indicator or rule id)] of every operator warning.")
      .def(
          "gates",
          [](const ratings& r, const py::object& key, std::optional<int> target) {
            const std::size_t i = row_of(r, key);
            const std::vector<gate> g = target ? r.gates(i, grade_of(*target)) : r.gates(i);
            py::list out;
            for (const gate& x : g)
              out.append(py::dict("kind"_a = gate_kind_name(x.kind), "grade"_a = std::string(to_string(x.target)),
                                  "id"_a = x.id, "required"_a = x.required, "actual"_a = x.actual,
                                  "shortfall"_a = x.shortfall, "lapses_on"_a = date_days(x.lapses_on)));
            return out;
          },
          "operator"_a, "target"_a = py::none(), "Gates between an operator (id or row) and the next (or target) grade.")
      .def(
          "explain",
          [](const ratings& r, const py::object& key, const std::string& lang) {
            const std::size_t i = row_of(r, key);
            return utf8(r.explain(i, language_of(lang)));
          },
          "operator"_a, "lang"_a = "en")
      .def("find", &ratings::find, "operator_id"_a)
      .def("distribution",
           [](const ratings& r) {
             const auto d = r.distribution();
             return py::make_tuple(std::vector<std::size_t>(std::begin(d.by_grade), std::end(d.by_grade)),
                                   d.not_graded);
           },
           "(operators by final grade level 0..5 (active only), operators not graded).")
      .def_property_readonly("as_of", [](const ratings& r) { return r.as_of.days(); })
      .def_property_readonly("input_hash", [](const ratings& r) { return r.input_hash; })
      .def_property_readonly("library_version", [](const ratings& r) { return r.library_version; })
      .def_property_readonly("run_warnings", [](const ratings& r) {
        py::list out;
        for (const auto& w : r.run_warnings) out.append(utf8(w));
        return out;
      })
      .def_property_readonly("model", [](const ratings& r) { return *r.rating_model; });

  py::class_<scored>(m, "Scored",
                     "The weight-independent part of a rating (C++ embedrating::scored): leaf scores, "
                     "not-applicable patterns, rule masks, history. Re-grade it under model variants that "
                     "differ only in points and thresholds.")
      .def("__len__", &scored::size)
      .def(
          "to_bytes",
          &archive_bytes<scored>,
          "The scored archive (docs/archives.md): the scoring model, as_of, input hash, leaf scores, "
          "not-applicable patterns, rule masks and history.")
      .def_static(
          "from_bytes",
          [](const py::bytes& data, const std::string& source_name) {
            const std::string_view bytes = data;
            py::gil_scoped_release nogil;
            return from_bytes<scored>(bytes, source_name);
          },
          "data"_a, "source_name"_a = "<bytes>",
          "Reads a scored archive; ArchiveError naming source_name for anything wrong.")
      .def_property_readonly("operator_ids", &scored::operator_ids)
      .def_property_readonly("as_of", [](const scored& s) { return s.as_of().days(); })
      .def_property_readonly("input_hash", &scored::input_hash)
      .def_property_readonly("model", &scored::scoring_model)
      .def_property_readonly("structure_fingerprint", &scored::structure_fingerprint)
      .def_property_readonly("has_point_rules", &scored::has_point_rules)
      .def_property_readonly("leaf_scores", [](py::object self) {
        return matrix_view(self, self.cast<const scored&>().leaf_scores());
      }, "n × leaves scores (read-only view, NaN = not applicable).")
      .def_property_readonly("patterns", [](py::object self) { return view1(self, self.cast<const scored&>().patterns()); })
      .def_property_readonly("status", [](py::object self) {
        return enum_view<std::uint8_t>(self, self.cast<const scored&>().status().vector());
      }, "Status codes (uint8 view: 0 active, 1 suspending, 2 suspended, 3 terminated).")
      .def_property_readonly("run_warnings", [](const scored& s) {
        py::list out;
        for (const auto& w : s.run_warnings()) out.append(utf8(w));
        return out;
      })
      .def_property_readonly("pattern_leaves", &scored::pattern_leaves)
      .def("graded", [](const scored& s) {
        py::array_t<bool> out(static_cast<py::ssize_t>(s.size()));
        for (std::size_t i = 0; i < s.size(); ++i) out.mutable_data()[i] = s.graded(i);
        return out;
      })
      .def(
          "leaf_available",
          [](const scored& s, const model& variant) { return leaf_available(s, variant); }, "model"_a,
          "Centi-points each leaf can earn under a variant, per not-applicable pattern (patterns × leaves).")
      .def(
          "regrade",
          [](const scored& s, const model& variant) {
            auto out = std::make_shared<ratings>();
            py::gil_scoped_release nogil;
            *out = regrade(s, variant);
            return out;
          },
          "model"_a, "Ratings of a model variant (refused, naming the difference, if its structure differs).")
      .def(
          "regrade_many",
          [](const scored& s, const Eigen::Ref<const Eigen::MatrixXd>& weights, std::optional<Eigen::MatrixXd> min_totals,
             bool totals, int threads) {
            regrade_batch b;
            b.weights = weights;
            if (min_totals) b.min_totals = *min_totals;
            regrade_many_options o;
            o.totals = totals;
            o.threads = threads;
            regrade_many_result r;
            {
              py::gil_scoped_release nogil;
              r = regrade_many(s, b, o);
            }
            py::object t = totals ? py::object(py::cast(std::move(r.totals))) : py::object(py::none());
            return py::make_tuple(py::cast(std::move(r.grades)), t);
          },
          "weights"_a, "min_totals"_a = py::none(), "totals"_a = false, "threads"_a = 1,
          "K × leaves global weights (and optional K × 5 cut-offs) → (K × n final grade levels int8, K × n "
          "totals in centi-points or None). Without the GIL.");

  m.def(
      "score",
      [](const model& mo, const dataset& d, std::int32_t as_of, const py_aggregator* reviews, bool input_hash,
         const holiday_calendar* calendar) {
        score_options opts;
        opts.compute_input_hash = input_hash;
        py::gil_scoped_release nogil;
        const auto lock = lock_events(reviews);
        return score(mo, d, civil_date(as_of), with_reviews(opts, reviews, calendar));
      },
      "model"_a, "dataset"_a, "as_of"_a, "reviews"_a = py::none(), "input_hash"_a = true, "calendar"_a = py::none(),
      "Scores every operator at as_of (the weight-independent stages of rate), without the GIL.");
  m.def("rate", &rate_py, "model"_a, "dataset"_a, "as_of"_a, "reviews"_a = py::none(), "input_hash"_a = true,
        "calendar"_a = py::none(),
        "Rates every operator at as_of (days since 1970-01-01), without the GIL. With reviews, the "
        "aggregator's summary at as_of (deadlines on `calendar`, default China's official one) replaces the "
        "dataset's review columns (on a copy).");
  m.def(
      "rate_rows",
      [](const model& mo, const dataset& d, std::size_t begin, std::size_t count, std::int32_t as_of,
         const py_aggregator* reviews, bool input_hash, const holiday_calendar* calendar) {
        return rate_unlocked(reviews, input_hash, calendar,
                             [&](const rate_options& o) { return rate_rows(mo, d, begin, count, civil_date(as_of), o); });
      },
      "model"_a, "dataset"_a, "begin"_a, "count"_a, "as_of"_a, "reviews"_a = py::none(), "input_hash"_a = true,
      "calendar"_a = py::none(),
      "Rates rows [begin, begin + count) alone (C++ rate_rows, without the GIL): the same as those rows of "
      "rate() in every field, with the whole dataset's input hash (computed once, cached). A range outside the "
      "dataset or empty raises DataError naming it. With reviews, each call applies their summary to a copy.");
  m.def(
      "rate_one",
      [](const model& mo, const dataset& d, std::size_t row, std::int32_t as_of, const py_aggregator* reviews,
         const holiday_calendar* calendar) {
        ratings r;
        {
          rate_options opts;
          opts.compute_input_hash = false;
          py::gil_scoped_release nogil;
          const auto lock = lock_events(reviews);
          r = rate_one(mo, d, row, civil_date(as_of), with_reviews(opts, reviews, calendar));
        }
        const auto dims = static_cast<std::size_t>(r.dimension_centi.cols());
        py::tuple dimension_centi(dims);
        for (std::size_t k = 0; k < dims; ++k)
          dimension_centi[k] = py::int_(r.dimension_centi(0, static_cast<Eigen::Index>(k)));
        const auto& rules = mo.spec().rules;
        py::tuple fired(r.fired.size());
        for (std::size_t k = 0; k < r.fired.size(); ++k) fired[k] = py::str(rules[r.fired[k].rule].id);
        return py::make_tuple(utf8(r.operator_ids[0]), static_cast<int>(r.status[0]), level(r.grade_by_score[0]),
                              level(r.final_grade[0]), r.total_centi[0], r.terminate[0] != 0, dimension_centi, fired);
      },
      "model"_a, "dataset"_a, "row"_a, "as_of"_a, "reviews"_a = py::none(), "calendar"_a = py::none(),
      "Rates one row of a dataset alone (C++ rate_one, no input hash, without the GIL) → (operator_id, "
      "status code, grade-by-score level, final grade level, total centi-points, terminate, dimension "
      "centi-points, fired rule ids). With reviews, their summary at as_of (over every operator) "
      "replaces the review columns first.");
}

}  // namespace embedrating::python
