// The rating pipeline, column-wise over all operators (SPEC §3; docs/model-format.md for order).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/detail/kernels.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/version.hpp"

namespace embedrating {

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using mask = std::vector<std::uint8_t>;

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

class run {
 public:
  run(const model& m, const dataset& d, civil_date as_of)
      : m_(m), cm_(m.compiled()), s_(cm_.spec), d_(d), as_of_(as_of), n_(d.size()) {}

  ratings go(const rate_options& options);

 private:
  // ---- errors
  [[noreturn]] void data_fail(const std::string& field, std::size_t row, const std::string& msg) const {
    error_location w;
    w.file = d_.source_name();
    w.field = field;
    if (row != npos) w.operator_id = d_.operator_ids()[row];
    throw data_error(w, msg);
  }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // ---- inputs
  void collect_required(const condition& c, std::set<std::string>& missing);
  void require_field(const field_ref& f, std::set<std::string>& missing);
  void check_columns();
  void roll_up();
  void check_ranges();
  void derive_reviews();

  const std::vector<double>& numeric(const field_ref& f);
  const category_column* category(const std::string& name) const {
    const auto it = rolled_categories_.find(name);
    return it != rolled_categories_.end() ? &it->second : d_.category(name);
  }
  const std::vector<double>* raw_number(const std::string& name) const {
    const auto it = rolled_numbers_.find(name);
    return it != rolled_numbers_.end() ? &it->second : d_.number(name);
  }

  // ---- conditions
  mask eval(const condition& c);
  void compare_numeric(const condition& c, const std::vector<double>& x, mask& out) const;

  // ---- pipeline steps
  void score_leaves(ratings& r);
  void allocate_points(ratings& r);
  void grade(ratings& r);

  const model& m_;
  const detail::compiled_model& cm_;
  const model_spec& s_;
  const dataset& d_;
  civil_date as_of_;
  std::size_t n_;

  std::map<std::string, std::vector<double>> rolled_numbers_;
  std::map<std::string, category_column> rolled_categories_;
  std::map<std::string, std::vector<double>> cache_;  // derived numeric fields by field text
  std::vector<std::string> run_warnings_;
  const ratings* scored_ = nullptr;  // set once points are known: score.*, dim.*, total readable
  mask graded_;     // active and not vetoed: inputs must be complete
  mask vetoed_;
  mask low_volume_;
  Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic> na_;  // n × leaves
  std::vector<std::uint8_t> leaf_has_na_;
  std::vector<mask> rule_masks_;    // by rule index (empty if not evaluated)
  std::vector<std::pair<std::size_t, operator_warning>> warnings_;  // (row, warning)
};

// ---------------------------------------------------------------------------------------------
// Required columns

void run::require_field(const field_ref& f, std::set<std::string>& missing) {
  switch (f.kind) {
    case field_kind::raw: {
      const measure& me = s_.measures[static_cast<std::size_t>(cm_.measure_index.at(f.name))];
      const facility_table* fac = d_.facilities();
      const bool in_fac = fac && (me.kind == measure_kind::number ? fac->numbers.count(f.name) != 0
                                                                  : fac->categories.count(f.name) != 0);
      if (me.kind == measure_kind::number) {
        if (!d_.number(f.name) && !in_fac) {
          if (d_.category(f.name)) data_fail("raw." + f.name, npos, "must be a number column (the model declares it a number)");
          missing.insert("raw." + f.name);
        }
      } else if (!d_.category(f.name) && !in_fac) {
        if (d_.number(f.name)) data_fail("raw." + f.name, npos, "must be a category column (levels " + [&] {
            std::string l;
            for (const auto& x : me.levels) l += (l.empty() ? "" : ", ") + x;
            return l;
          }() + ")");
        missing.insert("raw." + f.name);
      }
      break;
    }
    case field_kind::flag:
      if (!d_.flag(f.name)) missing.insert("flag." + f.name);
      break;
    case field_kind::attr:
      if (f.name != "status" && !d_.attribute(f.name)) missing.insert("attr." + f.name);
      break;
    case field_kind::scenarios:
      if (!d_.has_scenarios()) missing.insert("scenarios");
      break;
    case field_kind::reviews:
      for (const char* c : review_input_columns)
        if (!d_.review_column(c)) missing.insert(std::string("reviews:") + c);
      break;
    case field_kind::months_since:
      if (!d_.date(f.name) && f.name.rfind("history.", 0) != 0) missing.insert("date " + f.name);
      break;
    case field_kind::score:
    case field_kind::dim:
    case field_kind::total:
    case field_kind::history_grade:
      break;
  }
}

void run::collect_required(const condition& c, std::set<std::string>& missing) {
  if (c.kind == condition::node_kind::compare) {
    require_field(c.field, missing);
    return;
  }
  for (const auto& ch : c.children) collect_required(ch, missing);
}

void run::check_columns() {
  std::set<std::string> missing;
  for (std::int32_t leaf : cm_.leaves) {
    const indicator_node& nd = s_.nodes[static_cast<std::size_t>(leaf)];
    require_field(*nd.input, missing);
    if (nd.missing.kind == missing_policy::kind_t::fallback) require_field(nd.missing.fallback_input, missing);
  }
  for (const auto& nd : s_.nodes)
    if (nd.not_applicable_if) collect_required(*nd.not_applicable_if, missing);
  for (const auto& g : s_.grades)
    for (const auto& p : g.prerequisites) collect_required(p.when, missing);
  for (const auto& r : s_.rules) {
    collect_required(r.when, missing);
    if (r.lapse.active() && !d_.date(r.lapse.date_field) && r.lapse.date_field.rfind("history.", 0) != 0)
      missing.insert("date " + r.lapse.date_field);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& x : missing) list += (list.empty() ? "" : ", ") + x;
    error_location w;
    w.file = d_.source_name();
    throw data_error(w, "missing required columns for model " + s_.info.id + ": " + list);
  }
  if (!d_.status()) run_warnings_.push_back("no status column: every operator is treated as active");
  if (!d_.has_history()) run_warnings_.push_back("no history columns: every operator is rated as a first rating");
}

// ---------------------------------------------------------------------------------------------
// Facility roll-up and range checks

void run::roll_up() {
  const facility_table* fac = d_.facilities();
  if (!fac) return;
  const std::size_t nf = fac->facility_ids.size();
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < n_; ++i) row_of.emplace(d_.operator_ids()[i], i);
  std::vector<std::size_t> owner(nf);
  for (std::size_t k = 0; k < nf; ++k) owner[k] = row_of.at(fac->operator_ids[k]);
  for (const measure& me : s_.measures) {
    if (me.kind == measure_kind::number) {
      const auto it = fac->numbers.find(me.id);
      if (it == fac->numbers.end()) continue;
      const std::vector<double>& x = it->second;
      std::vector<double> acc(n_, 0.0), wsum(n_, 0.0), cnt(n_, 0.0);
      std::vector<std::uint8_t> any_missing(n_, 0);
      const bool worst_min = me.dir == direction::benefit;
      for (std::size_t k = 0; k < nf; ++k) {
        const std::size_t i = owner[k];
        const double v = x[k];
        if (std::isnan(v)) {
          any_missing[i] = 1;
          continue;
        }
        // every site is range-checked, not only the rolled-up value (a bad site may not be the worst)
        if ((me.min && v < *me.min) || (me.max && v > *me.max))
          data_fail("facilities." + me.id, i,
                    "facility \"" + fac->facility_ids[k] + "\": value " + fmt(v) + " is outside the allowed range [" +
                        (me.min ? fmt(*me.min) : std::string("-inf")) + ", " + (me.max ? fmt(*me.max) : std::string("inf")) +
                        "] (" + me.unit + ")");
        const double w = fac->volume.empty() ? 1.0 : fac->volume[k];
        switch (me.rollup) {
          case rollup_kind::worst:
            acc[i] = cnt[i] == 0.0 ? v : (worst_min ? std::min(acc[i], v) : std::max(acc[i], v));
            break;
          case rollup_kind::mean:
          case rollup_kind::sum:
            acc[i] += v;
            break;
          case rollup_kind::volume_mean:
            acc[i] += w * v;
            wsum[i] += w;
            break;
        }
        cnt[i] += 1.0;
      }
      std::vector<double> out(n_, nan_v);
      for (std::size_t i = 0; i < n_; ++i) {
        if (any_missing[i] || cnt[i] == 0.0) continue;  // a missing site value, or no sites: missing
        switch (me.rollup) {
          case rollup_kind::worst:
          case rollup_kind::sum: out[i] = acc[i]; break;
          case rollup_kind::mean: out[i] = acc[i] / cnt[i]; break;
          case rollup_kind::volume_mean: out[i] = wsum[i] > 0.0 ? acc[i] / wsum[i] : nan_v; break;
        }
      }
      rolled_numbers_.emplace(me.id, std::move(out));
    } else {
      const auto it = fac->categories.find(me.id);
      if (it == fac->categories.end()) continue;
      category_column out;
      out.levels = me.levels;
      out.codes.assign(n_, -2);  // -2: no site yet
      for (std::size_t k = 0; k < nf; ++k) {
        const std::size_t i = owner[k];
        const std::string& v = it->second[k];
        std::int32_t code = -1;
        if (!v.empty()) {
          const auto pos = std::find(me.levels.begin(), me.levels.end(), v);
          if (pos == me.levels.end())
            data_fail("facilities." + me.id, i, "facility \"" + fac->facility_ids[k] + "\": \"" + v + "\" is not a level of " + me.id);
          code = static_cast<std::int32_t>(pos - me.levels.begin());
        }
        std::int32_t& cur = out.codes[i];
        if (cur == -1) continue;       // already missing
        if (code == -1) cur = -1;      // a missing site value makes the operator's value missing
        else cur = std::max(cur, code);  // levels are best first: the larger index is worse
      }
      for (auto& c : out.codes)
        if (c == -2) c = -1;
      rolled_categories_.emplace(me.id, std::move(out));
    }
  }
}

void run::check_ranges() {
  for (const measure& me : s_.measures) {
    if (me.kind == measure_kind::number) {
      const std::vector<double>* x = raw_number(me.id);
      if (!x || (!me.min && !me.max)) continue;
      const double lo = me.min.value_or(-std::numeric_limits<double>::infinity());
      const double hi = me.max.value_or(std::numeric_limits<double>::infinity());
      for (std::size_t i = 0; i < n_; ++i) {
        const double v = (*x)[i];
        if (v < lo || v > hi)
          data_fail("raw." + me.id, i, "value " + fmt(v) + " is outside the allowed range [" +
                                           (me.min ? fmt(*me.min) : std::string("-inf")) + ", " +
                                           (me.max ? fmt(*me.max) : std::string("inf")) + "] (" + me.unit + ")");
      }
    } else {
      const category_column* c = category(me.id);
      if (!c) continue;
      for (const std::string& level : c->levels) {
        if (std::find(me.levels.begin(), me.levels.end(), level) == me.levels.end()) {
          std::size_t row = 0;
          const auto code = static_cast<std::int32_t>(std::find(c->levels.begin(), c->levels.end(), level) - c->levels.begin());
          while (row < n_ && c->codes[row] != code) ++row;
          std::string allowed;
          for (const auto& l : me.levels) allowed += (allowed.empty() ? "" : ", ") + l;
          data_fail("raw." + me.id, row, "\"" + level + "\" is not a level of " + me.id + " (allowed: " + allowed + ")");
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Review measures (SPEC §4–§5): counts → index, rate, closure, shrunk toward the model's prior.

void run::derive_reviews() {
  if (!d_.review_column("stars_1")) return;
  const review_settings& rs = s_.reviews;
  const auto col = [&](const char* name) -> const std::vector<double>& { return *d_.review_column(name); };
  const auto& s1 = col("stars_1");
  const auto& s2 = col("stars_2");
  const auto& s3 = col("stars_3");
  const auto& s4 = col("stars_4");
  const auto& s5 = col("stars_5");
  const auto& open = col("bad_open");
  const auto& closed = col("bad_closed_in_time");
  const auto& overdue = col("bad_overdue");
  const auto& followed = col("bad_followed_up");
  std::vector<double> valid(n_), index(n_), rate(n_), raw_index(n_), raw_rate(n_), closure(n_), bad(n_), follow(n_);
  low_volume_.assign(n_, 0);
  const double m = rs.min_count;
  for (std::size_t i = 0; i < n_; ++i) {
    const double n = s1[i] + s2[i] + s3[i] + s4[i] + s5[i];
    valid[i] = n;
    bad[i] = s1[i] + s2[i];
    const double sum = rs.level_values[0] * s1[i] + rs.level_values[1] * s2[i] + rs.level_values[2] * s3[i] +
                       rs.level_values[3] * s4[i] + rs.level_values[4] * s5[i];
    raw_index[i] = n > 0 ? sum / n : nan_v;
    raw_rate[i] = n > 0 ? (s3[i] + s4[i] + s5[i]) / n : nan_v;
    if (n < m) {
      low_volume_[i] = 1;
      // top-up shrinkage: (n·x̄ + (m − n)·prior) / m
      index[i] = (sum + (m - n) * rs.prior_index) / m;
      rate[i] = ((s3[i] + s4[i] + s5[i]) + (m - n) * rs.prior_rate) / m;
    } else {
      index[i] = raw_index[i];
      rate[i] = raw_rate[i];
    }
    const double den = closed[i] + overdue[i];
    closure[i] = den > 0 ? closed[i] / den : rs.prior_closure;
    follow[i] = bad[i] > 0 ? std::min(1.0, followed[i] / bad[i]) : 1.0;
  }
  cache_["reviews.valid_n"] = std::move(valid);
  cache_["reviews.satisfaction_index"] = std::move(index);
  cache_["reviews.satisfaction_rate"] = std::move(rate);
  cache_["reviews.raw_satisfaction_index"] = std::move(raw_index);
  cache_["reviews.raw_satisfaction_rate"] = std::move(raw_rate);
  cache_["reviews.closure_rate"] = std::move(closure);
  cache_["reviews.bad_n"] = std::move(bad);
  cache_["reviews.followup_rate"] = std::move(follow);
  cache_["reviews.bad_open"] = open;
  cache_["reviews.bad_overdue"] = overdue;
  cache_["reviews.bad_closed_in_time"] = closed;
  cache_["reviews.bad_followed_up"] = followed;
}

// ---------------------------------------------------------------------------------------------
// Numeric field values (NaN = missing)

const std::vector<double>& run::numeric(const field_ref& f) {
  if (f.kind == field_kind::raw) {
    if (const auto* x = raw_number(f.name)) return *x;
  }
  const std::string key = f.text();
  const auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  std::vector<double> out(n_, nan_v);
  switch (f.kind) {
    case field_kind::flag: {
      const auto& x = *d_.flag(f.name);
      for (std::size_t i = 0; i < n_; ++i) out[i] = x[i];
      break;
    }
    case field_kind::scenarios: {
      const auto& off = d_.scenario_offsets();
      for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<double>(off[i + 1] - off[i]);
      break;
    }
    case field_kind::history_grade: {
      const auto& g = d_.previous_grade();
      if (!g.empty())
        for (std::size_t i = 0; i < n_; ++i) out[i] = g[i] < 0 ? nan_v : g[i];
      break;
    }
    case field_kind::months_since: {
      if (const auto* dates = d_.date(f.name))
        for (std::size_t i = 0; i < n_; ++i)
          out[i] = (*dates)[i].is_missing() ? nan_v : months_between((*dates)[i], as_of_);
      break;
    }
    case field_kind::total:
      if (scored_)
        for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<double>(scored_->total_centi[i]) / 100.0;
      break;
    case field_kind::score:
    case field_kind::dim:
      if (scored_) {
        const auto k = static_cast<Eigen::Index>(cm_.node_index.at(f.name));
        const auto& cn = cm_.nodes[static_cast<std::size_t>(k)];
        for (std::size_t i = 0; i < n_; ++i) {
          const auto row = static_cast<Eigen::Index>(i);
          if (cn.leaf >= 0 && f.kind == field_kind::score) {
            out[i] = scored_->indicator_score(row, cn.leaf);
          } else {
            const std::int64_t av = scored_->available_centi(row, k);
            out[i] = av > 0 ? static_cast<double>(scored_->node_centi(row, k)) / static_cast<double>(av) : nan_v;
          }
        }
      }
      break;
    default:
      break;
  }
  return cache_.emplace(key, std::move(out)).first->second;
}

// ---------------------------------------------------------------------------------------------
// Conditions, column-wise

bool cmp(compare_op op, double a, double b) {
  switch (op) {
    case compare_op::lt: return a < b;
    case compare_op::le: return a <= b;
    case compare_op::gt: return a > b;
    case compare_op::ge: return a >= b;
    case compare_op::eq: return a == b;
    case compare_op::ne: return a == a && a != b;  // missing (NaN) compares false
    default: return false;
  }
}

void run::compare_numeric(const condition& c, const std::vector<double>& x, mask& out) const {
  switch (c.op) {
    case compare_op::is_missing: {
      const bool want = c.numbers.empty() || c.numbers[0] != 0.0;
      for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<std::uint8_t>(std::isnan(x[i]) == want);
      return;
    }
    case compare_op::in:
      for (std::size_t i = 0; i < n_; ++i)
        out[i] = static_cast<std::uint8_t>(std::find(c.numbers.begin(), c.numbers.end(), x[i]) != c.numbers.end());
      return;
    default: {
      const double v = c.numbers.at(0);
      for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<std::uint8_t>(cmp(c.op, x[i], v));
    }
  }
}

mask run::eval(const condition& c) {
  mask out(n_, 0);
  switch (c.kind) {
    case condition::node_kind::all: {
      out.assign(n_, 1);
      for (const auto& ch : c.children) {
        const mask m = eval(ch);
        for (std::size_t i = 0; i < n_; ++i) out[i] &= m[i];
      }
      return out;
    }
    case condition::node_kind::any: {
      for (const auto& ch : c.children) {
        const mask m = eval(ch);
        for (std::size_t i = 0; i < n_; ++i) out[i] |= m[i];
      }
      return out;
    }
    case condition::node_kind::negate: {
      const mask m = eval(c.children.at(0));
      for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<std::uint8_t>(!m[i]);
      return out;
    }
    case condition::node_kind::compare:
      break;
  }
  const field_ref& f = c.field;
  // text-valued fields
  if (f.kind == field_kind::raw && c.string_values) {
    const category_column* col = category(f.name);
    std::vector<std::uint8_t> hit(col->levels.size(), 0);
    for (std::size_t k = 0; k < col->levels.size(); ++k)
      hit[k] = static_cast<std::uint8_t>(std::find(c.strings.begin(), c.strings.end(), col->levels[k]) != c.strings.end());
    const bool negate = c.op == compare_op::ne;
    for (std::size_t i = 0; i < n_; ++i) {
      const std::int32_t code = col->codes[i];
      out[i] = code < 0 ? 0 : static_cast<std::uint8_t>(negate ? !hit[static_cast<std::size_t>(code)] : hit[static_cast<std::size_t>(code)]);
    }
    return out;
  }
  if (f.kind == field_kind::raw && c.op == compare_op::is_missing && category(f.name) && !raw_number(f.name)) {
    const category_column* col = category(f.name);
    const bool want = c.numbers.empty() || c.numbers[0] != 0.0;
    for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<std::uint8_t>((col->codes[i] < 0) == want);
    return out;
  }
  if (f.kind == field_kind::attr) {
    std::vector<std::string> status_text;
    const std::vector<std::string>* col = d_.attribute(f.name);
    if (!col && f.name == "status") {
      status_text.resize(n_, "active");
      if (const auto* st = d_.status())
        for (std::size_t i = 0; i < n_; ++i) status_text[i] = to_string((*st)[i]);
      col = &status_text;
    }
    if (c.op == compare_op::is_missing) {
      const bool want = c.numbers.empty() || c.numbers[0] != 0.0;
      for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<std::uint8_t>((*col)[i].empty() == want);
      return out;
    }
    for (std::size_t i = 0; i < n_; ++i) {
      const std::string& v = (*col)[i];
      if (v.empty()) continue;
      const bool in = std::find(c.strings.begin(), c.strings.end(), v) != c.strings.end();
      out[i] = static_cast<std::uint8_t>(c.op == compare_op::ne ? !in : in);
    }
    return out;
  }
  if (f.kind == field_kind::scenarios && (c.op == compare_op::contains || c.op == compare_op::count_in)) {
    const auto& levels = d_.scenario_levels();
    std::vector<std::uint8_t> hit(levels.size(), 0);
    for (std::size_t k = 0; k < levels.size(); ++k)
      hit[k] = static_cast<std::uint8_t>(std::find(c.strings.begin(), c.strings.end(), levels[k]) != c.strings.end());
    const auto& off = d_.scenario_offsets();
    const auto& codes = d_.scenario_codes();
    for (std::size_t i = 0; i < n_; ++i) {
      double count = 0;
      for (std::uint32_t k = off[i]; k < off[i + 1]; ++k) count += hit[static_cast<std::size_t>(codes[k])];
      out[i] = static_cast<std::uint8_t>(c.op == compare_op::contains ? count > 0 : cmp(c.count_cmp, count, c.count_n));
    }
    return out;
  }
  compare_numeric(c, numeric(f), out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scoring

void run::score_leaves(ratings& r) {
  const std::size_t L = cm_.leaves.size();
  r.indicator_score.resize(static_cast<Eigen::Index>(n_), static_cast<Eigen::Index>(L));
  na_.setZero(static_cast<Eigen::Index>(n_), static_cast<Eigen::Index>(L));
  leaf_has_na_.assign(L, 0);
  // not applicable: a node's own condition and not_applicable rules, inherited by the leaves below
  std::vector<mask> node_na(s_.nodes.size());
  for (std::size_t k = 0; k < s_.nodes.size(); ++k)
    if (s_.nodes[k].not_applicable_if) node_na[k] = eval(*s_.nodes[k].not_applicable_if);
  for (std::uint32_t ri : cm_.not_applicable_rules) {
    const std::size_t target = static_cast<std::size_t>(cm_.node_index.at(s_.rules[ri].target));
    const mask& m = rule_masks_[ri];
    if (node_na[target].empty()) node_na[target] = m;
    else
      for (std::size_t i = 0; i < n_; ++i) node_na[target][i] |= m[i];
  }
  for (std::size_t j = 0; j < L; ++j) {
    for (std::int32_t node = cm_.leaves[j]; node >= 0; node = cm_.nodes[static_cast<std::size_t>(node)].parent) {
      const mask& m = node_na[static_cast<std::size_t>(node)];
      if (m.empty()) continue;
      for (std::size_t i = 0; i < n_; ++i)
        if (m[i]) {
          na_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = 1;
          leaf_has_na_[j] = 1;
        }
    }
  }

  std::vector<double> fallback(n_);
  for (std::size_t j = 0; j < L; ++j) {
    const indicator_node& nd = s_.nodes[static_cast<std::size_t>(cm_.leaves[j])];
    double* out = r.indicator_score.col(static_cast<Eigen::Index>(j)).data();
    auto score_field = [&](const field_ref& in, const scoring_function& f, double* dst) {
      if (f.kind == scoring_kind::categorical) {
        const category_column* col = category(in.name);
        std::vector<double> table(col->levels.size());
        for (std::size_t k = 0; k < col->levels.size(); ++k) table[k] = category_score(f, col->levels[k]);
        for (std::size_t i = 0; i < n_; ++i)
          dst[i] = col->codes[i] < 0 ? nan_v : table[static_cast<std::size_t>(col->codes[i])];
      } else {
        detail::score_column(f, numeric(in).data(), n_, dst);
      }
    };
    score_field(*nd.input, nd.scoring, out);
    bool fallback_done = false;
    for (std::size_t i = 0; i < n_; ++i) {
      if (na_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))) {
        out[i] = nan_v;
        continue;
      }
      if (!std::isnan(out[i])) continue;
      // missing input
      switch (nd.missing.kind) {
        case missing_policy::kind_t::error:
          if (graded_[i])
            data_fail(nd.input->text(), i, "indicator " + nd.id + ": input is missing (the model's missing policy is \"error\")");
          out[i] = 0.0;
          break;
        case missing_policy::kind_t::zero:
          out[i] = 0.0;
          warnings_.push_back({i, {operator_warning::kind_t::missing_zero, static_cast<std::uint32_t>(j)}});
          break;
        case missing_policy::kind_t::fixed:
          out[i] = nd.missing.score;
          warnings_.push_back({i, {operator_warning::kind_t::missing_fixed, static_cast<std::uint32_t>(j)}});
          break;
        case missing_policy::kind_t::fallback:
          if (!fallback_done) {
            score_field(nd.missing.fallback_input, nd.missing.fallback_scoring, fallback.data());
            fallback_done = true;
          }
          if (std::isnan(fallback[i])) {
            out[i] = 0.0;  // both inputs missing: zero, never more
            warnings_.push_back({i, {operator_warning::kind_t::missing_zero, static_cast<std::uint32_t>(j)}});
          } else {
            out[i] = fallback[i];
            warnings_.push_back({i, {operator_warning::kind_t::missing_fallback, static_cast<std::uint32_t>(j)}});
          }
          break;
      }
    }
  }
  // set_score overrides (after scoring, before points)
  for (std::uint32_t ri : cm_.set_score_rules) {
    const rule& ru = s_.rules[ri];
    const mask& m = rule_masks_[ri];
    const std::int32_t target = cm_.node_index.at(ru.target);
    for (std::size_t j = 0; j < L; ++j) {
      bool under = false;
      for (std::int32_t node = cm_.leaves[j]; node >= 0 && !under; node = cm_.nodes[static_cast<std::size_t>(node)].parent)
        under = node == target;
      if (!under) continue;
      double* out = r.indicator_score.col(static_cast<Eigen::Index>(j)).data();
      for (std::size_t i = 0; i < n_; ++i)
        if (m[i] && !std::isnan(out[i])) out[i] = ru.score;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Points: available points per node (re-allocated pro rata when something is not applicable,
// largest remainder in centi-points), earned points per leaf rounded to 0.01, sums upwards.

void run::allocate_points(ratings& r) {
  const std::size_t N = s_.nodes.size();
  const std::size_t L = cm_.leaves.size();
  const auto nn = static_cast<Eigen::Index>(n_);
  r.available_centi.resize(nn, static_cast<Eigen::Index>(N));
  r.node_centi.setZero(nn, static_cast<Eigen::Index>(N));
  // base allocation for every row
  for (std::size_t k = 0; k < N; ++k) r.available_centi.col(static_cast<Eigen::Index>(k)).setConstant(cm_.nodes[k].base_centi);

  bool any_na = false;
  for (std::size_t j = 0; j < L; ++j) any_na = any_na || leaf_has_na_[j];
  if (any_na) {
    std::vector<std::uint8_t> applicable(N);
    std::vector<std::int64_t> avail(N);
    std::vector<std::int64_t> rem(N);
    std::vector<std::int32_t> roots = cm_.dimensions;
    for (std::size_t i = 0; i < n_; ++i) {
      bool row_na = false;
      for (std::size_t j = 0; j < L && !row_na; ++j) row_na = na_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) != 0;
      if (!row_na) continue;
      // applicability bottom-up
      for (auto it = cm_.topo.rbegin(); it != cm_.topo.rend(); ++it) {
        const auto& cn = cm_.nodes[static_cast<std::size_t>(*it)];
        if (cn.leaf >= 0) {
          applicable[static_cast<std::size_t>(*it)] = !na_(static_cast<Eigen::Index>(i), cn.leaf);
        } else {
          std::uint8_t a = 0;
          for (std::int32_t c : cn.children) a |= applicable[static_cast<std::size_t>(c)];
          applicable[static_cast<std::size_t>(*it)] = a;
        }
      }
      // distribute `amount` over `kids` (applicable ones) pro rata to nominal points
      auto distribute = [&](std::int64_t amount, const std::vector<std::int32_t>& kids) {
        std::int64_t weight = 0;
        for (std::int32_t c : kids)
          if (applicable[static_cast<std::size_t>(c)]) weight += cm_.nodes[static_cast<std::size_t>(c)].points_centi;
        std::int64_t given = 0;
        for (std::int32_t c : kids) {
          const auto ci = static_cast<std::size_t>(c);
          if (!applicable[ci] || weight == 0) {
            avail[ci] = 0;
            rem[ci] = -1;
            continue;
          }
          const std::int64_t num = amount * cm_.nodes[ci].points_centi;
          avail[ci] = num / weight;
          rem[ci] = num % weight;
          given += avail[ci];
        }
        // the left-over centi-points go to the largest remainders, earlier siblings first on ties
        for (std::int64_t left = weight == 0 ? 0 : amount - given; left > 0; --left) {
          std::int32_t best = -1;
          for (std::int32_t c : kids)
            if (rem[static_cast<std::size_t>(c)] >= 0 && (best < 0 || rem[static_cast<std::size_t>(c)] > rem[static_cast<std::size_t>(best)]))
              best = c;
          avail[static_cast<std::size_t>(best)] += 1;
          rem[static_cast<std::size_t>(best)] = -1;
        }
      };
      distribute(cm_.total_centi, roots);
      for (std::int32_t node : cm_.topo) {
        const auto& cn = cm_.nodes[static_cast<std::size_t>(node)];
        if (!cn.children.empty()) distribute(avail[static_cast<std::size_t>(node)], cn.children);
      }
      for (std::size_t k = 0; k < N; ++k) r.available_centi(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = avail[k];
    }
  }
  // earned points per leaf, then sums bottom-up
  for (std::size_t j = 0; j < L; ++j) {
    const auto node = static_cast<Eigen::Index>(cm_.leaves[j]);
    const double* score = r.indicator_score.col(static_cast<Eigen::Index>(j)).data();
    std::int64_t* out = r.node_centi.col(node).data();
    if (!leaf_has_na_[j] && !any_na) {
      detail::points_column(score, cm_.nodes[static_cast<std::size_t>(node)].base_centi, n_, out);
    } else {
      const std::int64_t* av = r.available_centi.col(node).data();
      for (std::size_t i = 0; i < n_; ++i)
        out[i] = std::isnan(score[i]) ? 0 : static_cast<std::int64_t>(std::floor(score[i] * static_cast<double>(av[i]) + 0.5));
    }
  }
  for (auto it = cm_.topo.rbegin(); it != cm_.topo.rend(); ++it) {
    const auto& cn = cm_.nodes[static_cast<std::size_t>(*it)];
    if (cn.children.empty()) continue;
    std::int64_t* dst = r.node_centi.col(*it).data();
    for (std::int32_t c : cn.children) detail::add_column(r.node_centi.col(c).data(), n_, dst);
  }
  const std::size_t D = cm_.dimensions.size();
  r.dimension_centi.resize(nn, static_cast<Eigen::Index>(D));
  r.total_centi.assign(n_, 0);
  for (std::size_t d = 0; d < D; ++d) {
    r.dimension_centi.col(static_cast<Eigen::Index>(d)) = r.node_centi.col(cm_.dimensions[d]);
    detail::add_column(r.dimension_centi.col(static_cast<Eigen::Index>(d)).data(), n_, r.total_centi.data());
  }
  // score.*, dim.* and total are computed on demand by numeric() for the conditions that read them
  scored_ = &r;
}

// ---------------------------------------------------------------------------------------------
// Grades

void run::grade(ratings& r) {
  const std::size_t D = cm_.dimensions.size();
  r.grade_by_score.assign(n_, grade::unrated);
  r.final_grade.assign(n_, grade::unrated);
  r.prerequisites_failed.assign(n_ * grade_count, 0);
  // prerequisites, column-wise
  for (int l = 1; l <= 5; ++l) {
    const auto& list = cm_.prerequisites[static_cast<std::size_t>(l)];
    for (std::size_t k = 0; k < list.size() && k < 64; ++k) {
      const mask m = list[k].rule >= 0 ? rule_masks_[static_cast<std::size_t>(list[k].rule)] : eval(*list[k].when);
      for (std::size_t i = 0; i < n_; ++i)
        if (!m[i]) r.prerequisites_failed[i * grade_count + static_cast<std::size_t>(l)] |= (std::uint64_t{1} << k);
    }
  }
  std::array<std::int64_t, 6> min_total{};
  for (int l = 1; l <= 5; ++l)
    min_total[static_cast<std::size_t>(l)] = static_cast<std::int64_t>(
        std::llround(s_.grades[static_cast<std::size_t>(cm_.gate_index[static_cast<std::size_t>(l)])].min_total * 100.0));
  for (std::size_t i = 0; i < n_; ++i) {
    int best = 0;
    for (int l = 1; l <= 5; ++l) {
      const grade_gate& g = s_.grades[static_cast<std::size_t>(cm_.gate_index[static_cast<std::size_t>(l)])];
      bool ok = r.total_centi[i] >= min_total[static_cast<std::size_t>(l)];
      for (std::size_t d = 0; d < D && ok; ++d) {
        const std::int64_t av = r.available_centi(static_cast<Eigen::Index>(i), cm_.dimensions[d]);
        if (av <= 0) continue;
        ok = r.dimension_centi(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(d)) >= detail::required_centi(g.min_dimension_ratio, av);
      }
      for (const auto& [dim, ratio] : g.dimension_minimums) {
        if (!ok) break;
        const std::int32_t node = cm_.node_index.at(dim);
        const std::int64_t av = r.available_centi(static_cast<Eigen::Index>(i), node);
        if (av <= 0) continue;
        ok = r.node_centi(static_cast<Eigen::Index>(i), node) >= detail::required_centi(ratio, av);
      }
      ok = ok && r.prerequisites_failed[i * grade_count + static_cast<std::size_t>(l)] == 0;
      if (!ok) break;  // grades are cumulative
      best = l;
    }
    r.grade_by_score[i] = grade_from_level(best);
  }
}

// ---------------------------------------------------------------------------------------------

ratings run::go(const rate_options& options) {
  ratings r;
  r.rating_model = m_;
  r.as_of = as_of_;
  r.library_version = version_string;
  r.operator_ids = d_.operator_ids();
  if (as_of_.is_missing()) data_fail("as_of", npos, "an evaluation date is required");
  if ((!s_.info.effective_from.is_missing() && as_of_ < s_.info.effective_from) ||
      (!s_.info.effective_to.is_missing() && as_of_ > s_.info.effective_to))
    run_warnings_.push_back("as_of " + to_string(as_of_) + " is outside the effective period of model " + s_.info.id +
                            " (" + to_string(s_.info.effective_from) + " to " + to_string(s_.info.effective_to) + ")");

  check_columns();
  roll_up();
  check_ranges();
  derive_reviews();
  if (options.compute_input_hash) r.input_hash = d_.input_hash();

  // status
  r.status = d_.status() ? *d_.status() : std::vector<operator_status>(n_, operator_status::active);
  // rules that fire before scoring
  rule_masks_.assign(s_.rules.size(), {});
  for (std::uint32_t ri : cm_.veto_rules) rule_masks_[ri] = eval(s_.rules[ri].when);
  for (std::uint32_t ri : cm_.not_applicable_rules) rule_masks_[ri] = eval(s_.rules[ri].when);
  for (std::uint32_t ri : cm_.set_score_rules) rule_masks_[ri] = eval(s_.rules[ri].when);
  vetoed_.assign(n_, 0);
  r.terminate.assign(n_, 0);
  for (std::uint32_t ri : cm_.veto_rules)
    for (std::size_t i = 0; i < n_; ++i)
      if (rule_masks_[ri][i]) {
        vetoed_[i] = 1;
        if (s_.rules[ri].terminate) r.terminate[i] = 1;
      }
  graded_.assign(n_, 0);
  for (std::size_t i = 0; i < n_; ++i) graded_[i] = static_cast<std::uint8_t>(r.status[i] == operator_status::active && !vetoed_[i]);

  score_leaves(r);
  allocate_points(r);
  for (std::size_t ri = 0; ri < s_.rules.size(); ++ri)
    if (rule_masks_[ri].empty()) rule_masks_[ri] = eval(s_.rules[ri].when);
  grade(r);

  // caps, history, downgrades
  std::vector<int> ceiling(n_, 5), down(n_, 0);
  for (std::uint32_t ri : cm_.cap_rules)
    for (std::size_t i = 0; i < n_; ++i)
      if (rule_masks_[ri][i]) ceiling[i] = std::min(ceiling[i], level(s_.rules[ri].cap));
  for (std::uint32_t ri : cm_.downgrade_rules)
    for (std::size_t i = 0; i < n_; ++i)
      if (rule_masks_[ri][i]) down[i] += s_.rules[ri].levels;
  r.previous_grade = d_.has_history() ? d_.previous_grade() : std::vector<std::int8_t>(n_, no_grade);
  r.history_limit.assign(n_, grade::a5);
  r.history_lapses_on.assign(n_, civil_date::missing());
  const history_settings& hs = s_.history;
  const std::vector<civil_date>* last_down = d_.date("history.last_downgrade_on");
  for (std::size_t i = 0; i < n_; ++i) {
    int limit;
    const int prev = d_.has_history() ? d_.previous_grade()[i] : no_grade;
    if (prev < 0) {
      limit = level(hs.first_rating_max);
    } else {
      limit = prev + hs.max_rise;
      if (last_down && !(*last_down)[i].is_missing() &&
          months_between((*last_down)[i], as_of_) < hs.no_rise_months_after_downgrade) {
        limit = std::min(limit, prev);
        r.history_lapses_on[i] = add_months((*last_down)[i], hs.no_rise_months_after_downgrade);
      }
    }
    r.history_limit[i] = grade_from_level(limit);
    int g = std::min({level(r.grade_by_score[i]), ceiling[i], limit});
    g -= down[i];
    if (!graded_[i]) g = 0;
    r.final_grade[i] = grade_from_level(g);
    if (r.status[i] != operator_status::active) r.grade_by_score[i] = grade::unrated;
  }

  // fired rules (CSR, rule order) with lapse dates
  r.fired_offsets.assign(n_ + 1, 0);
  for (std::size_t ri = 0; ri < s_.rules.size(); ++ri) {
    if (s_.rules[ri].action == rule_action::prerequisite) continue;  // reported as gates
    for (std::size_t i = 0; i < n_; ++i) r.fired_offsets[i + 1] += rule_masks_[ri][i];
  }
  for (std::size_t i = 0; i < n_; ++i) r.fired_offsets[i + 1] += r.fired_offsets[i];
  r.fired.resize(r.fired_offsets[n_]);
  {
    std::vector<std::uint32_t> pos(r.fired_offsets.begin(), r.fired_offsets.end() - 1);
    for (std::size_t ri = 0; ri < s_.rules.size(); ++ri) {
      const rule& ru = s_.rules[ri];
      if (ru.action == rule_action::prerequisite) continue;
      const std::vector<civil_date>* dates = ru.lapse.active() ? d_.date(ru.lapse.date_field) : nullptr;
      for (std::size_t i = 0; i < n_; ++i) {
        if (!rule_masks_[ri][i]) continue;
        fired_rule fr;
        fr.rule = static_cast<std::uint32_t>(ri);
        if (dates && !(*dates)[i].is_missing()) fr.lapses_on = add_months((*dates)[i], ru.lapse.months);
        r.fired[pos[i]++] = fr;
        if (ru.action == rule_action::warn)
          warnings_.push_back({i, {operator_warning::kind_t::rule_warning, static_cast<std::uint32_t>(ri)}});
      }
    }
  }
  if (!low_volume_.empty())
    for (std::size_t i = 0; i < n_; ++i)
      if (low_volume_[i]) warnings_.push_back({i, {operator_warning::kind_t::low_review_volume, 0}});
  // warnings CSR (stable by row)
  std::stable_sort(warnings_.begin(), warnings_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  r.warning_offsets.assign(n_ + 1, 0);
  for (const auto& w : warnings_) ++r.warning_offsets[w.first + 1];
  for (std::size_t i = 0; i < n_; ++i) r.warning_offsets[i + 1] += r.warning_offsets[i];
  r.warnings.reserve(warnings_.size());
  for (const auto& w : warnings_) r.warnings.push_back(w.second);
  r.run_warnings = run_warnings_;
  return r;
}

}  // namespace

ratings rate(const model& m, const dataset& data, civil_date as_of, const rate_options& options) {
  run rr(m, data, as_of);
  return rr.go(options);
}

ratings rate_one(const model& m, const dataset& data, std::size_t row, civil_date as_of, const rate_options& options) {
  if (row >= data.size()) {
    error_location w;
    w.file = data.source_name();
    throw data_error(w, "rate_one: row " + std::to_string(row) + " is out of range (" + std::to_string(data.size()) + " operators)");
  }
  // A one-row dataset with the same columns.
  dataset one({data.operator_ids()[row]}, data.source_name());
  if (const auto* st = data.status()) one.set_status({(*st)[row]});
  for (const auto& [k, v] : data.numbers()) one.set_number(k, {v[row]}, nan_policy::missing);
  for (const auto& [k, v] : data.categories())
    one.set_category(k, {v.codes[row] < 0 ? std::string() : v.levels[static_cast<std::size_t>(v.codes[row])]});
  for (const auto& [k, v] : data.flags()) one.set_flag(k, {v[row]});
  for (const auto& [k, v] : data.attributes()) one.set_attribute(k, {v[row]});
  for (const auto& [k, v] : data.dates())
    if (k.rfind("history.", 0) != 0) one.set_date(k, {v[row]});
  for (const auto& [k, v] : data.review_columns()) one.set_review_column(k, {v[row]});
  if (data.has_scenarios()) {
    std::vector<std::string> sc;
    for (std::uint32_t k = data.scenario_offsets()[row]; k < data.scenario_offsets()[row + 1]; ++k)
      sc.push_back(data.scenario_levels()[static_cast<std::size_t>(data.scenario_codes()[k])]);
    one.set_scenarios({sc});
  }
  if (data.has_history()) {
    const std::int8_t g = data.previous_grade()[row];
    one.set_history({g < 0 ? std::nullopt : std::optional<grade>(grade_from_level(g))},
                    {(*data.date("history.previous_rated_on"))[row]}, {(*data.date("history.last_downgrade_on"))[row]});
  }
  if (const facility_table* f = data.facilities()) {
    facility_table sub;
    const auto& offsets = data.facility_offsets();
    for (std::uint32_t j = offsets[row]; j < offsets[row + 1]; ++j) {
      const std::size_t k = data.facility_index()[j];
      sub.facility_ids.push_back(f->facility_ids[k]);
      sub.operator_ids.push_back(f->operator_ids[k]);
      if (!f->volume.empty()) sub.volume.push_back(f->volume[k]);
      for (const auto& [name, col] : f->numbers) sub.numbers[name].push_back(col[k]);
      for (const auto& [name, col] : f->categories) sub.categories[name].push_back(col[k]);
    }
    for (const auto& [name, col] : f->numbers) sub.numbers.emplace(name, std::vector<double>{});
    for (const auto& [name, col] : f->categories) sub.categories.emplace(name, std::vector<std::string>{});
    one.set_facilities(std::move(sub));
  }
  return rate(m, one, as_of, options);
}

}  // namespace embedrating
