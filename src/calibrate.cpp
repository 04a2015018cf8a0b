// Benchmark-driven recalibration (issue 12): benchmark files, agreement statistics, fits of
// weights, cut-offs and floors on scored data, cross-validation. docs/calibration.md explains the
// objective, the optimiser, the exact fits and every tie-break.
#include "embedrating/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <Eigen/Core>
#include <boost/math/tools/toms748_solve.hpp>

#include "csv.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/weights.hpp"
#include "rate/stages.hpp"

namespace embedrating::calibrate {

namespace {

[[noreturn]] void fail(const std::string& field, const std::string& msg) {
  error_location where;
  where.field = field;
  throw data_error(where, msg);
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string short_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string level_name(int l) {
  if (l < 0) return "not graded";
  return std::string(to_string(grade_from_level(l)));
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Benchmark

benchmark benchmark::subset(const std::vector<std::size_t>& keep) const {
  benchmark out;
  out.file = file;
  for (std::size_t k : keep) {
    out.operator_ids.push_back(operator_ids.at(k));
    out.agreed.push_back(agreed.at(k));
    out.notes.push_back(k < notes.size() ? notes[k] : std::string());
    out.lines.push_back(k < lines.size() ? lines[k] : 0u);
  }
  return out;
}

benchmark make_benchmark(std::vector<std::string> operator_ids, std::vector<grade> agreed, std::vector<std::string> notes) {
  if (operator_ids.size() != agreed.size())
    fail("agreed_grade", "benchmark: " + std::to_string(operator_ids.size()) + " operator ids but " +
                             std::to_string(agreed.size()) + " agreed grades");
  if (!notes.empty() && notes.size() != operator_ids.size())
    fail("panel_note", "benchmark: " + std::to_string(notes.size()) + " notes for " + std::to_string(operator_ids.size()) + " operators");
  if (operator_ids.empty()) fail("operator_id", "benchmark: no operators");
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < operator_ids.size(); ++i) {
    if (operator_ids[i].empty()) fail("operator_id", "benchmark row " + std::to_string(i) + ": empty operator id");
    const auto [it, fresh] = seen.emplace(operator_ids[i], i);
    if (!fresh)
      fail("operator_id", "benchmark: operator " + operator_ids[i] + " appears twice (rows " + std::to_string(it->second) +
                              " and " + std::to_string(i) + ")");
  }
  benchmark b;
  b.operator_ids = std::move(operator_ids);
  b.agreed = std::move(agreed);
  b.notes = notes.empty() ? std::vector<std::string>(b.operator_ids.size()) : std::move(notes);
  b.lines.assign(b.operator_ids.size(), 0u);
  return b;
}

benchmark read_benchmark_csv(const std::string& path) {
  const detail::csv_table t = detail::read_csv_file(path);
  auto column = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (const auto k = detail::column_index(t, n); k != std::string::npos) return k;
    return std::string::npos;
  };
  const std::size_t c_id = column({"operator_id"});
  const std::size_t c_grade = column({"agreed_grade", "grade"});
  const std::size_t c_note = column({"panel_note", "note"});
  error_location where;
  where.file = path;
  where.line = t.header_line;
  if (c_id == std::string::npos || c_grade == std::string::npos) {
    where.field = c_id == std::string::npos ? "operator_id" : "agreed_grade";
    throw data_error(where, "benchmark: the header needs the columns operator_id and agreed_grade (optionally panel_note)");
  }
  if (t.rows.empty()) throw data_error(where, "benchmark: no rows below the header");
  benchmark b;
  b.file = path;
  std::map<std::string, std::uint32_t> seen;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    where.line = t.row_lines[r];
    const std::string id(detail::trim(row[c_id]));
    if (id.empty()) {
      where.column = static_cast<std::uint32_t>(c_id + 1);
      where.field = "operator_id";
      throw data_error(where, "benchmark: empty operator id");
    }
    const std::string g(detail::trim(row[c_grade]));
    const auto parsed = parse_grade(g);
    if (!parsed) {
      where.column = static_cast<std::uint32_t>(c_grade + 1);
      where.field = "agreed_grade";
      where.operator_id = id;
      throw data_error(where, "benchmark: \"" + g + "\" is not a grade (5A, 4A, 3A, 2A, 1A or unrated)");
    }
    if (const auto [it, fresh] = seen.emplace(id, where.line); !fresh) {
      where.column = static_cast<std::uint32_t>(c_id + 1);
      where.field = "operator_id";
      where.operator_id = id;
      throw data_error(where, "benchmark: operator " + id + " appears twice (also on line " + std::to_string(it->second) + ")");
    }
    b.operator_ids.push_back(id);
    b.agreed.push_back(*parsed);
    b.notes.emplace_back(c_note == std::string::npos ? std::string_view() : detail::trim(row[c_note]));
    b.lines.push_back(where.line);
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Agreement

agreement_result agreement(const std::vector<int>& predicted, const std::vector<int>& agreed) {
  if (predicted.size() != agreed.size())
    fail("predicted", "agreement: " + std::to_string(predicted.size()) + " predicted grades but " +
                          std::to_string(agreed.size()) + " agreed grades");
  agreement_result r;
  double abs_sum = 0.0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const int p = predicted[i], a = agreed[i];
    if (p < not_graded || p > 5) fail("predicted", "agreement: predicted grade code " + std::to_string(p) + " at position " + std::to_string(i) + " is not -1 (not graded) or 0..5");
    if (a < not_graded || a > 5) fail("agreed", "agreement: agreed grade code " + std::to_string(a) + " at position " + std::to_string(i) + " is not -1 (not graded) or 0..5");
    if (p == not_graded || a == not_graded) {
      ++r.not_graded;
      continue;
    }
    ++r.n;
    ++r.confusion[static_cast<std::size_t>(a)][static_cast<std::size_t>(p)];
    r.exact_count += p == a ? 1u : 0u;
    r.within_one_count += std::abs(p - a) <= 1 ? 1u : 0u;
    r.higher += p > a ? 1u : 0u;
    r.lower += p < a ? 1u : 0u;
    abs_sum += std::abs(p - a);
  }
  if (r.n == 0) fail("agreed", "agreement: no operator has a grade on both sides (" + std::to_string(r.not_graded) + " not graded)");
  const double n = static_cast<double>(r.n);
  r.exact = static_cast<double>(r.exact_count) / n;
  r.within_one = static_cast<double>(r.within_one_count) / n;
  r.mean_abs_error = abs_sum / n;
  // Cohen's weighted kappa, quadratic weights on the level distance
  std::array<double, grade_count> row{}, col{};
  for (std::size_t a = 0; a < grade_count; ++a)
    for (std::size_t p = 0; p < grade_count; ++p) {
      row[a] += static_cast<double>(r.confusion[a][p]);
      col[p] += static_cast<double>(r.confusion[a][p]);
    }
  double observed = 0.0, expected = 0.0;
  for (std::size_t a = 0; a < grade_count; ++a)
    for (std::size_t p = 0; p < grade_count; ++p) {
      const double w = static_cast<double>((static_cast<int>(a) - static_cast<int>(p)) * (static_cast<int>(a) - static_cast<int>(p)));
      observed += w * static_cast<double>(r.confusion[a][p]);
      expected += w * row[a] * col[p] / n;
    }
  // expected == 0 only when both gradings put every operator in one and the same category
  r.kappa = expected > 0.0 ? 1.0 - observed / expected : 1.0;
  // Kendall's tau-b from the confusion matrix
  double concordant = 0.0, discordant = 0.0;
  for (std::size_t a = 0; a < grade_count; ++a)
    for (std::size_t p = 0; p < grade_count; ++p) {
      const double o = static_cast<double>(r.confusion[a][p]);
      if (o == 0.0) continue;
      for (std::size_t a2 = a + 1; a2 < grade_count; ++a2)
        for (std::size_t p2 = 0; p2 < grade_count; ++p2) {
          const double o2 = static_cast<double>(r.confusion[a2][p2]);
          if (p2 > p) concordant += o * o2;
          else if (p2 < p) discordant += o * o2;
        }
    }
  const double n0 = n * (n - 1.0) / 2.0;
  double n1 = 0.0, n2 = 0.0;
  for (std::size_t k = 0; k < grade_count; ++k) {
    n1 += row[k] * (row[k] - 1.0) / 2.0;
    n2 += col[k] * (col[k] - 1.0) / 2.0;
  }
  const double den = std::sqrt((n0 - n1) * (n0 - n2));
  r.tau_b = den > 0.0 ? (concordant - discordant) / den : std::numeric_limits<double>::quiet_NaN();
  return r;
}

std::string gate_text(const gate& g) {
  const std::string target(to_string(g.target));
  switch (g.kind) {
    case gate_kind::status: return "not graded: status " + g.id;
    case gate_kind::veto: return "veto " + g.id;
    case gate_kind::total:
      if (g.actual < g.required)
        return "total " + fixed(g.actual, 2) + " < " + target + " cut-off " + fixed(g.required, 2) + " (short " + fixed(g.required - g.actual, 2) + ")";
      return "total " + fixed(g.actual, 2) + " >= " + target + " cut-off " + fixed(g.required, 2) + " (by " + fixed(g.actual - g.required, 2) + ")";
    case gate_kind::dimension_ratio:
    case gate_kind::dimension_minimum: {
      const char* what = g.kind == gate_kind::dimension_ratio ? " floor " : " minimum ";
      if (g.actual < g.required)
        return g.id + " ratio " + fixed(g.actual, 3) + " < " + target + what + fixed(g.required, 3);
      return g.id + " ratio " + fixed(g.actual, 3) + " >= " + target + what + fixed(g.required, 3);
    }
    case gate_kind::prerequisite: return "prerequisite " + g.id + " of " + target + " not met";
    case gate_kind::cap: return "cap " + g.id + (g.lapses_on.is_missing() ? "" : " (lapses " + to_string(g.lapses_on) + ")");
    case gate_kind::history: return "history limit " + g.id + (g.lapses_on.is_missing() ? "" : " (lapses " + to_string(g.lapses_on) + ")");
    case gate_kind::downgrade: return "downgrade " + g.id + (g.lapses_on.is_missing() ? "" : " (lapses " + to_string(g.lapses_on) + ")");
  }
  return g.id;
}

namespace {

/// Why operator row i is above agreed level `a`: the margins by which it passes the gates of level a + 1.
std::vector<gate> margins_above(const ratings& r, std::size_t i, int a) {
  std::vector<gate> out;
  const model& m = *r.rating_model;
  const auto& cm = m.compiled();
  const int l = a + 1;
  double cut = 0.0;
  for (int k = 1; k <= l; ++k) {
    const std::int32_t gi = cm.gate_index[static_cast<std::size_t>(k)];
    if (gi >= 0) cut = std::max(cut, cm.spec.grades[static_cast<std::size_t>(gi)].min_total);
  }
  gate g{gate_kind::total, grade_from_level(l), "total", cut, r.total(i), cut - r.total(i), civil_date::missing()};
  out.push_back(g);
  // the dimension nearest its floor at that level
  double best = std::numeric_limits<double>::infinity();
  gate dg{gate_kind::dimension_ratio, grade_from_level(l), "", 0.0, 0.0, 0.0, civil_date::missing()};
  for (std::size_t d = 0; d < cm.dimensions.size(); ++d) {
    const double ratio = r.dimension_ratio(i, d);
    if (std::isnan(ratio)) continue;
    double req = 0.0;
    for (int k = 1; k <= l; ++k) {
      const std::int32_t gi = cm.gate_index[static_cast<std::size_t>(k)];
      if (gi < 0) continue;
      const grade_gate& gg = cm.spec.grades[static_cast<std::size_t>(gi)];
      req = std::max(req, gg.min_dimension_ratio);
      for (const auto& [dim, x] : gg.dimension_minimums)
        if (dim == cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id) req = std::max(req, x);
    }
    if (req > 0.0 && ratio - req < best) {
      best = ratio - req;
      dg.id = cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id;
      dg.required = req;
      dg.actual = ratio;
      dg.shortfall = req - ratio;
    }
  }
  if (!dg.id.empty()) out.push_back(dg);
  return out;
}

}  // namespace

benchmark_agreement compare(const ratings& r, const benchmark& b) {
  benchmark_agreement out;
  std::vector<int> agreed;
  std::vector<std::size_t> rows;
  for (std::size_t k = 0; k < b.size(); ++k) {
    const std::int64_t i = r.find(b.operator_ids[k]);
    if (i < 0) {
      error_location where;
      where.file = b.file;
      where.line = k < b.lines.size() ? b.lines[k] : 0u;
      where.field = "operator_id";
      where.operator_id = b.operator_ids[k];
      throw data_error(where, "benchmark operator " + b.operator_ids[k] + " is not in the rated data");
    }
    const auto row = static_cast<std::size_t>(i);
    rows.push_back(row);
    const bool active = r.status[row] == operator_status::active;
    out.predicted.push_back(active ? level(r.final_grade[row]) : not_graded);
    agreed.push_back(level(b.agreed[k]));
    if (!active) out.not_graded_ids.push_back(b.operator_ids[k]);
  }
  out.stats = agreement(out.predicted, agreed);
  for (std::size_t k = 0; k < b.size(); ++k) {
    const int p = out.predicted[k], a = agreed[k];
    if (p == a) continue;
    disagreement d;
    d.operator_id = b.operator_ids[k];
    d.agreed = a;
    d.predicted = p;
    d.note = k < b.notes.size() ? b.notes[k] : std::string();
    const std::size_t i = rows[k];
    d.by_score = p == not_graded ? not_graded : level(r.grade_by_score[i]);
    if (p == not_graded) {
      d.gates.push_back(gate{gate_kind::status, grade_from_level(a), std::string(to_string(r.status[i])), 0.0, 0.0, 0.0, civil_date::missing()});
    } else if (p < a) {
      d.gates = r.gates(i, grade_from_level(a));
    } else {
      d.gates = margins_above(r, i, a);
    }
    for (const auto& g : d.gates) d.why += (d.why.empty() ? "" : "; ") + gate_text(g);
    out.disagreements.push_back(std::move(d));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fitting: the benchmark cases as the fits see them

const char* to_string(fit_method m) noexcept {
  switch (m) {
    case fit_method::weights: return "weights";
    case fit_method::cutoffs: return "cutoffs";
    case fit_method::floors: return "floors";
    case fit_method::joint: return "joint";
  }
  return "?";
}

fit_method parse_fit_method(const std::string& name) {
  const std::string n = lower(name);
  if (n == "weights") return fit_method::weights;
  if (n == "cutoffs" || n == "cut-offs") return fit_method::cutoffs;
  if (n == "floors") return fit_method::floors;
  if (n == "joint") return fit_method::joint;
  fail("method", "unknown fit method \"" + name + "\" (weights, cutoffs, floors, joint)");
}

namespace {

/// One benchmark case: its row in the scored data and the score levels that give the agreed final grade.
struct fit_case {
  std::size_t row = 0;
  std::size_t bench = 0;
  int agreed = 0;
  int lo = 0, hi = 5;  ///< grade-by-score levels whose final grade is the agreed one
  std::uint32_t pattern = 0;
};

struct problem {
  const scored* s = nullptr;
  const detail::scored_state* st = nullptr;
  const detail::compiled_model* cm = nullptr;
  benchmark bench;
  std::vector<fit_case> cases;
  std::vector<excluded_case> excluded;
  std::vector<std::string> warnings;
};

/// The final level of case row i when its score level is `s` (src/rate/grading.cpp).
int final_of(const detail::scored_state& st, std::size_t i, int s) {
  if (!st.graded.test(i)) return 0;
  const int g = std::min<int>(std::min<int>(s, st.prerequisite_level[i]), st.ceiling[i]) - st.down[i];
  return std::max(0, g);
}

problem make_problem(const scored& s, const benchmark& b) {
  problem p;
  p.s = &s;
  p.st = s.state().get();
  p.cm = &s.scoring_model().compiled();
  p.bench = b;
  if (b.size() == 0) fail("benchmark", "fit: the benchmark is empty");
  std::map<std::string, std::size_t> row_of;
  const auto& ids = s.operator_ids();
  for (std::size_t i = 0; i < ids.size(); ++i) row_of.emplace(ids[i], i);
  if (s.has_point_rules())
    p.warnings.push_back("the model has rules or prerequisites that compare points: the weight fit's surrogate leaves them out; agreement is exact");
  for (std::size_t k = 0; k < b.size(); ++k) {
    const auto it = row_of.find(b.operator_ids[k]);
    if (it == row_of.end()) {
      error_location where;
      where.file = b.file;
      where.line = k < b.lines.size() ? b.lines[k] : 0u;
      where.field = "operator_id";
      where.operator_id = b.operator_ids[k];
      throw data_error(where, "benchmark operator " + b.operator_ids[k] + " is not in the scored data");
    }
    const std::size_t i = it->second;
    const int a = level(b.agreed[k]);
    if (s.status()[i] != operator_status::active) {
      p.excluded.push_back({b.operator_ids[k], "not graded: status " + std::string(to_string(s.status()[i]))});
      continue;
    }
    int lo = 6, hi = -1;
    for (int sl = 0; sl <= 5; ++sl)
      if (final_of(*p.st, i, sl) == a) {
        lo = std::min(lo, sl);
        hi = std::max(hi, sl);
      }
    if (hi < 0) {
      std::string why = "agreed " + level_name(a) + ", but no points give it:";
      if (!p.st->graded.test(i)) why += " vetoed (unrated whatever the points)";
      else {
        const int top = final_of(*p.st, i, 5), bottom = final_of(*p.st, i, 0);
        why += " the final grade stays within " + level_name(bottom) + " .. " + level_name(top);
        if (p.st->prerequisite_level[i] < 5) why += "; prerequisites allow at most " + level_name(p.st->prerequisite_level[i]);
        if (p.st->ceiling[i] < 5) why += "; rules or history cap it at " + level_name(p.st->ceiling[i]);
        if (p.st->down[i] > 0) why += "; downgraded " + std::to_string(p.st->down[i]) + " level(s)";
      }
      p.excluded.push_back({b.operator_ids[k], why});
      continue;
    }
    if (lo == 0 && hi == 5) {
      p.excluded.push_back({b.operator_ids[k], "agreed " + level_name(a) + " whatever the points (rules fix the grade)"});
      continue;
    }
    fit_case c;
    c.row = i;
    c.bench = k;
    c.agreed = a;
    c.lo = lo;
    c.hi = hi;
    c.pattern = p.st->patterns.of_row[i];
    p.cases.push_back(c);
  }
  if (p.cases.empty())
    fail("benchmark", "fit: none of the " + std::to_string(b.size()) + " benchmark operators can be moved by the fitted parameters (each is excluded: not graded, or its grade is fixed by rules)");
  return p;
}

/// Cumulative minimum totals (points) of levels 1..5 of a model (index 0 unused).
std::array<double, grade_count> cumulative_cutoffs(const model& m) {
  std::array<double, grade_count> c{};
  double run = -std::numeric_limits<double>::infinity();
  for (int l = 1; l < grade_count; ++l) {
    const std::int32_t gi = m.compiled().gate_index[static_cast<std::size_t>(l)];
    if (gi >= 0) run = std::max(run, m.spec().grades[static_cast<std::size_t>(gi)].min_total);
    c[static_cast<std::size_t>(l)] = run;
  }
  return c;
}

/// Required ratios per level and dimension (cumulative max of the floor and the dimension's minimum).
std::vector<std::array<double, grade_count>> cumulative_ratios(const model& m) {
  const auto& cm = m.compiled();
  std::vector<std::array<double, grade_count>> r(cm.dimensions.size());
  for (std::size_t d = 0; d < cm.dimensions.size(); ++d) {
    const std::string& id = cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id;
    double run = 0.0;
    for (int l = 1; l < grade_count; ++l) {
      const std::int32_t gi = cm.gate_index[static_cast<std::size_t>(l)];
      if (gi >= 0) {
        const grade_gate& g = cm.spec.grades[static_cast<std::size_t>(gi)];
        run = std::max(run, g.min_dimension_ratio);
        for (const auto& [dim, x] : g.dimension_minimums)
          if (dim == id) run = std::max(run, x);
      }
      r[d][static_cast<std::size_t>(l)] = run;
    }
  }
  return r;
}

/// Exact ordinal errors of a model on the cases: Σ distance of the grade by score to [lo, hi]
/// (the all-threshold 0-1 loss), and the final levels of every benchmark row.
int exact_errors(const problem& p, const ratings& r) {
  int errors = 0;
  for (const auto& c : p.cases) {
    const int s = level(r.grade_by_score[c.row]);
    // grade_by_score already applies the prerequisites; the score level is what the fit moves
    const int sl = s;
    errors += sl < c.lo ? c.lo - sl : (sl > c.hi ? sl - c.hi : 0);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Weights: the smoothed all-threshold ordinal loss and its gradient

struct tree {
  std::size_t L = 0, D = 0, N = 0;
  double total = 0.0;  ///< points
  std::vector<std::vector<std::int32_t>> path;        ///< per leaf: nodes from its dimension down to it
  std::vector<std::vector<std::uint8_t>> under;       ///< per node: 1 per leaf under it
  std::vector<std::vector<std::int32_t>> siblings;    ///< per node: its parent's children (the dimensions for a dimension)
  std::vector<std::int32_t> leaf_dim;                 ///< dimension index per leaf
};

tree make_tree(const detail::compiled_model& cm) {
  tree t;
  t.L = cm.leaves.size();
  t.D = cm.dimensions.size();
  t.N = cm.nodes.size();
  t.total = static_cast<double>(cm.total_centi) / 100.0;
  t.under.assign(t.N, std::vector<std::uint8_t>(t.L, 0));
  t.path.resize(t.L);
  t.leaf_dim.resize(t.L);
  for (std::size_t j = 0; j < t.L; ++j) {
    std::int32_t node = cm.leaves[j];
    std::vector<std::int32_t> up;
    while (node >= 0) {
      up.push_back(node);
      t.under[static_cast<std::size_t>(node)][j] = 1;
      node = cm.nodes[static_cast<std::size_t>(node)].parent;
    }
    t.path[j].assign(up.rbegin(), up.rend());
    t.leaf_dim[j] = cm.nodes[static_cast<std::size_t>(cm.leaves[j])].dimension;
  }
  t.siblings.resize(t.N);
  for (std::size_t k = 0; k < t.N; ++k) {
    const std::int32_t parent = cm.nodes[k].parent;
    t.siblings[k] = parent < 0 ? cm.dimensions : cm.nodes[static_cast<std::size_t>(parent)].children;
  }
  return t;
}

/// Points each leaf can earn in one not-applicable pattern as a function of the weights (the
/// engine's pro-rata re-allocation, without rounding), and its Jacobian.
struct pattern_points {
  Eigen::VectorXd A;   ///< L
  Eigen::MatrixXd J;   ///< L × L: ∂A_j / ∂w_m
};

void leaf_points(const tree& t, const std::vector<std::uint8_t>& app_leaf, const Eigen::VectorXd& w, pattern_points& out) {
  const std::size_t L = t.L;
  out.A.setZero(static_cast<Eigen::Index>(L));
  out.J.setZero(static_cast<Eigen::Index>(L), static_cast<Eigen::Index>(L));
  std::vector<double> W(t.N, 0.0);
  std::vector<std::uint8_t> app(t.N, 0);
  for (std::size_t k = 0; k < t.N; ++k)
    for (std::size_t j = 0; j < L; ++j)
      if (t.under[k][j]) {
        W[k] += w[static_cast<Eigen::Index>(j)];
        app[k] |= app_leaf[j];
      }
  std::vector<double> f, S;
  for (std::size_t j = 0; j < L; ++j) {
    if (!app_leaf[j]) continue;
    const auto& path = t.path[j];
    const std::size_t depth = path.size();
    f.assign(depth, 0.0);
    S.assign(depth, 0.0);
    for (std::size_t q = 0; q < depth; ++q) {
      const auto k = static_cast<std::size_t>(path[q]);
      for (std::int32_t m : t.siblings[k])
        if (app[static_cast<std::size_t>(m)]) S[q] += W[static_cast<std::size_t>(m)];
      f[q] = S[q] > 0.0 ? W[k] / S[q] : 0.0;
    }
    double prod = t.total;
    for (double x : f) prod *= x;
    out.A[static_cast<Eigen::Index>(j)] = prod;
    for (std::size_t q = 0; q < depth; ++q) {
      if (!(S[q] > 0.0)) continue;
      double others = t.total;
      for (std::size_t q2 = 0; q2 < depth; ++q2)
        if (q2 != q) others *= f[q2];
      if (others == 0.0) continue;
      const auto k = static_cast<std::size_t>(path[q]);
      for (std::size_t m = 0; m < L; ++m) {
        double in_sib = 0.0;
        for (std::int32_t sib : t.siblings[k])
          if (app[static_cast<std::size_t>(sib)] && t.under[static_cast<std::size_t>(sib)][m]) in_sib = 1.0;
        const double df = (static_cast<double>(t.under[k][m]) * S[q] - W[k] * in_sib) / (S[q] * S[q]);
        out.J(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(m)) += df * others;
      }
    }
  }
}

struct surrogate {
  const problem* p = nullptr;
  tree t;
  std::array<double, grade_count> cut{};                  ///< cumulative cut-offs (points)
  std::vector<std::array<double, grade_count>> ratio;     ///< cumulative ratios per dimension
  Eigen::VectorXd w0;                                     ///< anchor weights
  double lambda = 0.0, margin = 0.0, tau = 1.0;
  std::vector<std::uint32_t> patterns;                    ///< patterns used by the cases
  std::vector<std::size_t> pattern_slot;                  ///< pattern → slot in `patterns`
  Eigen::MatrixXd scores;                                 ///< cases × L (NaN → 0)
  double last_data = 0.0, last_penalty = 0.0;

  double operator()(const Eigen::VectorXd& w, Eigen::VectorXd& grad) {
    const std::size_t L = t.L, D = t.D;
    const std::size_t P = patterns.size();
    std::vector<pattern_points> pp(P);
    std::vector<Eigen::VectorXd> AD(P), gA(P);
    for (std::size_t q = 0; q < P; ++q) {
      leaf_points(t, p->st->patterns.applicable[patterns[q]], w, pp[q]);
      AD[q].setZero(static_cast<Eigen::Index>(D));
      for (std::size_t j = 0; j < L; ++j) AD[q][t.leaf_dim[j]] += pp[q].A[static_cast<Eigen::Index>(j)];
      gA[q].setZero(static_cast<Eigen::Index>(L));
    }
    double data = 0.0;
    std::vector<double> x(D + 1), dx(D + 1), dims(D);
    std::vector<std::uint8_t> on(D + 1);
    for (std::size_t c = 0; c < p->cases.size(); ++c) {
      const fit_case& fc = p->cases[c];
      const std::size_t q = pattern_slot[fc.pattern];
      const auto& A = pp[q].A;
      double total = 0.0;
      std::fill(dims.begin(), dims.end(), 0.0);
      for (std::size_t j = 0; j < L; ++j) {
        const double e = scores(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j)) * A[static_cast<Eigen::Index>(j)];
        total += e;
        dims[static_cast<std::size_t>(t.leaf_dim[j])] += e;
      }
      for (int l = 1; l < grade_count; ++l) {
        const bool want_pass = l <= fc.lo;
        const bool want_fail = l > fc.hi;
        if (!want_pass && !want_fail) continue;
        x[0] = total - cut[static_cast<std::size_t>(l)];
        on[0] = 1;
        for (std::size_t d = 0; d < D; ++d) {
          const double r = ratio[d][static_cast<std::size_t>(l)];
          on[d + 1] = AD[q][static_cast<Eigen::Index>(d)] > 0.0 && r > 0.0;
          x[d + 1] = on[d + 1] ? dims[d] - r * AD[q][static_cast<Eigen::Index>(d)] : 0.0;
        }
        std::fill(dx.begin(), dx.end(), 0.0);
        if (want_pass) {
          for (std::size_t k = 0; k <= D; ++k) {
            if (!on[k]) continue;
            const double h = margin - x[k];
            if (h > 0.0) {
              data += h * h;
              dx[k] = -2.0 * h;
            }
          }
        } else {
          double lo = std::numeric_limits<double>::infinity();
          for (std::size_t k = 0; k <= D; ++k)
            if (on[k]) lo = std::min(lo, x[k]);
          double sum = 0.0;
          for (std::size_t k = 0; k <= D; ++k)
            if (on[k]) sum += std::exp(-(x[k] - lo) / tau);
          const double z = lo - tau * std::log(sum);
          const double h = margin + z;
          if (h > 0.0) {
            data += h * h;
            for (std::size_t k = 0; k <= D; ++k)
              if (on[k]) dx[k] = 2.0 * h * std::exp(-(x[k] - lo) / tau) / sum;
          }
        }
        // chain rule to the leaf points A of the case's pattern
        for (std::size_t j = 0; j < L; ++j) {
          const double sj = scores(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j));
          const auto d = static_cast<std::size_t>(t.leaf_dim[j]);
          double g = dx[0] * sj;
          if (on[d + 1]) g += dx[d + 1] * (sj - ratio[d][static_cast<std::size_t>(l)]);
          gA[q][static_cast<Eigen::Index>(j)] += g;
        }
      }
    }
    const double inv = 1.0 / static_cast<double>(p->cases.size());
    grad.setZero(static_cast<Eigen::Index>(L));
    for (std::size_t q = 0; q < P; ++q) grad.noalias() += pp[q].J.transpose() * gA[q];
    grad *= inv;
    data *= inv;
    const double T2 = t.total * t.total;
    const Eigen::VectorXd dw = w - w0;
    const double penalty = lambda * T2 * dw.squaredNorm();
    grad += 2.0 * lambda * T2 * dw;
    last_data = data;
    last_penalty = penalty;
    return data + penalty;
  }
};

/// The feasible set of the weights: blocks (all leaves, or each dimension's) with a fixed sum and bounds.
struct feasible_set {
  std::vector<std::vector<std::size_t>> blocks;
  std::vector<double> sums;
  Eigen::VectorXd lb, ub;

  Eigen::VectorXd project(const Eigen::VectorXd& y) const {
    Eigen::VectorXd x = y;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const auto& idx = blocks[b];
      const double s = sums[b];
      auto phi = [&](double tau) {
        double total = 0.0;
        for (std::size_t j : idx) {
          const auto e = static_cast<Eigen::Index>(j);
          total += std::clamp(y[e] - tau, lb[e], ub[e]);
        }
        return total - s;
      };
      double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
      for (std::size_t j : idx) {
        const auto e = static_cast<Eigen::Index>(j);
        lo = std::min(lo, y[e] - ub[e]);
        hi = std::max(hi, y[e] - lb[e]);
      }
      double tau = lo;
      const double flo = phi(lo), fhi = phi(hi);
      if (flo == 0.0) {
        tau = lo;
      } else if (fhi == 0.0) {
        tau = hi;
      } else {
        std::uintmax_t iters = 200;
        const auto r = boost::math::tools::toms748_solve(phi, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(52), iters);
        tau = 0.5 * (r.first + r.second);
      }
      for (std::size_t j : idx) {
        const auto e = static_cast<Eigen::Index>(j);
        x[e] = std::clamp(y[e] - tau, lb[e], ub[e]);
      }
    }
    return x;
  }
};

feasible_set make_feasible(const model& m, const tree& t, const fit_options& o) {
  feasible_set f;
  const auto& ids = m.leaf_ids();
  const std::size_t L = ids.size();
  if (!(o.lower >= 0.0 && o.lower <= o.upper && o.upper <= 1.0))
    fail("bounds", "fit_weights: default bounds must satisfy 0 <= lower <= upper <= 1, got [" + short_number(o.lower) + ", " + short_number(o.upper) + "]");
  f.lb = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(L), o.lower);
  f.ub = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(L), o.upper);
  std::set<std::string> seen;
  for (const auto& b : o.bounds) {
    const auto it = std::find(ids.begin(), ids.end(), b.id);
    if (it == ids.end()) fail("bounds." + b.id, "fit_weights: bounds for \"" + b.id + "\", which is not a leaf indicator of the model");
    if (!seen.insert(b.id).second) fail("bounds." + b.id, "fit_weights: bounds for \"" + b.id + "\" given twice");
    if (!(std::isfinite(b.lower) && std::isfinite(b.upper) && b.lower >= 0.0 && b.lower <= b.upper && b.upper <= 1.0))
      fail("bounds." + b.id, "fit_weights: bounds of \"" + b.id + "\" must satisfy 0 <= lower <= upper <= 1, got [" +
                                 short_number(b.lower) + ", " + short_number(b.upper) + "]");
    const auto j = static_cast<Eigen::Index>(it - ids.begin());
    f.lb[j] = b.lower;
    f.ub[j] = b.upper;
  }
  const std::vector<double> w = m.weights();
  if (o.fixed_dimension_totals) {
    for (std::size_t d = 0; d < t.D; ++d) {
      std::vector<std::size_t> idx;
      double s = 0.0;
      for (std::size_t j = 0; j < L; ++j)
        if (static_cast<std::size_t>(t.leaf_dim[j]) == d) {
          idx.push_back(j);
          s += w[j];
        }
      if (!idx.empty()) {
        f.blocks.push_back(idx);
        f.sums.push_back(s);
      }
    }
  } else {
    std::vector<std::size_t> idx(L);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    f.blocks.push_back(idx);
    f.sums.push_back(1.0);
  }
  const auto& cm = m.compiled();
  for (std::size_t b = 0; b < f.blocks.size(); ++b) {
    double lo = 0.0, hi = 0.0;
    for (std::size_t j : f.blocks[b]) {
      lo += f.lb[static_cast<Eigen::Index>(j)];
      hi += f.ub[static_cast<Eigen::Index>(j)];
    }
    const std::string what = o.fixed_dimension_totals
                                 ? "dimension " + cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[static_cast<std::size_t>(t.leaf_dim[f.blocks[b][0]])])].id +
                                       " (weight " + short_number(f.sums[b]) + ")"
                                 : std::string("the weights (sum 1)");
    if (lo > f.sums[b] + 1e-12 || hi < f.sums[b] - 1e-12)
      fail("bounds", "fit_weights: the bounds cannot hold " + what + ": lower bounds add up to " + short_number(lo) +
                         ", upper bounds to " + short_number(hi));
  }
  return f;
}

struct weights_fit {
  Eigen::VectorXd w;
  std::vector<trace_entry> trace;
  bool converged = false;
  int iterations = 0;
};

/// Spectral projected gradient (Birgin, Martínez & Raydan 2000, SIAM J. Optim. 10(4):1196–1211,
/// algorithm SPG2) with the nonmonotone line search of Grippo, Lampariello & Lucidi (1986), M = 10.
weights_fit spg(surrogate& f, const feasible_set& set, const Eigen::VectorXd& start, const fit_options& o, int round) {
  weights_fit out;
  Eigen::VectorXd x = set.project(start), g(x.size()), gn(x.size());
  double fx = f(x, g);
  out.trace.push_back({round, "weights", 0, fx, f.last_data, f.last_penalty});
  constexpr double alpha_min = 1e-12, alpha_max = 1e12, gamma = 1e-4;
  // first step: at most 0.01 of weight on any leaf; then Barzilai–Borwein steps
  const double gmax = g.lpNorm<Eigen::Infinity>();
  double alpha = gmax > 0.0 ? std::min(alpha_max, std::max(alpha_min, 0.01 / gmax)) : 1.0;
  std::deque<double> recent{fx};
  for (int it = 1; it <= o.max_iterations; ++it) {
    const Eigen::VectorXd d = set.project(x - alpha * g) - x;
    if (d.lpNorm<Eigen::Infinity>() < o.tolerance) {
      out.converged = true;
      break;
    }
    const double fmax = *std::max_element(recent.begin(), recent.end());
    const double gtd = g.dot(d);
    double lam = 1.0, fn = 0.0;
    Eigen::VectorXd xn;
    for (int ls = 0; ls < 40; ++ls) {
      xn = x + lam * d;
      fn = f(xn, gn);
      if (fn <= fmax + gamma * lam * gtd) break;
      const double denom = 2.0 * (fn - fx - lam * gtd);
      const double lt = denom > 0.0 ? -gtd * lam * lam / denom : lam / 2.0;
      lam = (lt >= 0.1 * lam && lt <= 0.9 * lam) ? lt : lam / 2.0;
    }
    const Eigen::VectorXd s = xn - x, y = gn - g;
    const double sty = s.dot(y);
    alpha = sty <= 0.0 ? alpha_max : std::min(alpha_max, std::max(alpha_min, s.squaredNorm() / sty));
    x = xn;
    g = gn;
    fx = fn;
    out.iterations = it;
    out.trace.push_back({round, "weights", it, fx, f.last_data, f.last_penalty});
    recent.push_back(fx);
    if (recent.size() > 10) recent.pop_front();
  }
  out.w = x;
  return out;
}

std::string options_text(const fit_options& o) {
  return "lambda " + short_number(o.lambda) + ", margin " + short_number(o.margin) + " points, smoothing " + short_number(o.smoothing) +
         (o.fixed_dimension_totals ? ", dimension totals fixed" : "");
}

/// Weights fitted from `current` (its cut-offs and floors), pulled toward `anchor`'s weights.
model fit_weights_step(const problem& p, const model& current, const model& anchor, const fit_options& o, int round,
                       fit_report& rep) {
  if (!(o.lambda >= 0.0) || !std::isfinite(o.lambda)) fail("lambda", "fit_weights: lambda must be finite and >= 0, got " + short_number(o.lambda));
  if (!(o.margin >= 0.0) || !std::isfinite(o.margin)) fail("margin", "fit_weights: margin must be finite and >= 0, got " + short_number(o.margin));
  if (!(o.smoothing > 0.0) || !std::isfinite(o.smoothing)) fail("smoothing", "fit_weights: smoothing must be finite and > 0, got " + short_number(o.smoothing));
  if (o.max_iterations < 1) fail("max_iterations", "fit_weights: max_iterations must be >= 1");
  surrogate f;
  f.p = &p;
  f.t = make_tree(current.compiled());
  f.cut = cumulative_cutoffs(current);
  f.ratio = cumulative_ratios(current);
  const std::vector<double> w0 = anchor.weights(), wc = current.weights();
  f.w0 = Eigen::Map<const Eigen::VectorXd>(w0.data(), static_cast<Eigen::Index>(w0.size()));
  f.lambda = o.lambda;
  f.margin = o.margin;
  f.tau = o.smoothing;
  f.pattern_slot.assign(p.st->patterns.applicable.size(), 0);
  std::vector<std::uint8_t> used(p.st->patterns.applicable.size(), 0);
  for (const auto& c : p.cases) used[c.pattern] = 1;
  for (std::size_t q = 0; q < used.size(); ++q)
    if (used[q]) {
      f.pattern_slot[q] = f.patterns.size();
      f.patterns.push_back(static_cast<std::uint32_t>(q));
    }
  const auto S = p.s->leaf_scores();
  f.scores.resize(static_cast<Eigen::Index>(p.cases.size()), static_cast<Eigen::Index>(f.t.L));
  for (std::size_t c = 0; c < p.cases.size(); ++c)
    for (std::size_t j = 0; j < f.t.L; ++j) {
      const double v = S(static_cast<Eigen::Index>(p.cases[c].row), static_cast<Eigen::Index>(j));
      f.scores(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j)) = std::isnan(v) ? 0.0 : v;
    }
  const feasible_set set = make_feasible(current, f.t, o);
  const Eigen::VectorXd start = Eigen::Map<const Eigen::VectorXd>(wc.data(), static_cast<Eigen::Index>(wc.size()));
  weights_fit r = spg(f, set, start, o, round);
  rep.trace.insert(rep.trace.end(), r.trace.begin(), r.trace.end());
  rep.iterations += r.iterations;
  rep.converged = rep.converged && r.converged;
  if (!r.converged) rep.warnings.push_back("fit_weights: stopped after " + std::to_string(o.max_iterations) + " iterations before the step fell below the tolerance");
  // points: largest remainder over the total (each dimension's with fixed totals)
  weights::apply_options ao;
  ao.keep_dimension_totals = o.fixed_dimension_totals;
  auto model_of = [&](const Eigen::VectorXd& w) {
    std::vector<std::pair<std::string, double>> pairs;
    for (std::size_t j = 0; j < f.t.L; ++j) pairs.emplace_back(current.leaf_ids()[j], std::max(0.0, w[static_cast<Eigen::Index>(j)]));
    return weights::apply_weights(current, pairs, ao).result;
  };
  // the surrogate's minimiser w*; the fitted weights are w_t = w_current + t (w* − w_current) for the
  // t in {0, 0.1, …, 1} with the fewest exact ordinal errors (ties: the smallest t, nearest the
  // current weights), so the fit never ends worse than it starts on the exact loss
  model best = current;
  int best_errors = exact_errors(p, regrade(*p.s, current));
  double best_t = 0.0;
  for (int k = 1; k <= 10; ++k) {
    const double tk = k / 10.0;
    const model m = model_of(start + tk * (r.w - start));
    const int e = exact_errors(p, regrade(*p.s, m));
    if (e < best_errors) {
      best_errors = e;
      best = m;
      best_t = tk;
    }
  }
  rep.trace.push_back({round, "weights-exact", static_cast<int>(std::lround(best_t * 10)), static_cast<double>(best_errors),
                       static_cast<double>(best_errors), 0.0});
  return best;
}

// ---------------------------------------------------------------------------------------------
// Exact threshold families (cut-offs, floors): dynamic programming over the benchmark's values

/// One level of a family: per case (same order as the statistic), whether the other gates of the
/// level pass, and what the case wants of the level (+1 pass, −1 fail, 0 either).
struct family_level {
  std::vector<std::uint8_t> other;
  std::vector<std::int8_t> want;
  double current = 0.0;
};

struct family_fit {
  std::vector<double> values;
  int errors = 0;
};

/// The values v_1 <= … <= v_k of one family of thresholds (a case passes level l's threshold when
/// x_i >= v_l) that minimise the level-wise errors; among those, the nearest to the current values
/// (Σ |v − current|), then the earliest segments. Within its segment a value is the current one
/// clamped to [low + margin, high − margin] when the segment is wider than 2·margin, else the
/// segment's midpoint. `integer`: values are whole numbers (centi-points).
family_fit fit_family(const std::vector<double>& x, const std::vector<family_level>& levels, double vmin, double vmax, bool integer,
                      double margin, double penalty) {
  const std::size_t n = x.size(), K = levels.size();
  std::vector<double> u(x.begin(), x.end());
  std::sort(u.begin(), u.end());
  u.erase(std::unique(u.begin(), u.end()), u.end());
  // segments: v in (u[k-1], u[k]] (k = 0: v <= u[0]; k = m: v > u[m-1]), clipped to [vmin, vmax]
  struct segment {
    double low, high;       ///< feasible values [low, high]
    bool low_data, high_data;  ///< whether the bound is a case's value (margin applies)
    double pass_above;      ///< cases with x > pass_above pass (−inf: all)
  };
  std::vector<segment> segs;
  const double ninf = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k <= u.size(); ++k) {
    const double below = k == 0 ? ninf : u[k - 1];
    const double above = k == u.size() ? std::numeric_limits<double>::infinity() : u[k];
    segment s;
    s.pass_above = below;
    s.low_data = k > 0 && below >= vmin;
    s.low = s.low_data ? (integer ? below + 1.0 : std::nextafter(below, vmax)) : vmin;
    s.high_data = k < u.size() && above <= vmax;
    s.high = s.high_data ? above : vmax;
    if (s.low > s.high) continue;
    segs.push_back(s);
  }
  const std::size_t M = segs.size();
  auto choose = [&](const segment& s, double current) {
    const double lo = s.low_data ? s.low + margin : s.low;
    const double hi = s.high_data ? s.high - margin : s.high;
    double v;
    if (lo <= hi) v = std::clamp(current, lo, hi);
    else v = 0.5 * (s.low + s.high);
    if (integer) v = std::clamp(std::floor(v), s.low, s.high);
    return v;
  };
  // errors per level and segment
  std::vector<std::vector<int>> E(K, std::vector<int>(M, 0));
  std::vector<std::vector<double>> V(K, std::vector<double>(M, 0.0));
  for (std::size_t l = 0; l < K; ++l)
    for (std::size_t k = 0; k < M; ++k) {
      int e = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::int8_t want = levels[l].want[i];
        if (want == 0) continue;
        const bool pass = levels[l].other[i] && x[i] > segs[k].pass_above;
        e += (want > 0) != pass ? 1 : 0;
      }
      E[l][k] = e;
      V[l][k] = choose(segs[k], levels[l].current);
    }
  // DP over non-decreasing segments; cost (errors, distance) compared lexicographically
  // cost: errors + penalty × distance, then the distance (rounded to 1e-9 so sums compare exactly)
  struct cost {
    double value = 0.0, distance = 0.0;
    int errors = 0;
    bool operator<(const cost& o) const {
      const double a = std::round(value * 1e9), b = std::round(o.value * 1e9);
      if (a != b) return a < b;
      return std::round(distance * 1e9) < std::round(o.distance * 1e9);
    }
  };
  auto step = [&](std::size_t l, std::size_t k) {
    const double dist = std::fabs(V[l][k] - levels[l].current);
    return cost{static_cast<double>(E[l][k]) + penalty * dist, dist, E[l][k]};
  };
  std::vector<std::vector<cost>> dp(K, std::vector<cost>(M));
  std::vector<std::vector<std::size_t>> from(K, std::vector<std::size_t>(M, 0));
  for (std::size_t k = 0; k < M; ++k) dp[0][k] = step(0, k);
  for (std::size_t l = 1; l < K; ++l) {
    cost best{std::numeric_limits<double>::infinity(), 0.0, 0};
    std::size_t arg = 0;
    for (std::size_t k = 0; k < M; ++k) {
      if (dp[l - 1][k] < best) {
        best = dp[l - 1][k];
        arg = k;
      }
      const cost c = step(l, k);
      dp[l][k] = {best.value + c.value, best.distance + c.distance, best.errors + c.errors};
      from[l][k] = arg;
    }
  }
  std::size_t k = 0;
  for (std::size_t j = 1; j < M; ++j)
    if (dp[K - 1][j] < dp[K - 1][k]) k = j;
  family_fit out;
  out.errors = dp[K - 1][k].errors;
  out.values.assign(K, 0.0);
  for (std::size_t l = K; l-- > 0;) {
    out.values[l] = V[l][k];
    if (l > 0) k = from[l][k];
  }
  for (std::size_t l = 1; l < K; ++l) out.values[l] = std::max(out.values[l], out.values[l - 1]);
  return out;
}

/// A ratio shown with few decimals when that keeps it inside the same gap between cases.
double tidy_ratio(double v, const std::vector<double>& x) {
  for (double scale : {100.0, 1000.0, 10000.0, 1e6}) {
    const double r = std::round(v * scale) / scale;
    bool same = r >= 0.0 && r <= 1.0;
    for (double xi : x) same = same && ((xi >= v) == (xi >= r));
    if (same) return r;
  }
  return v;
}

/// Exact per-case totals, dimension points and available points under a model.
struct exact_points {
  std::vector<std::int64_t> total;
  std::vector<std::vector<std::int64_t>> dim, avail;  ///< case × dimension
};

exact_points exact_of(const problem& p, const ratings& r) {
  exact_points e;
  const auto& cm = *p.cm;
  for (const auto& c : p.cases) {
    e.total.push_back(r.total_centi[c.row]);
    std::vector<std::int64_t> d, a;
    for (std::size_t k = 0; k < cm.dimensions.size(); ++k) {
      d.push_back(r.dimension_centi(static_cast<Eigen::Index>(c.row), static_cast<Eigen::Index>(k)));
      a.push_back(r.available_centi(c.row, static_cast<std::size_t>(cm.dimensions[k])));
    }
    e.dim.push_back(d);
    e.avail.push_back(a);
  }
  return e;
}

std::int8_t want_of(const fit_case& c, int l) { return l <= c.lo ? 1 : (l > c.hi ? -1 : 0); }

/// Gate values of a model: cut-offs (points), floors and per-dimension minimums by level.
struct gates_of_model {
  std::array<double, grade_count> min_total{}, floor{};
  std::vector<std::array<double, grade_count>> minimum;  ///< per dimension; NaN = none
};

gates_of_model gates_from(const model& m) {
  const auto& cm = m.compiled();
  gates_of_model g;
  g.minimum.assign(cm.dimensions.size(), {});
  for (auto& a : g.minimum) a.fill(std::numeric_limits<double>::quiet_NaN());
  for (int l = 1; l < grade_count; ++l) {
    const std::int32_t gi = cm.gate_index[static_cast<std::size_t>(l)];
    if (gi < 0) fail("grades", "fit: the model has no gate for grade " + level_name(l) + " (every grade 1A … 5A is needed)");
    const grade_gate& gg = cm.spec.grades[static_cast<std::size_t>(gi)];
    g.min_total[static_cast<std::size_t>(l)] = gg.min_total;
    g.floor[static_cast<std::size_t>(l)] = gg.min_dimension_ratio;
    for (const auto& [dim, x] : gg.dimension_minimums)
      for (std::size_t d = 0; d < cm.dimensions.size(); ++d)
        if (cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id == dim) g.minimum[d][static_cast<std::size_t>(l)] = x;
  }
  return g;
}

/// Whether case c passes level l's gates other than those of the family being fitted.
struct gate_check {
  const exact_points* e;
  const gates_of_model* g;
  bool total(std::size_t c, int l) const {
    double cut = 0.0;
    for (int k = 1; k <= l; ++k) cut = std::max(cut, g->min_total[static_cast<std::size_t>(k)]);
    return e->total[c] >= static_cast<std::int64_t>(std::llround(cut * 100.0));
  }
  /// Dimension d passes the floor part (skip_floor: not checked) and the minimum part (skip_min: not checked).
  bool dim(std::size_t c, std::size_t d, int l, bool skip_floor, bool skip_min) const {
    const std::int64_t av = e->avail[c][d];
    if (av <= 0) return true;
    std::int64_t req = std::numeric_limits<std::int64_t>::min();
    for (int k = 1; k <= l; ++k) {
      if (!skip_floor) req = std::max(req, detail::required_centi(g->floor[static_cast<std::size_t>(k)], av));
      const double m = g->minimum[d][static_cast<std::size_t>(k)];
      if (!skip_min && !std::isnan(m)) req = std::max(req, detail::required_centi(m, av));
    }
    return e->dim[c][d] >= req;
  }
};

model with_gates(const model& current, const gates_of_model& g) {
  model_spec s = current.spec();
  const auto& cm = current.compiled();
  for (int l = 1; l < grade_count; ++l) {
    grade_gate& gg = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])];
    gg.min_total = g.min_total[static_cast<std::size_t>(l)];
    gg.min_dimension_ratio = g.floor[static_cast<std::size_t>(l)];
    for (auto& [dim, x] : gg.dimension_minimums)
      for (std::size_t d = 0; d < cm.dimensions.size(); ++d)
        if (cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id == dim) x = g.minimum[d][static_cast<std::size_t>(l)];
  }
  return model(std::move(s));
}

model fit_cutoffs_step(const problem& p, const model& current, const fit_options& o, int round, fit_report& rep) {
  if (!(o.cutoff_margin >= 0.0)) fail("cutoff_margin", "fit_cutoffs: cutoff_margin must be >= 0");
  if (!(o.cutoff_penalty >= 0.0) || !std::isfinite(o.cutoff_penalty)) fail("cutoff_penalty", "fit_cutoffs: cutoff_penalty must be finite and >= 0, got " + short_number(o.cutoff_penalty));
  const ratings r = regrade(*p.s, current);
  const exact_points e = exact_of(p, r);
  gates_of_model g = gates_from(current);
  const gate_check chk{&e, &g};
  const std::size_t n = p.cases.size(), D = p.cm->dimensions.size();
  std::vector<double> x(n);
  for (std::size_t c = 0; c < n; ++c) x[c] = static_cast<double>(e.total[c]);
  std::vector<family_level> levels(5);
  for (int l = 1; l <= 5; ++l) {
    family_level& fl = levels[static_cast<std::size_t>(l - 1)];
    fl.current = std::round(g.min_total[static_cast<std::size_t>(l)] * 100.0);
    for (std::size_t c = 0; c < n; ++c) {
      bool ok = true;
      for (std::size_t d = 0; d < D; ++d) ok = ok && chk.dim(c, d, l, false, false);
      fl.other.push_back(ok ? 1 : 0);
      fl.want.push_back(want_of(p.cases[c], l));
    }
  }
  const family_fit ff = fit_family(x, levels, 0.0, static_cast<double>(p.cm->total_centi), true, o.cutoff_margin * 100.0, o.cutoff_penalty / 100.0);
  for (int l = 1; l <= 5; ++l) g.min_total[static_cast<std::size_t>(l)] = ff.values[static_cast<std::size_t>(l - 1)] / 100.0;
  rep.trace.push_back({round, "cutoffs", 0, static_cast<double>(ff.errors), static_cast<double>(ff.errors), 0.0});
  return with_gates(current, g);
}

model fit_floors_step(const problem& p, const model& current, const fit_options& o, int round, fit_report& rep) {
  if (!(o.ratio_margin >= 0.0)) fail("ratio_margin", "fit_floors: ratio_margin must be >= 0");
  if (!(o.floor_penalty >= 0.0) || !std::isfinite(o.floor_penalty)) fail("floor_penalty", "fit_floors: floor_penalty must be finite and >= 0, got " + short_number(o.floor_penalty));
  const ratings r = regrade(*p.s, current);
  const exact_points e = exact_of(p, r);
  gates_of_model g = gates_from(current);
  const std::size_t n = p.cases.size(), D = p.cm->dimensions.size();
  auto ratio = [&](std::size_t c, std::size_t d) {
    return e.avail[c][d] > 0 ? (static_cast<double>(e.dim[c][d]) + 1e-6) / static_cast<double>(e.avail[c][d])
                             : std::numeric_limits<double>::infinity();
  };
  int errors = -1;
  for (int sweep = 0; sweep < 3; ++sweep) {
    const int before = errors;
    // every grade's floor over every dimension
    {
      const gate_check chk{&e, &g};
      std::vector<double> x(n);
      for (std::size_t c = 0; c < n; ++c) {
        double lo = std::numeric_limits<double>::infinity();
        for (std::size_t d = 0; d < D; ++d) lo = std::min(lo, ratio(c, d));
        x[c] = std::min(lo, 2.0);
      }
      std::vector<family_level> levels(5);
      for (int l = 1; l <= 5; ++l) {
        family_level& fl = levels[static_cast<std::size_t>(l - 1)];
        fl.current = g.floor[static_cast<std::size_t>(l)];
        for (std::size_t c = 0; c < n; ++c) {
          bool ok = chk.total(c, l);
          for (std::size_t d = 0; d < D; ++d) ok = ok && chk.dim(c, d, l, true, false);
          fl.other.push_back(ok ? 1 : 0);
          fl.want.push_back(want_of(p.cases[c], l));
        }
      }
      const family_fit ff = fit_family(x, levels, 0.0, 1.0, false, o.ratio_margin, o.floor_penalty * 100.0);
      for (int l = 1; l <= 5; ++l) g.floor[static_cast<std::size_t>(l)] = tidy_ratio(ff.values[static_cast<std::size_t>(l - 1)], x);
      errors = ff.errors;
    }
    // each dimension's own minimums, where the model has them for every grade
    if (o.fit_dimension_minimums) {
      for (std::size_t d = 0; d < D; ++d) {
        bool every = true;
        for (int l = 1; l <= 5; ++l) every = every && !std::isnan(g.minimum[d][static_cast<std::size_t>(l)]);
        if (!every) continue;
        const gate_check chk{&e, &g};
        std::vector<double> x(n);
        for (std::size_t c = 0; c < n; ++c) x[c] = std::min(ratio(c, d), 2.0);
        std::vector<family_level> levels(5);
        for (int l = 1; l <= 5; ++l) {
          family_level& fl = levels[static_cast<std::size_t>(l - 1)];
          fl.current = g.minimum[d][static_cast<std::size_t>(l)];
          for (std::size_t c = 0; c < n; ++c) {
            bool ok = chk.total(c, l);
            for (std::size_t d2 = 0; d2 < D; ++d2) ok = ok && chk.dim(c, d2, l, false, d2 == d);
            fl.other.push_back(ok ? 1 : 0);
            fl.want.push_back(want_of(p.cases[c], l));
          }
        }
        const family_fit ff = fit_family(x, levels, 0.0, 1.0, false, o.ratio_margin, o.floor_penalty * 100.0);
        for (int l = 1; l <= 5; ++l) g.minimum[d][static_cast<std::size_t>(l)] = tidy_ratio(ff.values[static_cast<std::size_t>(l - 1)], x);
        errors = ff.errors;
      }
    }
    rep.trace.push_back({round, "floors", sweep, static_cast<double>(errors), static_cast<double>(errors), 0.0});
    if (errors == before) break;
  }
  return with_gates(current, g);
}

// ---------------------------------------------------------------------------------------------
// Reports

std::vector<parameter_change> parameters_of(const model& before, const model& after, fit_method m) {
  std::vector<parameter_change> out;
  if (m == fit_method::weights || m == fit_method::joint) {
    const auto wb = before.weights(), wa = after.weights();
    for (std::size_t j = 0; j < wb.size(); ++j) out.push_back({"weights." + before.leaf_ids()[j], wb[j], wa[j]});
  }
  const gates_of_model gb = gates_from(before), ga = gates_from(after);
  if (m == fit_method::cutoffs || m == fit_method::joint)
    for (int l = 5; l >= 1; --l)
      out.push_back({"grades." + level_name(l) + ".min_total", gb.min_total[static_cast<std::size_t>(l)], ga.min_total[static_cast<std::size_t>(l)]});
  if (m == fit_method::floors || m == fit_method::joint) {
    const auto& cm = before.compiled();
    for (int l = 5; l >= 1; --l) {
      out.push_back({"grades." + level_name(l) + ".min_dimension_ratio", gb.floor[static_cast<std::size_t>(l)], ga.floor[static_cast<std::size_t>(l)]});
      for (std::size_t d = 0; d < cm.dimensions.size(); ++d)
        if (!std::isnan(gb.minimum[d][static_cast<std::size_t>(l)]))
          out.push_back({"grades." + level_name(l) + ".dimension_minimums." + cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id,
                         gb.minimum[d][static_cast<std::size_t>(l)], ga.minimum[d][static_cast<std::size_t>(l)]});
    }
  }
  return out;
}

const char* objective_text(fit_method m) {
  switch (m) {
    case fit_method::weights:
      return "smoothed all-threshold ordinal loss: for every benchmark case and every grade threshold it must pass (fail), the "
             "squared shortfall of each gate's margin below delta (of the soft minimum of the gates' margins above -delta), on the "
             "unrounded totals and dimension points; averaged over the cases, plus lambda x squared change of points";
    case fit_method::cutoffs:
      return "all-threshold ordinal errors on the exact totals (levels on the wrong side of a cut-off) plus cutoff_penalty per "
             "point moved, minimised exactly by dynamic programming over the gaps between the benchmark totals; ties: nearest to the "
             "current cut-offs";
    case fit_method::floors:
      return "all-threshold ordinal errors on the exact dimension ratios plus floor_penalty per 0.01 moved, minimised exactly per "
             "family of floors (coordinate sweeps); ties: nearest to the current floors";
    case fit_method::joint:
      return "rounds of the weight fit (smoothed ordinal loss), the exact cut-off fit and the exact floor fit; the round with "
             "the fewest exact ordinal errors wins (earliest on ties)";
  }
  return "";
}

fit_result finish(const problem& p, const model& base, const model& fitted_raw, fit_method m, const fit_options& o, fit_report rep) {
  const std::string method = std::string("fit_") + to_string(m);
  rep.method = method;
  rep.objective = objective_text(m);
  rep.parent_fingerprint = base.fingerprint();
  rep.cases = p.cases.size();
  rep.excluded = p.excluded;
  rep.warnings.insert(rep.warnings.begin(), p.warnings.begin(), p.warnings.end());
  rep.before = compare(regrade(*p.s, base), p.bench);
  const ratings after = regrade(*p.s, fitted_raw);
  rep.after = compare(after, p.bench);
  rep.parameters = parameters_of(base, fitted_raw, m);
  std::string note = method + " on " + std::to_string(p.cases.size()) + " of " + std::to_string(p.bench.size()) +
                     " benchmark cases as of " + to_string(p.s->as_of()) + " (input " + p.s->input_hash().substr(0, 16) + "); " +
                     (m == fit_method::weights || m == fit_method::joint ? options_text(o) + "; " : "") + "exact agreement " +
                     fixed(rep.before.stats.exact, 3) + " -> " + fixed(rep.after.stats.exact, 3) + ", kappa " +
                     fixed(rep.before.stats.kappa, 3) + " -> " + fixed(rep.after.stats.kappa, 3) + " (in-sample)";
  model fitted = base.derive(fitted_raw.spec(), method, note, o.id, o.version, true);
  return {std::move(fitted), std::move(rep)};
}

fit_result run_fit(const problem& p, fit_method m, const fit_options& o) {
  const model& base = p.s->scoring_model();
  fit_report rep;
  rep.converged = true;
  switch (m) {
    case fit_method::weights: {
      const model fitted = fit_weights_step(p, base, base, o, 0, rep);
      return finish(p, base, fitted, m, o, std::move(rep));
    }
    case fit_method::cutoffs: {
      const model fitted = fit_cutoffs_step(p, base, o, 0, rep);
      return finish(p, base, fitted, m, o, std::move(rep));
    }
    case fit_method::floors: {
      const model fitted = fit_floors_step(p, base, o, 0, rep);
      return finish(p, base, fitted, m, o, std::move(rep));
    }
    case fit_method::joint: {
      if (o.rounds < 1) fail("rounds", "fit_joint: rounds must be >= 1");
      model current = base;
      model best = base;
      int best_errors = exact_errors(p, regrade(*p.s, base));
      rep.trace.push_back({0, "start", 0, static_cast<double>(best_errors), static_cast<double>(best_errors), 0.0});
      for (int round = 1; round <= o.rounds; ++round) {
        current = fit_weights_step(p, current, base, o, round, rep);
        current = fit_cutoffs_step(p, current, o, round, rep);
        current = fit_floors_step(p, current, o, round, rep);
        const int errors = exact_errors(p, regrade(*p.s, current));
        rep.trace.push_back({round, "exact", 0, static_cast<double>(errors), static_cast<double>(errors), 0.0});
        if (errors < best_errors) {
          best_errors = errors;
          best = current;
        } else {
          break;
        }
      }
      return finish(p, base, best, m, o, std::move(rep));
    }
  }
  fail("method", "unknown fit method");
}

}  // namespace

fit_result fit(const scored& s, const benchmark& b, fit_method method, const fit_options& o) {
  const problem p = make_problem(s, b);
  return run_fit(p, method, o);
}
fit_result fit_weights(const scored& s, const benchmark& b, const fit_options& o) { return fit(s, b, fit_method::weights, o); }
fit_result fit_cutoffs(const scored& s, const benchmark& b, const fit_options& o) { return fit(s, b, fit_method::cutoffs, o); }
fit_result fit_floors(const scored& s, const benchmark& b, const fit_options& o) { return fit(s, b, fit_method::floors, o); }
fit_result fit_joint(const scored& s, const benchmark& b, const fit_options& o) { return fit(s, b, fit_method::joint, o); }

// ---------------------------------------------------------------------------------------------
// Cross-validation

std::vector<int> assign_folds(const std::vector<int>& levels, int folds, std::uint64_t seed) {
  const std::size_t n = levels.size();
  std::vector<int> out(n, 0);
  if (folds == 0 || static_cast<std::size_t>(folds) == n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<int>(i);
    return out;
  }
  if (folds < 2 || static_cast<std::size_t>(folds) > n)
    fail("folds", "cross_validate: folds must be 0 (leave-one-out) or 2 … " + std::to_string(n) + " (the number of cases), got " + std::to_string(folds));
  std::mt19937_64 rng(seed);
  auto bounded = [&](std::uint64_t bound) {  // uniform in [0, bound): rejection, the same on every platform
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t x;
    do x = rng();
    while (x >= limit);
    return x % bound;
  };
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return levels[a] < levels[b]; });
  for (std::size_t start = 0; start < n;) {
    std::size_t end = start;
    while (end < n && levels[order[end]] == levels[order[start]]) ++end;
    for (std::size_t k = end - start; k > 1; --k) {  // Fisher–Yates within the level
      const std::size_t j = static_cast<std::size_t>(bounded(k));
      std::swap(order[start + k - 1], order[start + j]);
    }
    start = end;
  }
  for (std::size_t k = 0; k < n; ++k) out[order[k]] = static_cast<int>(k % static_cast<std::size_t>(folds));
  return out;
}

cv_result cross_validate(const scored& s, const benchmark& b, const cv_options& o) {
  cv_result out;
  out.method = to_string(o.method);
  const problem all = make_problem(s, b);
  std::vector<int> agreed;
  for (grade g : b.agreed) agreed.push_back(level(g));
  out.fold_of = assign_folds(agreed, o.folds, o.seed);
  out.folds = o.folds == 0 ? static_cast<int>(b.size()) : o.folds;
  out.scheme = o.folds == 0 || static_cast<std::size_t>(o.folds) == b.size()
                   ? std::string("leave-one-out")
                   : "stratified " + std::to_string(o.folds) + "-fold (seed " + std::to_string(o.seed) + ")";
  const model& base = s.scoring_model();
  out.current = compare(regrade(s, base), b);
  out.full = run_fit(all, o.method, o.fit);
  out.in_sample = out.full->report.after;
  std::vector<int> predicted(b.size(), not_graded);
  std::vector<std::vector<double>> values;  // per parameter: the folds' values
  values.resize(out.full->report.parameters.size());
  for (int f = 0; f < out.folds; ++f) {
    std::vector<std::size_t> train, test;
    for (std::size_t k = 0; k < b.size(); ++k) (out.fold_of[k] == f ? test : train).push_back(k);
    if (test.empty()) continue;
    const benchmark tb = b.subset(train);
    std::optional<fit_result> fr;
    try {
      fr = run_fit(make_problem(s, tb), o.method, o.fit);
    } catch (const data_error& e) {
      // a fold whose training cases are all excluded keeps the current model for its cases
      out.warnings.push_back("fold " + std::to_string(f) + ": " + e.message() + "; its cases are predicted by the current model");
    }
    const model& m = fr ? fr->fitted : base;
    const ratings r = regrade(s, m);
    for (std::size_t k : test) {
      const std::int64_t i = r.find(b.operator_ids[k]);
      predicted[k] = r.status[static_cast<std::size_t>(i)] == operator_status::active ? level(r.final_grade[static_cast<std::size_t>(i)]) : not_graded;
    }
    if (fr)
      for (std::size_t q = 0; q < values.size() && q < fr->report.parameters.size(); ++q) values[q].push_back(fr->report.parameters[q].after);
  }
  // the cross-validated predictions as a benchmark comparison (gates from the current model's ratings are not meaningful here)
  out.cross_validated.predicted = predicted;
  out.cross_validated.stats = agreement(predicted, agreed);
  for (std::size_t k = 0; k < b.size(); ++k) {
    if (predicted[k] == agreed[k]) continue;
    disagreement d;
    d.operator_id = b.operator_ids[k];
    d.agreed = agreed[k];
    d.predicted = predicted[k];
    d.by_score = not_graded;
    d.note = b.notes[k];
    d.why = "predicted by the fit without this case's fold";
    out.cross_validated.disagreements.push_back(std::move(d));
  }
  for (std::size_t q = 0; q < values.size(); ++q) {
    parameter_spread ps;
    ps.name = out.full->report.parameters[q].name;
    ps.current = out.full->report.parameters[q].before;
    ps.in_sample = out.full->report.parameters[q].after;
    if (!values[q].empty()) {
      ps.min = *std::min_element(values[q].begin(), values[q].end());
      ps.max = *std::max_element(values[q].begin(), values[q].end());
      ps.mean = std::accumulate(values[q].begin(), values[q].end(), 0.0) / static_cast<double>(values[q].size());
    } else {
      ps.min = ps.max = ps.mean = ps.current;
    }
    out.parameters.push_back(ps);
  }
  const auto& in = out.in_sample.stats;
  const auto& cv = out.cross_validated.stats;
  if (in.exact - cv.exact > o.divergence || in.kappa - cv.kappa > o.divergence)
    out.warnings.push_back("in-sample agreement overstates what the fit does on new cases: exact " + fixed(in.exact, 3) + " in-sample vs " +
                           fixed(cv.exact, 3) + " cross-validated, kappa " + fixed(in.kappa, 3) + " vs " + fixed(cv.kappa, 3) +
                           " (more than " + fixed(o.divergence, 2) + " apart): fit fewer parameters or pull harder toward the current model");
  if (cv.exact < out.current.stats.exact)
    out.warnings.push_back("the cross-validated exact agreement " + fixed(cv.exact, 3) + " is below the current model's " +
                           fixed(out.current.stats.exact, 3) + ": the fit does not generalise better than the model in force");
  return out;
}

}  // namespace embedrating::calibrate
