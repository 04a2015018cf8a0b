// embedrating._core: the estimators of estimators.hpp over flat float64 arrays (Wilson, Jeffreys,
// Bayesian average, Kish, the empirical-Bayes Beta prior); embedrating.reviews broadcasts and
// reshapes.
#include <embedrating/estimators.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
namespace est = embedrating::estimators;

// ---------------------------------------------------------------------------------------------
// Estimators (flat float64 arrays; embedrating.reviews broadcasts and reshapes)

using ref = est::array_ref;

}  // namespace

void register_estimators(py::module_& m) {
  m.def("wilson_lower_bound", [](ref good, ref n, double z) -> Eigen::ArrayXd { return est::wilson_lower_bound(good, n, z); },
        "good"_a, "n"_a, "z"_a = est::z_95);
  m.def(
      "wilson_interval",
      [](ref good, ref n, double z) {
        est::interval_arrays r = est::wilson_interval(good, n, z);
        return py::make_tuple(std::move(r.lower), std::move(r.upper));
      },
      "good"_a, "n"_a, "z"_a = est::z_95);
  m.def(
      "jeffreys_interval",
      [](ref good, ref n, double confidence) {
        est::interval_arrays r;
        {
          py::gil_scoped_release nogil;
          r = est::jeffreys_interval(good, n, confidence);
        }
        return py::make_tuple(std::move(r.lower), std::move(r.upper));
      },
      "good"_a, "n"_a, "confidence"_a = 0.95);
  m.def(
      "bayesian_average",
      [](ref good, ref n, double prior_mean, double prior_weight) -> Eigen::ArrayXd {
        return est::bayesian_average(good, n, prior_mean, prior_weight);
      },
      "good"_a, "n"_a, "prior_mean"_a, "prior_weight"_a);
  m.def("kish_effective_n", [](ref sum_w, ref sum_w2) -> Eigen::ArrayXd { return est::kish_effective_n(sum_w, sum_w2); },
        "sum_w"_a, "sum_w2"_a);

  py::class_<est::beta_prior_fit>(m, "BetaPriorFit", "An empirical-Bayes Beta prior (or the statement that it is pooled).")
      .def_readonly("alpha", &est::beta_prior_fit::alpha)
      .def_readonly("beta", &est::beta_prior_fit::beta)
      .def_readonly("mean", &est::beta_prior_fit::mean)
      .def_readonly("prior_strength", &est::beta_prior_fit::prior_strength)
      .def_readonly("pooled", &est::beta_prior_fit::pooled)
      .def_readonly("method", &est::beta_prior_fit::method)
      .def_readonly("iterations", &est::beta_prior_fit::iterations)
      .def_readonly("log_likelihood", &est::beta_prior_fit::log_likelihood)
      .def_readonly("operators", &est::beta_prior_fit::operators)
      .def_readonly("note", &est::beta_prior_fit::note)
      .def("__repr__", [](const est::beta_prior_fit& f) {
        if (f.pooled)
          return "BetaPriorFit(pooled=True, mean=" + number_text(f.mean) + ", method='" + f.method + "')";
        return "BetaPriorFit(alpha=" + number_text(f.alpha) + ", beta=" + number_text(f.beta) +
               ", mean=" + number_text(f.mean) + ", method='" + f.method + "')";
      });
  m.def(
      "fit_beta_prior",
      [](ref good, ref n, const std::string& method, double min_strength, double max_strength) {
        const est::prior_method pm = est::parse_prior_method(method);
        est::beta_prior_options opt;
        opt.min_strength = min_strength;
        opt.max_strength = max_strength;
        py::gil_scoped_release nogil;
        return est::fit_beta_prior(good, n, pm, opt);
      },
      "good"_a, "n"_a, "method"_a = "maximum_likelihood", "min_strength"_a = 1e-3, "max_strength"_a = 1e6);
}

}  // namespace embedrating::python
