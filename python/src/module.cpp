// embedrating._core: errors, model, dataset, rating and ratings. Reviews and estimators are in
// reviews.cpp (the other translation unit, so the two compile in parallel).
//
// Conventions: dates cross the boundary as int days since 1970-01-01 (None = missing); grades as
// int levels (unrated 0, 1A 1 … 5A 5; -1 = none); results come back as read-only numpy views
// whose base is the owning C++ object. The friendly API (pandas, dates, pickling) is Python, in
// python/embedrating/.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>


#include "bindings.hpp"
#include "frame_source.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;

// ---------------------------------------------------------------------------------------------
// Errors: embedrating.Error and its subclasses, with multiple bases (DataError is a ValueError,
// ArchiveError an OSError). Each instance carries the message and its location as attributes.

PyObject* error_type = nullptr;
PyObject* model_error_type = nullptr;
PyObject* data_error_type = nullptr;
PyObject* archive_error_type = nullptr;

py::object error_instance(PyObject* type, const error& e) {
  py::object inst = py::reinterpret_borrow<py::object>(type)(utf8(e.what()));
  const error_location& w = e.where();
  inst.attr("file") = w.file.empty() ? py::object(py::none()) : py::object(utf8(w.file));
  inst.attr("line") = w.line == 0 ? py::object(py::none()) : py::object(py::int_(w.line));
  inst.attr("column") = w.column == 0 ? py::object(py::none()) : py::object(py::int_(w.column));
  inst.attr("row") = w.row.empty() ? py::object(py::none()) : py::object(utf8(w.row));
  inst.attr("field") = w.field.empty() ? py::object(py::none()) : py::object(utf8(w.field));
  inst.attr("operator_id") = w.operator_id.empty() ? py::object(py::none()) : py::object(utf8(w.operator_id));
  inst.attr("message") = utf8(e.message());
  return inst;
}

void raise_as(PyObject* type, const error& e) {
  const py::object inst = error_instance(type, e);
  PyErr_SetObject(type, inst.ptr());
}

PyObject* new_error(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  const std::string full = std::string("embedrating.") + name;
  PyObject* t = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases, nullptr);
  if (t == nullptr) throw py::error_already_set();
  m.attr(name) = py::reinterpret_borrow<py::object>(t);
  return t;
}

void register_errors(py::module_& m) {
  error_type = new_error(m, "Error",
                         "Base of every embedrating error. Attributes: message (without the location), "
                         "file, line, column, row (a DataFrame's row label), field, operator_id (None when not known).",
                         PyExc_Exception);
  py::tuple value_bases = py::make_tuple(py::handle(error_type), py::handle(PyExc_ValueError));
  py::tuple os_bases = py::make_tuple(py::handle(error_type), py::handle(PyExc_OSError));
  model_error_type = new_error(m, "ModelError",
                               "A model file or model object is invalid (TOML syntax, unknown key, bad value, "
                               "inconsistent tree). Also a ValueError.",
                               value_bases.ptr());
  data_error_type = new_error(m, "DataError",
                              "Input data is invalid (missing or unknown column, NaN, out of range, duplicate id, "
                              "bad CSV). Also a ValueError.",
                              value_bases.ptr());
  archive_error_type = new_error(m, "ArchiveError",
                                 "A saved state or archive is unreadable (truncated, corrupted, oversized, newer "
                                 "format). Also an OSError.",
                                 os_bases.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const model_error& e) {
      raise_as(model_error_type, e);
    } catch (const data_error& e) {
      raise_as(data_error_type, e);
    } catch (const archive_error& e) {
      raise_as(archive_error_type, e);
    } catch (const error& e) {
      raise_as(error_type, e);
    }
  });
}

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

/// The column roles an operator table has for a model, as read_operators_csv classifies headers.
py::dict input_columns(const model& mo) {
  const model_spec& s = mo.spec();
  const operator_columns roles = operator_input_columns(mo);  // as read_operators_csv classifies headers
  const std::set<std::string>& flags = roles.flags;
  const std::set<std::string>& dates = roles.dates;
  const std::set<std::string>& attrs = roles.attributes;
  py::list numbers;
  py::dict categories, ranges;
  for (const auto& me : s.measures) {
    if (me.kind == measure_kind::number) {
      numbers.append(me.id);
      ranges[py::str(me.id)] = py::make_tuple(me.min ? py::object(py::float_(*me.min)) : py::object(py::none()),
                                              me.max ? py::object(py::float_(*me.max)) : py::object(py::none()),
                                              utf8(me.unit));
    } else {
      categories[py::str(me.id)] = me.levels;
    }
  }
  std::vector<std::string> reviews(std::begin(review_input_columns), std::end(review_input_columns));
  return py::dict("numbers"_a = numbers, "ranges"_a = ranges, "categories"_a = categories,
                  "flags"_a = std::vector<std::string>(flags.begin(), flags.end()),
                  "dates"_a = std::vector<std::string>(dates.begin(), dates.end()),
                  "attributes"_a = std::vector<std::string>(attrs.begin(), attrs.end()), "reviews"_a = reviews);
}

py::dict catalogue_codes() {
  const catalogue cat = catalogue::load(data_directory() + "/catalogue");
  std::vector<std::string> scenarios, modes, statuses;
  for (const auto& s : cat.scenarios()) scenarios.push_back(s.code);
  for (const auto& s : cat.modes()) modes.push_back(s.code);
  for (const auto& s : cat.statuses()) statuses.push_back(s.code);
  return py::dict("scenarios"_a = scenarios, "modes"_a = modes, "statuses"_a = statuses,
                  "veto_flags"_a = cat.veto_flag_codes(), "core_scenarios"_a = cat.core_scenarios());
}

/// The indicator tree as columns (one entry per node, file order).
py::dict node_table(const model& mo) {
  const auto& nodes = mo.spec().nodes;
  const std::vector<tree_node> tree = mo.tree();
  const std::vector<std::int32_t>& dims = mo.dimension_nodes();
  const double total = static_cast<double>(mo.total_centi());
  py::list id, parent, kind, depth, dimension, label, label_zh, input, scoring, missing, source, basis, na_rule;
  std::vector<double> points, weight, local_weight;
  std::vector<std::string> na_by(nodes.size());
  for (const auto& r : mo.spec().rules)
    if (r.action == rule_action::not_applicable && !r.target.empty()) {
      const std::int32_t at = mo.node_index(r.target);
      if (at >= 0) {
        auto& s = na_by[static_cast<std::size_t>(at)];
        s += (s.empty() ? "" : ";") + r.id;
      }
    }
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const indicator_node& nd = nodes[k];
    const tree_node& cn = tree[k];
    id.append(nd.id);
    parent.append(nd.parent.empty() ? py::object(py::none()) : py::object(py::str(nd.parent)));
    kind.append(cn.parent < 0 ? "dimension" : (cn.leaf >= 0 ? "indicator" : "group"));
    depth.append(cn.depth);
    dimension.append(nodes[static_cast<std::size_t>(dims[static_cast<std::size_t>(cn.dimension)])].id);
    label.append(utf8(nd.label));
    label_zh.append(utf8(nd.label_zh));
    points.push_back(static_cast<double>(cn.points_centi) / 100.0);
    weight.push_back(total > 0 ? static_cast<double>(cn.points_centi) / total : 0.0);
    const double parent_points =
        cn.parent < 0 ? total : static_cast<double>(tree[static_cast<std::size_t>(cn.parent)].points_centi);
    local_weight.push_back(parent_points > 0 ? static_cast<double>(cn.points_centi) / parent_points : 0.0);
    const bool leaf = cn.leaf >= 0;
    input.append(leaf && nd.input ? py::object(py::str(nd.input->text())) : py::object(py::none()));
    scoring.append(leaf ? py::object(py::str(scoring_name(nd.scoring.kind))) : py::object(py::none()));
    missing.append(leaf ? py::object(py::str(missing_name(nd.missing.kind))) : py::object(py::none()));
    std::string na = nd.not_applicable_if ? to_string(*nd.not_applicable_if) : std::string();
    if (!na_by[k].empty()) na += (na.empty() ? "rules: " : "; rules: ") + na_by[k];
    na_rule.append(na.empty() ? py::object(py::none()) : py::object(utf8(na)));
    source.append(utf8(nd.source));
    basis.append(utf8(nd.basis));
  }
  return py::dict("id"_a = id, "parent"_a = parent, "kind"_a = kind, "depth"_a = depth, "dimension"_a = dimension,
                  "label"_a = label, "label_zh"_a = label_zh, "points"_a = copy1(points), "weight"_a = copy1(weight),
                  "local_weight"_a = copy1(local_weight), "input"_a = input, "scoring"_a = scoring,
                  "missing"_a = missing, "not_applicable"_a = na_rule, "source"_a = source, "basis"_a = basis);
}

/// The rules as columns; what each action does and which parameters it has come from the action
/// table (rule_actions()).
py::dict rule_table(const model& mo) {
  const auto& rules = mo.spec().rules;
  py::list id, action, phase, effect, effect_zh, when, cap, levels, terminate, target, score, lapse, label, label_zh,
      source, basis, line;
  for (const auto& r : rules) {
    const rule_action_info& a = action_info(r.action);
    id.append(r.id);
    action.append(a.name);
    phase.append(to_string(a.phase));
    effect.append(utf8(describe_effect(r, false)));
    effect_zh.append(utf8(describe_effect(r, true)));
    when.append(utf8(to_string(r.when)));
    py::object c = py::none(), lv = py::none(), tg = py::none(), sc = py::none();
    for (rule_param p : a.params) {
      if (p == rule_param::ceiling || p == rule_param::gated_grade) c = py::str(std::string(to_string(r.cap)));
      if (p == rule_param::levels) lv = py::int_(r.levels);
      if (p == rule_param::target) tg = py::str(r.target);
      if (p == rule_param::score) sc = py::float_(r.score);
    }
    cap.append(c);
    levels.append(lv);
    terminate.append(r.terminate);
    target.append(tg);
    score.append(sc);
    lapse.append(r.lapse.active() ? py::object(py::str(r.lapse.date_field + " + " + std::to_string(r.lapse.months) + " months"))
                                  : py::object(py::none()));
    label.append(utf8(r.label));
    label_zh.append(utf8(r.label_zh));
    source.append(utf8(r.source));
    basis.append(utf8(r.basis));
    line.append(r.line);
  }
  return py::dict("id"_a = id, "action"_a = action, "phase"_a = phase, "effect"_a = effect, "effect_zh"_a = effect_zh,
                  "when"_a = when, "cap"_a = cap, "levels"_a = levels, "terminate"_a = terminate, "target"_a = target,
                  "score"_a = score, "lapses"_a = lapse, "label"_a = label, "label_zh"_a = label_zh, "source"_a = source,
                  "basis"_a = basis, "line"_a = line);
}

/// The action table (include/embedrating/rules.hpp), one dict per action.
py::list rule_action_table() {
  py::list out;
  for (const auto& a : rule_actions()) {
    py::list params, required;
    for (std::size_t k = 0; k < a.params.size(); ++k) {
      params.append(toml_key(a.params[k]));
      required.append(static_cast<bool>(a.required[k]));
    }
    out.append(py::dict("name"_a = a.name, "name_zh"_a = utf8(a.name_zh), "phase"_a = to_string(a.phase),
                        "parameters"_a = params, "required"_a = required,
                        "gate"_a = a.reported_gate ? py::object(py::str(to_string(*a.reported_gate))) : py::object(py::none()),
                        "effect"_a = a.effect_en, "effect_zh"_a = utf8(a.effect_zh)));
  }
  return out;
}

py::list grade_table(const model& mo) {
  py::list out;
  for (const auto& g : mo.spec().grades) {
    py::dict mins;
    for (const auto& [dim, v] : g.dimension_minimums) mins[py::str(dim)] = v;
    std::vector<std::string> prereqs;
    py::list labels;
    for (const auto& p : g.prerequisites) {
      prereqs.push_back(p.id);
      labels.append(py::dict("id"_a = p.id, "label"_a = utf8(p.label), "label_zh"_a = utf8(p.label_zh),
                             "source"_a = utf8(p.source), "basis"_a = utf8(p.basis)));
    }
    out.append(py::dict("grade"_a = std::string(to_string(g.level)), "level"_a = level(g.level),
                        "min_total"_a = g.min_total, "min_dimension_ratio"_a = g.min_dimension_ratio,
                        "dimension_minimums"_a = mins, "prerequisites"_a = prereqs,
                        "prerequisite_labels"_a = labels));
  }
  return out;
}

py::dict review_settings_dict(const review_settings& r) {
  return py::dict("level_values"_a = std::vector<double>(std::begin(r.level_values), std::end(r.level_values)),
                  "min_count"_a = r.min_count, "prior_index"_a = r.prior_index, "prior_rate"_a = r.prior_rate,
                  "prior_closure"_a = r.prior_closure,
                  "period"_a = r.period == review_period::month ? "month" : "days", "period_days"_a = r.period_days,
                  "window_months"_a = r.window_months, "half_life_days"_a = r.half_life_days,
                  "deadline_working_days"_a = r.deadline_working_days,
                  "service_record_only"_a = r.service_record_only, "dedup"_a = r.dedup, "wilson_z"_a = r.wilson_z,
                  "eb_method"_a = r.eb_method == beta_fit_method::method_of_moments ? "method_of_moments"
                                                                                      : "maximum_likelihood");
}

std::vector<std::string> dimension_ids(const model& mo) {
  std::vector<std::string> ids;
  ids = mo.dimension_ids();
  return ids;
}

void register_model(py::module_& m) {
  py::class_<model>(m, "Model", "A validated, immutable rating model (C++ embedrating::model).")
      .def_static("from_toml", &model::from_toml, "text"_a, "source_name"_a = "<string>",
                  "Parses TOML text; source_name names it in error messages.")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release nogil;
            return model::load(path);
          },
          "path"_a, "Reads a TOML model file.")
      .def_static("default_model", &model::default_model, "The shipped model wuhan-2024.")
      .def("to_toml", &model::to_toml, "Canonical TOML (loading it gives the same fingerprint).")
      .def(
          "save",
          [](const model& self, const std::string& path) {
            py::gil_scoped_release nogil;
            self.save(path);
          },
          "path"_a, "Writes to_toml() to a file atomically.")
      .def_property_readonly("fingerprint", &model::fingerprint, "Hex SHA-256 of the model's meaning.")
      .def("canonical_encoding", [](const model& self) { return py::bytes(self.canonical_encoding()); })
      .def_property_readonly("id", [](const model& self) { return self.info().id; })
      .def_property_readonly("version", [](const model& self) { return self.info().version; })
      .def_property_readonly("label", [](const model& self) { return utf8(self.info().label); })
      .def_property_readonly("label_zh", [](const model& self) { return utf8(self.info().label_zh); })
      .def_property_readonly("source", [](const model& self) { return utf8(self.info().source); })
      .def_property_readonly("file", [](const model& self) { return self.info().file; })
      .def_property_readonly("effective_from", [](const model& self) { return date_days(self.info().effective_from); })
      .def_property_readonly("effective_to", [](const model& self) { return date_days(self.info().effective_to); })
      .def_property_readonly("total_points", &model::total_points)
      .def_property_readonly("leaf_ids", &model::leaf_ids)
      .def_property_readonly("dimension_ids", &dimension_ids)
      .def("weights", [](const model& self) { return copy1(self.weights()); },
           "Global weights of the leaves (points / total), in leaf_ids order.")
      .def("with_weights", &model::with_weights, "weights"_a,
           "A copy with new leaf weights [(leaf id, weight)]; leaves not named keep their points.")
      .def(
          "with_cutoffs",
          [](const model& self, const std::vector<std::pair<int, double>>& cutoffs) {
            std::vector<std::pair<grade, double>> v;
            for (const auto& [lvl, t] : cutoffs) v.emplace_back(grade_of(lvl), t);
            return self.with_cutoffs(v);
          },
          "cutoffs"_a, "A copy with new minimum totals [(grade level 1..5, min total)].")
      .def(
          "with_params",
          [](const model& self, const std::vector<std::pair<std::string, double>>& params) { return self.with_params(params); },
          "params"_a, "A copy with grade-table numbers changed by name [(\"grades.5A.min_total\", 880.0), …].")
      .def_property_readonly("structure_fingerprint", [](const model& self) { return self.structure_fingerprint(); },
                             "Hex SHA-256 of the model's structure (everything but points and thresholds).")
      .def("structure_difference", [](const model& self, const model& other) { return structure_difference(self, other); },
           "other"_a, "The first structural difference from another model (\"\" if none).")
      .def("nodes", &node_table, "The indicator tree as a dict of columns.")
      .def("rules", &rule_table, "The rules as a dict of columns.")
      .def("grades", &grade_table, "The grade table, best grade first.")
      .def("review_settings", [](const model& self) { return review_settings_dict(self.spec().reviews); })
      .def("input_columns", &input_columns,
           "Column roles of an operator table for this model (as the CSV reader classifies headers).");
}

// ---------------------------------------------------------------------------------------------
// Dataset

std::vector<civil_date> dates_of(const exact_array<std::int32_t>& a) {
  std::vector<civil_date> out(static_cast<std::size_t>(a.size()));
  const std::int32_t* p = a.data();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = civil_date(p[i]);
  return out;
}

template <class T>
std::vector<T> vector_of(const exact_array<T>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

py::array_t<std::int32_t> days_array(const std::vector<civil_date>& v) {
  py::array_t<std::int32_t> a(static_cast<py::ssize_t>(v.size()));
  std::int32_t* p = a.mutable_data();
  for (std::size_t i = 0; i < v.size(); ++i) p[i] = v[i].days();
  return a;
}

/// Every column of a dataset, as copies (for export and pickling).
py::dict dataset_columns(const dataset& d) {
  py::dict numbers, categories, flags, attributes, dates, reviews;
  for (const auto& [name, v] : d.numbers()) numbers[py::str(name)] = copy1(v);
  for (const auto& [name, c] : d.categories()) {
    py::list values;
    for (std::int32_t code : c.codes) values.append(code < 0 ? std::string() : c.levels[static_cast<std::size_t>(code)]);
    categories[py::str(name)] = values;
  }
  for (const auto& [name, v] : d.flags()) flags[py::str(name)] = copy1(v);
  for (const auto& [name, v] : d.attributes()) {
    py::list values;
    for (const auto& s : v) values.append(utf8(s));
    attributes[utf8(name)] = values;
  }
  for (const auto& [name, v] : d.dates()) dates[py::str(name)] = days_array(v);
  for (const auto& [name, v] : d.review_columns()) reviews[py::str(name)] = copy1(v);
  py::object status = py::none();
  if (const auto* st = d.status()) {
    py::array_t<std::uint8_t> a(static_cast<py::ssize_t>(st->size()));
    for (std::size_t i = 0; i < st->size(); ++i) a.mutable_data()[i] = static_cast<std::uint8_t>((*st)[i]);
    status = a;
  }
  py::object scenarios = py::none();
  if (d.has_scenarios()) {
    py::list rows;
    const auto& off = d.scenario_offsets();
    for (std::size_t i = 0; i + 1 < off.size(); ++i) {
      py::list row;
      for (std::uint32_t k = off[i]; k < off[i + 1]; ++k)
        row.append(d.scenario_levels()[static_cast<std::size_t>(d.scenario_codes()[k])]);
      rows.append(row);
    }
    scenarios = rows;
  }
  py::object previous = d.has_history() ? py::object(copy1(d.previous_grade())) : py::object(py::none());
  py::object facilities = py::none();
  if (const facility_table* f = d.facilities()) {
    py::dict fn, fc;
    for (const auto& [name, v] : f->numbers) fn[py::str(name)] = copy1(v);
    for (const auto& [name, v] : f->categories) fc[py::str(name)] = v;
    facilities = py::dict("facility_ids"_a = f->facility_ids, "operator_ids"_a = f->operator_ids,
                          "volume"_a = f->volume.empty() ? py::object(py::none()) : py::object(copy1(f->volume)),
                          "numbers"_a = fn, "categories"_a = fc);
  }
  py::list ids;
  for (const auto& s : d.operator_ids()) ids.append(utf8(s));
  return py::dict("operator_ids"_a = ids, "source_name"_a = d.source_name(), "status"_a = status,
                  "numbers"_a = numbers, "categories"_a = categories, "flags"_a = flags, "attributes"_a = attributes,
                  "dates"_a = dates, "reviews"_a = reviews, "scenarios"_a = scenarios, "previous_grade"_a = previous,
                  "facilities"_a = facilities);
}

void register_dataset(py::module_& m) {
  py::class_<dataset, std::shared_ptr<dataset>>(
      m, "Dataset",
      "Validated, column-major inputs of one rating run (C++ embedrating::dataset). Setters copy each "
      "column once into the dataset; float64, uint8 and int32 C-contiguous arrays are read in place.")
      .def(py::init<std::vector<std::string>, std::string>(), "operator_ids"_a, "source_name"_a = "")
      .def_static(
          "from_ids",
          [](py::handle operator_ids, std::string source_name) {
            std::vector<std::string> ids = texts_of(operator_ids);
            py::gil_scoped_release nogil;
            return std::make_shared<dataset>(std::move(ids), std::move(source_name));
          },
          "operator_ids"_a, "source_name"_a = "",
          "A dataset of these operators (a numpy object array, read in place, or a sequence; texts are "
          "trimmed of spaces and tabs, None/NaN are empty). Ids must be non-empty and unique.")
      .def("__len__", &dataset::size)
      .def_property_readonly("operator_ids", &dataset::operator_ids)
      .def_property_readonly("source_name", &dataset::source_name)
      .def(
          "set_status",
          [](dataset& d, const exact_array<std::uint8_t>& codes) {
            std::vector<operator_status> st(static_cast<std::size_t>(codes.size()));
            for (std::size_t i = 0; i < st.size(); ++i) {
              const std::uint8_t c = codes.data()[i];
              if (c > 3) throw data_error("status code " + std::to_string(c) + " is not 0..3");
              st[i] = static_cast<operator_status>(c);
            }
            d.set_status(std::move(st));
          },
          "codes"_a.noconvert(), "Status codes: 0 active, 1 suspending, 2 suspended, 3 terminated.")
      .def(
          "set_number",
          [](dataset& d, const std::string& name, const exact_array<double>& values, bool nan_is_missing) {
            d.set_number(name, vector_of(values), nan_is_missing ? nan_policy::missing : nan_policy::error);
          },
          "name"_a, "values"_a.noconvert(), "nan_is_missing"_a = true)
      .def("set_category", py::overload_cast<const std::string&, const std::vector<std::string>&>(&dataset::set_category), "name"_a, "values"_a, "Strings; \"\" is missing.")
      .def(
          "set_flag",
          [](dataset& d, const std::string& name, const exact_array<std::uint8_t>& values) {
            d.set_flag(name, vector_of(values));
          },
          "name"_a, "values"_a.noconvert())
      .def("set_attribute", &dataset::set_attribute, "name"_a, "values"_a)
      .def(
          "set_attribute_texts",
          [](dataset& d, const std::string& name, py::handle values) {
            std::vector<std::string> v = texts_of(values);
            py::gil_scoped_release nogil;
            d.set_attribute(name, std::move(v));
          },
          "name"_a, "values"_a, "An attribute from a numpy object array or a sequence (trimmed; missing → \"\").")
      .def(
          "set_category_codes",
          [](dataset& d, const std::string& name, const exact_array<std::int64_t>& codes,
             const std::vector<std::string>& texts) {
            check_codes(codes, texts.size(), name.c_str());
            py::gil_scoped_release nogil;
            // factorised texts → levels (distinct, non-empty) and codes, without a string per row
            category_column col;
            std::vector<std::int32_t> level_of(texts.size(), -1);
            for (std::size_t t = 0; t < texts.size(); ++t) {
              if (texts[t].empty()) continue;
              const auto pos = std::find(col.levels.begin(), col.levels.end(), texts[t]);
              level_of[t] = static_cast<std::int32_t>(pos - col.levels.begin());
              if (pos == col.levels.end()) col.levels.push_back(texts[t]);
            }
            const std::int64_t* c = codes.data();
            col.codes.resize(static_cast<std::size_t>(codes.size()));
            for (std::size_t i = 0; i < col.codes.size(); ++i)
              col.codes[i] = c[i] < 0 ? -1 : level_of[static_cast<std::size_t>(c[i])];
            d.set_category(name, std::move(col));
          },
          "name"_a, "codes"_a.noconvert(), "texts"_a,
          "A category column from factorised codes (int64, -1 missing) into texts (\"\" missing).")
      .def(
          "set_date",
          [](dataset& d, const std::string& name, const exact_array<std::int32_t>& days) {
            d.set_date(name, dates_of(days));
          },
          "name"_a, "days"_a.noconvert(), "Days since 1970-01-01; -2147483648 is missing.")
      .def("set_scenarios", py::overload_cast<const std::vector<std::vector<std::string>>&>(&dataset::set_scenarios), "scenarios"_a)
      .def(
          "set_scenarios_codes",
          [](dataset& d, const exact_array<std::int64_t>& codes, const std::vector<std::vector<std::string>>& sets) {
            check_codes(codes, sets.size(), "scenarios");
            py::gil_scoped_release nogil;
            // distinct sets → scenario levels and per-set codes once; rows expand the codes
            std::vector<std::string> levels;
            std::vector<std::vector<std::int32_t>> set_codes(sets.size());
            for (std::size_t k = 0; k < sets.size(); ++k)
              for (const auto& sc : sets[k]) {
                if (sc.empty()) throw data_error("scenarios: empty scenario code");
                const auto pos = std::find(levels.begin(), levels.end(), sc);
                set_codes[k].push_back(static_cast<std::int32_t>(pos - levels.begin()));
                if (pos == levels.end()) levels.push_back(sc);
              }
            const std::int64_t* c = codes.data();
            const auto n = static_cast<std::size_t>(codes.size());
            std::vector<std::uint32_t> offsets(n + 1, 0);
            std::vector<std::int32_t> flat;
            for (std::size_t i = 0; i < n; ++i) {
              if (c[i] >= 0) {
                const auto& sc = set_codes[static_cast<std::size_t>(c[i])];
                flat.insert(flat.end(), sc.begin(), sc.end());
              }
              offsets[i + 1] = static_cast<std::uint32_t>(flat.size());
            }
            d.set_scenarios(std::move(offsets), std::move(flat), std::move(levels));
          },
          "codes"_a.noconvert(), "sets"_a,
          "Scenario sets from factorised codes (int64, -1: none) into distinct sets of scenario codes.")
      .def(
          "set_review_column",
          [](dataset& d, const std::string& name, const exact_array<double>& values) {
            d.set_review_column(name, vector_of(values));
          },
          "name"_a, "values"_a.noconvert())
      .def(
          "set_history",
          [](dataset& d, const exact_array<std::int8_t>& previous, const exact_array<std::int32_t>& rated_on,
             const exact_array<std::int32_t>& downgraded_on) {
            std::vector<std::optional<grade>> prev(static_cast<std::size_t>(previous.size()));
            for (std::size_t i = 0; i < prev.size(); ++i) {
              const std::int8_t l = previous.data()[i];
              if (l >= 0) prev[i] = grade_of(l);
            }
            d.set_history(prev, dates_of(rated_on), dates_of(downgraded_on));
          },
          "previous_grade"_a.noconvert(), "previous_rated_on"_a.noconvert(), "last_downgrade_on"_a.noconvert(),
          "Previous grade levels (-1: never rated) and the two history dates.")
      .def(
          "set_facilities",
          [](dataset& d, std::vector<std::string> facility_ids, std::vector<std::string> operator_ids,
             std::optional<exact_array<double>> volume, const std::map<std::string, exact_array<double>>& numbers,
             std::map<std::string, std::vector<std::string>> categories) {
            facility_table f;
            f.facility_ids = std::move(facility_ids);
            f.operator_ids = std::move(operator_ids);
            if (volume) f.volume = vector_of(*volume);
            for (const auto& [name, v] : numbers) f.numbers.emplace(name, vector_of(v));
            f.categories = std::move(categories);
            d.set_facilities(std::move(f));
          },
          "facility_ids"_a, "operator_ids"_a, "volume"_a, "numbers"_a, "categories"_a)
      .def("has_facilities", [](const dataset& d) { return d.facilities() != nullptr; })
      .def("attribute",
           [](const dataset& d, const std::string& name) -> py::object {
             const auto* a = d.attribute(name);
             if (!a) return py::none();
             py::list out;
             for (const auto& s : *a) out.append(utf8(s));
             return out;
           })
      .def(
          "input_hash",
          [](const dataset& d) {
            py::gil_scoped_release nogil;
            return d.input_hash();
          },
          "Hex SHA-256 over every column.")
      .def("columns", &dataset_columns, "Every column, as copies (dict of kinds).")
      .def("copy", [](const dataset& d) { return std::make_shared<dataset>(d); });

  m.def(
      "read_operators",
      [](const py::list& tables, const model& mo, bool collect) {
        // tables: (DataFrame or mapping, name) pairs; the first holds the operators' rows
        std::vector<std::unique_ptr<frame_source>> sources;
        std::vector<table_source*> ptrs;
        for (const auto t : tables) {
          const auto pair = t.cast<py::tuple>();
          sources.push_back(std::make_unique<frame_source>(pair[0], pair[1].cast<std::string>()));
          ptrs.push_back(sources.back().get());
        }
        problem_sink problems;
        read_options o;
        if (collect) o.problems = &problems;
        std::shared_ptr<dataset> d;
        try {
          d = std::make_shared<dataset>(read_operators(ptrs, mo, o));
        } catch (const data_error& e) {
          if (!collect) throw;
          problems.push_back(e);
        }
        return py::make_tuple(d ? py::cast(d) : py::object(py::none()), data_errors(problems));
      },
      "tables"_a, "model"_a, "collect"_a = false,
      "The C++ dataset of operator tables for a model, by the core's one ingestion path: tables is a "
      "list of (DataFrame or mapping of columns, name) pairs, the first holding the operators' rows, "
      "the others aligned to it by operator_id. Returns (dataset, problems): with collect, every "
      "problem is returned as a DataError (dataset None when reading could not finish); without, "
      "the first raises.");
  m.def(
      "read_facilities",
      [](dataset& d, py::handle table, const std::string& name, const model& mo, bool collect) {
        frame_source src(table, name);
        problem_sink problems;
        read_options o;
        if (collect) o.problems = &problems;
        try {
          facility_table f = read_facilities(src, mo, d, o);
          if (problems.empty()) d.set_facilities(std::move(f));
        } catch (const data_error& e) {
          if (!collect) throw;
          problems.push_back(e);
        }
        return data_errors(problems);
      },
      "dataset"_a, "table"_a, "name"_a, "model"_a, "collect"_a = false,
      "Reads a facility table (DataFrame or mapping) by the core's ingestion path and sets it as the "
      "dataset's facilities. Returns the problems (with collect; without, the first raises).");
  m.def(
      "read_operators_csv",
      [](const std::string& path, const model& mo, const std::string& encoding) {
        py::gil_scoped_release nogil;
        return std::make_shared<dataset>(read_operators_csv(path, mo, encoding));
      },
      "path"_a, "model"_a, "encoding"_a = "auto");
  m.def(
      "read_facilities_csv_into",
      [](dataset& d, const std::string& path, const model& mo, const std::string& encoding) {
        py::gil_scoped_release nogil;
        d.set_facilities(read_facilities_csv(path, mo, d, encoding));
      },
      "dataset"_a, "path"_a, "model"_a, "encoding"_a = "auto",
      "Reads a facility CSV and sets it as the dataset's facilities.");
}

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

ratings_ptr rate_py(const model& mo, const dataset& d, std::int32_t as_of, const py_aggregator* reviews,
                    bool input_hash, const holiday_calendar* calendar) {
  auto out = std::make_shared<ratings>();
  rate_options opts;
  opts.compute_input_hash = input_hash;
  py::gil_scoped_release nogil;
  const auto lock = lock_events(reviews);
  *out = rate(mo, d, civil_date(as_of), with_reviews(opts, reviews, calendar));
  return out;
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

void register_ratings(py::module_& m) {
  py::class_<ratings, ratings_ptr>(m, "Ratings",
                                   "The result of a rating run (struct of arrays). Array properties are "
                                   "read-only numpy views that keep this object alive.")
      .def("__len__", &ratings::size)
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

py::list data_errors(const std::vector<data_error>& problems) {
  py::list out;
  for (const auto& e : problems) out.append(error_instance(data_error_type, e));
  return out;
}

}  // namespace embedrating::python

PYBIND11_MODULE(_core, m) {
  namespace er = embedrating;
  namespace ep = embedrating::python;
  using namespace pybind11::literals;
  m.doc() = "embedrating._core: the compiled part of the embedrating package (pybind11 bindings of the C++ library).";
  m.attr("version") = er::version_string;
  m.attr("MISSING_DATE") = er::civil_date::missing().days();
  ep::register_errors(m);
  m.def("data_directory", &er::data_directory, "Where the shipped data is looked up ($EMBEDRATING_DATA_DIR first).");
  m.def("rule_actions", &ep::rule_action_table, "The rule actions (name, phase, parameters, gate, effect text).");
  m.def("catalogue", &ep::catalogue_codes, "Codes of the shipped catalogue (scenarios, modes, statuses, veto flags).");
  m.def(
      "parse_date",
      [](const std::string& s) -> std::optional<std::int32_t> {
        const auto d = er::parse_date(s);
        if (!d) return std::nullopt;
        return d->days();
      },
      "text"_a, "Strict YYYY-MM-DD (or YYYY/MM/DD) → days since 1970-01-01, None if malformed.");
  m.def("codes_of", &ep::codes_of, "values"_a, "levels"_a,
        "Codes of trimmed texts among levels (-1: empty or missing) → (int64 codes, first row that is not a "
        "level, or -1).");
  m.def("parse_dates", &ep::parse_dates, "items"_a,
        "Vectorised parse_date over a sequence (None/NaN/\"\" missing) → (days, bad positions).");
  m.def(
      "add_months", [](std::int32_t days, int months) { return er::add_months(er::civil_date(days), months).days(); },
      "days"_a, "months"_a, "Calendar-month arithmetic (day clamped to the month's end).");
  ep::register_model(m);
  ep::register_dataset(m);
  ep::register_calendar(m);  // before reviews and ratings: their summaries take a HolidayCalendar
  ep::register_reviews(m);  // before the ratings: rate() takes a ReviewAggregator
  ep::register_ratings(m);
  ep::register_weights(m);
  ep::register_calibrate(m);
  ep::register_sensitivity(m);
  ep::register_publishing(m);
}
