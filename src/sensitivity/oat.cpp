// One-at-a-time swings (include/embedrating/sensitivity.hpp; docs/sensitivity.md): each leaf weight,
// dimension total and cut-off moved by ±δ alone, the other weights renormalised, graded with exact
// totals through regrade_many's exact path (every total and grade equals rate() of the variant).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/sensitivity.hpp"

namespace embedrating::sensitivity {

namespace {

[[noreturn]] void fail(const char* field, const std::string& what) {
  error_location w;
  w.field = field;
  throw data_error(w, "one_at_a_time: " + what);
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// Per worker: the population summary of each variant (integers: the same sums in any order).
struct summary_acc {
  std::vector<std::uint64_t> up, down;
  std::vector<std::int64_t> sum, sum_abs, max_abs;  // centi-points
};

}  // namespace

const char* to_string(parameter_kind k) noexcept {
  switch (k) {
    case parameter_kind::weight: return "weight";
    case parameter_kind::dimension: return "dimension";
    case parameter_kind::cutoff: break;
  }
  return "cutoff";
}

oat_result one_at_a_time(const scored& s, const oat_options& o) {
  if (!(o.delta > 0.0 && o.delta < 1.0)) fail("delta", "delta must be in (0, 1) (a relative change), got " + num(o.delta));
  if (!(o.cutoff_delta > 0.0) || !std::isfinite(o.cutoff_delta))
    fail("cutoff_delta", "cutoff_delta must be finite and > 0 points, got " + num(o.cutoff_delta));
  if (o.threads < 1) fail("threads", "threads must be >= 1, got " + std::to_string(o.threads));
  if (!o.weights && !o.dimensions && !o.cutoffs) fail("parameters", "nothing to swing (weights, dimensions and cutoffs are all off)");
  if (!s.state()) throw std::logic_error("one_at_a_time: empty scored data (use score())");
  const model& m = s.scoring_model();
  const auto& cm = m.compiled();
  const std::size_t N = s.size(), L = cm.leaves.size(), D = cm.dimensions.size();
  const std::vector<double> w = m.weights();
  std::array<double, 5> cut{};
  for (int l = 1; l < grade_count; ++l)
    cut[static_cast<std::size_t>(l - 1)] = cm.spec.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])].min_total;

  oat_result res;
  res.options = o;
  res.operator_ids = s.operator_ids();
  {
    const ratings now = regrade(s, m);
    res.grade.resize(N);
    res.total.resize(N);
    res.active.resize(N);
    for (std::size_t i = 0; i < N; ++i) {
      res.grade[i] = static_cast<std::int8_t>(level(now.final_grade[i]));
      res.total[i] = now.total(i);
      res.active[i] = now.status[i] == operator_status::active ? 1 : 0;
    }
  }
  std::vector<std::int32_t> base_total(N);
  for (std::size_t i = 0; i < N; ++i) base_total[i] = static_cast<std::int32_t>(std::llround(res.total[i] * 100.0));

  // the variants: weights (rows sum to 1) and cut-offs
  std::vector<std::vector<double>> rows;
  std::vector<std::array<double, 5>> cuts;
  auto add = [&](parameter_kind kind, const std::string& id, int sign, double base, double value, std::vector<double> weights,
                 const std::array<double, 5>& c) {
    oat_variant v;
    v.kind = kind;
    v.id = id;
    v.sign = sign;
    v.base = base;
    v.value = value;
    res.variants.push_back(v);
    rows.push_back(std::move(weights));
    cuts.push_back(c);
  };
  std::vector<std::size_t> leaf_dim(L);
  for (std::size_t j = 0; j < L; ++j) leaf_dim[j] = static_cast<std::size_t>(cm.nodes[static_cast<std::size_t>(cm.leaves[j])].dimension);
  if (o.weights)
    for (std::size_t j = 0; j < L; ++j)
      for (int sign : {-1, 1}) {
        std::vector<double> v = w;
        const double target = w[j] * (1.0 + sign * o.delta);
        if (w[j] > 0.0 && w[j] < 1.0) {
          const double rest = (1.0 - target) / (1.0 - w[j]);
          for (std::size_t k = 0; k < L; ++k) v[k] = k == j ? target : w[k] * rest;
        }
        const double value = v[j];  // before v is moved into the call
        add(parameter_kind::weight, cm.leaf_ids[j], sign, w[j], value, std::move(v), cut);
      }
  if (o.dimensions)
    for (std::size_t d = 0; d < D; ++d) {
      double wd = 0;
      for (std::size_t j = 0; j < L; ++j)
        if (leaf_dim[j] == d) wd += w[j];
      for (int sign : {-1, 1}) {
        std::vector<double> v = w;
        const double target = std::min(1.0, wd * (1.0 + sign * o.delta));
        double value = wd;
        if (wd > 0.0 && wd < 1.0) {
          const double in = target / wd, out = (1.0 - target) / (1.0 - wd);
          for (std::size_t j = 0; j < L; ++j) v[j] = w[j] * (leaf_dim[j] == d ? in : out);
          value = target;
        }
        add(parameter_kind::dimension, cm.spec.nodes[static_cast<std::size_t>(cm.dimensions[d])].id, sign, wd, value,
            std::move(v), cut);
      }
    }
  if (o.cutoffs)
    for (std::size_t g = 0; g < 5; ++g)
      for (int sign : {-1, 1}) {
        std::array<double, 5> c = cut;
        const double below = g == 0 ? 0.0 : cut[g - 1];
        const double above = g == 4 ? std::numeric_limits<double>::infinity() : cut[g + 1];
        c[g] = std::clamp(cut[g] + sign * o.cutoff_delta, below, above);
        add(parameter_kind::cutoff, std::string(to_string(grade_from_level(static_cast<int>(g) + 1))), sign, cut[g], c[g], w, c);
      }

  const std::size_t V = res.variants.size();
  regrade_batch batch;
  batch.weights.resize(static_cast<Eigen::Index>(V), static_cast<Eigen::Index>(L));
  batch.min_totals.resize(static_cast<Eigen::Index>(V), 5);
  for (std::size_t k = 0; k < V; ++k) {
    double sum = 0;
    for (double x : rows[k]) sum += x;
    for (std::size_t j = 0; j < L; ++j) batch.weights(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)) = rows[k][j] / sum;
    for (std::size_t g = 0; g < 5; ++g) batch.min_totals(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(g)) = cuts[k][g];
  }
  if (o.per_operator) {
    res.total_change.resize(static_cast<Eigen::Index>(V), static_cast<Eigen::Index>(N));
    res.grade_change.resize(static_cast<Eigen::Index>(V), static_cast<Eigen::Index>(N));
  }
  std::vector<summary_acc> acc(static_cast<std::size_t>(o.threads));
  for (auto& a : acc) {
    a.up.assign(V, 0);
    a.down.assign(V, 0);
    a.sum.assign(V, 0);
    a.sum_abs.assign(V, 0);
    a.max_abs.assign(V, 0);
  }
  regrade_many_options ro;
  ro.totals = true;
  ro.threads = o.threads;
  regrade_many(s, batch, ro, [&](const regrade_tile& t) {
    summary_acc& a = acc[static_cast<std::size_t>(t.worker)];
    for (std::size_t k = t.k0; k < t.k1; ++k) {
      const std::int8_t* g = t.grades + (k - t.k0) * t.stride;
      const std::int32_t* tt = t.totals + (k - t.k0) * t.stride;
      for (std::size_t r = 0; r < t.count; ++r) {
        const std::uint32_t i = t.rows[r];
        const std::int32_t dt = tt[r] - base_total[i];
        const auto dg = static_cast<std::int8_t>(g[r] - res.grade[i]);
        if (o.per_operator) {
          res.total_change(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(i)) = dt;
          res.grade_change(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(i)) = dg;
        }
        if (!res.active[i]) continue;
        if (dg > 0) ++a.up[k];
        if (dg < 0) ++a.down[k];
        a.sum[k] += dt;
        a.sum_abs[k] += std::abs(dt);
        a.max_abs[k] = std::max<std::int64_t>(a.max_abs[k], std::abs(dt));
      }
    }
  });
  std::size_t active = 0;
  for (auto x : res.active) active += x;
  for (std::size_t k = 0; k < V; ++k) {
    oat_variant& v = res.variants[k];
    std::int64_t sum = 0, sum_abs = 0, max_abs = 0;
    for (const auto& a : acc) {
      v.moved_up += a.up[k];
      v.moved_down += a.down[k];
      sum += a.sum[k];
      sum_abs += a.sum_abs[k];
      max_abs = std::max(max_abs, a.max_abs[k]);
    }
    const double n = active > 0 ? static_cast<double>(active) : 1.0;
    v.mean_change = static_cast<double>(sum) / 100.0 / n;
    v.mean_abs_change = static_cast<double>(sum_abs) / 100.0 / n;
    v.max_abs_change = static_cast<double>(max_abs) / 100.0;
  }
  return res;
}

oat_result one_at_a_time(const model& m, const dataset& data, civil_date as_of, const oat_options& options) {
  score_options so;
  so.compute_input_hash = false;
  return one_at_a_time(score(m, data, as_of, so), options);
}

}  // namespace embedrating::sensitivity
