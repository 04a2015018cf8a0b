// regrade_many: K weight vectors over the scored operators, in tiles (scored.hpp).
//
// Operators are grouped by not-applicable pattern (each pattern has its own allocation of points
// per variant) and cut into tiles that fit the L2 cache with their leaf scores. For each tile the
// kernel (src/kernels/regrade_kernels.cpp) computes every variant's dimension points as sums of
// score × available points with FMAs — without the per-leaf rounding — and grades them against
// the variant's thresholds widened by a margin that covers the rounding (half a centi-point per
// leaf). Where the margin leaves the grade open, the exact sum of rounded leaf points decides, so
// every grade equals regrade() of that variant. Tiles are independent: any number of threads gives
// the same grades.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "embedrating/detail/kernels.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/scored.hpp"
#include "stages.hpp"

namespace embedrating {

namespace {

using namespace detail;
using embedrating::regrade_tile;

[[noreturn]] void batch_fail(const std::string& field, const std::string& msg) {
  error_location w;
  w.field = field;
  throw model_error(w, "regrade_many: " + msg);
}

std::string num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// Node centi-points of a weight vector, exactly as model::with_weights sets them.
std::vector<std::int64_t> node_points_of_weights(const compiled_model& cm, const double* w, std::size_t stride) {
  const double total = static_cast<double>(cm.total_centi) / 100.0;
  std::vector<std::int64_t> pts(cm.nodes.size(), 0);
  for (std::size_t j = 0; j < cm.leaves.size(); ++j) {
    const double points = static_cast<double>(std::llround(w[j * stride] * total * 100.0)) / 100.0;
    pts[static_cast<std::size_t>(cm.leaves[j])] = std::llround(points * 100.0);
  }
  for (auto it = cm.topo.rbegin(); it != cm.topo.rend(); ++it) {
    const auto& cn = cm.nodes[static_cast<std::size_t>(*it)];
    if (cn.children.empty()) continue;
    std::int64_t sum = 0;
    for (std::int32_t c : cn.children) sum += pts[static_cast<std::size_t>(c)];
    pts[static_cast<std::size_t>(*it)] = sum;
  }
  return pts;
}

void validate(const compiled_model& cm, const regrade_batch& b) {
  const auto L = static_cast<Eigen::Index>(cm.leaves.size());
  if (b.weights.rows() == 0) batch_fail("weights", "no variants (weights has 0 rows)");
  if (b.weights.cols() != L)
    batch_fail("weights", "weights has " + std::to_string(b.weights.cols()) + " columns, the model has " +
                              std::to_string(L) + " leaf indicators (" + cm.leaf_ids.front() + " … " + cm.leaf_ids.back() + ")");
  for (Eigen::Index k = 0; k < b.weights.rows(); ++k) {
    double sum = 0.0;
    for (Eigen::Index j = 0; j < L; ++j) {
      const double w = b.weights(k, j);
      if (!std::isfinite(w) || w < 0.0)
        batch_fail("weights[" + std::to_string(k) + "]." + cm.leaf_ids[static_cast<std::size_t>(j)],
                   "weight of " + cm.leaf_ids[static_cast<std::size_t>(j)] + " in variant " + std::to_string(k) +
                       " must be finite and >= 0, got " + num(w));
      sum += w;
    }
    if (std::abs(sum - 1.0) > 1e-9)
      batch_fail("weights[" + std::to_string(k) + "]",
                 "the weights of variant " + std::to_string(k) + " sum to " + num(sum) +
                     ", not 1 (give global weights, points ÷ the model's total, so the total stays the same)");
  }
  if (b.min_totals.size() == 0) return;
  if (b.min_totals.rows() != b.weights.rows() || b.min_totals.cols() != 5)
    batch_fail("min_totals", "min_totals must be " + std::to_string(b.weights.rows()) + " × 5 (1A … 5A), got " +
                                 std::to_string(b.min_totals.rows()) + " × " + std::to_string(b.min_totals.cols()));
  for (Eigen::Index k = 0; k < b.min_totals.rows(); ++k)
    for (Eigen::Index l = 0; l < 5; ++l) {
      const double t = b.min_totals(k, l);
      if (!std::isfinite(t) || t < 0.0)
        batch_fail("min_totals[" + std::to_string(k) + "]", "cut-off of " + std::to_string(l + 1) + "A in variant " +
                                                                std::to_string(k) + " must be finite and >= 0, got " + num(t));
      if (l > 0 && t < b.min_totals(k, l - 1))
        batch_fail("min_totals[" + std::to_string(k) + "]", "cut-offs of variant " + std::to_string(k) +
                                                                " must not decrease with the grade (" + num(t) + " < " +
                                                                num(b.min_totals(k, l - 1)) + ")");
    }
}

/// The exact final grade of one operator of a tile under one variant.
std::int8_t exact_grade(const point_plan& plan, std::uint32_t p, const double* tile_scores, std::size_t T, std::size_t i,
                        std::int64_t cap, std::int64_t down, std::int64_t* dims, std::int64_t& total) {
  const std::size_t D = plan.dims, L = plan.leaves;
  std::fill(dims, dims + D, 0);
  for (std::size_t j = 0; j < L; ++j) {
    const double s = tile_scores[j * T + i];  // not applicable: 0 (and 0 points available)
    dims[plan.leaf_dimension[j]] += static_cast<std::int64_t>(std::floor(s * plan.leaf_available[p * L + j] + 0.5));
  }
  total = 0;
  for (std::size_t d = 0; d < D; ++d) total += dims[d];
  if (cap < 0) return 0;
  const std::int64_t* req = plan.required.data() + static_cast<std::size_t>(p) * grade_count * D;
  int lvl = 0;
  for (int l = 1; l < grade_count; ++l) {
    bool ok = total >= plan.min_total[static_cast<std::size_t>(l)];
    for (std::size_t d = 0; d < D; ++d) ok &= dims[d] >= req[static_cast<std::size_t>(l) * D + d];
    lvl += ok ? 1 : 0;
  }
  return static_cast<std::int8_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(lvl, cap) - down));
}

/// With rules that compare points, each variant is a model re-graded in full.
void regrade_each(const scored& sc, const regrade_batch& batch, const regrade_many_options& options,
                  const std::function<void(const regrade_tile&)>& sink) {
  const model& base = sc.scoring_model();
  const auto& ids = base.leaf_ids();
  const std::size_t n = sc.size();
  std::vector<std::uint32_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i);
  std::vector<std::int8_t> g(n);
  std::vector<std::int32_t> t(n);
  for (Eigen::Index k = 0; k < batch.weights.rows(); ++k) {
    std::vector<std::pair<std::string, double>> w;
    for (std::size_t j = 0; j < ids.size(); ++j) w.emplace_back(ids[j], batch.weights(k, static_cast<Eigen::Index>(j)));
    model v = base.with_weights(w);
    if (batch.min_totals.size() != 0) {
      std::vector<std::pair<grade, double>> cut;
      for (int l = 1; l <= 5; ++l) cut.emplace_back(grade_from_level(l), batch.min_totals(k, l - 1));
      v = v.with_cutoffs(cut);
    }
    const ratings r = regrade(sc, v);
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = static_cast<std::int8_t>(level(r.final_grade[i]));
      t[i] = r.total_centi[i];
    }
    regrade_tile tile;
    tile.k0 = static_cast<std::size_t>(k);
    tile.k1 = tile.k0 + 1;
    tile.count = n;
    tile.stride = n;
    tile.rows = rows.data();
    tile.grades = g.data();
    tile.totals = options.totals ? t.data() : nullptr;
    sink(tile);
  }
}

}  // namespace

void regrade_many(const scored& sc, const regrade_batch& batch, const regrade_many_options& options,
                  const std::function<void(const regrade_tile&)>& sink) {
  if (!sc.state()) throw std::logic_error("regrade_many: empty scored data (use score())");
  const scored_state& S = *sc.state();
  const model& base = *S.scoring_model;
  const compiled_model& cm = base.compiled();
  validate(cm, batch);
  if (options.threads < 1) batch_fail("threads", "threads must be >= 1, got " + std::to_string(options.threads));
  if (S.has_point_rules) {
    regrade_each(sc, batch, options, sink);
    return;
  }
  const std::size_t K = static_cast<std::size_t>(batch.weights.rows());
  const std::size_t n = S.n, L = cm.leaves.size(), D = cm.dimensions.size();
  const std::size_t P = S.patterns.applicable.size();

  // one point plan per variant (allocation per pattern and thresholds)
  std::array<double, grade_count> base_totals{};
  for (int l = 1; l < grade_count; ++l)
    base_totals[static_cast<std::size_t>(l)] = cm.spec.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])].min_total;
  std::vector<point_plan> plans;
  plans.reserve(K);
  for (std::size_t k = 0; k < K; ++k) {
    std::array<double, grade_count> totals = base_totals;
    if (batch.min_totals.size() != 0)
      for (int l = 1; l < grade_count; ++l)
        totals[static_cast<std::size_t>(l)] = batch.min_totals(static_cast<Eigen::Index>(k), l - 1);
    plans.push_back(make_point_plan(cm, node_points_of_weights(cm, batch.weights.data() + k, static_cast<std::size_t>(batch.weights.rows())),
                                    totals, S.patterns));
  }
  const bool fast = !options.totals && D <= regrade_tile_max_dims;

  // per pattern: available points (variants padded to a multiple of 4) and widened thresholds
  const std::size_t Kpad = (K + 3) / 4 * 4;
  std::vector<std::vector<double>> avail(P), thresholds(P);
  std::vector<std::size_t> leaf_begin(D + 1, 0);
  for (std::size_t j = 0; j < L; ++j) leaf_begin[static_cast<std::size_t>(plans[0].leaf_dimension[j]) + 1] = j + 1;
  for (std::size_t d = 1; d <= D; ++d) leaf_begin[d] = std::max(leaf_begin[d], leaf_begin[d - 1]);
  if (fast) {
    for (std::size_t p = 0; p < P; ++p) {
      avail[p].assign(Kpad * L, 0.0);
      const std::size_t C = D + 1, stride = 6 * C + 8 * C;
      thresholds[p].assign(K * stride, 0.0);
      std::vector<double> margin(D, 1e-4);
      for (std::size_t j = 0; j < L; ++j)
        if (S.patterns.applicable[p][j]) margin[static_cast<std::size_t>(plans[0].leaf_dimension[j])] += 0.5;
      double margin_total = 0.0;
      for (double m : margin) margin_total += m;
      constexpr double inf = std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < K; ++k) {
        const point_plan& pl = plans[k];
        std::copy_n(pl.leaf_available.begin() + static_cast<std::ptrdiff_t>(p * L), L, avail[p].begin() + static_cast<std::ptrdiff_t>(k * L));
        double* lo = thresholds[p].data() + k * stride;
        double* hi = lo + 6 * C;
        for (std::size_t c = 0; c < C; ++c) {
          hi[8 * c + 0] = -inf;  // level 0 always passes
          hi[8 * c + 6] = hi[8 * c + 7] = inf;
        }
        for (std::size_t l = 1; l < static_cast<std::size_t>(grade_count); ++l) {
          const auto mt = static_cast<double>(pl.min_total[l]);
          lo[l * C] = mt + margin_total;
          hi[l] = mt - margin_total;
          for (std::size_t d = 0; d < D; ++d) {
            const std::int64_t req = pl.required[(p * grade_count + l) * D + d];
            const bool none = req == std::numeric_limits<std::int64_t>::min();
            lo[l * C + 1 + d] = none ? -inf : static_cast<double>(req) + margin[d];
            hi[8 * (1 + d) + l] = none ? -inf : static_cast<double>(req) - margin[d];
          }
        }
      }
    }
  }

  // operators grouped by pattern, cut into tiles
  std::vector<std::uint32_t> order(n);
  {
    std::vector<std::size_t> start(P + 1, 0);
    for (std::size_t i = 0; i < n; ++i) ++start[S.patterns.of_row[i] + 1];
    for (std::size_t p = 0; p < P; ++p) start[p + 1] += start[p];
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) order[next[S.patterns.of_row[i]]++] = static_cast<std::uint32_t>(i);
  }
  std::size_t T = options.tile_rows;
  if (T == 0) T = std::clamp<std::size_t>((256 * 1024) / (8 * std::max<std::size_t>(L, 1)), 32, 4096);
  T = (T + 31) / 32 * 32;
  struct tile_ref {
    std::size_t begin, count;
    std::uint32_t pattern;
  };
  std::vector<tile_ref> tiles;
  for (std::size_t b = 0; b < n;) {
    const std::uint32_t p = S.patterns.of_row[order[b]];
    std::size_t e = b;
    while (e < n && e - b < T && S.patterns.of_row[order[e]] == p) ++e;
    tiles.push_back({b, e - b, p});
    b = e;
  }

  std::atomic<std::size_t> next_tile{0};
  std::exception_ptr failure;
  std::mutex failure_mu;
  auto work = [&](int worker) {
    try {
      std::vector<double> tile_scores(L * T);
      std::vector<std::int64_t> cap(T), down(T);
      std::vector<std::int8_t> grades(K * T);
      std::vector<std::int32_t> totals(options.totals ? K * T : 0);
      std::vector<std::int64_t> dims(D);
      for (std::size_t t = next_tile++; t < tiles.size(); t = next_tile++) {
        const tile_ref& tr = tiles[t];
        const std::uint32_t* rows = order.data() + tr.begin;
        std::fill(tile_scores.begin(), tile_scores.end(), 0.0);
        for (std::size_t j = 0; j < L; ++j) {
          const double* col = S.leaf_scores.col(static_cast<Eigen::Index>(j)).data();
          double* dst = tile_scores.data() + j * T;
          for (std::size_t r = 0; r < tr.count; ++r) {
            const double v = col[rows[r]];
            dst[r] = v == v ? v : 0.0;
          }
        }
        for (std::size_t r = 0; r < T; ++r) {
          if (r < tr.count) {
            const std::uint32_t i = rows[r];
            cap[r] = S.graded.test(i) ? std::min<std::int64_t>(S.prerequisite_level[i], S.ceiling[i]) : -1;
            down[r] = S.down[i];
          } else {
            cap[r] = -1;
            down[r] = 0;
          }
        }
        if (fast) {
          regrade_tile_args a;
          a.rows = T;
          a.leaves = L;
          a.dims = D;
          a.variants = K;
          a.leaf_begin = leaf_begin.data();
          a.scores = tile_scores.data();
          a.available = avail[tr.pattern].data();
          a.thresholds = thresholds[tr.pattern].data();
          a.cap = cap.data();
          a.down = down.data();
          a.grades = grades.data();
          run_regrade_tile(a);
          for (std::size_t k = 0; k < K; ++k) {
            std::int8_t* g = grades.data() + k * T;
            for (std::size_t r = 0; r < tr.count; ++r)
              if (g[r] < 0) {
                std::int64_t total = 0;
                g[r] = exact_grade(plans[k], tr.pattern, tile_scores.data(), T, r, cap[r], down[r], dims.data(), total);
              }
          }
        } else {
          for (std::size_t k = 0; k < K; ++k)
            for (std::size_t r = 0; r < tr.count; ++r) {
              std::int64_t total = 0;
              grades[k * T + r] = exact_grade(plans[k], tr.pattern, tile_scores.data(), T, r, cap[r], down[r], dims.data(), total);
              if (options.totals) totals[k * T + r] = static_cast<std::int32_t>(total);
            }
        }
        regrade_tile out;
        out.k0 = 0;
        out.k1 = K;
        out.count = tr.count;
        out.stride = T;
        out.rows = rows;
        out.grades = grades.data();
        out.totals = options.totals ? totals.data() : nullptr;
        out.worker = worker;
        sink(out);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mu);
      if (!failure) failure = std::current_exception();
      next_tile = tiles.size();
    }
  };
  const int threads = std::min<int>(options.threads, static_cast<int>(std::max<std::size_t>(tiles.size(), 1)));
  if (threads <= 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w) pool.emplace_back(work, w);
    for (auto& th : pool) th.join();
  }
  if (failure) std::rethrow_exception(failure);
}

regrade_many_result regrade_many(const scored& sc, const regrade_batch& batch, const regrade_many_options& options) {
  regrade_many_result out;
  const std::size_t n = sc.size();
  const auto K = batch.weights.rows();
  out.grades.resize(K, static_cast<Eigen::Index>(n));
  if (options.totals) out.totals.resize(K, static_cast<Eigen::Index>(n));
  regrade_many(sc, batch, options, [&](const regrade_tile& t) {
    for (std::size_t k = t.k0; k < t.k1; ++k)
      for (std::size_t r = 0; r < t.count; ++r) {
        out.grades(static_cast<Eigen::Index>(k), t.rows[r]) = t.grades[(k - t.k0) * t.stride + r];
        if (t.totals) out.totals(static_cast<Eigen::Index>(k), t.rows[r]) = t.totals[(k - t.k0) * t.stride + r];
      }
  });
  return out;
}

}  // namespace embedrating
