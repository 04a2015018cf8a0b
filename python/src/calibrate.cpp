// embedrating._core: calibration (issue 12; C++ include/embedrating/calibrate.hpp) and the model
// functions of a reviewable model (with_weights' total, provenance, diff). Flat functions returning
// plain dicts; the friendly API (pandas, HTML) is Python, in python/embedrating/calibrate.py and
// python/embedrating/_model.py.
#include <embedrating/calibrate.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
namespace cal = embedrating::calibrate;

cal::benchmark benchmark_of(const std::vector<std::string>& ids, const std::vector<int>& levels,
                            const std::vector<std::string>& notes, const std::string& file,
                            const std::vector<std::uint32_t>& lines) {
  std::vector<grade> g;
  for (int l : levels) {
    if (l < 0 || l > 5) {
      error_location where;
      where.field = "agreed_grade";
      throw data_error(where, "benchmark: agreed grade level " + std::to_string(l) + " is not 0 (unrated) … 5 (5A)");
    }
    g.push_back(grade_from_level(l));
  }
  cal::benchmark b = cal::make_benchmark(ids, g, notes);
  b.file = file;
  if (lines.size() == b.size()) b.lines = lines;
  return b;
}

py::dict stats_dict(const cal::agreement_result& a) {
  py::list conf;
  for (const auto& row : a.confusion) conf.append(py::cast(std::vector<std::int64_t>(row.begin(), row.end())));
  return py::dict("n"_a = a.n, "not_graded"_a = a.not_graded, "exact_count"_a = a.exact_count,
                  "within_one_count"_a = a.within_one_count, "higher"_a = a.higher, "lower"_a = a.lower, "exact"_a = a.exact,
                  "within_one"_a = a.within_one, "kappa"_a = a.kappa, "tau_b"_a = a.tau_b, "mean_abs_error"_a = a.mean_abs_error,
                  "confusion"_a = conf);
}

py::dict comparison_dict(const cal::benchmark_agreement& b) {
  py::list dis;
  for (const auto& d : b.disagreements) {
    py::list gates;
    for (const auto& g : d.gates)
      gates.append(py::dict("kind"_a = std::string(to_string(g.kind)), "grade"_a = std::string(to_string(g.target)), "id"_a = utf8(g.id),
                            "required"_a = g.required, "actual"_a = g.actual, "shortfall"_a = g.shortfall,
                            "text"_a = utf8(cal::gate_text(g))));
    dis.append(py::dict("operator_id"_a = utf8(d.operator_id), "agreed"_a = d.agreed, "predicted"_a = d.predicted, "by_score"_a = d.by_score,
                        "why"_a = utf8(d.why), "note"_a = utf8(d.note), "gates"_a = gates));
  }
  return py::dict("stats"_a = stats_dict(b.stats), "predicted"_a = b.predicted, "disagreements"_a = dis,
                  "not_graded_ids"_a = b.not_graded_ids);
}

py::dict report_dict(const cal::fit_report& r) {
  py::list trace, params, excluded;
  for (const auto& t : r.trace)
    trace.append(py::make_tuple(t.round, t.step, t.iteration, t.objective, t.data, t.penalty));
  for (const auto& p : r.parameters) params.append(py::make_tuple(p.name, p.before, p.after));
  for (const auto& e : r.excluded) excluded.append(py::make_tuple(utf8(e.operator_id), utf8(e.reason)));
  py::list warnings;
  for (const auto& w : r.warnings) warnings.append(utf8(w));
  return py::dict("method"_a = r.method, "objective"_a = r.objective, "trace"_a = trace, "before"_a = comparison_dict(r.before),
                  "after"_a = comparison_dict(r.after), "parameters"_a = params, "excluded"_a = excluded, "warnings"_a = warnings,
                  "cases"_a = r.cases, "converged"_a = r.converged, "iterations"_a = r.iterations,
                  "parent_fingerprint"_a = r.parent_fingerprint);
}

cal::fit_options options_of(const py::dict& d) {
  cal::fit_options o;
  for (const auto& [k, v] : d) {
    const std::string key = py::str(k);
    if (key == "lambda") o.lambda = v.cast<double>();
    else if (key == "margin") o.margin = v.cast<double>();
    else if (key == "smoothing") o.smoothing = v.cast<double>();
    else if (key == "lower") o.lower = v.cast<double>();
    else if (key == "upper") o.upper = v.cast<double>();
    else if (key == "bounds") {
      for (const auto& b : v.cast<std::vector<std::tuple<std::string, double, double>>>())
        o.bounds.push_back({std::get<0>(b), std::get<1>(b), std::get<2>(b)});
    } else if (key == "fixed_dimension_totals") o.fixed_dimension_totals = v.cast<bool>();
    else if (key == "max_iterations") o.max_iterations = v.cast<int>();
    else if (key == "tolerance") o.tolerance = v.cast<double>();
    else if (key == "cutoff_margin") o.cutoff_margin = v.cast<double>();
    else if (key == "ratio_margin") o.ratio_margin = v.cast<double>();
    else if (key == "cutoff_penalty") o.cutoff_penalty = v.cast<double>();
    else if (key == "floor_penalty") o.floor_penalty = v.cast<double>();
    else if (key == "fit_dimension_minimums") o.fit_dimension_minimums = v.cast<bool>();
    else if (key == "rounds") o.rounds = v.cast<int>();
    else if (key == "id") o.id = v.cast<std::string>();
    else if (key == "version") o.version = v.cast<std::string>();
    else {
      error_location where;
      where.field = key;
      throw data_error(where, "fit: unknown option \"" + key + "\"");
    }
  }
  return o;
}

py::dict info_dict(const model& m) {
  const auto& i = m.info();
  const auto& p = i.provenance;
  return py::dict("id"_a = utf8(i.id), "version"_a = utf8(i.version), "label"_a = utf8(i.label), "label_zh"_a = utf8(i.label_zh),
                  "source"_a = utf8(i.source), "rationale"_a = utf8(i.rationale),
                  "provenance"_a = py::dict("parent_id"_a = utf8(p.parent_id), "parent_version"_a = utf8(p.parent_version),
                                            "parent_fingerprint"_a = p.parent_fingerprint, "method"_a = utf8(p.method),
                                            "note"_a = utf8(p.note)));
}

}  // namespace

void register_calibrate(py::module_& m) {
  m.def(
      "read_benchmark",
      [](const std::string& path) {
        const cal::benchmark b = cal::read_benchmark_csv(path);
        std::vector<int> levels;
        for (grade g : b.agreed) levels.push_back(level(g));
        py::list notes;
        for (const auto& n : b.notes) notes.append(utf8(n));
        return py::dict("operator_id"_a = b.operator_ids, "level"_a = levels, "note"_a = notes, "line"_a = b.lines);
      },
      "path"_a, "A benchmark CSV → dict of columns (operator_id, level, note, line).");
  m.def(
      "agreement", [](const std::vector<int>& predicted, const std::vector<int>& agreed) { return stats_dict(cal::agreement(predicted, agreed)); },
      "predicted"_a, "agreed"_a, "Agreement of two gradings (levels 0..5, -1 not graded) → dict.");
  m.def(
      "compare_benchmark",
      [](const ratings& r, const std::vector<std::string>& ids, const std::vector<int>& levels, const std::vector<std::string>& notes,
         const std::string& file, const std::vector<std::uint32_t>& lines) {
        return comparison_dict(cal::compare(r, benchmark_of(ids, levels, notes, file, lines)));
      },
      "ratings"_a, "operator_ids"_a, "levels"_a, "notes"_a, "file"_a = "", "lines"_a = std::vector<std::uint32_t>{},
      "Ratings against a benchmark → dict (stats, predicted, disagreements with gates, not_graded_ids).");
  m.def(
      "fit",
      [](const scored& s, const std::vector<std::string>& ids, const std::vector<int>& levels, const std::vector<std::string>& notes,
         const std::string& method, const py::dict& options, const std::string& file, const std::vector<std::uint32_t>& lines) {
        const cal::benchmark b = benchmark_of(ids, levels, notes, file, lines);
        const cal::fit_method fm = cal::parse_fit_method(method);
        const cal::fit_options o = options_of(options);
        std::optional<cal::fit_result> r;
        {
          py::gil_scoped_release nogil;
          r = cal::fit(s, b, fm, o);
        }
        return py::make_tuple(r->fitted, report_dict(r->report));
      },
      "scored"_a, "operator_ids"_a, "levels"_a, "notes"_a, "method"_a, "options"_a, "file"_a = "",
      "lines"_a = std::vector<std::uint32_t>{}, "Fits weights, cutoffs, floors or joint → (Model, report dict). Without the GIL.");
  m.def(
      "cross_validate",
      [](const scored& s, const std::vector<std::string>& ids, const std::vector<int>& levels, const std::vector<std::string>& notes,
         const std::string& method, int folds, std::uint64_t seed, double divergence, const py::dict& options, const std::string& file,
         const std::vector<std::uint32_t>& lines) {
        cal::cv_options o;
        o.method = cal::parse_fit_method(method);
        o.folds = folds;
        o.seed = seed;
        o.divergence = divergence;
        o.fit = options_of(options);
        const cal::benchmark b = benchmark_of(ids, levels, notes, file, lines);
        std::optional<cal::cv_result> r;
        {
          py::gil_scoped_release nogil;
          r = cal::cross_validate(s, b, o);
        }
        py::list params;
        for (const auto& p : r->parameters) params.append(py::make_tuple(p.name, p.current, p.in_sample, p.mean, p.min, p.max));
        py::list warnings;
        for (const auto& w : r->warnings) warnings.append(utf8(w));
        return py::dict("method"_a = r->method, "scheme"_a = r->scheme, "folds"_a = r->folds, "fold_of"_a = r->fold_of,
                        "current"_a = comparison_dict(r->current), "in_sample"_a = comparison_dict(r->in_sample),
                        "cross_validated"_a = comparison_dict(r->cross_validated), "parameters"_a = params, "warnings"_a = warnings,
                        "model"_a = r->full->fitted, "report"_a = report_dict(r->full->report));
      },
      "scored"_a, "operator_ids"_a, "levels"_a, "notes"_a, "method"_a, "folds"_a, "seed"_a, "divergence"_a, "options"_a, "file"_a = "",
      "lines"_a = std::vector<std::uint32_t>{}, "Leave-one-out (folds 0) or stratified k-fold cross-validation → dict. Without the GIL.");
  m.def("assign_folds", &cal::assign_folds, "levels"_a, "folds"_a, "seed"_a, "Fold of each case (stratified, seeded; 0 folds = LOO).");
  m.def(
      "model_with_leaf_weights",
      [](const model& mo, const std::vector<std::pair<std::string, double>>& weights, const std::string& total) {
        weight_total t = weight_total::keep;
        if (total == "normalize") t = weight_total::normalize;
        else if (total == "rescale") t = weight_total::rescale;
        else if (total != "keep") {
          error_location where;
          where.field = "total";
          throw model_error(where, "with_weights: total must be \"keep\", \"normalize\" or \"rescale\", got \"" + total + "\"");
        }
        return mo.with_leaf_weights(weights, t);
      },
      "model"_a, "weights"_a, "total"_a, "with_weights with total = keep (refuse unless the weights sum to 1), normalize or rescale.");
  m.def("model_info", &info_dict, "model"_a, "id, version, labels, source, rationale and provenance of a model.");
  m.def(
      "model_with_info",
      [](const model& mo, const py::dict& d) {
        model_info i = mo.info();
        for (const auto& [k, v] : d) {
          const std::string key = py::str(k);
          const std::string val = v.cast<std::string>();
          if (key == "id") i.id = val;
          else if (key == "version") i.version = val;
          else if (key == "label") i.label = val;
          else if (key == "label_zh") i.label_zh = val;
          else if (key == "source") i.source = val;
          else if (key == "rationale") i.rationale = val;
          else {
            error_location where;
            where.field = key;
            throw model_error(where, "with_info: unknown field \"" + key + "\" (id, version, label, label_zh, source, rationale)");
          }
        }
        return mo.with_info(i);
      },
      "model"_a, "fields"_a, "A copy with new id, version, labels, source or rationale (the fingerprint is unchanged).");
  m.def(
      "model_diff",
      [](const model& a, const model& b) {
        py::list section, item, field, before, after;
        for (const auto& c : a.diff(b)) {
          section.append(c.section);
          item.append(utf8(c.item));
          field.append(utf8(c.field));
          before.append(utf8(c.before));
          after.append(utf8(c.after));
        }
        return py::dict("section"_a = section, "item"_a = item, "field"_a = field, "before"_a = before, "after"_a = after);
      },
      "a"_a, "b"_a, "Every difference from model a to model b → dict of columns (section, item, field, before, after).");
}

}  // namespace embedrating::python
