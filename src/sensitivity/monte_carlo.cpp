// Monte Carlo over weights (include/embedrating/sensitivity.hpp; docs/sensitivity.md).
//
// Grades come from regrade_many tiles (the engine's exact grades of every draw); this file folds
// each tile into per-operator accumulators as it arrives: counts per grade (N × 6), per-draw
// counts per grade (K × 6, per worker) and, with quantiles, each operator's totals binned into a
// histogram window around its mean (N × (bins + 2) 16-bit counters). Totals are computed here, per
// tile, from the leaf scores and the points each leaf can earn in each draw (the same allocation
// as regrade_many, without the 0.01 rounding of each leaf's points). Nothing is K × N.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "embedrating/errors.hpp"
#include "embedrating/sensitivity.hpp"
#include "../rate/stages.hpp"
#include "sensitivity_internal.hpp"

namespace embedrating::sensitivity {

namespace detail {

namespace {

using embedrating::detail::allocate;  // src/rate/points.cpp: the one re-allocation of not-applicable points
using embedrating::detail::compiled_model;

}  // namespace

void points_per_pattern(const compiled_model& cm, const double* w, std::size_t stride,
                        const std::vector<std::vector<std::uint8_t>>& pattern_leaves, double* out) {
  // node points of the weights, as regrade_many and model::with_weights set them
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
  std::int64_t sum_dims = 0;
  for (std::int32_t d : cm.dimensions) sum_dims += pts[static_cast<std::size_t>(d)];
  const std::size_t L = cm.leaves.size();
  for (std::size_t q = 0; q < pattern_leaves.size(); ++q) {
    const std::vector<std::int64_t> a = q == 0 ? pts : allocate(cm, pts, sum_dims, pattern_leaves[q]);
    for (std::size_t j = 0; j < L; ++j) out[q * L + j] = static_cast<double>(a[static_cast<std::size_t>(cm.leaves[j])]);
  }
}

}  // namespace detail

namespace {

std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }

/// numpy's default (type 7) quantile of sorted values.
double quantile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

/// The population rows of a result from its per-draw counts, current grades and interval: the
/// one place they are computed (a run, and runs over draw ranges put together).
void summarize_population(monte_carlo_result& res) {
  const std::size_t K = res.draws();
  res.population = {};
  for (std::size_t i = 0; i < res.size(); ++i)
    if (res.active[i]) res.population[static_cast<std::size_t>(res.grade[i])].current += 1;
  std::vector<double> column(K);
  for (std::size_t v = 0; v < 6; ++v) {
    const double shift = v == 0 ? static_cast<double>(res.not_graded) : 0.0;
    double sum = 0;
    for (std::size_t k = 0; k < K; ++k) {
      column[k] = static_cast<double>(res.per_draw(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(v))) - shift;
      sum += column[k];
    }
    std::sort(column.begin(), column.end());
    population_grade& pg = res.population[v];
    pg.expected = sum / static_cast<double>(K);
    pg.low = quantile_sorted(column, (1.0 - res.options.interval) / 2.0);
    pg.high = quantile_sorted(column, (1.0 + res.options.interval) / 2.0);
  }
}

template <class Matrix>
Matrix stack_rows(const std::vector<monte_carlo_result>& parts, Matrix monte_carlo_result::*field) {
  Eigen::Index rows = 0;
  for (const auto& p : parts) rows += (p.*field).rows();
  Matrix out(rows, (parts.front().*field).cols());
  Eigen::Index at = 0;
  for (const auto& p : parts) {
    out.middleRows(at, (p.*field).rows()) = p.*field;
    at += (p.*field).rows();
  }
  return out;
}

/// Per worker: the buffers one tile needs (grown to the largest tile seen).
struct worker_scratch {
  std::vector<std::uint16_t> counts;       // 6 × stride
  std::vector<std::uint64_t> per_draw;     // K × 6
  std::vector<double> scores;              // leaves × stride
  std::vector<double> offset, inv_width, mn, mx;
  std::vector<std::uint16_t*> hist;
  std::vector<double> weights4;            // 4 × leaves
  std::vector<std::uint32_t> bucket_start, bucket_rows;
  std::vector<std::uint16_t> dummy;        // the histogram row of padding rows (never read)
  std::size_t bytes() const {
    return counts.capacity() * 2 + scores.capacity() * 8 +  // per_draw: with the accumulators
           (offset.capacity() + inv_width.capacity() + mn.capacity() + mx.capacity()) * 8 + hist.capacity() * sizeof(void*) +
           weights4.capacity() * 8 + (bucket_start.capacity() + bucket_rows.capacity()) * 4 + dummy.capacity() * 2;
  }
};

template <class T>
void grow(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

monte_carlo_result monte_carlo(const scored& s, const monte_carlo_options& options) {
  detail::check_options(options);
  if (!s.state()) throw std::logic_error("monte_carlo: empty scored data (use score())");
  const model& m = s.scoring_model();
  const embedrating::detail::compiled_model& cm = m.compiled();
  const std::size_t N = s.size(), L = cm.leaves.size(), K = options.draws;
  const auto& pattern_leaves = s.pattern_leaves();
  const std::vector<std::uint32_t>& of_row = s.patterns();
  const std::size_t P = pattern_leaves.size();
  const bool with_totals = !options.quantiles.empty();
  const std::size_t B = options.bins, HB = B + 2;

  monte_carlo_result res;
  res.options = options;
  res.options.progress = nullptr;
  res.model_fingerprint = m.fingerprint();
  res.as_of = s.as_of();
  res.operator_ids = s.operator_ids();
  res.leaf_ids = m.leaf_ids();
  res.model_weights = m.weights();

  // the current grades and totals: the model itself
  {
    const ratings now = regrade(s, m);
    res.grade.resize(N);
    res.total.resize(N);
    res.active.resize(N);
    for (std::size_t i = 0; i < N; ++i) {
      res.grade[i] = static_cast<std::int8_t>(level(now.final_grade[i]));
      res.total[i] = now.total(i);
      res.active[i] = now.status[i] == operator_status::active ? 1 : 0;
      if (!res.active[i]) ++res.not_graded;
    }
  }

  // the draws
  const std::size_t k_first = static_cast<std::size_t>(options.first_draw);
  res.weights = draw_weights(res.model_weights, options, k_first, k_first + K);
  const bool jitter = options.cutoff_jitter > 0.0;
  if (jitter) {
    std::array<double, 5> base{};
    for (int l = 1; l < grade_count; ++l)
      base[static_cast<std::size_t>(l - 1)] =
          cm.spec.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])].min_total;
    res.cutoffs = draw_cutoffs(base, options, k_first, k_first + K);
  }

  // points per pattern and draw, their mean and covariance over the draws, and each operator's
  // histogram window (mean ± window_sd × sd, bins no finer than the resolution)
  std::vector<double> avail, lo, inv_width, offset, tmin, tmax, width;
  std::vector<std::uint16_t> hist;
  std::size_t moment_bytes = 0;
  if (with_totals) {
    avail.assign(P * K * L, 0.0);
    std::vector<double> tmp(P * L);
    for (std::size_t k = 0; k < K; ++k) {
      detail::points_per_pattern(cm, res.weights.data() + k, K, pattern_leaves, tmp.data());
      for (std::size_t p = 0; p < P; ++p)
        std::copy_n(tmp.data() + p * L, L, avail.data() + (p * K + k) * L);
    }
    std::vector<double> mean_pts(P * L, 0.0), cov(P * L * L, 0.0);
    for (std::size_t p = 0; p < P; ++p) {
      double* mu = mean_pts.data() + p * L;
      for (std::size_t k = 0; k < K; ++k)
        for (std::size_t j = 0; j < L; ++j) mu[j] += avail[(p * K + k) * L + j];
      for (std::size_t j = 0; j < L; ++j) mu[j] /= static_cast<double>(K);
      double* c = cov.data() + p * L * L;
      for (std::size_t k = 0; k < K; ++k) {
        const double* a = avail.data() + (p * K + k) * L;
        for (std::size_t j = 0; j < L; ++j)
          for (std::size_t l = 0; l < L; ++l) c[j * L + l] += (a[j] - mu[j]) * (a[l] - mu[l]);
      }
      for (std::size_t q = 0; q < L * L; ++q) c[q] /= static_cast<double>(K);
    }
    res.total_mean.assign(N, 0.0);
    res.total_sd.assign(N, 0.0);
    std::vector<double> var(N);
    // operators grouped by pattern, in blocks: leaf scores gathered leaf-major
    std::vector<std::uint32_t> order(N);
    for (std::size_t i = 0; i < N; ++i) order[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return of_row[x] < of_row[y]; });
    const leaf_score_matrix scores = s.leaf_scores();
    constexpr std::size_t block = 1024;
    std::vector<double> sb(L * block), mb(block), vb(block);
    moment_bytes = (sb.size() + mb.size() + vb.size()) * 8 + cov.size() * 8 + mean_pts.size() * 8 + order.size() * 4;
    for (std::size_t b = 0; b < N;) {
      const std::uint32_t p = of_row[order[b]];
      std::size_t e = b;
      while (e < N && e - b < block && of_row[order[e]] == p) ++e;
      const std::size_t n = e - b;
      for (std::size_t j = 0; j < L; ++j) {
        const double* col = scores.col(static_cast<Eigen::Index>(j)).data();
        for (std::size_t r = 0; r < n; ++r) {
          const double v = col[order[b + r]];
          sb[j * block + r] = v == v ? v : 0.0;
        }
      }
      detail::moments_args ma;
      ma.rows = n;
      ma.stride = block;
      ma.leaves = L;
      ma.scores = sb.data();
      ma.mean_points = mean_pts.data() + p * L;
      ma.covariance = cov.data() + p * L * L;
      ma.mean = mb.data();
      ma.var = vb.data();
      detail::run_moments(ma);
      for (std::size_t r = 0; r < n; ++r) {
        res.total_mean[order[b + r]] = mb[r];
        var[order[b + r]] = vb[r];
      }
      b = e;
    }
    lo.resize(N);
    inv_width.resize(N);
    offset.resize(N);
    width.resize(N);
    const double finest = options.resolution * 100.0;  // centi-points
    for (std::size_t i = 0; i < N; ++i) {
      const double sd = std::sqrt(var[i]);
      res.total_sd[i] = sd / 100.0;
      const double h = std::max(finest, 2.0 * options.window_sd * sd / static_cast<double>(B));
      width[i] = h;
      lo[i] = res.total_mean[i] - static_cast<double>(B / 2) * h;
      inv_width[i] = 1.0 / h;
      offset[i] = 1.0 - lo[i] * inv_width[i];
    }
    tmin.assign(N, std::numeric_limits<double>::infinity());
    tmax.assign(N, -std::numeric_limits<double>::infinity());
    hist.assign(N * HB, 0);
  }

  // the run: chunks of draws through regrade_many, each tile folded in as it arrives
  Eigen::Matrix<std::uint32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> counts(static_cast<Eigen::Index>(N), grade_count);
  counts.setZero();
  const auto threads = static_cast<std::size_t>(options.threads);
  std::vector<worker_scratch> scratch(threads);
  for (auto& w : scratch) {
    w.per_draw.assign(K * 6, 0);
    w.dummy.assign(HB, 0);
  }
  std::mutex mu;  // only for tiles that hold part of a chunk's variants (none in this engine version)
  const leaf_score_matrix scores = s.leaf_scores();
  const std::size_t chunk = std::min(options.chunk, K);
  // regrade_many runs its kernel over whole tiles (padding included) and cuts tiles per
  // not-applicable pattern: for a few hundred operators its default tile (sized to the L2 cache)
  // would be mostly padding, so small datasets get tiles of about N / 8 operators
  const std::size_t default_tile = round_up(std::clamp<std::size_t>((256 * 1024) / (8 * std::max<std::size_t>(L, 1)), 32, 4096), 32);
  const std::size_t tile_rows =
      options.tile_rows != 0 ? options.tile_rows : std::min(default_tile, round_up(std::max<std::size_t>(N / 8, 32), 32));
  std::size_t engine_bytes = 0;
  {
    const std::size_t T = round_up(tile_rows, 32);
    const std::size_t D = cm.dimensions.size(), nodes = cm.nodes.size();
    // per worker: tile scores, caps and downs, grades, and per variant its point plan, available points and thresholds
    engine_bytes = threads * (L * T * 8 + 2 * T * 8 + chunk * T + D * 8) + N * 4 +
                   chunk * (P * (nodes * 8 + L * 8 + grade_count * D * 8) + nodes * 8 + 64) +
                   P * (round_up(chunk, 4) * L * 8 + chunk * 14 * (D + 1) * 8);
  }

  for (std::size_t c0 = 0; c0 < K; c0 += chunk) {
    const std::size_t kc = std::min(chunk, K - c0);
    regrade_batch batch;
    batch.weights = res.weights.middleRows(static_cast<Eigen::Index>(c0), static_cast<Eigen::Index>(kc));
    if (jitter) batch.min_totals = res.cutoffs.middleRows(static_cast<Eigen::Index>(c0), static_cast<Eigen::Index>(kc));
    regrade_many_options ro;
    ro.threads = options.threads;
    ro.tile_rows = tile_rows;
    regrade_many(s, batch, ro, [&](const regrade_tile& t) {
      worker_scratch& w = scratch[static_cast<std::size_t>(t.worker)];
      const bool whole = t.k0 == 0 && t.k1 == kc;
      std::unique_lock<std::mutex> lock(mu, std::defer_lock);
      if (!whole) lock.lock();
      const std::size_t kv = t.k1 - t.k0;
      // grades: counts per operator and per draw
      grow(w.counts, 6 * t.stride);
      std::fill_n(w.counts.begin(), 6 * t.stride, std::uint16_t{0});
      detail::count_tile_args ca;
      ca.rows = t.count;
      ca.stride = t.stride;
      ca.variants = kv;
      ca.grades = t.grades;
      ca.counts = w.counts.data();
      ca.per_draw = w.per_draw.data() + (c0 + t.k0) * 6;
      detail::run_count_tile(ca);
      for (std::size_t r = 0; r < t.count; ++r) {
        std::uint32_t* c = counts.data() + static_cast<std::size_t>(t.rows[r]) * grade_count;
        for (std::size_t v = 0; v < 6; ++v) c[v] += w.counts[v * t.stride + r];
      }
      if (!with_totals) return;
      // totals: the tile's rows by pattern (one pattern per tile in regrade_many's fast path)
      grow(w.bucket_start, P + 1);
      std::fill_n(w.bucket_start.begin(), P + 1, 0u);
      for (std::size_t r = 0; r < t.count; ++r) ++w.bucket_start[of_row[t.rows[r]] + 1];
      for (std::size_t p = 0; p < P; ++p) w.bucket_start[p + 1] += w.bucket_start[p];
      grow(w.bucket_rows, t.count);
      {
        std::vector<std::uint32_t> next(w.bucket_start.begin(), w.bucket_start.begin() + static_cast<std::ptrdiff_t>(P));
        for (std::size_t r = 0; r < t.count; ++r) w.bucket_rows[next[of_row[t.rows[r]]]++] = t.rows[r];
      }
      grow(w.weights4, 4 * L);
      for (std::size_t p = 0; p < P; ++p) {
        const std::size_t b0 = w.bucket_start[p], n = w.bucket_start[p + 1] - b0;
        if (n == 0) continue;
        const std::uint32_t* rows = w.bucket_rows.data() + b0;
        const std::size_t S = round_up(n, 32);
        grow(w.scores, L * S);
        for (std::size_t j = 0; j < L; ++j) {
          const double* col = scores.col(static_cast<Eigen::Index>(j)).data();
          double* dst = w.scores.data() + j * S;
          for (std::size_t r = 0; r < n; ++r) {
            const double v = col[rows[r]];
            dst[r] = v == v ? v : 0.0;
          }
          std::fill(dst + n, dst + S, 0.0);
        }
        grow(w.offset, S);
        grow(w.inv_width, S);
        grow(w.mn, S);
        grow(w.mx, S);
        grow(w.hist, S);
        for (std::size_t r = 0; r < S; ++r) {
          if (r < n) {
            const std::uint32_t i = rows[r];
            w.offset[r] = offset[i];
            w.inv_width[r] = inv_width[i];
            w.mn[r] = tmin[i];
            w.mx[r] = tmax[i];
            w.hist[r] = hist.data() + static_cast<std::size_t>(i) * HB;
          } else {
            w.offset[r] = 0.0;
            w.inv_width[r] = 0.0;
            w.mn[r] = w.mx[r] = 0.0;
            w.hist[r] = w.dummy.data();  // padding rows count nowhere that is read
          }
        }
        detail::totals_tile_args ta;
        ta.rows = n;
        ta.stride = S;
        ta.leaves = L;
        ta.variants = kv;
        ta.scores = w.scores.data();
        ta.available = avail.data() + (p * K + c0 + t.k0) * L;
        ta.offset = w.offset.data();
        ta.inv_width = w.inv_width.data();
        ta.bins = B;
        ta.hist = w.hist.data();
        ta.min = w.mn.data();
        ta.max = w.mx.data();
        ta.scratch = w.weights4.data();
        detail::run_totals_tile(ta);
        for (std::size_t r = 0; r < n; ++r) {
          tmin[rows[r]] = w.mn[r];
          tmax[rows[r]] = w.mx[r];
        }
      }
    });
    if (options.progress) options.progress(c0 + kc, K);
  }

  // per operator
  res.counts = counts;
  if (with_totals) {
    const std::size_t Q = options.quantiles.size();
    res.total_quantiles.resize(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(Q));
    res.total_min.resize(N);
    res.total_max.resize(N);
    res.resolution.resize(N);
    res.clipped.resize(N);
    std::vector<double> edge(HB + 1);
    std::vector<std::uint32_t> cum(HB + 1);
    for (std::size_t i = 0; i < N; ++i) {
      const std::uint16_t* h = hist.data() + i * HB;
      const double w = width[i];
      // bin b covers [edge[b], edge[b + 1]): below the window [min, lo), the B bins, above [hi, max]
      edge[0] = std::min(tmin[i], lo[i]);
      for (std::size_t b = 1; b <= B + 1; ++b) edge[b] = lo[i] + static_cast<double>(b - 1) * w;
      edge[B + 2] = std::max(tmax[i], edge[B + 1]);
      res.clipped[i] = static_cast<std::uint32_t>(h[0]) + h[B + 1];
      double widest = w;
      if (h[0] > 0) widest = std::max(widest, edge[1] - edge[0]);
      if (h[B + 1] > 0) widest = std::max(widest, edge[B + 2] - edge[B + 1]);
      res.resolution[i] = widest / 100.0;
      res.total_min[i] = tmin[i] / 100.0;
      res.total_max[i] = tmax[i] / 100.0;
      // the order statistic of rank m (0-based), spread evenly within its bin
      cum[0] = 0;
      for (std::size_t b = 0; b < HB; ++b) cum[b + 1] = cum[b] + h[b];
      auto order_stat = [&](double rank_at) {
        const auto rank = static_cast<std::uint32_t>(rank_at);
        const std::size_t b = static_cast<std::size_t>(std::upper_bound(cum.begin(), cum.end(), rank) - cum.begin()) - 1;
        if (b >= HB) return edge[HB];
        const double c = h[b];
        return edge[b] + (rank_at - static_cast<double>(cum[b]) + 0.5) / c * (edge[b + 1] - edge[b]);
      };
      for (std::size_t q = 0; q < Q; ++q) {
        const double pos = options.quantiles[q] * static_cast<double>(K - 1);
        const double a = std::floor(pos);
        double v = order_stat(a);
        if (pos > a) v += (pos - a) * (order_stat(a + 1) - v);
        v = std::clamp(v, tmin[i], tmax[i]);
        res.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(q)) = v / 100.0;
      }
      res.total_mean[i] /= 100.0;
    }
  }

  // population
  res.per_draw.resize(static_cast<Eigen::Index>(K), grade_count);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t v = 0; v < 6; ++v) {
      std::uint64_t n = 0;
      for (const auto& w : scratch) n += w.per_draw[k * 6 + v];
      res.per_draw(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(v)) = static_cast<std::uint32_t>(n);
    }
  summarize_population(res);

  // memory held
  res.memory.accumulators = N * grade_count * 4 + hist.size() * 2 + (lo.size() + inv_width.size() + offset.size() + tmin.size() + tmax.size() + width.size()) * 8 +
                            N * 8 /* variances */ + threads * K * 6 * 8 + K * 6 * 4 + N * options.quantiles.size() * 8 + moment_bytes;
  res.memory.draws = static_cast<std::size_t>(res.weights.size() + res.cutoffs.size()) * 8 + avail.size() * 8;
  for (const auto& w : scratch) res.memory.tile_buffers += w.bytes();
  res.memory.engine_buffers = engine_bytes;
  res.kernel_isa = detail::kernel_isa();
  return res;
}

const char* kernel_isa() noexcept { return detail::kernel_isa(); }

monte_carlo_result combine_draw_ranges(std::vector<monte_carlo_result> parts) {
  if (parts.empty()) throw std::invalid_argument("combine_draw_ranges: no parts");
  const monte_carlo_result& a = parts.front();
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const monte_carlo_result& p = parts[j];
    const monte_carlo_options &o = p.options, &ao = a.options;
    auto refuse = [j](const std::string& why) {
      throw std::invalid_argument("combine_draw_ranges: part " + std::to_string(j) + " " + why);
    };
    if (!o.quantiles.empty())
      refuse("was run with total quantiles, which come from each run's own histogram windows and cannot be put "
             "together: run the parts with no quantiles");
    if (p.draws() != o.draws || p.per_draw.rows() != p.weights.rows() || p.counts.rows() != static_cast<Eigen::Index>(p.size()) ||
        p.grade.size() != p.size() || p.active.size() != p.size() || p.total.size() != p.size() ||
        (p.cutoffs.size() != 0 && p.cutoffs.rows() != p.weights.rows()))
      refuse("is not a whole result (its arrays do not have its draw and operator counts)");
    if (j == 0) continue;
    const monte_carlo_result& prev = parts[j - 1];
    if (o.first_draw != prev.options.first_draw + prev.draws())
      refuse("starts at draw " + std::to_string(o.first_draw) + ", not at " +
             std::to_string(prev.options.first_draw + prev.draws()) + " where part " + std::to_string(j - 1) +
             " ends: the parts must be consecutive draw ranges, in order");
    if (p.model_fingerprint != a.model_fingerprint) refuse("is of another model (fingerprint " + p.model_fingerprint + ")");
    if (p.as_of != a.as_of || p.operator_ids != a.operator_ids || p.grade != a.grade || p.active != a.active ||
        p.total != a.total || p.not_graded != a.not_graded || p.leaf_ids != a.leaf_ids || p.model_weights != a.model_weights)
      refuse("is of other scored data (operators, grades or evaluation date differ from part 0)");
    if (o.seed != ao.seed || o.noise != ao.noise || o.concentration != ao.concentration || o.spread != ao.spread ||
        o.cutoff_jitter != ao.cutoff_jitter || o.interval != ao.interval)
      refuse("was drawn with other options (seed, noise, concentration, spread, cut-off jitter or interval differ from part 0)");
  }
  Eigen::MatrixXd weights = stack_rows(parts, &monte_carlo_result::weights), cutoffs = stack_rows(parts, &monte_carlo_result::cutoffs);
  auto per_draw = stack_rows(parts, &monte_carlo_result::per_draw);
  monte_carlo_result res = std::move(parts.front());
  res.weights = std::move(weights);
  res.cutoffs = std::move(cutoffs);
  res.per_draw = std::move(per_draw);
  res.options.draws = static_cast<std::size_t>(res.weights.rows());
  for (std::size_t j = 1; j < parts.size(); ++j) {
    res.counts += parts[j].counts;
    const memory_report& m = parts[j].memory;
    res.memory.accumulators = std::max(res.memory.accumulators, m.accumulators);
    res.memory.draws = std::max(res.memory.draws, m.draws);
    res.memory.tile_buffers = std::max(res.memory.tile_buffers, m.tile_buffers);
    res.memory.engine_buffers = std::max(res.memory.engine_buffers, m.engine_buffers);
  }
  summarize_population(res);
  return res;
}

monte_carlo_result monte_carlo(const model& m, const dataset& data, civil_date as_of, const monte_carlo_options& options) {
  detail::check_options(options);
  score_options so;
  so.compute_input_hash = false;
  return monte_carlo(score(m, data, as_of, so), options);
}

}  // namespace embedrating::sensitivity
