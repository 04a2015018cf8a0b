// Random numbers of the Monte Carlo analyses (include/embedrating/sensitivity.hpp; docs/sensitivity.md
// "Random numbers").
//
// Every number comes from Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random
// numbers: as easy as 1, 2, 3", SC'11; the Random123 library) keyed by the seed, with a counter
// made of the draw index, what the numbers are for (purpose and leaf or grade) and a block number:
// each (seed, draw, purpose, index) is its own stream, so a draw is the same whatever else is drawn,
// in whatever order, on however many threads. Transcendental functions are computed here with the
// four IEEE-754 operations, sqrt and exact scaling only (this library is compiled with
// -ffp-contract=off), so the numbers are bit-identical on every platform, independent of libm.
#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "embedrating/errors.hpp"
#include "embedrating/sensitivity.hpp"
#include "sensitivity_internal.hpp"

namespace embedrating::sensitivity {

namespace detail {

namespace {
constexpr double ln2_hi = 6.93147180369123816490e-01;  // fdlibm's split of ln 2: ln2_hi × k is exact for |k| < 2^11
constexpr double ln2_lo = 1.90821492927058770002e-10;
}  // namespace

double det_log(double x) noexcept {
  if (!(x > 0.0)) return x == 0.0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(x)) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m · 2^e, m in [0.5, 1), exact
  if (m < 0.70710678118654752440) {
    m *= 2.0;  // exact
    --e;
  }
  // log m = 2 atanh(f), f = (m − 1)/(m + 1), |f| ≤ 0.1716: the series to f^23 is below 1e-18
  const double f = (m - 1.0) / (m + 1.0);
  const double s = f * f;
  double p = 1.0 / 23.0;
  for (int k = 21; k >= 1; k -= 2) p = 1.0 / static_cast<double>(k) + s * p;
  const double log_m = 2.0 * f * p;
  const double k = static_cast<double>(e);
  return k * ln2_hi + (log_m + k * ln2_lo);
}

double det_exp(double x) noexcept {
  if (std::isnan(x)) return x;
  if (x > 709.78) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  // x = k ln 2 + r, |r| ≤ ln 2 / 2; exp(r) by its Taylor series to r^17 (error below 1e-17)
  const double k = std::floor(x * 1.44269504088896338700 + 0.5);
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  double p = 1.0;
  for (int n = 17; n >= 1; --n) p = 1.0 + r * p / static_cast<double>(n);
  return std::ldexp(p, static_cast<int>(k));
}

stream::stream(std::uint64_t seed, std::uint64_t draw, std::uint32_t purpose, std::uint32_t index) noexcept {
  key_[0] = static_cast<std::uint32_t>(seed);
  key_[1] = static_cast<std::uint32_t>(seed >> 32);
  ctr_[0] = static_cast<std::uint32_t>(draw);
  ctr_[1] = static_cast<std::uint32_t>(draw >> 32);
  ctr_[2] = (purpose << 24) | (index & 0xFFFFFFu);
  ctr_[3] = 0;
}

void stream::block(std::uint32_t out[4]) noexcept {
  r123::Philox4x32 philox;
  const r123::Philox4x32::ctr_type c = {{ctr_[0], ctr_[1], ctr_[2], ctr_[3]}};
  const r123::Philox4x32::key_type k = {{key_[0], key_[1]}};
  const r123::Philox4x32::ctr_type r = philox(c, k);
  for (int q = 0; q < 4; ++q) out[q] = r.v[q];
  ++ctr_[3];
}

double stream::uniform() noexcept {
  if (left_ == 0) {
    std::uint32_t w[4];
    block(w);
    for (int q = 0; q < 2; ++q) {
      const std::uint64_t bits = (static_cast<std::uint64_t>(w[2 * q + 1]) << 32) | w[2 * q];
      // 53 random bits, centred in their interval: in (0, 1), never 0 or 1
      buffer_[q] = (static_cast<double>(bits >> 11) + 0.5) * 0x1p-53;
    }
    left_ = 2;
  }
  return buffer_[2 - left_--];
}

double stream::normal() noexcept {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Marsaglia & Bray (1964), the polar method
  for (;;) {
    const double u = 2.0 * uniform() - 1.0, v = 2.0 * uniform() - 1.0;
    const double s = u * u + v * v;
    if (s >= 1.0 || s == 0.0) continue;
    const double f = std::sqrt(-2.0 * det_log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
}

double stream::log_gamma_variate(double shape) noexcept {
  // Marsaglia & Tsang (2000), "A simple method for generating gamma variables", ACM TOMS
  // 26(3):363–372; for shape < 1, Gamma(a) = Gamma(a + 1) · U^(1/a) (their §6), kept in logs so
  // that tiny shapes do not underflow.
  const bool boost = shape < 1.0;
  const double a = boost ? shape + 1.0 : shape;
  const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  double log_g = 0.0;
  for (;;) {
    double x = 0.0, v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || det_log(u) < 0.5 * x2 + d * (1.0 - v + det_log(v))) {
      log_g = det_log(d) + det_log(v);
      break;
    }
  }
  if (boost) log_g += det_log(uniform()) / shape;
  return log_g;
}

void check_options(const monte_carlo_options& o) {
  auto fail = [](const char* field, const std::string& what) {
    error_location w;
    w.field = field;
    throw data_error(w, "monte_carlo: " + what);
  };
  auto num = [](double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return std::string(buf);
  };
  if (o.draws == 0) fail("draws", "draws must be at least 1, got 0");
  if (o.first_draw > std::numeric_limits<std::uint64_t>::max() - o.draws)
    fail("first_draw", "first_draw + draws must stay below 2^64, got first_draw " + std::to_string(o.first_draw));
  if (!(o.concentration > 0.0) || !std::isfinite(o.concentration))
    fail("concentration", "the Dirichlet concentration must be finite and > 0, got " + num(o.concentration));
  if (!(o.spread >= 0.0 && o.spread < 1.0))
    fail("spread", "the uniform spread must be in [0, 1) (each weight times U(1 - spread, 1 + spread)), got " + num(o.spread));
  if (!(o.cutoff_jitter >= 0.0) || !std::isfinite(o.cutoff_jitter))
    fail("cutoff_jitter", "cutoff_jitter must be finite and >= 0 points, got " + num(o.cutoff_jitter));
  for (double q : o.quantiles)
    if (!(q >= 0.0 && q <= 1.0)) fail("quantiles", "every quantile must be a probability in [0, 1], got " + num(q));
  if (!o.quantiles.empty() && o.draws > 65535)
    fail("draws", "with quantiles, at most 65535 draws (histogram counters are 16-bit), got " + std::to_string(o.draws) +
                      "; pass no quantiles for more draws");
  if (!(o.resolution >= 0.01) || !std::isfinite(o.resolution))
    fail("resolution", "the histogram resolution must be finite and >= 0.01 points (one centi-point), got " + num(o.resolution));
  if (o.bins < 8 || o.bins > 4096) fail("bins", "bins must be in 8 … 4096, got " + std::to_string(o.bins));
  if (!(o.window_sd > 0.0) || !std::isfinite(o.window_sd))
    fail("window_sd", "window_sd must be finite and > 0, got " + num(o.window_sd));
  if (!(o.interval > 0.0 && o.interval < 1.0)) fail("interval", "interval must be in (0, 1), got " + num(o.interval));
  if (o.threads < 1) fail("threads", "threads must be >= 1, got " + std::to_string(o.threads));
  if (o.chunk == 0) fail("chunk", "chunk must be at least 1 draw, got 0");
}

}  // namespace detail

namespace {

void check_base(const std::vector<double>& base) {
  double sum = 0;
  for (std::size_t j = 0; j < base.size(); ++j) {
    if (!std::isfinite(base[j]) || base[j] < 0.0) {
      error_location w;
      w.field = "weights";
      throw data_error(w, "draw_weights: base weight " + std::to_string(j) + " must be finite and >= 0");
    }
    sum += base[j];
  }
  if (base.empty() || std::abs(sum - 1.0) > 1e-9) {
    error_location w;
    w.field = "weights";
    throw data_error(w, "draw_weights: the base weights must sum to 1 (global leaf weights)");
  }
}

}  // namespace

Eigen::MatrixXd draw_weights(const std::vector<double>& base, const monte_carlo_options& o, std::size_t k0, std::size_t k1) {
  detail::check_options(o);
  check_base(base);
  const std::size_t L = base.size();
  Eigen::MatrixXd w(static_cast<Eigen::Index>(k1 > k0 ? k1 - k0 : 0), static_cast<Eigen::Index>(L));
  std::vector<double> v(L);
  for (std::size_t k = k0; k < k1; ++k) {
    const auto row = static_cast<Eigen::Index>(k - k0);
    if (o.noise == weight_noise::none) {
      for (std::size_t j = 0; j < L; ++j) w(row, static_cast<Eigen::Index>(j)) = base[j];
      continue;
    }
    if (o.noise == weight_noise::dirichlet) {
      // w' = G / ΣG, G_j ~ Gamma(concentration × w_j): log G first, normalised from the largest
      double top = -std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < L; ++j) {
        if (base[j] <= 0.0) {
          v[j] = -std::numeric_limits<double>::infinity();
          continue;
        }
        detail::stream s(o.seed, k, detail::purpose_dirichlet, static_cast<std::uint32_t>(j));
        v[j] = s.log_gamma_variate(o.concentration * base[j]);
        top = std::max(top, v[j]);
      }
      for (std::size_t j = 0; j < L; ++j) v[j] = base[j] <= 0.0 ? 0.0 : detail::det_exp(v[j] - top);
    } else {
      for (std::size_t j = 0; j < L; ++j) {
        detail::stream s(o.seed, k, detail::purpose_uniform, static_cast<std::uint32_t>(j));
        v[j] = base[j] * (1.0 + o.spread * (2.0 * s.uniform() - 1.0));
      }
    }
    double sum = 0;
    for (std::size_t j = 0; j < L; ++j) sum += v[j];
    for (std::size_t j = 0; j < L; ++j) w(row, static_cast<Eigen::Index>(j)) = v[j] / sum;
  }
  return w;
}

Eigen::MatrixXd draw_cutoffs(const std::array<double, 5>& base, const monte_carlo_options& o, std::size_t k0, std::size_t k1) {
  detail::check_options(o);
  Eigen::MatrixXd c(static_cast<Eigen::Index>(k1 > k0 ? k1 - k0 : 0), 5);
  for (std::size_t k = k0; k < k1; ++k) {
    const auto row = static_cast<Eigen::Index>(k - k0);
    double below = 0.0;
    for (std::uint32_t g = 0; g < 5; ++g) {
      detail::stream s(o.seed, k, detail::purpose_cutoff, g);
      const double jitter = o.cutoff_jitter > 0.0 ? o.cutoff_jitter * (2.0 * s.uniform() - 1.0) : 0.0;
      below = std::max(below, base[g] + jitter);
      c(row, static_cast<Eigen::Index>(g)) = below;
    }
  }
  return c;
}

const char* to_string(weight_noise n) noexcept {
  switch (n) {
    case weight_noise::dirichlet: return "dirichlet";
    case weight_noise::uniform: return "uniform";
    case weight_noise::none: break;
  }
  return "none";
}

weight_noise parse_weight_noise(const std::string& name) {
  if (name == "dirichlet") return weight_noise::dirichlet;
  if (name == "uniform") return weight_noise::uniform;
  if (name == "none") return weight_noise::none;
  error_location w;
  w.field = "method";
  throw data_error(w, "monte_carlo: unknown method \"" + name + "\" (dirichlet, uniform or none)");
}

}  // namespace embedrating::sensitivity
