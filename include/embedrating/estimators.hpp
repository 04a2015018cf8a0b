#pragma once
/// \file estimators.hpp
/// Review estimators (SPEC §5; Python `embedrating.reviews`, SPEC §7): Wilson and Jeffreys
/// intervals for a share of good reviews, the Bayesian average with a prior, the empirical-Bayes
/// Beta prior across operators (method of moments or maximum likelihood) and Kish's effective
/// sample size for decayed counts.
///
/// Counts are doubles: decayed counts may be fractional. Every function checks its arguments and
/// throws embedrating::data_error naming the function, the argument (with its index in the array
/// versions) and the offending value. The array versions take any Eigen array expression of
/// doubles (through Eigen::Ref, so a numpy buffer maps without a copy) and return Eigen::ArrayXd.
///
/// Header-only: Eigen, and Boost.Math (header-only) for the Beta quantile and the special
/// functions. Every function is thread-safe (no global state; std::lgamma is not used because it
/// writes the global `signgam`).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <boost/math/tools/minima.hpp>

#include "errors.hpp"

namespace embedrating::estimators {

/// The two-sided 95 % normal quantile z = Φ⁻¹(0.975), the default of the Wilson bound.
inline constexpr double z_95 = 1.959963984540054;

/// A closed interval [lower, upper] within [0, 1].
struct interval {
  double lower = 0.0;
  double upper = 1.0;
};

/// Element-wise intervals, as returned by the array versions.
struct interval_arrays {
  Eigen::ArrayXd lower;
  Eigen::ArrayXd upper;
};

/// Any one-dimensional array of doubles: Eigen::ArrayXd, a Map over a numpy buffer, an expression.
using array_ref = Eigen::Ref<const Eigen::ArrayXd>;

namespace detail {

/// The shortest of %.15g / %.17g that reads back as `v`; "nan", "inf", "-inf".
inline std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// "good" or "good[3]".
inline std::string arg_name(const char* arg, Eigen::Index index) {
  std::string out = arg;
  if (index >= 0) out += '[' + std::to_string(index) + ']';
  return out;
}

[[noreturn]] inline void fail(const char* fn, const std::string& what) {
  throw data_error(std::string(fn) + ": " + what);
}

/// A count must be finite and >= 0.
inline void check_count(const char* fn, const char* arg, double v, Eigen::Index index) {
  if (!std::isfinite(v) || v < 0.0)
    fail(fn, arg_name(arg, index) + " = " + number(v) + " must be a finite number >= 0");
}

/// 0 <= good <= n, both finite.
inline void check_counts(const char* fn, double good, double n, Eigen::Index index = -1) {
  check_count(fn, "good", good, index);
  check_count(fn, "n", n, index);
  if (good > n)
    fail(fn, arg_name("good", index) + " = " + number(good) + " exceeds " + arg_name("n", index) +
                 " = " + number(n));
}

inline void check_same_size(const char* fn, const char* a, Eigen::Index na, const char* b, Eigen::Index nb) {
  if (na != nb)
    fail(fn, std::string(a) + " has " + std::to_string(na) + " elements but " + b + " has " +
                 std::to_string(nb));
}

inline void check_z(const char* fn, double z) {
  if (!std::isfinite(z) || z <= 0.0) fail(fn, "z = " + number(z) + " must be a finite number > 0");
}

inline void check_confidence(const char* fn, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    fail(fn, "confidence = " + number(confidence) + " must be strictly between 0 and 1");
}

inline void check_prior(const char* fn, double prior_mean, double prior_weight) {
  if (!std::isfinite(prior_mean) || prior_mean < 0.0 || prior_mean > 1.0)
    fail(fn, "prior_mean = " + number(prior_mean) + " must be a finite number in [0, 1]");
  if (std::isnan(prior_weight) || prior_weight < 0.0)
    fail(fn, "prior_weight = " + number(prior_weight) + " must be a number >= 0 (+inf allowed)");
}

/// Boost.Math without promotion of double to long double: same accuracy class, several times faster.
using math_policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

/// lnΓ(y) − [(y − ½) ln y − y + ½ ln 2π] for y >= 10: the Stirling series to the 1/y¹¹ term
/// (Abramowitz & Stegun 6.1.41); truncation error < 1/(156 y¹³) <= 7e-16.
inline double stirling_tail(double y) {
  const double r = 1.0 / y;
  const double r2 = r * r;
  return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360))))));
}

/// ψ(y) − ln y for y >= 10 (A&S 6.3.18, to the 1/y¹⁴ term; error < 7e-17).
inline double digamma_tail(double y) {
  const double r = 1.0 / y;
  const double r2 = r * r;
  return -0.5 * r -
         r2 * (1.0 / 12 + r2 * (-1.0 / 120 + r2 * (1.0 / 252 + r2 * (-1.0 / 240 + r2 * (1.0 / 132 + r2 * (-691.0 / 32760 + r2 * (1.0 / 12)))))));
}

/// ψ′(y) − 1/y − 1/(2y²) for y >= 10 (A&S 6.4.12, to the 1/y¹⁵ term; error < 1e-16 relative).
inline double trigamma_tail(double y) {
  const double r = 1.0 / y;
  const double r2 = r * r;
  return r * r2 * (1.0 / 6 + r2 * (-1.0 / 30 + r2 * (1.0 / 42 + r2 * (-1.0 / 30 + r2 * (5.0 / 66 + r2 * (-691.0 / 2730 + r2 * (7.0 / 6)))))));
}

/// lnΓ(a + x) − lnΓ(a) for a > 0, x >= 0, without the cancellation of two large lgamma values when
/// a is large (the beta-binomial likelihood at a large prior strength needs it).
inline double lgamma_diff(double a, double x) {
  if (x == 0.0) return 0.0;
  if (a >= 10.0) {
    const double y = a + x;
    return (a - 0.5) * std::log1p(x / a) + x * std::log(y) - x + stirling_tail(y) - stirling_tail(a);
  }
  return boost::math::lgamma(a + x, math_policy()) - boost::math::lgamma(a, math_policy());
}

/// ψ(a + x) − ψ(a) for a > 0, x >= 0.
inline double digamma_diff(double a, double x) {
  if (x == 0.0) return 0.0;
  if (a >= 10.0) return std::log1p(x / a) + digamma_tail(a + x) - digamma_tail(a);
  return boost::math::digamma(a + x, math_policy()) - boost::math::digamma(a, math_policy());
}

/// ψ′(a + x) − ψ′(a) for a > 0, x >= 0 (<= 0); for a >= 10 the leading terms 1/y + 1/(2y²) are
/// differenced in closed form, so the result keeps its relative accuracy when a is large.
inline double trigamma_diff(double a, double x) {
  if (x == 0.0) return 0.0;
  if (a >= 10.0) {
    const double y = a + x;
    const double q = x / (a * y);  // 1/a − 1/y
    return -q - 0.5 * q * ((a + y) / (a * y)) + (trigamma_tail(y) - trigamma_tail(a));
  }
  return boost::math::trigamma(a + x, math_policy()) - boost::math::trigamma(a, math_policy());
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Wilson score interval
// ---------------------------------------------------------------------------------------------

/// The Wilson score interval for a proportion (Wilson 1927, "Probable inference, the law of
/// succession, and statistical inference", JASA 22:209–212):
///
///     p̂ = good/n,   centre ± half = [p̂ + z²/(2n) ± z·√(p̂(1−p̂)/n + z²/(4n²))] / (1 + z²/n).
///
/// Computed in the equivalent cancellation-free form, with A = good + z²/2 and
/// B = z·√(good·(n − good)/n + z²/4): upper = (A + B)/(n + z²) and lower = good²/(n·(A + B))
/// (the product of the two roots of the Wilson quadratic is good²/(n(n + z²))).
/// Exact ends: lower = 0 when good = 0, upper = 1 when good = n; n = 0 gives [0, 1].
/// Requires 0 <= good <= n (finite; fractional decayed counts allowed) and z > 0 (finite);
/// otherwise throws data_error.
inline interval wilson_interval(double good, double n, double z = z_95) {
  constexpr const char* fn = "wilson_interval";
  detail::check_counts(fn, good, n);
  detail::check_z(fn, z);
  if (n == 0.0) return {0.0, 1.0};
  const double z2 = z * z;
  const double bad = n - good;
  const double a = good + 0.5 * z2;
  const double b = z * std::sqrt(good * (bad / n) + 0.25 * z2);
  interval out;
  out.lower = good == 0.0 ? 0.0 : std::min(1.0, (good / n) * (good / (a + b)));
  out.upper = bad == 0.0 ? 1.0 : std::min(1.0, (a + b) / (n + z2));
  return out;
}

/// The lower end of wilson_interval(good, n, z): 0 when n = 0 (SPEC §7
/// `embedrating.reviews.wilson_lower_bound`). Same requirements and errors, named after this function.
inline double wilson_lower_bound(double good, double n, double z = z_95) {
  constexpr const char* fn = "wilson_lower_bound";
  detail::check_counts(fn, good, n);
  detail::check_z(fn, z);
  return wilson_interval(good, n, z).lower;
}

/// Element-wise wilson_interval; `good` and `n` must have the same size. Errors name the element.
inline interval_arrays wilson_interval(const array_ref& good, const array_ref& n, double z = z_95) {
  constexpr const char* fn = "wilson_interval";
  detail::check_same_size(fn, "good", good.size(), "n", n.size());
  detail::check_z(fn, z);
  interval_arrays out{Eigen::ArrayXd(good.size()), Eigen::ArrayXd(good.size())};
  for (Eigen::Index i = 0; i < good.size(); ++i) {
    detail::check_counts(fn, good[i], n[i], i);
    const interval w = wilson_interval(good[i], n[i], z);
    out.lower[i] = w.lower;
    out.upper[i] = w.upper;
  }
  return out;
}

/// Element-wise wilson_lower_bound; `good` and `n` must have the same size. Errors name the element.
inline Eigen::ArrayXd wilson_lower_bound(const array_ref& good, const array_ref& n, double z = z_95) {
  constexpr const char* fn = "wilson_lower_bound";
  detail::check_same_size(fn, "good", good.size(), "n", n.size());
  detail::check_z(fn, z);
  Eigen::ArrayXd out(good.size());
  for (Eigen::Index i = 0; i < good.size(); ++i) {
    detail::check_counts(fn, good[i], n[i], i);
    out[i] = wilson_interval(good[i], n[i], z).lower;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Jeffreys interval
// ---------------------------------------------------------------------------------------------

/// The Jeffreys interval (Brown, Cai & DasGupta 2001, "Interval estimation for a binomial
/// proportion", Statistical Science 16:101–133, §4.1): the equal-tailed quantiles
/// (1 − confidence)/2 and (1 + confidence)/2 of the Beta(good + ½, n − good + ½) posterior under
/// the Jeffreys prior Beta(½, ½), with their modification lower = 0 when good = 0 and upper = 1
/// when good = n (so n = 0 gives [0, 1]). Quantiles by Boost.Math (inverse regularised incomplete
/// beta). Requires 0 <= good <= n (finite; fractional counts use the same Beta posterior) and
/// 0 < confidence < 1; otherwise throws data_error.
inline interval jeffreys_interval(double good, double n, double confidence = 0.95) {
  constexpr const char* fn = "jeffreys_interval";
  detail::check_counts(fn, good, n);
  detail::check_confidence(fn, confidence);
  const double bad = n - good;
  const double tail = 0.5 * (1.0 - confidence);
  const boost::math::beta_distribution<double, detail::math_policy> posterior(good + 0.5, bad + 0.5);
  interval out;
  out.lower = good == 0.0 ? 0.0 : boost::math::quantile(posterior, tail);
  out.upper = bad == 0.0 ? 1.0 : boost::math::quantile(boost::math::complement(posterior, tail));
  return out;
}

/// Element-wise jeffreys_interval; `good` and `n` must have the same size. Errors name the element.
inline interval_arrays jeffreys_interval(const array_ref& good, const array_ref& n, double confidence = 0.95) {
  constexpr const char* fn = "jeffreys_interval";
  detail::check_same_size(fn, "good", good.size(), "n", n.size());
  detail::check_confidence(fn, confidence);
  interval_arrays out{Eigen::ArrayXd(good.size()), Eigen::ArrayXd(good.size())};
  for (Eigen::Index i = 0; i < good.size(); ++i) {
    detail::check_counts(fn, good[i], n[i], i);
    const interval j = jeffreys_interval(good[i], n[i], confidence);
    out.lower[i] = j.lower;
    out.upper[i] = j.upper;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bayesian average
// ---------------------------------------------------------------------------------------------

/// The Bayesian average of a share of good reviews: the posterior mean under a Beta prior with
/// mean `prior_mean` and strength (pseudo-count) `prior_weight`, i.e. Beta(w·m, w·(1 − m)):
///
///     (good + prior_weight · prior_mean) / (n + prior_weight)
///
/// (the beta-binomial posterior mean; e.g. Gelman et al., Bayesian Data Analysis, 3rd ed., ch. 2).
/// n + prior_weight = 0 gives prior_mean; prior_weight = +inf gives prior_mean, so a pooled
/// fit_beta_prior result (prior_strength = +inf) can be passed straight in.
/// Requires 0 <= good <= n (finite), prior_mean in [0, 1], prior_weight >= 0; else data_error.
inline double bayesian_average(double good, double n, double prior_mean, double prior_weight) {
  constexpr const char* fn = "bayesian_average";
  detail::check_counts(fn, good, n);
  detail::check_prior(fn, prior_mean, prior_weight);
  if (std::isinf(prior_weight) || n + prior_weight == 0.0) return prior_mean;
  return (good + prior_weight * prior_mean) / (n + prior_weight);
}

/// Element-wise bayesian_average with one prior; `good` and `n` must have the same size.
inline Eigen::ArrayXd bayesian_average(const array_ref& good, const array_ref& n, double prior_mean,
                                       double prior_weight) {
  constexpr const char* fn = "bayesian_average";
  detail::check_same_size(fn, "good", good.size(), "n", n.size());
  detail::check_prior(fn, prior_mean, prior_weight);
  Eigen::ArrayXd out(good.size());
  for (Eigen::Index i = 0; i < good.size(); ++i) {
    detail::check_counts(fn, good[i], n[i], i);
    out[i] = bayesian_average(good[i], n[i], prior_mean, prior_weight);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kish effective sample size
// ---------------------------------------------------------------------------------------------

/// Kish's effective sample size of weighted (e.g. decayed) observations (Kish 1965, Survey
/// Sampling, Wiley): n_eff = (Σw)² / Σw², given the sums Σw and Σw²; 0 when Σw² = 0.
/// Requires both sums finite and >= 0; otherwise throws data_error.
inline double kish_effective_n(double sum_w, double sum_w2) {
  constexpr const char* fn = "kish_effective_n";
  if (!std::isfinite(sum_w) || sum_w < 0.0)
    detail::fail(fn, "sum_w = " + detail::number(sum_w) + " must be a finite number >= 0");
  if (!std::isfinite(sum_w2) || sum_w2 < 0.0)
    detail::fail(fn, "sum_w2 = " + detail::number(sum_w2) + " must be a finite number >= 0");
  if (sum_w2 == 0.0) return 0.0;
  return (sum_w / sum_w2) * sum_w;
}

/// Element-wise kish_effective_n; `sum_w` and `sum_w2` must have the same size.
inline Eigen::ArrayXd kish_effective_n(const array_ref& sum_w, const array_ref& sum_w2) {
  constexpr const char* fn = "kish_effective_n";
  detail::check_same_size(fn, "sum_w", sum_w.size(), "sum_w2", sum_w2.size());
  Eigen::ArrayXd out(sum_w.size());
  for (Eigen::Index i = 0; i < sum_w.size(); ++i) {
    const double w = sum_w[i];
    const double w2 = sum_w2[i];
    if (!std::isfinite(w) || w < 0.0)
      detail::fail(fn, detail::arg_name("sum_w", i) + " = " + detail::number(w) + " must be a finite number >= 0");
    if (!std::isfinite(w2) || w2 < 0.0)
      detail::fail(fn, detail::arg_name("sum_w2", i) + " = " + detail::number(w2) + " must be a finite number >= 0");
    out[i] = kish_effective_n(w, w2);
  }
  return out;
}

/// Kish's effective sample size of the weights themselves, (Σw)²/Σw², computed on w / max(w) so
/// tiny weights do not underflow in w². 0 for no weights or all weights 0. Requires every weight
/// finite and >= 0; otherwise throws data_error naming the element.
inline double kish_effective_n_from_weights(const array_ref& weights) {
  constexpr const char* fn = "kish_effective_n_from_weights";
  double top = 0.0;
  for (Eigen::Index i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    if (!std::isfinite(w) || w < 0.0)
      detail::fail(fn, detail::arg_name("weights", i) + " = " + detail::number(w) + " must be a finite number >= 0");
    top = std::max(top, w);
  }
  if (top == 0.0) return 0.0;
  double s1 = 0.0;
  double s2 = 0.0;
  for (Eigen::Index i = 0; i < weights.size(); ++i) {
    const double v = weights[i] / top;
    s1 += v;
    s2 += v * v;
  }
  return (s1 / s2) * s1;
}

// ---------------------------------------------------------------------------------------------
// Empirical-Bayes Beta prior
// ---------------------------------------------------------------------------------------------

/// How fit_beta_prior estimates the prior.
/// The two moment conventions differ in what they weigh: `method_of_moments` is Kleinman's
/// estimator, weighted by each operator's n and corrected for binomial noise;
/// `moments_unweighted` matches the mean and variance of the raw shares good_i/n_i, every operator
/// counting once and binomial noise ignored (the "mm" method of R's ebbr package).
enum class prior_method : unsigned char { method_of_moments, maximum_likelihood, moments_unweighted };

/// "method_of_moments" | "maximum_likelihood" | "moments_unweighted".
inline std::string_view to_string(prior_method m) noexcept {
  switch (m) {
    case prior_method::method_of_moments: return "method_of_moments";
    case prior_method::moments_unweighted: return "moments_unweighted";
    case prior_method::maximum_likelihood: break;
  }
  return "maximum_likelihood";
}

/// Parses "method_of_moments" (also "moments", "mom", "moments_weighted", "kleinman"),
/// "moments_unweighted" (also "ebbr", "mm") or "maximum_likelihood" (also "ml", "mle");
/// anything else throws data_error listing the accepted names.
inline prior_method parse_prior_method(std::string_view name) {
  if (name == "method_of_moments" || name == "moments" || name == "mom" || name == "moments_weighted" || name == "kleinman")
    return prior_method::method_of_moments;
  if (name == "moments_unweighted" || name == "ebbr" || name == "mm") return prior_method::moments_unweighted;
  if (name == "maximum_likelihood" || name == "ml" || name == "mle") return prior_method::maximum_likelihood;
  detail::fail("fit_beta_prior", "method = \"" + std::string(name) +
                                     "\" is not one of \"method_of_moments\" (Kleinman's weighted moments), "
                                     "\"moments_unweighted\" (the raw shares' moments, as R's ebbr), \"maximum_likelihood\"");
}

/// Bounds of the prior strength α + β that fit_beta_prior may report. A fit whose strength would
/// exceed `max_strength` (no spread beyond binomial noise worth modelling) is reported as pooled;
/// a fit whose strength would fall below `min_strength` (spread as large as all-or-nothing rates)
/// is clamped to `min_strength` and says so in `note`. Require 0 < min_strength < max_strength < inf.
struct beta_prior_options {
  double min_strength = 1e-3;
  double max_strength = 1e6;
};

/// The result of fit_beta_prior: a Beta(alpha, beta) prior for the operators' true shares of good
/// reviews, or — `pooled` — the statement that the data show no spread between operators beyond
/// binomial noise.
///
/// When `pooled` is true, alpha and beta are NOT estimated and are 0 (never huge finite numbers),
/// `prior_strength` is +inf and `mean` is the pooled rate Σgood/Σn: every operator's shrunk
/// estimate is that rate (bayesian_average(good, n, fit.mean, fit.prior_strength) returns it).
struct beta_prior_fit {
  double alpha = 0.0;           ///< α > 0, or 0 when pooled (not estimated)
  double beta = 0.0;            ///< β > 0, or 0 when pooled (not estimated)
  double mean = 0.0;            ///< α/(α + β), or the pooled rate Σgood/Σn when pooled
  double prior_strength = 0.0;  ///< α + β (pseudo-count of the prior), +inf when pooled
  bool pooled = false;          ///< no spread beyond binomial noise (see above)
  std::string method;           ///< "method_of_moments" or "maximum_likelihood"
  int iterations = 0;           ///< profile-likelihood evaluations (ML); 0 for the closed-form MoM
  /// The beta-binomial marginal log-likelihood Σ ln[C(n,good) B(good+α, n−good+β)/B(α,β)] at the
  /// fit (gamma-function extension for fractional counts); when pooled, its limit as α + β → ∞,
  /// the binomial log-likelihood at the pooled rate. Filled for both methods.
  double log_likelihood = 0.0;
  std::size_t operators = 0;    ///< operators used (those with n > 0)
  std::string note;             ///< why the fit is pooled or clamped; empty for an interior fit
};

namespace detail {

/// The operators with n > 0 as distinct (good, n) count pairs, sorted, each with its multiplicity:
/// integer review counts repeat a lot across many operators, and a fixed order makes the fit
/// independent of the order of the operators, bit for bit.
struct bb_data {
  std::vector<double> good, bad, n, weight;
  std::size_t operators = 0;  ///< operators with n > 0 (Σ weight)
  double sum_good = 0.0;
  double sum_n = 0.0;
  double log_binomial = 0.0;  ///< Σ ln C(n_i, good_i) (gamma-function extension)
};

inline bb_data collect(const char* fn, const array_ref& good, const array_ref& n) {
  check_same_size(fn, "good", good.size(), "n", n.size());
  std::vector<std::pair<double, double>> pairs;  // (good, n)
  pairs.reserve(static_cast<std::size_t>(good.size()));
  for (Eigen::Index i = 0; i < good.size(); ++i) {
    check_counts(fn, good[i], n[i], i);
    if (n[i] != 0.0) pairs.emplace_back(good[i], n[i]);
  }
  if (pairs.size() < 2)
    fail(fn, "needs at least 2 operators with n > 0 to fit a prior across operators, got " +
                 std::to_string(pairs.size()));
  std::sort(pairs.begin(), pairs.end());
  bb_data d;
  d.operators = pairs.size();
  for (std::size_t i = 0; i < pairs.size();) {
    std::size_t j = i + 1;
    while (j < pairs.size() && pairs[j] == pairs[i]) ++j;
    d.good.push_back(pairs[i].first);
    d.bad.push_back(pairs[i].second - pairs[i].first);
    d.n.push_back(pairs[i].second);
    d.weight.push_back(static_cast<double>(j - i));
    i = j;
  }
  for (std::size_t i = 0; i < d.n.size(); ++i) {
    d.sum_good += d.weight[i] * d.good[i];
    d.sum_n += d.weight[i] * d.n[i];
    // ln C(n, g) = lnΓ(n+1) − lnΓ(f+1) − lnΓ(g+1) = [lnΓ(f+1+g) − lnΓ(f+1)] − [lnΓ(1+g) − lnΓ(1)]
    d.log_binomial += d.weight[i] * (lgamma_diff(d.bad[i] + 1.0, d.good[i]) - lgamma_diff(1.0, d.good[i]));
  }
  return d;
}

/// Σ ln[B(g+α, f+β)/B(α,β)] + Σ ln C(n, g).
inline double bb_loglik(const bb_data& d, double alpha, double beta) {
  const double s = alpha + beta;
  double out = d.log_binomial;
  for (std::size_t i = 0; i < d.n.size(); ++i)
    out += d.weight[i] * (lgamma_diff(alpha, d.good[i]) + lgamma_diff(beta, d.bad[i]) - lgamma_diff(s, d.n[i]));
  return out;
}

/// The binomial log-likelihood at the pooled rate: the limit of bb_loglik as α + β → ∞.
inline double pooled_loglik(const bb_data& d) {
  const double p = d.sum_good / d.sum_n;
  const double sum_bad = d.sum_n - d.sum_good;
  double out = d.log_binomial;
  if (d.sum_good > 0.0) out += d.sum_good * std::log(p);
  if (sum_bad > 0.0) out += sum_bad * std::log1p(-p);
  return out;
}

/// The μ maximising the beta-binomial likelihood at fixed strength s. The log-likelihood is
/// concave in μ (its second derivative s²Σ[ψ′(α+g) − ψ′(α) + ψ′(β+f) − ψ′(β)] <= 0 as ψ′ is
/// decreasing), so the score s·Σ[ψ(α+g) − ψ(α) − ψ(β+f) + ψ(β)] has one root in (0, 1), found by
/// Newton's method safeguarded by bisection. Needs 0 < Σgood < Σn.
inline double solve_mean(const bb_data& d, double s, double start) {
  double lo = 0.0;
  double hi = 1.0;
  double mu = (start > 0.0 && start < 1.0) ? start : 0.5;
  for (int it = 0; it < 300; ++it) {
    const double a = mu * s;
    const double b = (1.0 - mu) * s;
    double d1 = 0.0;
    double d2 = 0.0;
    for (std::size_t i = 0; i < d.n.size(); ++i) {
      d1 += d.weight[i] * (digamma_diff(a, d.good[i]) - digamma_diff(b, d.bad[i]));
      d2 += d.weight[i] * (trigamma_diff(a, d.good[i]) + trigamma_diff(b, d.bad[i]));
    }
    if (d1 > 0.0) {
      lo = mu;
    } else if (d1 < 0.0) {
      hi = mu;
    } else {
      return mu;
    }
    double next = d2 < 0.0 ? mu - d1 / (s * d2) : std::numeric_limits<double>::quiet_NaN();
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const double step = std::abs(next - mu);
    mu = next;
    if (step <= 1e-13 * std::min(mu, 1.0 - mu) || hi - lo <= 4.0 * std::numeric_limits<double>::epsilon() * hi)
      break;
  }
  return mu;
}

inline beta_prior_fit pooled_fit(const bb_data& d, prior_method method, std::string note) {
  beta_prior_fit out;
  out.alpha = 0.0;
  out.beta = 0.0;
  out.mean = d.sum_good / d.sum_n;
  out.prior_strength = std::numeric_limits<double>::infinity();
  out.pooled = true;
  out.method = std::string(to_string(method));
  out.log_likelihood = pooled_loglik(d);
  out.operators = d.operators;
  out.note = std::move(note);
  return out;
}

inline beta_prior_fit interior_fit(const bb_data& d, prior_method method, double mean, double strength) {
  beta_prior_fit out;
  out.alpha = mean * strength;
  out.beta = (1.0 - mean) * strength;
  out.mean = mean;
  out.prior_strength = strength;
  out.pooled = false;
  out.method = std::string(to_string(method));
  out.log_likelihood = bb_loglik(d, out.alpha, out.beta);
  out.operators = d.operators;
  return out;
}

inline std::string pooled_note(const std::string& why) {
  return "pooled: no spread between operators beyond binomial noise (" + why +
         "); alpha and beta are not estimated, prior_strength is +inf and mean is the pooled rate";
}

inline std::string clamped_note(double min_strength) {
  return "spread between operators at least as large as the estimator can represent: prior_strength "
         "clamped to min_strength = " +
         number(min_strength);
}

inline beta_prior_fit fit_moments(const bb_data& d, const beta_prior_options& opt) {
  constexpr const char* fn = "fit_beta_prior";
  const double k = static_cast<double>(d.operators);
  const double total = d.sum_n;
  const double p = d.sum_good / total;
  double between = 0.0;  // S = Σ n_i (p_i − p̂)²
  double sum_n2 = 0.0;
  for (std::size_t i = 0; i < d.n.size(); ++i) {
    const double dev = d.good[i] / d.n[i] - p;
    between += d.weight[i] * d.n[i] * dev * dev;
    sum_n2 += d.weight[i] * d.n[i] * d.n[i];
  }
  const double denominator = total - sum_n2 / total - (k - 1.0);
  if (!(denominator > 0.0))
    fail(fn, "method_of_moments cannot separate spread between operators from binomial noise: "
             "N − Σn²/N − (k − 1) = " + number(denominator) +
                 " <= 0 (too few reviews per operator; at least one operator needs n > 1)");
  const double pq = p * (1.0 - p);
  const double rho = (between / pq - (k - 1.0)) / denominator;
  if (rho <= 1.0 / (1.0 + opt.max_strength))
    return pooled_fit(d, prior_method::method_of_moments,
                      pooled_note("moment estimate of the intraclass correlation rho = " + number(rho) +
                                  " <= 1/(1 + max_strength)"));
  const double strength = 1.0 / rho - 1.0;
  if (!(strength > opt.min_strength)) {
    beta_prior_fit out = interior_fit(d, prior_method::method_of_moments, p, opt.min_strength);
    out.note = clamped_note(opt.min_strength) + " (moment estimate of rho = " + number(rho) + ")";
    return out;
  }
  return interior_fit(d, prior_method::method_of_moments, p, strength);
}

/// Unweighted moments of the raw shares p_i = good_i/n_i (R's ebbr "mm"): mean μ and sample
/// variance v (k − 1 in the denominator) over operators, α + β = μ(1 − μ)/v − 1.
inline beta_prior_fit fit_moments_unweighted(const bb_data& d, const beta_prior_options& opt) {
  constexpr const char* fn = "fit_beta_prior";
  const double k = static_cast<double>(d.operators);
  double mean = 0.0;
  for (std::size_t i = 0; i < d.n.size(); ++i) mean += d.weight[i] * (d.good[i] / d.n[i]);
  mean /= k;
  double var = 0.0;
  for (std::size_t i = 0; i < d.n.size(); ++i) {
    const double dev = d.good[i] / d.n[i] - mean;
    var += d.weight[i] * dev * dev;
  }
  var /= (k - 1.0);
  if (!(mean > 0.0 && mean < 1.0))
    fail(fn, "moments_unweighted needs a mean share strictly between 0 and 1, got " + number(mean));
  const double strength = var > 0.0 ? mean * (1.0 - mean) / var - 1.0 : std::numeric_limits<double>::infinity();
  if (!(strength < opt.max_strength))
    return pooled_fit(d, prior_method::moments_unweighted,
                      pooled_note("variance of the shares " + number(var) + " gives a strength >= max_strength"));
  if (!(strength > opt.min_strength)) {
    beta_prior_fit out = interior_fit(d, prior_method::moments_unweighted, mean, opt.min_strength);
    out.note = clamped_note(opt.min_strength) + " (variance of the shares " + number(var) + ")";
    return out;
  }
  return interior_fit(d, prior_method::moments_unweighted, mean, strength);
}

inline beta_prior_fit fit_likelihood(const bb_data& d, const beta_prior_options& opt) {
  constexpr const char* fn = "fit_beta_prior";
  const bool identifiable = std::any_of(d.n.begin(), d.n.end(), [](double v) { return v > 1.0; });
  if (!identifiable)
    fail(fn, "maximum_likelihood cannot separate spread between operators from binomial noise: "
             "every operator has n <= 1");
  const double t_lo = std::log(opt.min_strength);
  const double t_hi = std::log(opt.max_strength);
  const double p = d.sum_good / d.sum_n;
  int evaluations = 0;
  // Profile log-likelihood over t = ln(α + β); `mu` carries the warm start and returns μ̂(t).
  const auto profile = [&](double t, double& mu) {
    ++evaluations;
    const double s = std::exp(t);
    mu = solve_mean(d, s, mu);
    return bb_loglik(d, mu * s, (1.0 - mu) * s);
  };
  // Coarse grid from the largest strength down (where μ̂ ≈ the pooled rate) to the smallest; ties
  // keep the larger strength. Then Brent's method on the two grid cells around the best point.
  constexpr int grid = 64;
  std::vector<double> ts(grid), values(grid), mus(grid);
  double mu = p;
  int best = grid - 1;
  for (int j = grid - 1; j >= 0; --j) {
    const auto u = static_cast<std::size_t>(j);
    ts[u] = t_lo + (t_hi - t_lo) * j / (grid - 1);
    values[u] = profile(ts[u], mu);
    mus[u] = mu;
    if (values[u] > values[static_cast<std::size_t>(best)]) best = j;
  }
  const auto ub = static_cast<std::size_t>(best);
  double t_best = ts[ub];
  double v_best = values[ub];
  double mu_best = mus[ub];
  {
    const double a = ts[static_cast<std::size_t>(std::max(best - 1, 0))];
    const double b = ts[static_cast<std::size_t>(std::min(best + 1, grid - 1))];
    double mu_warm = mus[ub];
    std::uintmax_t max_iter = 200;
    const auto r = boost::math::tools::brent_find_minima(
        [&](double t) {
          double m = mu_warm;
          const double v = -profile(t, m);
          return v;
        },
        a, b, std::numeric_limits<double>::digits / 2, max_iter);
    if (-r.second > v_best) {
      t_best = r.first;
      double m = mu_warm;
      v_best = profile(t_best, m);
      mu_best = m;
    }
  }
  constexpr double edge = 1e-4;  // within 0.01 % of a strength bound counts as at the bound
  const double l_pooled = pooled_loglik(d);
  if (t_best >= t_hi - edge || v_best <= l_pooled + 1e-10 * std::max(1.0, std::abs(l_pooled))) {
    beta_prior_fit out = pooled_fit(
        d, prior_method::maximum_likelihood,
        pooled_note("the beta-binomial likelihood keeps rising up to max_strength = " + number(opt.max_strength)));
    out.iterations = evaluations;
    return out;
  }
  if (t_best <= t_lo + edge) {
    double m = mu_best;
    double s = opt.min_strength;
    mu_best = solve_mean(d, s, m);
    beta_prior_fit out = interior_fit(d, prior_method::maximum_likelihood, mu_best, s);
    out.iterations = evaluations;
    out.note = clamped_note(opt.min_strength) + " (the likelihood keeps rising as the strength falls)";
    return out;
  }
  beta_prior_fit out = interior_fit(d, prior_method::maximum_likelihood, mu_best, std::exp(t_best));
  out.iterations = evaluations;
  return out;
}

}  // namespace detail

/// Fits an empirical-Bayes Beta(α, β) prior for the operators' true shares of good reviews from
/// their counts (good_i of n_i; operators with n_i = 0 are skipped; at least 2 with n_i > 0 are
/// needed). Both methods accept fractional (decayed) counts.
///
/// - method_of_moments — Kleinman (1973, "Proportions with extraneous variance: single and
///   independent samples", JASA 68:46–54) moment estimator with weights w_i = n_i: with
///   N = Σn_i, p̂ = Σgood_i/N, p_i = good_i/n_i, S = Σ n_i (p_i − p̂)² and k operators,
///   E[S] = p(1−p)[(k − 1) + ρ(N − Σn_i²/N − (k − 1))] under the beta-binomial model with
///   intraclass correlation ρ = 1/(α + β + 1), hence
///
///       ρ̂ = (S/(p̂(1−p̂)) − (k − 1)) / (N − Σn_i²/N − (k − 1)),  α + β = 1/ρ̂ − 1,
///       α = p̂(α + β),  β = (1 − p̂)(α + β).
///
///   Throws data_error when the denominator is <= 0 (e.g. every n_i = 1: spread not identifiable).
/// - moments_unweighted — the mean μ and sample variance v of the raw shares good_i/n_i, each
///   operator once, binomial noise not removed: α + β = μ(1 − μ)/v − 1 (the "mm" method of R's
///   ebbr package, Robinson 2017). Simple, but its variance includes the binomial noise, so it
///   gives weaker (smaller α + β) priors than Kleinman's when operators have few reviews.
/// - maximum_likelihood — maximises the beta-binomial marginal log-likelihood
///   Σ ln[C(n_i, good_i) B(good_i + α, n_i − good_i + β)/B(α, β)] (Skellam 1948, JRSS B 10:257;
///   Griffiths 1973, Biometrics 29:637) over the mean μ = α/(α+β) and log strength
///   t = ln(α+β) ∈ [ln min_strength, ln max_strength]: the profile over μ is exact (the
///   log-likelihood is concave in μ, solved by safeguarded Newton on the digamma score), the
///   profile in t is scanned on a 64-point grid and refined by Brent's method
///   (boost::math::tools::brent_find_minima). Log-gamma differences are computed without
///   cancellation at large strengths. Fractional counts use the gamma-function extension of the
///   same likelihood (a quasi-likelihood; exact for integer counts). Deterministic (no random
///   starts). Throws data_error when no operator has n_i > 1.
///
/// Pooled (see beta_prior_fit): when every review is good or every review is bad; for MoM when
/// ρ̂ <= 1/(1 + max_strength) (no excess variance, or too little to matter); for ML when the
/// likelihood is highest at max_strength or no higher than its binomial limit. Strengths that
/// would fall below min_strength are clamped to it, with a `note`.
/// Other errors: mismatched sizes, counts not finite, negative or good > n (data_error naming the
/// element), bad options.
inline beta_prior_fit fit_beta_prior(const array_ref& good, const array_ref& n,
                                     prior_method method = prior_method::maximum_likelihood,
                                     const beta_prior_options& options = {}) {
  constexpr const char* fn = "fit_beta_prior";
  if (!(options.min_strength > 0.0) || !std::isfinite(options.min_strength))
    detail::fail(fn, "min_strength = " + detail::number(options.min_strength) + " must be a finite number > 0");
  if (!(options.max_strength > options.min_strength) || !std::isfinite(options.max_strength))
    detail::fail(fn, "max_strength = " + detail::number(options.max_strength) +
                         " must be finite and greater than min_strength = " + detail::number(options.min_strength));
  const detail::bb_data d = detail::collect(fn, good, n);
  if (d.sum_good == 0.0 || d.sum_good == d.sum_n) {
    beta_prior_fit out = detail::pooled_fit(
        d, method, detail::pooled_note(d.sum_good == 0.0 ? "every review is bad" : "every review is good"));
    return out;
  }
  if (method == prior_method::moments_unweighted) return detail::fit_moments_unweighted(d, options);
  return method == prior_method::method_of_moments ? detail::fit_moments(d, options)
                                                   : detail::fit_likelihood(d, options);
}

}  // namespace embedrating::estimators
