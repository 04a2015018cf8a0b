#pragma once
/// \file weights.hpp
/// Indicator weights from expert judgement and from data, and their combination (SPEC §6; Python
/// `embedrating.weights`, SPEC §7; issue 11):
///
/// - AHP (层次分析法) on one pairwise comparison matrix: principal eigenvector (`eigen`), row
///   geometric mean (`rgmm`) or normalised column mean (`colmean`); λmax, CI, CR with a random-index
///   table by name or as an array; the judgement whose revision most reduces the inconsistency.
/// - Group AHP: AIJ (weighted geometric mean of the judgements) and AIP (weighted mean of the
///   experts' priorities); hierarchical AHP over a model's tree (in src/weights.cpp).
/// - Objective weights over a decision matrix (rows = operators, columns = indicators): entropy
///   (熵权法), CRITIC, standard deviation, coefficient of variation (kernels in src/kernels/).
/// - Combination (组合赋权): linear and multiplicative.
/// - Cross-check ranking: min-max, vector, max and sum normalisation (cost-aware), weighted sum,
///   weighted product, TOPSIS.
/// - Weights → model: a weight vector becomes a model whose points keep the model's total and, by
///   default, its dimension totals (largest-remainder rounding to centi-points; src/weights.cpp).
///
/// Every function checks its arguments and throws embedrating::data_error naming the function,
/// what is at fault (the pair (i, j) and its values, the column, the row) and the value; nothing
/// returns NaN. Formulas and their sources are documented at each function and in docs/weights.md.
/// Thread-safe: no global state.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <boost/math/tools/minima.hpp>

#include "errors.hpp"
#include "model.hpp"

namespace embedrating::weights {

/// Optional names for messages: row labels (operator ids) and column labels (indicator ids).
/// Empty vectors mean "use the 0-based index".
struct labels {
  std::vector<std::string> rows;
  std::vector<std::string> cols;
};

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

[[noreturn]] inline void fail(const std::string& fn, const std::string& what, const std::string& field = {}) {
  error_location where;
  where.field = field;
  throw data_error(where, fn + ": " + what);
}

/// `"fire" (column 3)` or `column 3`.
inline std::string column_name(const labels& names, Eigen::Index j) {
  const auto u = static_cast<std::size_t>(j);
  if (u < names.cols.size()) return "column \"" + names.cols[u] + "\" (" + std::to_string(j) + ")";
  return "column " + std::to_string(j);
}

inline std::string row_name(const labels& names, Eigen::Index i) {
  const auto u = static_cast<std::size_t>(i);
  if (u < names.rows.size()) return "row \"" + names.rows[u] + "\" (" + std::to_string(i) + ")";
  return "row " + std::to_string(i);
}

/// The label of element i of a pairwise matrix: its id, or its 0-based index.
inline std::string element_name(const std::vector<std::string>& ids, Eigen::Index i) {
  const auto u = static_cast<std::size_t>(i);
  return u < ids.size() ? ids[u] : std::to_string(i);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Matrix views: any dense layout without a copy
// ---------------------------------------------------------------------------------------------

/// A read-only view of a dense m × n matrix of doubles with element (i, j) at
/// data[i·row_stride + j·col_stride] (strides in elements). Column-major storage (Eigen, numpy
/// Fortran order) has row_stride = 1; row-major (numpy C order) has col_stride = 1. The objective
/// weight kernels read either layout in one streaming pass; other strides are copied first.
struct matrix_view {
  const double* data = nullptr;
  Eigen::Index rows = 0;
  Eigen::Index cols = 0;
  Eigen::Index row_stride = 1;
  Eigen::Index col_stride = 0;

  double operator()(Eigen::Index i, Eigen::Index j) const noexcept { return data[i * row_stride + j * col_stride]; }
  bool column_major() const noexcept { return row_stride == 1; }
  bool row_major() const noexcept { return col_stride == 1; }
};

/// A view of an Eigen dense object with direct access; other expressions are evaluated into
/// `storage` first (which must outlive the view).
template <class Derived>
matrix_view view_of(const Eigen::DenseBase<Derived>& x, Eigen::MatrixXd& storage) {
  constexpr bool direct = (int(Derived::Flags) & Eigen::DirectAccessBit) != 0 &&
                          std::is_same<typename Derived::Scalar, double>::value;
  if constexpr (direct) {
    const Derived& d = x.derived();
    if (d.innerStride() == 1) {
      matrix_view v;
      v.data = d.data();
      v.rows = d.rows();
      v.cols = d.cols();
      if (Derived::IsRowMajor) {
        v.col_stride = 1;
        v.row_stride = d.outerStride();
      } else {
        v.row_stride = 1;
        v.col_stride = d.outerStride();
      }
      return v;
    }
  }
  storage = x.derived().template cast<double>();
  return matrix_view{storage.data(), storage.rows(), storage.cols(), 1, storage.rows()};
}

// ---------------------------------------------------------------------------------------------
// Random index tables
// ---------------------------------------------------------------------------------------------

/// A published table of Saaty's random consistency index RI(n): the mean CI of random reciprocal
/// matrices on the 1–9 scale. `values[n − 1]` is RI(n); the table covers n ≤ values.size().
struct random_index_table {
  const char* name;
  const char* source;
  std::vector<double> values;
};

/// The tables this library knows, by name (docs/weights.md):
/// - `saaty1980` (default): Saaty, T. L. (1980), The Analytic Hierarchy Process, McGraw-Hill;
///   reproduced in Saaty (1990), "How to make a decision: the analytic hierarchy process", EJOR
///   48:9–26, Table 2; n ≤ 10: 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49.
/// - `saaty2005`: Saaty, T. L. (2005), Theory and Applications of the Analytic Network Process,
///   RWS Publications, p. 31 (the `saaty` table of AHPy); n ≤ 15.
/// - `alonso_lamata2006`: Alonso, J. A. & Lamata, M. T. (2006), "Consistency in the analytic
///   hierarchy process: a new approach", IJUFKS 14(4):445–459 (100 000 matrices per n); n ≤ 15.
/// - `donegan_dodd1991`: Donegan, H. A. & Dodd, F. J. (1991), "A note on Saaty's random indexes",
///   Mathematical and Computer Modelling 15(10):135–137 (the `dd` table of AHPy); n ≤ 20.
inline const std::vector<random_index_table>& random_index_tables() {
  static const std::vector<random_index_table> tables = {
      {"saaty1980",
       "Saaty (1980), The Analytic Hierarchy Process, McGraw-Hill; Saaty (1990), EJOR 48:9-26, Table 2",
       {0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49}},
      {"saaty2005", "Saaty (2005), Theory and Applications of the Analytic Network Process, RWS Publications, p. 31",
       {0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59}},
      {"alonso_lamata2006", "Alonso & Lamata (2006), IJUFKS 14(4):445-459",
       {0.0, 0.0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056, 1.4499, 1.4854, 1.5141, 1.5365, 1.5551, 1.5713,
        1.5838}},
      {"donegan_dodd1991", "Donegan & Dodd (1991), Mathematical and Computer Modelling 15(10):135-137",
       {0.0, 0.0, 0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733, 1.4055, 1.4213, 1.4497, 1.4643, 1.4822,
        1.4969, 1.5078, 1.5153, 1.5262, 1.5313, 1.5371}},
  };
  return tables;
}

/// The table called `name`; throws data_error listing the known names.
inline const random_index_table& random_index(std::string_view name) {
  std::string known;
  for (const auto& t : random_index_tables()) {
    if (name == t.name) return t;
    known += (known.empty() ? "" : ", ") + std::string(t.name);
  }
  detail::fail("ahp", "unknown random index table \"" + std::string(name) + "\" (known: " + known +
                          "; or give RI values as an array indexed by n - 1)",
               "ri");
}

// ---------------------------------------------------------------------------------------------
// AHP
// ---------------------------------------------------------------------------------------------

/// How priorities are derived from a pairwise comparison matrix.
enum class ahp_method : unsigned char {
  eigen,    ///< principal right eigenvector (Saaty 1977, 1980)
  rgmm,     ///< row geometric mean (Crawford & Williams 1985)
  colmean,  ///< mean of the columns normalised to sum 1 (Saaty 1980's approximation)
};

inline const char* to_string(ahp_method m) noexcept {
  switch (m) {
    case ahp_method::eigen: return "eigen";
    case ahp_method::rgmm: return "rgmm";
    case ahp_method::colmean: return "colmean";
  }
  return "?";
}

inline ahp_method parse_ahp_method(std::string_view s) {
  if (s == "eigen") return ahp_method::eigen;
  if (s == "rgmm") return ahp_method::rgmm;
  if (s == "colmean") return ahp_method::colmean;
  detail::fail("ahp", "unknown method \"" + std::string(s) + "\" (eigen, rgmm or colmean)", "method");
}

struct ahp_options {
  ahp_method method = ahp_method::eigen;
  /// Random-index table by name (random_index_tables()); ignored when ri_values is not empty.
  std::string ri = "saaty1980";
  /// A custom RI table indexed by n − 1 (finite, >= 0, at least n values).
  std::vector<double> ri_values;
  /// |a_ij · a_ji − 1| must not exceed this (so 0.33 for 1/3 passes, 0.3 does not).
  double tolerance = 0.01;
  /// consistent = CR < threshold (Saaty's 0.1).
  double threshold = 0.1;
  /// Search the judgement whose revision most reduces the inconsistency (n >= 3).
  bool find_worst = true;
  /// Element ids for messages (and nothing else); empty: 0-based indices.
  std::vector<std::string> ids;
};

/// The judgement a_ij (i < j) whose revision most lowers the principal eigenvalue, and the value
/// that lowers it most (the rest of the matrix unchanged).
struct judgement_revision {
  Eigen::Index i = 0;
  Eigen::Index j = 0;
  double value = 1.0;      ///< the judgement as given, a_ij
  double suggested = 1.0;  ///< the value of a_ij (a_ji = 1/value) that minimises λmax
  double ratio = 1.0;      ///< w_i / w_j: the value consistent with the current priorities
  double lambda_max_after = 0.0;  ///< principal eigenvalue with the suggested value
  double cr_after = 0.0;   ///< CR by the chosen method with the suggested value
};

struct ahp_result {
  Eigen::VectorXd weights;  ///< priorities, sum 1
  double lambda_max = 0.0;
  double ci = 0.0;          ///< (λmax − n)/(n − 1), 0 for n <= 2
  double cr = 0.0;          ///< CI / RI(n), 0 for n <= 2
  double ri = 0.0;          ///< RI(n) used
  std::string ri_table;     ///< table name, or "custom"
  ahp_method method = ahp_method::eigen;
  bool consistent = true;   ///< CR < threshold (always true for n <= 2)
  std::optional<judgement_revision> worst;  ///< n >= 3, CI > 0 and find_worst
};

namespace detail {

/// Checks a pairwise comparison matrix: non-empty, square, every entry finite and > 0, diagonal 1
/// and a_ij · a_ji = 1 within `tolerance` (relative). Returns "" when fine, else the message for
/// the first problem in row-major order with its pair (i, j) in `bad_i`, `bad_j`.
inline std::string pairwise_problem(const Eigen::Ref<const Eigen::MatrixXd>& a, double tolerance,
                                    const std::vector<std::string>& ids, Eigen::Index& bad_i, Eigen::Index& bad_j) {
  bad_i = bad_j = -1;
  if (a.rows() == 0 || a.cols() == 0) return "the matrix is empty";
  if (a.rows() != a.cols())
    return "the matrix must be square, got " + std::to_string(a.rows()) + " x " + std::to_string(a.cols());
  const Eigen::Index n = a.rows();
  auto pair = [&](Eigen::Index i, Eigen::Index j) {
    return "(" + element_name(ids, i) + ", " + element_name(ids, j) + ")";
  };
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      const double v = a(i, j);
      if (!std::isfinite(v) || !(v > 0.0)) {
        bad_i = i;
        bad_j = j;
        return "judgement " + pair(i, j) + " = " + number(v) + " must be a finite number > 0";
      }
    }
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(std::abs(a(i, i) - 1.0) <= tolerance + 1e-12)) {
      bad_i = bad_j = i;
      return "diagonal judgement " + pair(i, i) + " = " + number(a(i, i)) + " must be 1";
    }
    for (Eigen::Index j = i + 1; j < n; ++j) {
      const double p = a(i, j) * a(j, i);
      if (!(std::abs(p - 1.0) <= tolerance + 1e-12)) {  // slack: 3 × 0.33 is 0.99 only up to rounding
        bad_i = i;
        bad_j = j;
        return "judgements " + pair(i, j) + " = " + number(a(i, j)) + " and " + pair(j, i) + " = " +
               number(a(j, i)) + " are not reciprocal (product " + number(p) + ", tolerance " + number(tolerance) +
               "): write one as the reciprocal of the other, e.g. 3 and 1/3";
      }
    }
  }
  return {};
}

inline void check_pairwise(const char* fn, const Eigen::Ref<const Eigen::MatrixXd>& a, const ahp_options& o) {
  if (!(o.tolerance >= 0.0) || !std::isfinite(o.tolerance))
    fail(fn, "tolerance = " + number(o.tolerance) + " must be a finite number >= 0", "tolerance");
  Eigen::Index bi = 0, bj = 0;
  const std::string p = pairwise_problem(a, o.tolerance, o.ids, bi, bj);
  if (!p.empty()) fail(fn, p, bi >= 0 ? "(" + element_name(o.ids, bi) + ", " + element_name(o.ids, bj) + ")" : "matrix");
}

/// RI(n) and the table's name.
inline std::pair<double, std::string> ri_for(const ahp_options& o, Eigen::Index n) {
  const auto u = static_cast<std::size_t>(n);
  if (!o.ri_values.empty()) {
    for (std::size_t k = 0; k < o.ri_values.size(); ++k)
      if (!std::isfinite(o.ri_values[k]) || o.ri_values[k] < 0.0)
        fail("ahp", "ri[" + std::to_string(k) + "] = " + number(o.ri_values[k]) + " must be a finite number >= 0", "ri");
    if (o.ri_values.size() < u)
      fail("ahp", "the RI array has " + std::to_string(o.ri_values.size()) + " values but the matrix is " +
                      std::to_string(n) + " x " + std::to_string(n) + " (RI is indexed by n - 1)",
           "ri");
    if (n >= 3 && !(o.ri_values[u - 1] > 0.0))
      fail("ahp", "ri[" + std::to_string(n - 1) + "] = " + number(o.ri_values[u - 1]) + " must be > 0 for n = " +
                      std::to_string(n),
           "ri");
    return {o.ri_values[u - 1], "custom"};
  }
  const random_index_table& t = random_index(o.ri);
  if (t.values.size() < u) {
    std::string larger;
    for (const auto& other : random_index_tables())
      if (other.values.size() >= u) larger += (larger.empty() ? "" : ", ") + std::string(other.name);
    fail("ahp", "random index table " + o.ri + " covers n <= " + std::to_string(t.values.size()) + ", the matrix is " +
                    std::to_string(n) + " x " + std::to_string(n) + " (" +
                    (larger.empty() ? std::string("no table covers it") : "use " + larger) +
                    ", or give RI values as an array)",
         "ri");
  }
  return {t.values[u - 1], t.name};
}

/// The Perron (principal) eigenvalue of a positive matrix and its eigenvector normalised to sum 1,
/// by power iteration from `w` (a positive start vector, or empty for the normalised row sums).
/// For a positive matrix the Perron root is simple and strictly dominant (Perron 1907), so the
/// iteration converges from any positive start; the rate is |λ2|/λmax, small for the near-
/// consistent matrices of practice. Stops when no weight moves by more than 1e-15; after 5000
/// iterations falls back on Eigen::EigenSolver.
inline double perron(const Eigen::Ref<const Eigen::MatrixXd>& a, Eigen::VectorXd& w) {
  const Eigen::Index n = a.rows();
  if (w.size() != n) {
    w = a.rowwise().sum();
    w /= w.sum();
  }
  Eigen::VectorXd y(n);
  double lambda = 0.0;
  for (int it = 0; it < 5000; ++it) {
    y.setZero();
    for (Eigen::Index j = 0; j < n; ++j) {
      const double wj = w[j];
      const double* col = a.data() + j * a.outerStride();
      for (Eigen::Index i = 0; i < n; ++i) y[i] += col[i] * wj;
    }
    lambda = y.sum();  // = λ when w is the eigenvector (w sums to 1)
    double change = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double v = y[i] / lambda;
      change = std::max(change, std::abs(v - w[i]));
      w[i] = v;
    }
    if (change <= 1e-15) return lambda;
  }
  const Eigen::EigenSolver<Eigen::MatrixXd> es(a);
  Eigen::Index k = 0;
  es.eigenvalues().real().maxCoeff(&k);
  w = es.eigenvectors().col(k).real().cwiseAbs();
  w /= w.sum();
  return es.eigenvalues()[k].real();
}

/// Priorities and λmax by `method` (for rgmm and colmean λmax = mean((A·w)_i / w_i)).
inline double priorities(const Eigen::Ref<const Eigen::MatrixXd>& a, ahp_method method, Eigen::VectorXd& w) {
  const Eigen::Index n = a.rows();
  if (method == ahp_method::eigen) return perron(a, w);
  w.resize(n);
  if (method == ahp_method::rgmm) {
    for (Eigen::Index i = 0; i < n; ++i) {
      double s = 0.0;
      for (Eigen::Index j = 0; j < n; ++j) s += std::log(a(i, j));
      w[i] = std::exp(s / static_cast<double>(n));
    }
  } else {
    w.setZero();
    for (Eigen::Index j = 0; j < n; ++j) {
      const double c = a.col(j).sum();
      for (Eigen::Index i = 0; i < n; ++i) w[i] += a(i, j) / c;
    }
  }
  w /= w.sum();
  const Eigen::VectorXd aw = a * w;
  return (aw.array() / w.array()).mean();
}

inline double consistency_index(double lambda, Eigen::Index n) {
  if (n <= 2) return 0.0;
  return std::max(0.0, (lambda - static_cast<double>(n)) / static_cast<double>(n - 1));
}

/// The revision of one judgement that most lowers λmax. For each pair i < j the entry is
/// parametrised as a_ij = e^t, a_ji = e^−t; λmax(t) is log-convex in t (Kingman 1961: the Perron
/// root of a matrix of log-convex entries is log-convex; used for AHP by Bozóki, Fülöp & Rónyai
/// 2010, "On optimal completion of incomplete pairwise comparison matrices", Mathematical and
/// Computer Modelling 52:318–333), so it has one minimum, found by Brent's method.
inline std::optional<judgement_revision> worst_judgement(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                                         const Eigen::VectorXd& w, double lambda_eigen) {
  const Eigen::Index n = a.rows();
  Eigen::MatrixXd b = a;
  Eigen::VectorXd warm = w;
  std::optional<judgement_revision> best;
  double best_lambda = lambda_eigen;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j) {
      const double t0 = std::log(a(i, j));
      double lo = t0, hi = t0;
      for (Eigen::Index k = 0; k < n; ++k) {
        if (k == i || k == j) continue;
        const double t = std::log(a(i, k)) + std::log(a(k, j));  // indirect judgement through k
        lo = std::min(lo, t);
        hi = std::max(hi, t);
      }
      lo -= 1.0;
      hi += 1.0;
      Eigen::VectorXd v = warm;
      auto f = [&](double t) {
        b(i, j) = std::exp(t);
        b(j, i) = std::exp(-t);
        return perron(b, v);
      };
      std::pair<double, double> r;
      for (int grow = 0; grow < 8; ++grow) {
        std::uintmax_t iters = 200;
        r = boost::math::tools::brent_find_minima(f, lo, hi, 30, iters);
        const double width = hi - lo;
        if (r.first - lo < 1e-6 * width) lo -= width;
        else if (hi - r.first < 1e-6 * width) hi += width;
        else break;
      }
      b(i, j) = a(i, j);
      b(j, i) = a(j, i);
      if (r.second < best_lambda - 1e-12 * lambda_eigen) {
        best_lambda = r.second;
        judgement_revision rev;
        rev.i = i;
        rev.j = j;
        rev.value = a(i, j);
        rev.suggested = std::exp(r.first);
        rev.ratio = w[i] / w[j];
        rev.lambda_max_after = r.second;
        best = rev;
      }
    }
  return best;
}

}  // namespace detail

/// Checks a pairwise comparison matrix as ahp() does (non-empty, square, finite entries > 0,
/// diagonal 1, a_ij · a_ji = 1 within `tolerance`): "" when fine, else the first problem in
/// row-major order, its pair in (bad_i, bad_j) — for readers that name the cell at fault.
inline std::string pairwise_matrix_problem(const Eigen::Ref<const Eigen::MatrixXd>& a, double tolerance,
                                           const std::vector<std::string>& ids, Eigen::Index& bad_i, Eigen::Index& bad_j) {
  return detail::pairwise_problem(a, tolerance, ids, bad_i, bad_j);
}

/// AHP priorities of a pairwise comparison matrix A (a_ij = how much more important element i is
/// than j; a_ji = 1/a_ij; a_ii = 1), by `options.method`:
///
/// - `eigen` — the principal right eigenvector, A·w = λmax·w (Saaty 1977, "A scaling method for
///   priorities in hierarchical structures", J. Math. Psychology 15:234–281; Saaty 1980), by power
///   iteration (detail::perron);
/// - `rgmm` — w_i ∝ (Π_j a_ij)^(1/n) (Crawford & Williams 1985, "A note on the analysis of
///   subjective judgment matrices", J. Math. Psychology 29:387–405);
/// - `colmean` — w_i = (1/n) Σ_j a_ij / Σ_k a_kj (Saaty 1980's approximation).
///
/// For rgmm and colmean λmax = (1/n) Σ_i (A·w)_i / w_i (λmax >= n for a reciprocal matrix, with
/// equality exactly when A is consistent). CI = (λmax − n)/(n − 1), CR = CI / RI(n) with RI from
/// the named table or the given array (random_index_tables()); consistent = CR < threshold (0.1).
/// n <= 2 is always consistent (CI = CR = 0). CI is clamped at 0 (a rounding error can put λmax a
/// few ulps below n for a consistent matrix).
///
/// `worst` (n >= 3, CI > 0): the judgement a_ij, i < j, whose revision (with a_ji = 1/a_ij) most
/// lowers the principal eigenvalue, the value that lowers it most, the ratio w_i/w_j, and the CR
/// (by the chosen method) after the revision. The search evaluates λmax ~30 times per pair.
///
/// Errors (data_error): empty or non-square matrix; an entry not finite or <= 0 (names the pair
/// and value); a diagonal entry not 1; a_ij·a_ji not 1 within `tolerance` (names the first pair
/// in row-major order and both values); unknown RI table, a table too short for n, a bad RI array.
inline ahp_result ahp(const Eigen::Ref<const Eigen::MatrixXd>& a, const ahp_options& options = {}) {
  detail::check_pairwise("ahp", a, options);
  if (!(options.threshold > 0.0) || !std::isfinite(options.threshold))
    detail::fail("ahp", "threshold = " + detail::number(options.threshold) + " must be a finite number > 0", "threshold");
  const Eigen::Index n = a.rows();
  ahp_result r;
  std::tie(r.ri, r.ri_table) = detail::ri_for(options, n);
  r.method = options.method;
  r.lambda_max = detail::priorities(a, options.method, r.weights);
  r.ci = detail::consistency_index(r.lambda_max, n);
  r.cr = (n <= 2 || r.ri <= 0.0) ? 0.0 : r.ci / r.ri;
  r.consistent = n <= 2 || r.cr < options.threshold;
  if (options.find_worst && n >= 3 && r.ci > 1e-12) {
    Eigen::VectorXd w = r.weights;
    const double lambda_eigen = options.method == ahp_method::eigen ? r.lambda_max : detail::perron(a, w);
    r.worst = detail::worst_judgement(a, w, lambda_eigen);
    if (r.worst) {
      r.worst->ratio = r.weights[r.worst->i] / r.weights[r.worst->j];
      Eigen::MatrixXd b = a;
      b(r.worst->i, r.worst->j) = r.worst->suggested;
      b(r.worst->j, r.worst->i) = 1.0 / r.worst->suggested;
      Eigen::VectorXd v;
      const double lambda = detail::priorities(b, options.method, v);
      r.worst->cr_after = r.ri > 0.0 ? detail::consistency_index(lambda, n) / r.ri : 0.0;
    }
  }
  return r;
}

/// The consistent matrix of a weight vector: a_ij = w_i / w_j (every method returns w, CR = 0).
inline Eigen::MatrixXd consistent_matrix(const Eigen::Ref<const Eigen::VectorXd>& w) {
  for (Eigen::Index i = 0; i < w.size(); ++i)
    if (!std::isfinite(w[i]) || !(w[i] > 0.0))
      detail::fail("consistent_matrix", "w[" + std::to_string(i) + "] = " + detail::number(w[i]) +
                                            " must be a finite number > 0");
  return w * w.cwiseInverse().transpose();
}

// ---------------------------------------------------------------------------------------------
// Group AHP
// ---------------------------------------------------------------------------------------------

enum class group_method : unsigned char {
  aij,  ///< aggregation of individual judgements: weighted geometric mean of the matrices
  aip,  ///< aggregation of individual priorities: weighted mean of the experts' weights
};

inline const char* to_string(group_method m) noexcept { return m == group_method::aij ? "aij" : "aip"; }

inline group_method parse_group_method(std::string_view s) {
  if (s == "aij") return group_method::aij;
  if (s == "aip") return group_method::aip;
  detail::fail("group_ahp", "unknown aggregation \"" + std::string(s) + "\" (aij or aip)", "aggregation");
}

struct group_options {
  group_method aggregation = group_method::aij;
  /// One weight per expert (>= 0, not all 0; normalised to sum 1). Empty: equal weights.
  std::vector<double> expert_weights;
  /// AIP mean: geometric (normalised weighted geometric mean; default) or arithmetic.
  bool aip_geometric = true;
  ahp_options ahp;
};

struct group_result {
  group_method aggregation = group_method::aij;
  Eigen::VectorXd weights;         ///< the group's priorities, sum 1
  Eigen::VectorXd expert_weights;  ///< normalised
  std::vector<ahp_result> experts;  ///< each expert's own AHP result
  std::optional<ahp_result> aggregate;  ///< AIJ: AHP of the aggregated matrix
  Eigen::MatrixXd matrix;          ///< AIJ: the aggregated matrix (empty for AIP)
};

/// Group AHP (Forman & Peniwati 1998, "Aggregating individual judgments and priorities with the
/// analytic hierarchy process", EJOR 108:165–169):
///
/// - AIJ: ā_ij = Π_k a_ij^(k)^λ_k (the weighted geometric mean keeps reciprocity: Aczél & Saaty
///   1983, "Procedures for synthesizing ratio judgements", J. Math. Psychology 27:93–102), then
///   ahp(Ā) with the options' method; `aggregate` holds its λmax, CR and worst judgement;
/// - AIP: w̄ ∝ Π_k (w^(k))^λ_k (geometric, default) or w̄ = Σ_k λ_k w^(k) (arithmetic).
///
/// AIJ with rgmm equals geometric AIP with rgmm for any judgements (the row geometric mean of a
/// geometric mean is the geometric mean of the row geometric means), and for consistent judgements
/// under every method. Each expert's matrix is checked as by ahp(); errors name the expert (0-based).
inline group_result group_ahp(const std::vector<Eigen::MatrixXd>& matrices, const group_options& options = {}) {
  constexpr const char* fn = "group_ahp";
  if (matrices.empty()) detail::fail(fn, "no matrices (one per expert)");
  const std::size_t k = matrices.size();
  group_result g;
  g.aggregation = options.aggregation;
  g.expert_weights = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(k), 1.0 / static_cast<double>(k));
  if (!options.expert_weights.empty()) {
    if (options.expert_weights.size() != k)
      detail::fail(fn, std::to_string(options.expert_weights.size()) + " expert weights for " + std::to_string(k) +
                           " matrices",
                   "expert_weights");
    double s = 0.0;
    for (std::size_t e = 0; e < k; ++e) {
      const double v = options.expert_weights[e];
      if (!std::isfinite(v) || v < 0.0)
        detail::fail(fn, "expert_weights[" + std::to_string(e) + "] = " + detail::number(v) +
                             " must be a finite number >= 0",
                     "expert_weights");
      s += v;
    }
    if (!(s > 0.0)) detail::fail(fn, "the expert weights are all 0", "expert_weights");
    for (std::size_t e = 0; e < k; ++e) g.expert_weights[static_cast<Eigen::Index>(e)] = options.expert_weights[e] / s;
  }
  const Eigen::Index n = matrices[0].rows();
  for (std::size_t e = 0; e < k; ++e) {
    if (matrices[e].rows() != n || matrices[e].cols() != matrices[e].rows())
      detail::fail(fn, "expert " + std::to_string(e) + ": the matrix is " + std::to_string(matrices[e].rows()) + " x " +
                           std::to_string(matrices[e].cols()) + ", expert 0's is " + std::to_string(n) + " x " +
                           std::to_string(matrices[0].cols()) + " (all must be the same square size)",
                   "matrices");
    try {
      g.experts.push_back(ahp(matrices[e], options.ahp));
    } catch (const data_error& err) {
      error_location where = err.where();
      throw data_error(where, std::string(fn) + ": expert " + std::to_string(e) + ": " + err.message());
    }
  }
  if (options.aggregation == group_method::aij) {
    Eigen::MatrixXd logs = Eigen::MatrixXd::Zero(n, n);
    for (std::size_t e = 0; e < k; ++e)
      logs += g.expert_weights[static_cast<Eigen::Index>(e)] * matrices[e].array().log().matrix();
    g.matrix = logs.array().exp().matrix();
    // exact reciprocity (the geometric mean keeps it up to rounding)
    for (Eigen::Index i = 0; i < n; ++i) {
      g.matrix(i, i) = 1.0;
      for (Eigen::Index j = i + 1; j < n; ++j) g.matrix(j, i) = 1.0 / g.matrix(i, j);
    }
    ahp_options o = options.ahp;
    o.tolerance = std::max(o.tolerance, 1e-9);
    g.aggregate = ahp(g.matrix, o);
    g.weights = g.aggregate->weights;
    return g;
  }
  g.weights = Eigen::VectorXd::Zero(n);
  if (options.aip_geometric) {
    for (std::size_t e = 0; e < k; ++e)
      g.weights += g.expert_weights[static_cast<Eigen::Index>(e)] * g.experts[e].weights.array().log().matrix();
    g.weights = g.weights.array().exp().matrix();
  } else {
    for (std::size_t e = 0; e < k; ++e) g.weights += g.expert_weights[static_cast<Eigen::Index>(e)] * g.experts[e].weights;
  }
  g.weights /= g.weights.sum();
  return g;
}

// ---------------------------------------------------------------------------------------------
// Objective weights (kernels in src/kernels/weights_kernels.cpp, entry points in src/weights.cpp)
// ---------------------------------------------------------------------------------------------

/// Entropy weights (熵权法; Shannon 1948 entropy applied to criteria weights, e.g. Zeleny 1982,
/// Multiple Criteria Decision Making, McGraw-Hill; Hwang & Yoon 1981 §2.3.2): for column j of an
/// m × n matrix of values >= 0,
///
///     p_ij = x_ij / Σ_i x_ij,  e_j = −k Σ_i p_ij ln p_ij with k = 1/ln m and 0·ln 0 = 0,
///     d_j = 1 − e_j,  w_j = d_j / Σ_k d_k.
///
/// Computed in one streaming pass as d_j = (1/ln m)·[(1/S_j) Σ_i x_ij ln(x_ij/c_j) − ln(x̄_j/c_j)]
/// with S_j = Σ_i x_ij, x̄_j = S_j/m and c_j the mean of the column's first rows (the shift keeps
/// both terms small when d_j is small), clamped at 0.
/// Documented results: a constant column (including an all-zero column) has d_j = 0, weight 0.
/// Errors: an empty matrix, fewer than 2 rows (k = 1/ln m needs m >= 2), a value that is negative,
/// NaN or infinite (names the row and column), every column constant (no weight is defined).
Eigen::VectorXd entropy(const matrix_view& x, const labels& names = {});

/// CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995, "Determining objective weights in
/// multiple criteria problems: the CRITIC method", Computers & Operations Research 22:763–770):
///
///     z_ij = (x_ij − min_j)/(max_j − min_j) (benefit, types_j = +1) or (max_j − x_ij)/(max_j − min_j)
///     (cost, −1);  σ_j = standard deviation of z_j;  r_jk = Pearson correlation of z_j and z_k;
///     C_j = σ_j Σ_k (1 − r_jk);  w_j = C_j / Σ_k C_k.
///
/// `types` empty means all benefit. One streaming pass accumulates per column min, max and the
/// sums and cross-products of x − c (c: the mean of the first rows); min-max scaling then only
/// rescales σ and, for a cost column, flips the sign of its correlations. σ is the population
/// standard deviation (the choice of divisor cancels in the weights).
/// Documented results: a constant column gets weight 0 and is left out of the other columns' sums
/// Σ(1 − r) (its correlation is undefined).
/// Errors: empty matrix, fewer than 2 rows, NaN or infinite values (row and column named), types
/// of the wrong length or not ±1, every column constant.
Eigen::VectorXd critic(const matrix_view& x, const std::vector<int>& types = {}, const labels& names = {});

/// Standard-deviation weights: w_j = σ_j / Σ_k σ_k (population σ; e.g. Diakoulaki et al. 1995,
/// Wang & Luo 2010). The columns must be on comparable scales (leaf scores in [0, 1], or
/// normalised data): σ is not scale-free. Constant columns get weight 0.
/// Errors: empty, fewer than 2 rows, NaN/inf, every column constant.
Eigen::VectorXd std_dev(const matrix_view& x, const labels& names = {});

/// Coefficient-of-variation weights: v_j = σ_j / x̄_j, w_j = v_j / Σ_k v_k (scale-free). Values
/// must be >= 0; a column whose values are all 0 or all equal gets weight 0.
/// Errors: empty, fewer than 2 rows, negative/NaN/inf values, every column constant.
Eigen::VectorXd cv(const matrix_view& x, const labels& names = {});

template <class Derived>
Eigen::VectorXd entropy(const Eigen::DenseBase<Derived>& x, const labels& names = {}) {
  Eigen::MatrixXd storage;
  return entropy(view_of(x, storage), names);
}
template <class Derived>
Eigen::VectorXd critic(const Eigen::DenseBase<Derived>& x, const std::vector<int>& types = {}, const labels& names = {}) {
  Eigen::MatrixXd storage;
  return critic(view_of(x, storage), types, names);
}
template <class Derived>
Eigen::VectorXd std_dev(const Eigen::DenseBase<Derived>& x, const labels& names = {}) {
  Eigen::MatrixXd storage;
  return std_dev(view_of(x, storage), names);
}
template <class Derived>
Eigen::VectorXd cv(const Eigen::DenseBase<Derived>& x, const labels& names = {}) {
  Eigen::MatrixXd storage;
  return cv(view_of(x, storage), names);
}

// ---------------------------------------------------------------------------------------------
// Combination (组合赋权)
// ---------------------------------------------------------------------------------------------

enum class combine_method : unsigned char {
  linear,          ///< w = Σ_k α_k w^(k)
  multiplicative,  ///< w ∝ Π_k w^(k)
};

inline combine_method parse_combine_method(std::string_view s) {
  if (s == "linear") return combine_method::linear;
  if (s == "multiplicative") return combine_method::multiplicative;
  detail::fail("combine", "unknown method \"" + std::string(s) + "\" (linear or multiplicative)", "method");
}

/// Combines weight vectors of the same indicators (each is normalised to sum 1 first):
/// - linear: w = Σ_k α_k w^(k); with two vectors `alphas` may be one number α (w = α a + (1−α) b),
///   else one coefficient per vector (>= 0, summing to 1; empty: equal);
/// - multiplicative: w_j = Π_k w_j^(k) / Σ_i Π_k w_i^(k) (e.g. Zardari et al. 2015, Weighting
///   Methods and their Effects on Multi-Criteria Decision Making Model Outcomes, Springer, §3.3).
/// Errors: no vectors, different lengths, negative/NaN values, a vector summing to 0, bad alphas,
/// a multiplicative product that is 0 for every indicator.
inline Eigen::VectorXd combine(const std::vector<Eigen::VectorXd>& ws, combine_method method = combine_method::linear,
                               const std::vector<double>& alphas = {0.5}) {
  constexpr const char* fn = "combine";
  if (ws.empty()) detail::fail(fn, "no weight vectors");
  const Eigen::Index n = ws[0].size();
  if (n == 0) detail::fail(fn, "weight vector 0 is empty");
  std::vector<Eigen::VectorXd> norm;
  for (std::size_t k = 0; k < ws.size(); ++k) {
    if (ws[k].size() != n)
      detail::fail(fn, "weight vector " + std::to_string(k) + " has " + std::to_string(ws[k].size()) +
                           " values, vector 0 has " + std::to_string(n));
    for (Eigen::Index j = 0; j < n; ++j)
      if (!std::isfinite(ws[k][j]) || ws[k][j] < 0.0)
        detail::fail(fn, "weight vector " + std::to_string(k) + "[" + std::to_string(j) + "] = " +
                             detail::number(ws[k][j]) + " must be a finite number >= 0");
    const double s = ws[k].sum();
    if (!(s > 0.0)) detail::fail(fn, "weight vector " + std::to_string(k) + " is all 0");
    norm.push_back(ws[k] / s);
  }
  if (method == combine_method::multiplicative) {
    Eigen::VectorXd out = Eigen::VectorXd::Ones(n);
    for (const auto& w : norm) out = out.cwiseProduct(w);
    const double s = out.sum();
    if (!(s > 0.0))
      detail::fail(fn, "multiplicative: every indicator has weight 0 in at least one vector, so the product is 0 everywhere");
    return out / s;
  }
  std::vector<double> a;
  if (alphas.empty()) a.assign(ws.size(), 1.0 / static_cast<double>(ws.size()));
  else if (alphas.size() == 1 && ws.size() == 2) a = {alphas[0], 1.0 - alphas[0]};
  else a = alphas;
  if (a.size() != ws.size())
    detail::fail(fn, std::to_string(alphas.size()) + " alpha value(s) for " + std::to_string(ws.size()) +
                         " weight vectors (one alpha for two vectors, or one per vector)",
                 "alpha");
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (!(a[k] >= 0.0 && a[k] <= 1.0))
      detail::fail(fn, "alpha[" + std::to_string(k) + "] = " + detail::number(a[k]) + " must be in [0, 1]", "alpha");
    s += a[k];
  }
  if (std::abs(s - 1.0) > 1e-9) detail::fail(fn, "the alphas sum to " + detail::number(s) + ", not 1", "alpha");
  Eigen::VectorXd out = Eigen::VectorXd::Zero(n);
  for (std::size_t k = 0; k < norm.size(); ++k) out += a[k] * norm[k];
  return out / out.sum();
}

// ---------------------------------------------------------------------------------------------
// Cross-check ranking: normalisation, weighted sum, weighted product, TOPSIS
// ---------------------------------------------------------------------------------------------

enum class normalization : unsigned char { minmax, vector, max, sum };

inline const char* to_string(normalization n) noexcept {
  switch (n) {
    case normalization::minmax: return "minmax";
    case normalization::vector: return "vector";
    case normalization::max: return "max";
    case normalization::sum: return "sum";
  }
  return "?";
}

inline normalization parse_normalization(std::string_view s) {
  if (s == "minmax") return normalization::minmax;
  if (s == "vector") return normalization::vector;
  if (s == "max") return normalization::max;
  if (s == "sum") return normalization::sum;
  detail::fail("normalize", "unknown normalization \"" + std::string(s) + "\" (minmax, vector, max or sum)",
               "normalization");
}

namespace detail {

inline std::vector<int> check_types(const char* fn, const std::vector<int>& types, Eigen::Index n) {
  if (types.empty()) return std::vector<int>(static_cast<std::size_t>(n), 1);
  if (static_cast<Eigen::Index>(types.size()) != n)
    fail(fn, "types has " + std::to_string(types.size()) + " values for " + std::to_string(n) + " columns", "types");
  for (std::size_t j = 0; j < types.size(); ++j)
    if (types[j] != 1 && types[j] != -1)
      fail(fn, "types[" + std::to_string(j) + "] = " + std::to_string(types[j]) + " must be 1 (benefit) or -1 (cost)",
           "types");
  return types;
}

inline void check_finite(const char* fn, const matrix_view& x, const labels& names, bool positive = false) {
  if (x.rows == 0 || x.cols == 0)
    fail(fn, "the matrix is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) + ")");
  for (Eigen::Index j = 0; j < x.cols; ++j)
    for (Eigen::Index i = 0; i < x.rows; ++i) {
      const double v = x(i, j);
      if (!std::isfinite(v) || (positive && !(v > 0.0)))
        fail(fn, row_name(names, i) + ", " + column_name(names, j) + ": value " + number(v) + " must be " +
                     (positive ? "a finite number > 0" : "finite"));
    }
}

inline Eigen::VectorXd check_weights(const char* fn, const Eigen::Ref<const Eigen::VectorXd>& w, Eigen::Index n) {
  if (w.size() != n)
    fail(fn, "weights has " + std::to_string(w.size()) + " values for " + std::to_string(n) + " columns", "weights");
  for (Eigen::Index j = 0; j < n; ++j)
    if (!std::isfinite(w[j]) || w[j] < 0.0)
      fail(fn, "weights[" + std::to_string(j) + "] = " + number(w[j]) + " must be a finite number >= 0", "weights");
  const double s = w.sum();
  if (!(s > 0.0)) fail(fn, "the weights are all 0", "weights");
  return w / s;
}

}  // namespace detail

/// Column-wise normalisation, cost-aware so that higher is always better afterwards
/// (types_j = +1 benefit, −1 cost; empty: all benefit). For column j with min m, max M:
/// - minmax: (x − m)/(M − m), cost (M − x)/(M − m);
/// - vector: x/√Σx², cost 1 − x/√Σx²  (Hwang & Yoon 1981; the cost form as in pymcdm);
/// - max:    x/M, cost 1 − x/M  (needs M > 0);
/// - sum:    x/Σx, cost (1/x)/Σ(1/x)  (needs x > 0 for cost columns, Σx > 0).
/// Documented result: a column that cannot be normalised because it is constant (minmax) or all
/// zero (vector, max, sum) normalises to 1 for every row (it cannot separate the alternatives).
/// Errors: empty matrix, NaN/inf, max <= 0 with a non-zero column (max), negative values (vector,
/// max, sum), a zero in a cost column (sum), bad types.
inline Eigen::MatrixXd normalize(const matrix_view& x, normalization how, const std::vector<int>& types = {},
                                 const labels& names = {}) {
  constexpr const char* fn = "normalize";
  detail::check_finite(fn, x, names);
  const std::vector<int> t = detail::check_types(fn, types, x.cols);
  Eigen::MatrixXd out(x.rows, x.cols);
  for (Eigen::Index j = 0; j < x.cols; ++j) {
    double mn = x(0, j), mx = x(0, j), s = 0.0, s2 = 0.0;
    for (Eigen::Index i = 0; i < x.rows; ++i) {
      const double v = x(i, j);
      mn = std::min(mn, v);
      mx = std::max(mx, v);
      s += v;
      s2 += v * v;
    }
    const bool cost = t[static_cast<std::size_t>(j)] < 0;
    if (how != normalization::minmax && mn < 0.0)
      detail::fail(fn, detail::column_name(names, j) + ": " + to_string(how) + " normalisation needs values >= 0, min is " +
                           detail::number(mn));
    const bool degenerate = how == normalization::minmax ? !(mx > mn) : !(mx > 0.0);
    if (degenerate) {
      out.col(j).setOnes();
      continue;
    }
    for (Eigen::Index i = 0; i < x.rows; ++i) {
      const double v = x(i, j);
      double r = 0.0;
      switch (how) {
        case normalization::minmax: r = cost ? (mx - v) / (mx - mn) : (v - mn) / (mx - mn); break;
        case normalization::vector: r = cost ? 1.0 - v / std::sqrt(s2) : v / std::sqrt(s2); break;
        case normalization::max: r = cost ? 1.0 - v / mx : v / mx; break;
        case normalization::sum: {
          if (!cost) {
            r = v / s;
            break;
          }
          if (!(mn > 0.0))
            detail::fail(fn, detail::row_name(names, i) + ", " + detail::column_name(names, j) +
                                 ": sum normalisation of a cost column needs values > 0, got " + detail::number(mn));
          double inv = 0.0;
          for (Eigen::Index k = 0; k < x.rows; ++k) inv += 1.0 / x(k, j);
          r = (1.0 / v) / inv;
          break;
        }
      }
      out(i, j) = r;
    }
  }
  return out;
}

/// Weighted sum (SAW; Fishburn 1967, MacCrimmon 1968): S_i = Σ_j w_j z_ij over the cost-aware
/// normalised matrix z (minmax by default); weights are normalised to sum 1.
inline Eigen::VectorXd weighted_sum(const matrix_view& x, const Eigen::Ref<const Eigen::VectorXd>& w,
                                    const std::vector<int>& types = {}, normalization how = normalization::minmax,
                                    const labels& names = {}) {
  const Eigen::VectorXd wn = detail::check_weights("weighted_sum", w, x.cols);
  return normalize(x, how, types, names) * wn;
}

/// Weighted product (WPM; Bridgman 1922, Miller & Starr 1969; Triantaphyllou 2000, Multi-Criteria
/// Decision Making Methods, Springer, §2.2) on the raw values: P_i = Π_j x_ij^(t_j w_j), t_j = +1
/// for benefit and −1 for cost, weights normalised to sum 1 (computed as exp Σ t_j w_j ln x_ij).
/// Needs every value > 0 (the error names the row and column).
inline Eigen::VectorXd weighted_product(const matrix_view& x, const Eigen::Ref<const Eigen::VectorXd>& w,
                                        const std::vector<int>& types = {}, const labels& names = {}) {
  constexpr const char* fn = "weighted_product";
  detail::check_finite(fn, x, names, true);
  const std::vector<int> t = detail::check_types(fn, types, x.cols);
  const Eigen::VectorXd wn = detail::check_weights(fn, w, x.cols);
  Eigen::VectorXd out(x.rows);
  for (Eigen::Index i = 0; i < x.rows; ++i) {
    double s = 0.0;
    for (Eigen::Index j = 0; j < x.cols; ++j) s += t[static_cast<std::size_t>(j)] * wn[j] * std::log(x(i, j));
    out[i] = std::exp(s);
  }
  return out;
}

struct topsis_result {
  Eigen::VectorXd closeness;  ///< C_i = d⁻_i / (d⁺_i + d⁻_i) in [0, 1]; 1 = the ideal
  Eigen::VectorXd d_plus;     ///< distance to the ideal
  Eigen::VectorXd d_minus;    ///< distance to the anti-ideal
  Eigen::VectorXd ideal;      ///< column max of the weighted cost-aware normalised matrix
  Eigen::VectorXd anti_ideal;  ///< column min
};

/// TOPSIS (Hwang & Yoon 1981, Multiple Attribute Decision Making, Springer, §2.3.6): v_ij = w_j z_ij
/// with z the cost-aware normalised matrix (vector normalisation by default, as Hwang & Yoon),
/// ideal A⁺ = column max of v, anti-ideal A⁻ = column min, d± = Euclidean distances to A±,
/// C_i = d⁻/(d⁺ + d⁻). (With the cost form 1 − x/√Σx², A⁺_j is w_j minus Hwang & Yoon's min for a
/// cost column: the distances and C are identical.) A row at both the ideal and the anti-ideal
/// (every column constant) gets C = 0.5, never NaN.
inline topsis_result topsis(const matrix_view& x, const Eigen::Ref<const Eigen::VectorXd>& w,
                            const std::vector<int>& types = {}, normalization how = normalization::vector,
                            const labels& names = {}) {
  const Eigen::VectorXd wn = detail::check_weights("topsis", w, x.cols);
  const Eigen::MatrixXd v = normalize(x, how, types, names) * wn.asDiagonal();
  topsis_result r;
  r.ideal = v.colwise().maxCoeff().transpose();
  r.anti_ideal = v.colwise().minCoeff().transpose();
  r.d_plus = (v.rowwise() - r.ideal.transpose()).rowwise().norm();
  r.d_minus = (v.rowwise() - r.anti_ideal.transpose()).rowwise().norm();
  r.closeness.resize(x.rows);
  for (Eigen::Index i = 0; i < x.rows; ++i) {
    const double d = r.d_plus[i] + r.d_minus[i];
    r.closeness[i] = d > 0.0 ? r.d_minus[i] / d : 0.5;
  }
  return r;
}

/// Ranks of scores, 1 = the highest; ties get the mean of the ranks they span (1.5, 1.5, 3).
inline Eigen::VectorXd rank(const Eigen::Ref<const Eigen::VectorXd>& scores) {
  const Eigen::Index n = scores.size();
  for (Eigen::Index i = 0; i < n; ++i)
    if (std::isnan(scores[i])) detail::fail("rank", "scores[" + std::to_string(i) + "] is NaN");
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), Eigen::Index{0});
  std::stable_sort(idx.begin(), idx.end(), [&](Eigen::Index a, Eigen::Index b) { return scores[a] > scores[b]; });
  Eigen::VectorXd out(n);
  for (std::size_t k = 0; k < idx.size();) {
    std::size_t e = k + 1;
    while (e < idx.size() && scores[idx[e]] == scores[idx[k]]) ++e;
    const double r = 0.5 * static_cast<double>(k + 1 + e);  // mean of ranks k+1 .. e
    for (std::size_t q = k; q < e; ++q) out[idx[q]] = r;
    k = e;
  }
  return out;
}

template <class Derived>
Eigen::MatrixXd normalize(const Eigen::DenseBase<Derived>& x, normalization how, const std::vector<int>& types = {}) {
  Eigen::MatrixXd storage;
  return normalize(view_of(x, storage), how, types);
}
template <class Derived>
topsis_result topsis(const Eigen::DenseBase<Derived>& x, const Eigen::Ref<const Eigen::VectorXd>& w,
                     const std::vector<int>& types = {}, normalization how = normalization::vector) {
  Eigen::MatrixXd storage;
  return topsis(view_of(x, storage), w, types, how);
}
template <class Derived>
Eigen::VectorXd weighted_sum(const Eigen::DenseBase<Derived>& x, const Eigen::Ref<const Eigen::VectorXd>& w,
                             const std::vector<int>& types = {}, normalization how = normalization::minmax) {
  Eigen::MatrixXd storage;
  return weighted_sum(view_of(x, storage), w, types, how);
}
template <class Derived>
Eigen::VectorXd weighted_product(const Eigen::DenseBase<Derived>& x, const Eigen::Ref<const Eigen::VectorXd>& w,
                                 const std::vector<int>& types = {}) {
  Eigen::MatrixXd storage;
  return weighted_product(view_of(x, storage), w, types);
}

// ---------------------------------------------------------------------------------------------
// Hierarchical AHP and weights → model (src/weights.cpp)
// ---------------------------------------------------------------------------------------------

/// Judgements on the children of one node of a model's tree: `node` is a dimension or group id,
/// or "" for the model's dimensions. `ids` names the matrix's rows/columns (the node's children,
/// in any order). Give either `matrix` (pairwise judgements, run through ahp()) or `local`
/// (weights of the children, e.g. from group_ahp(); normalised).
struct node_judgements {
  std::string node;
  std::vector<std::string> ids;
  Eigen::MatrixXd matrix;
  Eigen::VectorXd local;
};

struct hierarchy_options {
  ahp_options ahp;
  /// A node with two or more children and no judgements: false → error; true → keep the model's
  /// local weights (children's points ÷ the node's points).
  bool keep_missing = false;
};

struct node_weights {
  std::string node;              ///< "" for the dimensions
  std::vector<std::string> ids;  ///< children, in model order
  Eigen::VectorXd local;         ///< local weights, sum 1
  std::optional<ahp_result> result;  ///< when the node had a matrix
  std::string origin;            ///< "ahp", "given", "kept" or "single"
};

struct hierarchy_result {
  std::vector<std::string> leaf_ids;  ///< model.leaf_ids()
  Eigen::VectorXd global;             ///< product of local weights along each leaf's path, sum 1
  std::vector<node_weights> nodes;    ///< root first, then dimensions and groups in model order
};

/// Hierarchical AHP over the model's tree (Saaty 1980, ch. 2: global priority = product of the
/// local priorities on the path from the goal). Every node with two or more children needs
/// judgements (unless keep_missing); single children get local weight 1.
/// Errors: judgements for an unknown node or a leaf, given twice, ids that are not exactly the
/// node's children (missing and unknown ids named), a missing node (its children named), every
/// error of ahp() prefixed with the node.
hierarchy_result hierarchical_ahp(const model& m, const std::vector<node_judgements>& judgements,
                                  const hierarchy_options& options = {});

struct apply_options {
  /// Leaf weights: keep each dimension's points and share them among its indicators in proportion
  /// to their weights (true, default), or share the model's total among all indicators (false).
  bool keep_dimension_totals = true;
};

/// One row of the before/after table of apply_weights (every node, model order).
struct mapping_row {
  std::string id;
  std::string parent;
  std::string kind;  ///< "dimension", "group" or "indicator"
  double points_before = 0.0;
  double points_after = 0.0;
  double weight_before = 0.0;  ///< global: points / total
  double weight_after = 0.0;
  double target = std::numeric_limits<double>::quiet_NaN();  ///< requested weight (normalised), NaN if none
};

struct weighted_model {
  model result;
  std::vector<mapping_row> mapping;
};

/// A model with new points from a weight vector, by leaf indicator id (every leaf must be named)
/// or by dimension id (every dimension; the indicators of a dimension keep their shares of it).
/// Weights must be finite and >= 0 and are normalised to sum 1. The total stays the model's
/// (1000 for wuhan-2024); with leaf weights and keep_dimension_totals each dimension keeps its
/// points. Points are integer centi-points (0.01) by largest-remainder rounding (Hamilton's
/// method: floor every exact share, then give the remaining centi-points to the largest
/// remainders, ties to the earlier node), so they add up exactly; groups and dimensions are the
/// sums of their children. The result is validated as any model (model(model_spec)).
/// Errors: an unknown id or a group id, leaves and dimensions mixed, a leaf or dimension missing
/// or given twice (named), a bad weight (named), all weights 0, a dimension whose indicators all
/// have weight 0 while keep_dimension_totals.
weighted_model apply_weights(const model& m, const std::vector<std::pair<std::string, double>>& weights,
                             const apply_options& options = {});

/// Largest-remainder (Hamilton) apportionment of `total` integer units in proportion to `shares`
/// (>= 0, not all 0): floor(total·s_k/Σs), then one more unit to each of the largest remainders
/// (ties: lower index first). The result sums to `total` exactly.
std::vector<std::int64_t> largest_remainder(std::int64_t total, const std::vector<double>& shares);

}  // namespace embedrating::weights
