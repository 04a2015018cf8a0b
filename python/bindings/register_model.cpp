// embedrating._core: embedrating.Model — loading, the indicator tree, rules, grades, review
// settings and the input columns a model reads, as plain Python data.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <type_traits>

#include <embedrating/review_fields.hpp>
#include <embedrating/serialize.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
// ---------------------------------------------------------------------------------------------
// Model

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

// The dict of Model.review_settings: one key per entry of the table of review settings
// (embedrating/review_fields.hpp); choices by name, level_values as a list.
py::dict review_settings_dict(const review_settings& r) {
  py::dict out;
  visit_review_fields(r, [&out](const auto& field, const auto& v) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if constexpr (std::is_array_v<T>) {
      out[field.name] = std::vector<double>(std::begin(v), std::end(v));
    } else if constexpr (std::is_enum_v<T>) {
      const char* name = choice_name(field, v);
      out[field.name] = name != nullptr ? py::object(py::str(name)) : py::object(py::none());
    } else {
      out[field.name] = v;
    }
  });
  return out;
}

// The table itself, for Model.with_review_settings and the docs: name, kind, range, rule, doc.
py::list review_setting_fields() {
  py::list out;
  for_each_review_field([&out](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    const char* kind = std::is_array_v<T> ? "numbers" : std::is_enum_v<T> ? "choice" : std::is_same_v<T, bool> ? "flag"
                     : std::is_same_v<T, int> ? "integer" : "number";
    py::list choices;
    for (std::size_t k = 0; k < field.n_choices; ++k) choices.append(field.choices[k]);
    out.append(py::dict("name"_a = field.name, "kind"_a = kind, "min"_a = field.min, "max"_a = field.max,
                        "min_open"_a = field.min_open, "rule"_a = utf8(field.rule), "choices"_a = choices, "doc"_a = utf8(field.doc)));
  });
  return out;
}

std::vector<std::string> dimension_ids(const model& mo) {
  std::vector<std::string> ids;
  ids = mo.dimension_ids();
  return ids;
}

}  // namespace


void register_model(py::module_& m) {
  m.def("review_setting_fields", &review_setting_fields,
        "The review settings, one dict each (name, kind: numbers|number|integer|flag|choice, min, max, min_open, "
        "rule, choices, doc), in the order of the table in embedrating/review_fields.hpp that drives the TOML "
        "reader and writer, validation, the fingerprint, the archive and Model.review_settings.");
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
          "to_bytes",
          &archive_bytes<model>,
          "The model archive (docs/archives.md): header, checksum, canonical TOML and fingerprints.")
      .def_static(
          "from_bytes",
          [](const py::bytes& data, const std::string& source_name) {
            const std::string_view bytes = data;
            py::gil_scoped_release nogil;
            return from_bytes<model>(bytes, source_name);
          },
          "data"_a, "source_name"_a = "<bytes>", "Reads a model archive; ArchiveError naming source_name for anything wrong.")
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
  m.def("data_directory", &data_directory, "Where the shipped data is looked up ($EMBEDRATING_DATA_DIR first).");
  m.def("rule_actions", &rule_action_table, "The rule actions (name, phase, parameters, gate, effect text).");
  m.def("catalogue", &catalogue_codes, "Codes of the shipped catalogue (scenarios, modes, statuses, veto flags).");
}

}  // namespace embedrating::python
