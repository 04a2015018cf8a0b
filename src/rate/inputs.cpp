// Stage: the operators' inputs — required columns, range checks, and the field source that
// conditions and leaves read (numeric views made on first use).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "embedrating/detail/kernels.hpp"
#include "embedrating/errors.hpp"
#include "stages.hpp"

namespace embedrating::detail {

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

[[noreturn]] void data_fail(const dataset& d, const std::string& field, const std::string* operator_id,
                            const std::string& msg) {
  error_location w;
  w.file = d.source_name();
  w.field = field;
  if (operator_id != nullptr) w.operator_id = *operator_id;
  throw data_error(w, msg);
}

std::string levels_text(const std::vector<std::string>& levels) {
  std::string l;
  for (const auto& x : levels) l += (l.empty() ? "" : ", ") + x;
  return l;
}

class column_check {
 public:
  column_check(const compiled_model& cm, const dataset& d) : cm_(cm), d_(d) {}

  void field(const field_ref& f) {
    const model_spec& s = cm_.spec;
    switch (f.kind) {
      case field_kind::raw: {
        const measure& me = s.measures[static_cast<std::size_t>(cm_.measure_index.at(f.name))];
        const facility_table* fac = d_.facilities();
        const bool in_fac = fac && (me.kind == measure_kind::number ? fac->numbers.count(f.name) != 0
                                                                    : fac->categories.count(f.name) != 0);
        if (me.kind == measure_kind::number) {
          if (!d_.number(f.name) && !in_fac) {
            if (d_.category(f.name))
              data_fail(d_, "raw." + f.name, nullptr, "must be a number column (the model declares it a number)");
            missing.insert("raw." + f.name);
          }
        } else if (!d_.category(f.name) && !in_fac) {
          if (d_.number(f.name))
            data_fail(d_, "raw." + f.name, nullptr, "must be a category column (levels " + levels_text(me.levels) + ")");
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

  void cond(const condition& c) {
    if (c.kind == condition::node_kind::compare) {
      field(c.field);
      return;
    }
    for (const auto& ch : c.children) cond(ch);
  }

  std::set<std::string> missing;

 private:
  const compiled_model& cm_;
  const dataset& d_;
};

}  // namespace

void check_columns(const compiled_model& cm, const dataset& d, std::vector<std::string>& run_warnings) {
  const model_spec& s = cm.spec;
  column_check check(cm, d);
  for (std::int32_t leaf : cm.leaves) {
    const indicator_node& nd = s.nodes[static_cast<std::size_t>(leaf)];
    check.field(*nd.input);
    if (nd.missing.kind == missing_policy::kind_t::fallback) check.field(nd.missing.fallback_input);
  }
  for (const auto& nd : s.nodes)
    if (nd.not_applicable_if) check.cond(*nd.not_applicable_if);
  for (const auto& g : s.grades)
    for (const auto& p : g.prerequisites) check.cond(p.when);
  for (const auto& r : s.rules) {
    check.cond(r.when);
    if (r.lapse.active() && !d.date(r.lapse.date_field) && r.lapse.date_field.rfind("history.", 0) != 0)
      check.missing.insert("date " + r.lapse.date_field);
  }
  if (!check.missing.empty()) {
    error_location w;
    w.file = d.source_name();
    throw data_error(w, "missing required columns for model " + s.info.id + ": " + levels_text({check.missing.begin(), check.missing.end()}) +
                            " (read by the model" + (s.info.file.empty() ? std::string() : " " + s.info.file) +
                            ": add them to the data, or correct the model if a name is misspelt)");
  }
  if (!d.status()) run_warnings.push_back("no status column: every operator is treated as active");
  if (!d.has_history()) run_warnings.push_back("no history columns: every operator is rated as a first rating");
}

// ---------------------------------------------------------------------------------------------

operator_inputs::operator_inputs(const compiled_model& cm, const dataset& d, civil_date as_of, std::size_t begin,
                                 std::size_t n)
    : cm_(cm), d_(d), as_of_(as_of), begin_(begin), n_(n) {
  roll_up(cm, d, begin, n, rolled_);
}

const double* operator_inputs::raw_number(const std::string& name) const {
  const auto it = rolled_.numbers.find(name);
  if (it != rolled_.numbers.end()) return it->second.data();
  const auto* x = d_.number(name);
  return x ? x->data() + begin_ : nullptr;
}

category_view operator_inputs::category(const std::string& name) {
  const auto it = rolled_.categories.find(name);
  if (it != rolled_.categories.end()) return {it->second.codes.data(), &it->second.levels};
  const category_column* c = d_.category(name);
  if (c == nullptr) return {};
  return {c->codes.data() + begin_, &c->levels};
}

const std::string* operator_inputs::attribute(const std::string& name) {
  if (const auto* a = d_.attribute(name)) return a->data() + begin_;
  if (name != "status") return nullptr;
  if (status_text_.empty()) {
    status_text_.assign(n_, "active");
    if (const auto* st = d_.status())
      for (std::size_t i = 0; i < n_; ++i) status_text_[i] = to_string((*st)[begin_ + i]);
  }
  return status_text_.data();
}

set_view operator_inputs::scenarios() {
  static const std::vector<std::string> none;
  if (!d_.has_scenarios()) {
    if (scenario_offsets_.empty()) scenario_offsets_.assign(n_ + 1, 0);
    return {scenario_offsets_.data(), nullptr, &none};
  }
  return {d_.scenario_offsets().data() + begin_, d_.scenario_codes().data(), &d_.scenario_levels()};
}

const std::uint8_t* operator_inputs::flag(const std::string& name) {
  const auto* x = d_.flag(name);
  return x ? x->data() + begin_ : nullptr;
}

const civil_date* operator_inputs::date(const std::string& name) {
  const auto* x = d_.date(name);
  return x ? x->data() + begin_ : nullptr;
}

const std::uint64_t* operator_inputs::scenario_bits() {
  if (!d_.has_scenarios() || d_.scenario_bits().empty()) return nullptr;
  return d_.scenario_bits().data() + begin_;
}

const double* operator_inputs::numeric(const field_ref& f) {
  if (f.kind == field_kind::raw)
    if (const double* x = raw_number(f.name)) return x;
  if (f.kind == field_kind::reviews && review_counts_[0] != nullptr) {
    for (std::size_t k = 0; k < 4; ++k)  // the outcome counts are read in place
      if (f.name == review_input_columns[5 + k]) return review_counts_[5 + k];
    auto it = reviews_.columns.find(f.name);
    if (it == reviews_.columns.end()) {
      std::vector<double> col;
      if (review_measure(cm_.spec.reviews, review_counts_, n_, f.name, col))
        it = reviews_.columns.emplace(f.name, std::move(col)).first;
    }
    if (it != reviews_.columns.end()) return it->second.data();
  }
  if (f.kind == field_kind::score && scores_ != nullptr) {
    const auto it = cm_.node_index.find(f.name);
    if (it != cm_.node_index.end() && cm_.nodes[static_cast<std::size_t>(it->second)].leaf >= 0)
      return scores_ + static_cast<std::size_t>(cm_.nodes[static_cast<std::size_t>(it->second)].leaf) * n_;
  }
  const std::string key = f.text();
  const auto it = derived_.find(key);
  if (it != derived_.end()) return it->second.data();
  std::vector<double> out(n_, nan_v);
  switch (f.kind) {
    case field_kind::flag:
      if (const auto* x = d_.flag(f.name))
        for (std::size_t i = 0; i < n_; ++i) out[i] = (*x)[begin_ + i];
      break;
    case field_kind::scenarios: {
      const set_view s = scenarios();
      if (f.name.empty()) {
        for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<double>(s.offsets[i + 1] - s.offsets[i]);
        break;
      }
      // scenarios.<set>: only the codes of the model's named set count (issue 17: the Art. 3 scenes)
      std::vector<std::uint8_t> in_set(s.levels->size(), 0);
      for (const auto& set : cm_.spec.scenario_sets)
        if (set.id == f.name)
          for (std::size_t k = 0; k < in_set.size(); ++k)
            in_set[k] = static_cast<std::uint8_t>(std::find(set.codes.begin(), set.codes.end(), (*s.levels)[k]) != set.codes.end());
      for (std::size_t i = 0; i < n_; ++i) {
        std::size_t count = 0;
        for (std::uint32_t k = s.offsets[i]; k < s.offsets[i + 1]; ++k) count += in_set[static_cast<std::size_t>(s.codes[k])];
        out[i] = static_cast<double>(count);
      }
      break;
    }
    case field_kind::history_grade:
      if (d_.has_history()) {
        const auto& g = d_.previous_grade();
        for (std::size_t i = 0; i < n_; ++i) out[i] = g[begin_ + i] < 0 ? nan_v : g[begin_ + i];
      }
      break;
    case field_kind::months_since:
      if (const auto* dates = d_.date(f.name))
        for (std::size_t i = 0; i < n_; ++i) {
          const civil_date dt = (*dates)[begin_ + i];
          out[i] = dt.is_missing() ? nan_v : months_between(dt, as_of_);
        }
      break;
    default:  // score.*, dim.*, total are not inputs; an absent column reads as missing
      break;
  }
  return derived_.emplace(key, std::move(out)).first->second.data();
}

void operator_inputs::check_ranges() const {
  for (const measure& me : cm_.spec.measures) {
    if (me.kind == measure_kind::number) {
      const double* x = raw_number(me.id);
      if (!x || (!me.min && !me.max)) continue;
      const double lo = me.min.value_or(-std::numeric_limits<double>::infinity());
      const double hi = me.max.value_or(std::numeric_limits<double>::infinity());
      if (count_outside(x, n_, lo, hi) == 0) continue;  // the row is looked for only when one is out
      for (std::size_t i = 0; i < n_; ++i)
        if (x[i] < lo || x[i] > hi)
          data_fail(d_, "raw." + me.id, &d_.operator_ids()[begin_ + i],
                    "value " + fmt(x[i]) + " is outside the allowed range [" + (me.min ? fmt(*me.min) : std::string("-inf")) +
                        ", " + (me.max ? fmt(*me.max) : std::string("inf")) + "] (" + me.unit + ")");
    } else {
      const auto rolled = rolled_.categories.find(me.id);
      if (rolled != rolled_.categories.end()) continue;  // rolled-up levels were checked per site
      const category_column* c = d_.category(me.id);
      if (!c) continue;
      std::vector<std::uint8_t> known(c->levels.size());
      bool all_known = true;
      for (std::size_t k = 0; k < c->levels.size(); ++k) {
        known[k] = std::find(me.levels.begin(), me.levels.end(), c->levels[k]) != me.levels.end();
        all_known = all_known && known[k];
      }
      if (all_known) continue;
      for (std::size_t i = 0; i < n_; ++i) {
        const std::int32_t code = c->codes[begin_ + i];
        if (code >= 0 && !known[static_cast<std::size_t>(code)])
          data_fail(d_, "raw." + me.id, &d_.operator_ids()[begin_ + i],
                    "\"" + c->levels[static_cast<std::size_t>(code)] + "\" is not a level of " + me.id +
                        " (allowed: " + levels_text(me.levels) + ")");
      }
    }
  }
}

void operator_inputs::derive_reviews() {
  if (!d_.review_column("stars_1")) return;
  for (std::size_t k = 0; k < 9; ++k) review_counts_[k] = d_.review_column(review_input_columns[k])->data() + begin_;
  low_review_volume(cm_.spec.reviews, review_counts_, n_, reviews_.low_volume);
}

}  // namespace embedrating::detail
