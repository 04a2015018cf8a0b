// Tests of include/embedrating/estimators.hpp: Wilson and Jeffreys intervals, Bayesian average,
// Kish effective n, empirical-Bayes Beta prior (method of moments, maximum likelihood).
//
// Reference values are never produced by the functions under test: they are worked by hand from
// the closed forms (arithmetic in the comments), or computed independently in Python as stated
// next to them (mpmath 1.3 at 40 digits, scipy 1.17).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "embedrating/errors.hpp"
#include "embedrating/estimators.hpp"

namespace {

namespace es = embedrating::estimators;
using es::prior_method;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The what() of the data_error thrown by f, or "" when nothing (or something else) is thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const embedrating::data_error& e) {
    return e.what();
  } catch (...) {
    return "<another exception>";
  }
  return "";
}

Eigen::ArrayXd array(std::initializer_list<double> v) {
  Eigen::ArrayXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (const double x : v) out[i++] = x;
  return out;
}

/// Beta-binomial log-likelihood written independently of the header, straight from the pmf
/// C(n,g) B(g+a, n−g+b) / B(a,b) with std::lgamma (single-threaded test, so signgam is harmless).
double beta_binomial_loglik(const Eigen::ArrayXd& g, const Eigen::ArrayXd& n, double a, double b) {
  double out = 0.0;
  for (Eigen::Index i = 0; i < g.size(); ++i) {
    if (n[i] == 0.0) continue;
    const double f = n[i] - g[i];
    out += std::lgamma(n[i] + 1) - std::lgamma(g[i] + 1) - std::lgamma(f + 1) + std::lgamma(g[i] + a) +
           std::lgamma(f + b) - std::lgamma(n[i] + a + b) - std::lgamma(a) - std::lgamma(b) + std::lgamma(a + b);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Wilson
// ---------------------------------------------------------------------------------------------

TEST(estimators, wilson_81_of_100_at_z_1_96_by_hand) {
  // Wilson (1927): p̂ = 0.81, z² = 3.8416, z²/n = 0.038416, z²/(2n) = 0.019208.
  // centre = (0.81 + 0.019208)/1.038416 = 0.829208/1.038416 = 0.7985316...
  // half   = 1.96/1.038416 · √(0.81·0.19/100 + 3.8416/40000) = 1.887490... · √(0.001539 + 0.00009604)
  //        = 1.887490... · √0.00163504 = 1.887490... · 0.0404356... = 0.0763218...
  // lower = 0.7222098, upper = 0.8748535; to 20 digits (mpmath, textbook form):
  const es::interval w = es::wilson_interval(81, 100, 1.96);
  EXPECT_NEAR(w.lower, 0.72220975929192141606, 1e-12);
  EXPECT_NEAR(w.upper, 0.87485346007295740017, 1e-12);
  EXPECT_NEAR(es::wilson_lower_bound(81, 100, 1.96), 0.72220975929192141606, 1e-12);
  // the brief's rough check
  EXPECT_NEAR(es::wilson_lower_bound(81, 100, 1.96), 0.7222, 1e-4);
}

TEST(estimators, wilson_default_z_and_other_z) {
  // mpmath, 40 digits, textbook form [p̂ + z²/2n ± z√(p̂q̂/n + z²/4n²)]/(1 + z²/n)
  EXPECT_EQ(es::z_95, 1.959963984540054);
  EXPECT_NEAR(es::wilson_lower_bound(81, 100), 0.72221154620935623879, 1e-12);
  EXPECT_NEAR(es::wilson_interval(81, 100).upper, 0.87485248490231264203, 1e-12);
  EXPECT_NEAR(es::wilson_lower_bound(81, 100, 2.5758293035489), 0.69097289460227732854, 1e-12);
  // z = 1 by hand: centre = (0.81 + 0.005)/1.01 = 0.806930693..., half = √(0.001539 + 0.000025)/1.01
  // = 0.039547439.../1.01 = 0.039155880...; lower = 0.767774813, upper = 0.846086574.
  EXPECT_NEAR(es::wilson_lower_bound(81, 100, 1.0), 0.76777481201329665641, 1e-12);
  EXPECT_NEAR(es::wilson_interval(81, 100, 1.0).upper, 0.84608657412531720497, 1e-12);
  // a larger z gives a lower bound further down
  EXPECT_LT(es::wilson_lower_bound(81, 100, 3.0), es::wilson_lower_bound(81, 100, 2.0));
}

TEST(estimators, wilson_boundaries) {
  // n = 0: no information.
  EXPECT_EQ(es::wilson_lower_bound(0, 0), 0.0);
  EXPECT_EQ(es::wilson_interval(0, 0).lower, 0.0);
  EXPECT_EQ(es::wilson_interval(0, 0).upper, 1.0);
  // good = 0: lower exactly 0; upper = z²/(n + z²) = 3.841458820694124/13.841458820694124.
  EXPECT_EQ(es::wilson_lower_bound(0, 10), 0.0);
  EXPECT_NEAR(es::wilson_interval(0, 10).upper, 0.27753279986288920453, 1e-12);
  // good = n: upper exactly 1; lower = n/(n + z²) = 10/13.841458820694124.
  EXPECT_EQ(es::wilson_interval(10, 10).upper, 1.0);
  EXPECT_NEAR(es::wilson_lower_bound(10, 10), 0.72246720013711079547, 1e-12);
  // 1 of 1: 1/(1 + z²) = 0.2065493...
  EXPECT_NEAR(es::wilson_lower_bound(1, 1), 0.20654931437723742736, 1e-12);
  // fractional (decayed) counts, mpmath
  EXPECT_NEAR(es::wilson_lower_bound(2.5, 7.25), 0.11372880844590370394, 1e-12);
  EXPECT_NEAR(es::wilson_interval(2.5, 7.25).upper, 0.68341239395372882429, 1e-12);
  // a tiny positive n stays finite and inside [0, 1]
  const es::interval tiny = es::wilson_interval(1e-300, 2e-300);
  EXPECT_GE(tiny.lower, 0.0);
  EXPECT_LE(tiny.upper, 1.0);
  EXPECT_LE(tiny.lower, tiny.upper);
}

TEST(estimators, wilson_arrays_match_scalars) {
  const Eigen::ArrayXd good = array({81, 0, 10, 2.5, 0});
  const Eigen::ArrayXd n = array({100, 10, 10, 7.25, 0});
  const Eigen::ArrayXd lower = es::wilson_lower_bound(good, n);
  const es::interval_arrays both = es::wilson_interval(good, n, 1.96);
  ASSERT_EQ(lower.size(), 5);
  ASSERT_EQ(both.lower.size(), 5);
  for (Eigen::Index i = 0; i < 5; ++i) {
    EXPECT_EQ(lower[i], es::wilson_lower_bound(good[i], n[i])) << i;
    EXPECT_EQ(both.lower[i], es::wilson_interval(good[i], n[i], 1.96).lower) << i;
    EXPECT_EQ(both.upper[i], es::wilson_interval(good[i], n[i], 1.96).upper) << i;
  }
  EXPECT_NEAR(lower[0], 0.72221154620935623879, 1e-12);
  // a Map over plain memory (what the Python binding passes) works without a copy
  const std::vector<double> gv{81, 9};
  const std::vector<double> nv{100, 10};
  const Eigen::Map<const Eigen::ArrayXd> gm(gv.data(), 2);
  const Eigen::Map<const Eigen::ArrayXd> nm(nv.data(), 2);
  EXPECT_NEAR(es::wilson_lower_bound(gm, nm, 1.96)[0], 0.72220975929192141606, 1e-12);
  // empty in, empty out
  EXPECT_EQ(es::wilson_lower_bound(Eigen::ArrayXd(), Eigen::ArrayXd()).size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Jeffreys
// ---------------------------------------------------------------------------------------------

TEST(estimators, jeffreys_against_independent_quantiles) {
  // Beta(g + 1/2, n − g + 1/2) quantiles (1 ∓ c)/2, computed in mpmath (40 digits) by solving
  // betainc(a, b, 0, x, regularized=True) = q with findroot; scipy.stats.beta.ppf agrees to 1e-15.
  es::interval j = es::jeffreys_interval(81, 100);
  EXPECT_NEAR(j.lower, 0.72490268335859224447, 1e-12);
  EXPECT_NEAR(j.upper, 0.87746037287690088145, 1e-12);
  j = es::jeffreys_interval(1, 10);
  EXPECT_NEAR(j.lower, 0.011011673763161142867, 1e-12);
  EXPECT_NEAR(j.upper, 0.38131477106661632616, 1e-12);
  j = es::jeffreys_interval(3, 7, 0.90);
  EXPECT_NEAR(j.lower, 0.174606819096869405, 1e-12);
  EXPECT_NEAR(j.upper, 0.71918194093307886964, 1e-12);
  j = es::jeffreys_interval(2.5, 7.25);  // fractional counts: Beta(3, 5.25)
  EXPECT_NEAR(j.lower, 0.095145625047599491018, 1e-12);
  EXPECT_NEAR(j.upper, 0.69408946614380155371, 1e-12);
}

TEST(estimators, jeffreys_brown_cai_dasgupta_ends) {
  // good = 0: lower is 0 (not the 2.5 % quantile 4.789e-05 of Beta(0.5, 10.5)); upper is the
  // 97.5 % quantile 0.21719626750921051559 (mpmath).
  es::interval j = es::jeffreys_interval(0, 10);
  EXPECT_EQ(j.lower, 0.0);
  EXPECT_NEAR(j.upper, 0.21719626750921051559, 1e-12);
  // good = n: upper is 1, lower the 2.5 % quantile of Beta(10.5, 0.5) = 1 − 0.2171962675...
  j = es::jeffreys_interval(10, 10);
  EXPECT_EQ(j.upper, 1.0);
  EXPECT_NEAR(j.lower, 0.78280373249078948441, 1e-12);
  // n = 0: [0, 1]
  j = es::jeffreys_interval(0, 0);
  EXPECT_EQ(j.lower, 0.0);
  EXPECT_EQ(j.upper, 1.0);
  // wider at a higher confidence
  EXPECT_LT(es::jeffreys_interval(81, 100, 0.99).lower, es::jeffreys_interval(81, 100, 0.95).lower);
  EXPECT_GT(es::jeffreys_interval(81, 100, 0.99).upper, es::jeffreys_interval(81, 100, 0.95).upper);
}

TEST(estimators, jeffreys_arrays_match_scalars) {
  const Eigen::ArrayXd good = array({81, 0, 10, 0});
  const Eigen::ArrayXd n = array({100, 10, 10, 0});
  const es::interval_arrays j = es::jeffreys_interval(good, n, 0.9);
  ASSERT_EQ(j.lower.size(), 4);
  for (Eigen::Index i = 0; i < 4; ++i) {
    EXPECT_EQ(j.lower[i], es::jeffreys_interval(good[i], n[i], 0.9).lower) << i;
    EXPECT_EQ(j.upper[i], es::jeffreys_interval(good[i], n[i], 0.9).upper) << i;
  }
  EXPECT_EQ(j.lower[3], 0.0);
  EXPECT_EQ(j.upper[3], 1.0);
}

// ---------------------------------------------------------------------------------------------
// Bayesian average, Kish
// ---------------------------------------------------------------------------------------------

TEST(estimators, bayesian_average_by_hand) {
  // (81 + 30·0.9)/(100 + 30) = 108/130 = 0.830769230769...
  EXPECT_NEAR(es::bayesian_average(81, 100, 0.9, 30), 108.0 / 130.0, 1e-15);
  // (0 + 10·0.8)/(0 + 10) = 0.8: no reviews, the prior mean
  EXPECT_NEAR(es::bayesian_average(0, 0, 0.8, 10), 0.8, 1e-15);
  // n + w = 0: the prior mean by definition
  EXPECT_EQ(es::bayesian_average(0, 0, 0.8, 0), 0.8);
  // w = 0: the raw share 3/4
  EXPECT_EQ(es::bayesian_average(3, 4, 0.8, 0), 0.75);
  // w = +inf (a pooled prior): the prior mean
  EXPECT_EQ(es::bayesian_average(3, 4, 0.8, inf), 0.8);
  // fractional: (2.5 + 2·0.5)/(7.25 + 2) = 3.5/9.25
  EXPECT_NEAR(es::bayesian_average(2.5, 7.25, 0.5, 2), 3.5 / 9.25, 1e-15);
  const Eigen::ArrayXd avg = es::bayesian_average(array({81, 0, 3}), array({100, 0, 4}), 0.9, 30);
  ASSERT_EQ(avg.size(), 3);
  EXPECT_NEAR(avg[0], 108.0 / 130.0, 1e-15);
  EXPECT_NEAR(avg[1], 0.9, 1e-15);
  EXPECT_NEAR(avg[2], (3 + 27.0) / 34.0, 1e-15);
}

TEST(estimators, kish_effective_n_by_hand) {
  // weights 1, 0.5, 0.25: Σw = 1.75, Σw² = 1.3125, (Σw)²/Σw² = 3.0625/1.3125 = 7/3.
  EXPECT_NEAR(es::kish_effective_n(1.75, 1.3125), 7.0 / 3.0, 1e-15);
  EXPECT_NEAR(es::kish_effective_n_from_weights(array({1, 0.5, 0.25})), 7.0 / 3.0, 1e-15);
  // equal weights: n itself
  EXPECT_NEAR(es::kish_effective_n(4.0, 4.0), 4.0, 1e-15);
  EXPECT_NEAR(es::kish_effective_n_from_weights(array({0.3, 0.3, 0.3, 0.3, 0.3})), 5.0, 1e-13);
  // Σw² = 0: 0
  EXPECT_EQ(es::kish_effective_n(0.0, 0.0), 0.0);
  EXPECT_EQ(es::kish_effective_n_from_weights(array({0, 0})), 0.0);
  EXPECT_EQ(es::kish_effective_n_from_weights(Eigen::ArrayXd()), 0.0);
  // tiny weights whose squares underflow still count as 3 observations
  EXPECT_NEAR(es::kish_effective_n_from_weights(array({1e-200, 1e-200, 1e-200})), 3.0, 1e-13);
  const Eigen::ArrayXd k = es::kish_effective_n(array({1.75, 0, 4}), array({1.3125, 0, 4}));
  ASSERT_EQ(k.size(), 3);
  EXPECT_NEAR(k[0], 7.0 / 3.0, 1e-15);
  EXPECT_EQ(k[1], 0.0);
  EXPECT_NEAR(k[2], 4.0, 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Special-function differences used by the likelihood (detail, but they carry its accuracy)
// ---------------------------------------------------------------------------------------------

TEST(estimators, gamma_function_differences_match_finite_sums) {
  // For an integer x: lnΓ(a+x) − lnΓ(a) = Σ_{j<x} ln(a+j), ψ(a+x) − ψ(a) = Σ_{j<x} 1/(a+j),
  // ψ′(a+x) − ψ′(a) = −Σ_{j<x} 1/(a+j)² (the recurrence Γ(y+1) = yΓ(y)), summed here in long double.
  // The cases straddle the switch to the asymptotic series at a = 10.
  for (const double a : {0.001, 0.37, 1.0, 9.999, 10.0, 12.5, 333.3, 1e4, 1e6}) {
    for (const int x : {1, 2, 7, 30, 250}) {
      long double lg = 0.0L;
      long double dg = 0.0L;
      long double tg = 0.0L;
      for (int j = 0; j < x; ++j) {
        const long double y = static_cast<long double>(a) + j;
        lg += std::log(y);
        dg += 1.0L / y;
        tg -= 1.0L / (y * y);
      }
      const auto rel = [](long double v) { return 2e-14 * std::max(1.0L, std::fabs(v)); };
      EXPECT_NEAR(es::detail::lgamma_diff(a, x), static_cast<double>(lg), static_cast<double>(rel(lg))) << a << " " << x;
      EXPECT_NEAR(es::detail::digamma_diff(a, x), static_cast<double>(dg), static_cast<double>(rel(dg))) << a << " " << x;
      EXPECT_NEAR(es::detail::trigamma_diff(a, x), static_cast<double>(tg), 1e-12 * std::fabs(static_cast<double>(tg)))
          << a << " " << x;
    }
  }
  EXPECT_EQ(es::detail::lgamma_diff(5.0, 0.0), 0.0);
  // a fractional step against lnΓ directly (lnΓ(12.75) = 19.35823..., lnΓ(10.5) = 13.94063...)
  EXPECT_NEAR(es::detail::lgamma_diff(10.5, 2.25), std::lgamma(12.75) - std::lgamma(10.5), 1e-13);
  EXPECT_NEAR(es::detail::lgamma_diff(3.5, 2.25), std::lgamma(5.75) - std::lgamma(3.5), 1e-13);
}

// ---------------------------------------------------------------------------------------------
// Empirical-Bayes Beta prior: method of moments
// ---------------------------------------------------------------------------------------------

TEST(estimators, moments_on_four_operators_by_hand) {
  // good/n = 8/10, 5/10, 18/20, 9/20. Kleinman (1973) with w_i = n_i:
  // N = 60, p̂ = 40/60 = 2/3, p_i − p̂ = 2/15, −1/6, 7/30, −13/60;
  // S = 10·4/225 + 10·1/36 + 20·49/900 + 20·169/3600 = (640 + 1000 + 3920 + 3380)/3600 = 149/60;
  // S/(p̂q̂) = (149/60)/(2/9) = 11.175; minus (k − 1) = 3 gives 8.175 = 327/40;
  // N − Σn²/N − (k − 1) = 60 − 1000/60 − 3 = 121/3;  ρ̂ = (327/40)/(121/3) = 981/4840;
  // α + β = 4840/981 − 1 = 3859/981 = 3.9337410805...;  α = (2/3)·3859/981 = 7718/2943,
  // β = 3859/2943.
  const Eigen::ArrayXd g = array({8, 5, 18, 9});
  const Eigen::ArrayXd n = array({10, 10, 20, 20});
  const es::beta_prior_fit f = es::fit_beta_prior(g, n, prior_method::method_of_moments);
  EXPECT_FALSE(f.pooled);
  EXPECT_EQ(f.method, "method_of_moments");
  EXPECT_EQ(f.iterations, 0);
  EXPECT_EQ(f.operators, 4u);
  EXPECT_TRUE(f.note.empty()) << f.note;
  EXPECT_NEAR(f.prior_strength, 3859.0 / 981.0, 1e-12);
  EXPECT_NEAR(f.alpha, 7718.0 / 2943.0, 1e-12);
  EXPECT_NEAR(f.beta, 3859.0 / 2943.0, 1e-12);
  EXPECT_NEAR(f.mean, 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(f.log_likelihood, beta_binomial_loglik(g, n, 7718.0 / 2943.0, 3859.0 / 2943.0), 1e-10);
}

TEST(estimators, moments_fractional_counts_and_zero_n_skipped) {
  // The same operators at half the counts (decayed): p_i and p̂ unchanged, S = 149/120,
  // S/(p̂q̂) − 3 = 5.5875 − 3 = 207/80; N = 30, Σn² = 250, N − Σn²/N − 3 = 30 − 25/3 − 3 = 56/3;
  // ρ̂ = (207/80)/(56/3) = 621/4480; α + β = 4480/621 − 1 = 3859/621 = 6.2141706924...
  // An operator with n = 0 is skipped.
  const Eigen::ArrayXd g = array({4, 2.5, 0, 9, 4.5});
  const Eigen::ArrayXd n = array({5, 5, 0, 10, 10});
  const es::beta_prior_fit f = es::fit_beta_prior(g, n, prior_method::method_of_moments);
  EXPECT_FALSE(f.pooled);
  EXPECT_EQ(f.operators, 4u);
  EXPECT_NEAR(f.prior_strength, 3859.0 / 621.0, 1e-12);
  EXPECT_NEAR(f.mean, 2.0 / 3.0, 1e-15);
}

TEST(estimators, moments_pooled_when_no_spread) {
  // Five operators at exactly 8 of 10: S = 0, ρ̂ = −4/(50 − 500/50 − 4) = −4/36 < 0 → pooled.
  const Eigen::ArrayXd g = array({8, 8, 8, 8, 8});
  const Eigen::ArrayXd n = array({10, 10, 10, 10, 10});
  const es::beta_prior_fit f = es::fit_beta_prior(g, n, prior_method::method_of_moments);
  EXPECT_TRUE(f.pooled);
  EXPECT_EQ(f.alpha, 0.0);
  EXPECT_EQ(f.beta, 0.0);
  EXPECT_EQ(f.prior_strength, inf);
  EXPECT_EQ(f.mean, 0.8);
  EXPECT_NE(f.note.find("pooled: no spread between operators beyond binomial noise"), std::string::npos) << f.note;
  EXPECT_NE(f.note.find("rho = -0.111111111111111"), std::string::npos) << f.note;
  // binomial log-likelihood at the pooled rate: 5·ln[C(10,8) 0.8⁸ 0.2²] (scipy binom.logpmf)
  EXPECT_NEAR(f.log_likelihood, -5.986808728057795, 1e-10);
  // the pooled prior plugs straight into the Bayesian average
  EXPECT_EQ(es::bayesian_average(3, 10, f.mean, f.prior_strength), 0.8);
  // under-dispersed rates (50, 51, 49, 50 of 100) are pooled too
  const es::beta_prior_fit u =
      es::fit_beta_prior(array({50, 51, 49, 50}), array({100, 100, 100, 100}), prior_method::method_of_moments);
  EXPECT_TRUE(u.pooled);
  EXPECT_NEAR(u.mean, 0.5, 1e-15);
}

TEST(estimators, moments_clamped_at_all_or_nothing_spread) {
  // 10 of 10 and 0 of 10: p̂ = 1/2, S = 10·0.25 + 10·0.25 = 5, S/(p̂q̂) − 1 = 19,
  // N − Σn²/N − 1 = 20 − 10 − 1 = 9, ρ̂ = 19/9 > 1: α + β would be negative → clamped.
  const es::beta_prior_fit f =
      es::fit_beta_prior(array({10, 0}), array({10, 10}), prior_method::method_of_moments);
  EXPECT_FALSE(f.pooled);
  EXPECT_EQ(f.prior_strength, 1e-3);
  EXPECT_NEAR(f.alpha, 5e-4, 1e-18);
  EXPECT_NEAR(f.beta, 5e-4, 1e-18);
  EXPECT_NE(f.note.find("clamped to min_strength = 0.001"), std::string::npos) << f.note;
}

// ---------------------------------------------------------------------------------------------
// Empirical-Bayes Beta prior: maximum likelihood
// ---------------------------------------------------------------------------------------------

TEST(estimators, likelihood_on_four_operators_against_scipy) {
  // scipy: maximise Σ betabinom.logpmf(g, n, μs, (1−μ)s) over (logit μ, ln s), Nelder–Mead then
  // BFGS (gtol 1e-12): α = 5.020959350116415, β = 2.515691628930662, log-likelihood
  // −9.556777607007088. The likelihood is flat near the top, so compare to 1e-6 relative.
  const Eigen::ArrayXd g = array({8, 5, 18, 9});
  const Eigen::ArrayXd n = array({10, 10, 20, 20});
  const es::beta_prior_fit f = es::fit_beta_prior(g, n, prior_method::maximum_likelihood);
  EXPECT_FALSE(f.pooled);
  EXPECT_EQ(f.method, "maximum_likelihood");
  EXPECT_GT(f.iterations, 0);
  EXPECT_TRUE(f.note.empty()) << f.note;
  EXPECT_NEAR(f.alpha, 5.020959350116415, 5.020959350116415 * 1e-6);
  EXPECT_NEAR(f.beta, 2.515691628930662, 2.515691628930662 * 1e-6);
  EXPECT_NEAR(f.log_likelihood, -9.556777607007088, 1e-10);
  EXPECT_NEAR(f.mean, f.alpha / (f.alpha + f.beta), 1e-15);
  EXPECT_NEAR(f.prior_strength, f.alpha + f.beta, 1e-12);
  // reported log-likelihood = independent evaluation at the fit, and no step away raises it
  const double at = beta_binomial_loglik(g, n, f.alpha, f.beta);
  EXPECT_NEAR(f.log_likelihood, at, 1e-10);
  for (const double da : {-1e-3, 1e-3})
    for (const double db : {-1e-3, 0.0, 1e-3})
      EXPECT_LE(beta_binomial_loglik(g, n, f.alpha * (1 + da), f.beta * (1 + db)), at + 1e-12) << da << " " << db;
  // the default method is maximum likelihood
  EXPECT_EQ(es::fit_beta_prior(g, n).alpha, f.alpha);
  // the same data at the default options' bounds, with explicit options
  es::beta_prior_options opt;
  opt.max_strength = 5.0;  // the optimum 7.54 lies above: pooled
  EXPECT_TRUE(es::fit_beta_prior(g, n, prior_method::maximum_likelihood, opt).pooled);
}

TEST(estimators, likelihood_fractional_counts_against_scipy) {
  // Gamma-function extension (scipy.special.gammaln, same optimiser as above):
  // α = 8.393422585103098, β = 4.2086140642194625, log-likelihood −7.023287673513678.
  const es::beta_prior_fit f =
      es::fit_beta_prior(array({4, 2.5, 9, 4.5}), array({5, 5, 10, 10}), prior_method::maximum_likelihood);
  EXPECT_FALSE(f.pooled);
  EXPECT_NEAR(f.alpha, 8.393422585103098, 8.393422585103098 * 1e-6);
  EXPECT_NEAR(f.beta, 4.2086140642194625, 4.2086140642194625 * 1e-6);
  EXPECT_NEAR(f.log_likelihood, -7.023287673513678, 1e-10);
}

/// k operators with n_i uniform in 20..200 reviews and true shares from Beta(a, b), drawn as
/// X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b); each review good with that share.
void simulate(std::uint64_t seed, int k, double a, double b, Eigen::ArrayXd& good, Eigen::ArrayXd& n) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> ga(a, 1.0);
  std::gamma_distribution<double> gb(b, 1.0);
  good.resize(k);
  n.resize(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    const auto ni = 20 + static_cast<int>(rng() % 181);
    const double x = ga(rng);
    const double y = gb(rng);
    const double p = x / (x + y);
    int gi = 0;
    for (int t = 0; t < ni; ++t) gi += static_cast<double>(rng() >> 11) * 0x1.0p-53 < p ? 1 : 0;
    good[i] = gi;
    n[i] = ni;
  }
}

TEST(estimators, likelihood_recovers_simulated_beta_binomial) {
  // Beta(8, 2): mean 0.8, strength 10. Over 40 seeds with 400 operators the ML estimates had
  // sd ≈ 0.006 (mean) and ≈ 0.7 (strength); the tolerances are about 5 sd.
  Eigen::ArrayXd g;
  Eigen::ArrayXd n;
  simulate(20240823, 400, 8.0, 2.0, g, n);
  const es::beta_prior_fit ml = es::fit_beta_prior(g, n, prior_method::maximum_likelihood);
  EXPECT_FALSE(ml.pooled);
  EXPECT_NEAR(ml.mean, 0.8, 0.03);
  EXPECT_NEAR(ml.prior_strength, 10.0, 3.5);
  EXPECT_NEAR(ml.log_likelihood, beta_binomial_loglik(g, n, ml.alpha, ml.beta), 1e-7);
  // ML beats MoM on its own criterion, and both see the same prior
  const es::beta_prior_fit mm = es::fit_beta_prior(g, n, prior_method::method_of_moments);
  EXPECT_FALSE(mm.pooled);
  EXPECT_GE(ml.log_likelihood, mm.log_likelihood);
  EXPECT_NEAR(mm.mean, 0.8, 0.03);
  EXPECT_NEAR(mm.prior_strength, 10.0, 4.0);
  // deterministic, and independent of the order of the operators bit for bit
  const es::beta_prior_fit again = es::fit_beta_prior(g, n, prior_method::maximum_likelihood);
  EXPECT_EQ(again.alpha, ml.alpha);
  EXPECT_EQ(again.beta, ml.beta);
  EXPECT_EQ(again.iterations, ml.iterations);
  const Eigen::ArrayXd rg = g.reverse();
  const Eigen::ArrayXd rn = n.reverse();
  const es::beta_prior_fit reversed = es::fit_beta_prior(rg, rn, prior_method::maximum_likelihood);
  EXPECT_EQ(reversed.alpha, ml.alpha);
  EXPECT_EQ(reversed.beta, ml.beta);
  EXPECT_EQ(reversed.log_likelihood, ml.log_likelihood);
  EXPECT_EQ(reversed.operators, 400u);
  EXPECT_EQ(es::fit_beta_prior(rg, rn, prior_method::method_of_moments).alpha, mm.alpha);
}

TEST(estimators, likelihood_pooled_when_no_spread) {
  // identical rates: the likelihood rises all the way to max_strength → pooled, no huge numbers
  const Eigen::ArrayXd g = array({8, 8, 8, 8, 8});
  const Eigen::ArrayXd n = array({10, 10, 10, 10, 10});
  const es::beta_prior_fit f = es::fit_beta_prior(g, n, prior_method::maximum_likelihood);
  EXPECT_TRUE(f.pooled);
  EXPECT_EQ(f.alpha, 0.0);
  EXPECT_EQ(f.beta, 0.0);
  EXPECT_EQ(f.prior_strength, inf);
  EXPECT_EQ(f.mean, 0.8);
  EXPECT_NEAR(f.log_likelihood, -5.986808728057795, 1e-10);  // scipy binom.logpmf, as above
  EXPECT_NE(f.note.find("keeps rising up to max_strength = 1000000"), std::string::npos) << f.note;
  // binomial data (every operator's share ≈ 0.7, 200 operators) are pooled too, or at worst
  // fitted at a strength no larger than max_strength — never a huge number
  Eigen::ArrayXd sg;
  Eigen::ArrayXd sn;
  simulate(7, 200, 7e6, 3e6, sg, sn);  // Beta(7e6, 3e6) ≈ a point mass at 0.7
  const es::beta_prior_fit b = es::fit_beta_prior(sg, sn, prior_method::maximum_likelihood);
  EXPECT_TRUE(b.pooled || b.prior_strength <= 1e6);
  EXPECT_TRUE(std::isfinite(b.alpha) && b.alpha <= 1e6);
  // every review good / bad: pooled at 1 / 0 for both methods
  for (const auto m : {prior_method::maximum_likelihood, prior_method::method_of_moments}) {
    const es::beta_prior_fit all_good = es::fit_beta_prior(array({10, 3}), array({10, 3}), m);
    EXPECT_TRUE(all_good.pooled);
    EXPECT_EQ(all_good.mean, 1.0);
    EXPECT_NE(all_good.note.find("every review is good"), std::string::npos) << all_good.note;
    const es::beta_prior_fit all_bad = es::fit_beta_prior(array({0, 0}), array({10, 3}), m);
    EXPECT_TRUE(all_bad.pooled);
    EXPECT_EQ(all_bad.mean, 0.0);
    EXPECT_EQ(all_bad.log_likelihood, 0.0);  // ln C(n, 0) = 0 and 0·ln 0 = 0
  }
}

TEST(estimators, likelihood_clamped_at_all_or_nothing_spread) {
  // 10 of 10 and 0 of 10: the likelihood tends to μ(1 − μ) as α + β → 0, so the fit stops at
  // min_strength with μ = 1/2 by symmetry.
  const es::beta_prior_fit f = es::fit_beta_prior(array({10, 0}), array({10, 10}), prior_method::maximum_likelihood);
  EXPECT_FALSE(f.pooled);
  EXPECT_EQ(f.prior_strength, 1e-3);
  EXPECT_NEAR(f.mean, 0.5, 1e-9);
  EXPECT_NE(f.note.find("clamped to min_strength = 0.001"), std::string::npos) << f.note;
  EXPECT_LT(f.log_likelihood, std::log(0.25));
  EXPECT_GT(f.log_likelihood, std::log(0.25) - 0.01);
}

// ---------------------------------------------------------------------------------------------
// Bad inputs
// ---------------------------------------------------------------------------------------------

TEST(estimators, bad_counts_are_named) {
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(120, 100); }), "wilson_lower_bound: good = 120 exceeds n = 100");
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(-1, 10); }),
            "wilson_lower_bound: good = -1 must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(nan, 10); }),
            "wilson_lower_bound: good = nan must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(5, inf); }),
            "wilson_lower_bound: n = inf must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::wilson_interval(0.5, 0.25); }), "wilson_interval: good = 0.5 exceeds n = 0.25");
  EXPECT_EQ(error_of([] { es::jeffreys_interval(3, -2); }),
            "jeffreys_interval: n = -2 must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::bayesian_average(11, 10, 0.5, 1); }), "bayesian_average: good = 11 exceeds n = 10");
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(0.1, 0.30000000000000004); }), "");
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(0.30000000000000004, 0.3); }),
            "wilson_lower_bound: good = 0.30000000000000004 exceeds n = 0.3");
}

TEST(estimators, bad_parameters_are_named) {
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(8, 10, 0.0); }),
            "wilson_lower_bound: z = 0 must be a finite number > 0");
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(8, 10, -1.96); }),
            "wilson_lower_bound: z = -1.96 must be a finite number > 0");
  EXPECT_EQ(error_of([] { es::wilson_interval(8, 10, nan); }), "wilson_interval: z = nan must be a finite number > 0");
  EXPECT_EQ(error_of([] { es::jeffreys_interval(8, 10, 1.0); }),
            "jeffreys_interval: confidence = 1 must be strictly between 0 and 1");
  EXPECT_EQ(error_of([] { es::jeffreys_interval(8, 10, 0.0); }),
            "jeffreys_interval: confidence = 0 must be strictly between 0 and 1");
  EXPECT_EQ(error_of([] { es::bayesian_average(8, 10, 1.5, 10); }),
            "bayesian_average: prior_mean = 1.5 must be a finite number in [0, 1]");
  EXPECT_EQ(error_of([] { es::bayesian_average(8, 10, 0.5, -1); }),
            "bayesian_average: prior_weight = -1 must be a number >= 0 (+inf allowed)");
  EXPECT_EQ(error_of([] { es::bayesian_average(8, 10, 0.5, nan); }),
            "bayesian_average: prior_weight = nan must be a number >= 0 (+inf allowed)");
  EXPECT_EQ(error_of([] { es::kish_effective_n(-1, 1); }), "kish_effective_n: sum_w = -1 must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::kish_effective_n(1, nan); }),
            "kish_effective_n: sum_w2 = nan must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::kish_effective_n_from_weights(array({1, -0.5})); }),
            "kish_effective_n_from_weights: weights[1] = -0.5 must be a finite number >= 0");
}

TEST(estimators, bad_arrays_are_named_by_element) {
  EXPECT_EQ(error_of([] { es::wilson_lower_bound(array({1, 2, 3}), array({4, 5})); }),
            "wilson_lower_bound: good has 3 elements but n has 2");
  EXPECT_EQ(error_of([] { es::wilson_interval(array({1, 11}), array({10, 10})); }),
            "wilson_interval: good[1] = 11 exceeds n[1] = 10");
  EXPECT_EQ(error_of([] { es::jeffreys_interval(array({1}), array({10, 10})); }),
            "jeffreys_interval: good has 1 elements but n has 2");
  EXPECT_EQ(error_of([] { es::jeffreys_interval(array({1, nan}), array({10, 10})); }),
            "jeffreys_interval: good[1] = nan must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::bayesian_average(array({1, 2}), array({10, -3}), 0.5, 1); }),
            "bayesian_average: n[1] = -3 must be a finite number >= 0");
  EXPECT_EQ(error_of([] { es::kish_effective_n(array({1, 2}), array({1})); }),
            "kish_effective_n: sum_w has 2 elements but sum_w2 has 1");
  EXPECT_EQ(error_of([] { es::kish_effective_n(array({1, 2}), array({1, -inf})); }),
            "kish_effective_n: sum_w2[1] = -inf must be a finite number >= 0");
}

TEST(estimators, bad_prior_fits_are_named) {
  const auto ml = prior_method::maximum_likelihood;
  const auto mm = prior_method::method_of_moments;
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 2}), array({10, 10, 10}), ml); }),
            "fit_beta_prior: good has 2 elements but n has 3");
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 12, 3}), array({10, 10, 10}), mm); }),
            "fit_beta_prior: good[1] = 12 exceeds n[1] = 10");
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 2, nan}), array({10, 10, 10}), ml); }),
            "fit_beta_prior: good[2] = nan must be a finite number >= 0");
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 0}), array({10, 0}), mm); }),
            "fit_beta_prior: needs at least 2 operators with n > 0 to fit a prior across operators, got 1");
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(Eigen::ArrayXd(), Eigen::ArrayXd(), ml); }),
            "fit_beta_prior: needs at least 2 operators with n > 0 to fit a prior across operators, got 0");
  // every operator has one review: spread is not identifiable
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 0, 1}), array({1, 1, 1}), ml); }),
            "fit_beta_prior: maximum_likelihood cannot separate spread between operators from binomial "
            "noise: every operator has n <= 1");
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 0, 1}), array({1, 1, 1}), mm); }),
            "fit_beta_prior: method_of_moments cannot separate spread between operators from binomial "
            "noise: N − Σn²/N − (k − 1) = 0 <= 0 (too few reviews per operator; at least one operator "
            "needs n > 1)");
  es::beta_prior_options opt;
  opt.min_strength = 0.0;
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 2}), array({10, 10}), ml, opt); }),
            "fit_beta_prior: min_strength = 0 must be a finite number > 0");
  opt.min_strength = 10;
  opt.max_strength = 5;
  EXPECT_EQ(error_of([&] { es::fit_beta_prior(array({1, 2}), array({10, 10}), ml, opt); }),
            "fit_beta_prior: max_strength = 5 must be finite and greater than min_strength = 10");
}

// The unweighted convention (R's ebbr "mm"): the raw shares' mean and sample variance.
TEST(estimators, moments_unweighted_matches_the_raw_shares) {
  Eigen::ArrayXd good(6), n(6);
  good << 8, 15, 3, 40, 9, 27;
  n << 10, 20, 10, 50, 10, 30;
  const Eigen::ArrayXd p = good / n;
  const double mu = p.mean();
  const double var = (p - mu).square().sum() / 5.0;
  const auto fit = es::fit_beta_prior(good, n, prior_method::moments_unweighted);
  EXPECT_EQ(fit.method, "moments_unweighted");
  EXPECT_NEAR(fit.prior_strength, mu * (1 - mu) / var - 1, 1e-9);
  EXPECT_NEAR(fit.mean, mu, 1e-12);
  EXPECT_NEAR(fit.alpha, mu * fit.prior_strength, 1e-9);
  const auto kleinman = es::fit_beta_prior(good, n, prior_method::method_of_moments);
  EXPECT_NE(kleinman.prior_strength, fit.prior_strength);  // the two conventions differ
  EXPECT_EQ(es::parse_prior_method("ebbr"), prior_method::moments_unweighted);
  EXPECT_EQ(es::parse_prior_method("kleinman"), prior_method::method_of_moments);
  // identical shares: no spread at all, pooled
  Eigen::ArrayXd same(3), ns(3);
  same << 5, 10, 15;
  ns << 10, 20, 30;
  EXPECT_TRUE(es::fit_beta_prior(same, ns, prior_method::moments_unweighted).pooled);
}

TEST(estimators, prior_method_names) {
  EXPECT_EQ(es::parse_prior_method("method_of_moments"), prior_method::method_of_moments);
  EXPECT_EQ(es::parse_prior_method("mom"), prior_method::method_of_moments);
  EXPECT_EQ(es::parse_prior_method("maximum_likelihood"), prior_method::maximum_likelihood);
  EXPECT_EQ(es::parse_prior_method("ml"), prior_method::maximum_likelihood);
  EXPECT_EQ(es::to_string(prior_method::method_of_moments), "method_of_moments");
  EXPECT_EQ(es::to_string(prior_method::maximum_likelihood), "maximum_likelihood");
  EXPECT_EQ(error_of([] { es::parse_prior_method("bayes"); }),
            "fit_beta_prior: method = \"bayes\" is not one of \"method_of_moments\" (Kleinman's weighted moments), "
            "\"moments_unweighted\" (the raw shares' moments, as R's ebbr), \"maximum_likelihood\"");
}

}  // namespace
