// Objective weights (entropy, CRITIC, standard deviation, coefficient of variation) over the
// one-pass kernels, hierarchical AHP over a model's tree, and weights → model (issue 11).
#include "embedrating/weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kernels/weights_kernels.hpp"

namespace embedrating::weights {

namespace {

using detail::fail;
using detail::number;

/// Reference values per column: the mean of the first rows (<= 1024), so that the one-pass sums
/// of x − c stay small when the column varies little around its mean.
std::vector<double> shifts(const matrix_view& x) {
  const Eigen::Index k = std::min<Eigen::Index>(x.rows, 1024);
  std::vector<double> c(static_cast<std::size_t>(x.cols), 0.0);
  for (Eigen::Index j = 0; j < x.cols; ++j) {
    double s = 0.0;
    for (Eigen::Index i = 0; i < k; ++i) s += x(i, j);
    const double v = s / static_cast<double>(k);
    c[static_cast<std::size_t>(j)] = std::isfinite(v) ? v : 0.0;
  }
  return c;
}

void check_shape(const char* fn, const matrix_view& x) {
  if (x.rows == 0 || x.cols == 0)
    fail(fn, "the matrix is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) + ")");
  if (x.rows < 2)
    fail(fn, "needs at least 2 rows (operators) to measure how an indicator varies, got " + std::to_string(x.rows));
  if (x.data == nullptr) fail(fn, "no data");
}

/// Throws for the first value in column j (row order) that fails `ok`.
template <class Ok>
[[noreturn]] void fail_first(const char* fn, const matrix_view& x, Eigen::Index j, const labels& names, Ok ok,
                             const char* requirement) {
  for (Eigen::Index i = 0; i < x.rows; ++i)
    if (!ok(x(i, j)))
      fail(fn, detail::row_name(names, i) + ", " + detail::column_name(names, j) + ": value " + number(x(i, j)) +
                   " must be " + requirement,
           j < static_cast<Eigen::Index>(names.cols.size()) ? names.cols[static_cast<std::size_t>(j)] : std::string());
  fail(fn, detail::column_name(names, j) + ": a value must be " + requirement);
}

bool finite(double v) { return std::isfinite(v); }
bool nonnegative(double v) { return std::isfinite(v) && v >= 0.0; }

struct column_moments {
  std::vector<double> mean;   ///< of x
  std::vector<double> sigma;  ///< population standard deviation
  std::vector<double> min, max;
  std::vector<double> gram;   ///< cross-products of x − c (upper triangle), when asked
  std::vector<double> dmean;  ///< mean of x − c
};

column_moments column_stats(const char* fn, const matrix_view& x, const labels& names, bool with_gram) {
  const auto n = static_cast<std::size_t>(x.cols);
  const double m = static_cast<double>(x.rows);
  const std::vector<double> c = shifts(x);
  std::vector<double> sum(n), sumsq(n), bad(n);
  column_moments out;
  out.min.resize(n);
  out.max.resize(n);
  if (with_gram) out.gram.assign(n * n, 0.0);
  kernels::moments(x, c.data(), sum.data(), sumsq.data(), out.min.data(), out.max.data(), bad.data(),
                   with_gram ? out.gram.data() : nullptr);
  for (std::size_t j = 0; j < n; ++j)
    if (bad[j] > 0.0) fail_first(fn, x, static_cast<Eigen::Index>(j), names, finite, "finite (no NaN or infinity)");
  out.mean.resize(n);
  out.sigma.resize(n);
  out.dmean.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double md = sum[j] / m;
    out.dmean[j] = md;
    out.mean[j] = c[j] + md;
    out.sigma[j] = out.max[j] > out.min[j] ? std::sqrt(std::max(0.0, sumsq[j] / m - md * md)) : 0.0;
  }
  return out;
}

Eigen::VectorXd normalised(const char* fn, std::vector<double> v, const std::string& why_zero) {
  double s = 0.0;
  for (double x : v) s += x;
  if (!(s > 0.0)) fail(fn, why_zero);
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  for (std::size_t j = 0; j < v.size(); ++j) out[static_cast<Eigen::Index>(j)] = v[j] / s;
  return out;
}

const char* const all_constant = "every column is constant: no indicator separates the operators, so no weights are defined";

}  // namespace

Eigen::VectorXd entropy(const matrix_view& x, const labels& names) {
  constexpr const char* fn = "entropy";
  check_shape(fn, x);
  const auto n = static_cast<std::size_t>(x.cols);
  const double m = static_cast<double>(x.rows);
  std::vector<double> c = shifts(x), inv_c(n);
  for (std::size_t j = 0; j < n; ++j) inv_c[j] = c[j] > 0.0 ? 1.0 / c[j] : 1.0;
  std::vector<double> sum(n), sxl(n), bad(n);
  kernels::entropy_sums(x, inv_c.data(), sum.data(), sxl.data(), bad.data());
  std::vector<double> d(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    if (bad[j] > 0.0)
      fail_first(fn, x, static_cast<Eigen::Index>(j), names, nonnegative,
                 "a finite number >= 0 (entropy weights are defined for non-negative values)");
    if (!(sum[j] > 0.0)) continue;  // all zero: no information (documented)
    const double mean = sum[j] / m;
    // d = 1 − e = (1/ln m) Σ p ln(m p) = (1/ln m) [(1/S) Σ x ln(x/c) − ln(x̄/c)]
    double dj = (sxl[j] / sum[j] - std::log(mean * inv_c[j])) / std::log(m);
    if (!(dj > 1e-14)) dj = 0.0;  // below the rounding error of the sums: a constant column
    d[j] = dj;
  }
  return normalised(fn, std::move(d), all_constant);
}

Eigen::VectorXd critic(const matrix_view& x, const std::vector<int>& types, const labels& names) {
  constexpr const char* fn = "critic";
  check_shape(fn, x);
  const std::vector<int> t = detail::check_types(fn, types, x.cols);
  const column_moments s = column_stats(fn, x, names, true);
  const auto n = static_cast<std::size_t>(x.cols);
  const double m = static_cast<double>(x.rows);
  std::vector<bool> active(n);
  bool any = false;
  for (std::size_t j = 0; j < n; ++j) any |= (active[j] = s.max[j] > s.min[j] && s.sigma[j] > 0.0);
  if (!any) fail(fn, all_constant);
  auto r = [&](std::size_t i, std::size_t j) {
    const std::size_t a = std::min(i, j), b = std::max(i, j);
    const double cov = s.gram[a * n + b] / m - s.dmean[a] * s.dmean[b];
    const double v = std::clamp(cov / (s.sigma[a] * s.sigma[b]), -1.0, 1.0);
    return static_cast<double>(t[i] * t[j]) * v;
  };
  std::vector<double> info(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    if (!active[j]) continue;
    double conflict = 0.0;
    for (std::size_t k = 0; k < n; ++k)
      if (k != j && active[k]) conflict += 1.0 - r(j, k);
    info[j] = s.sigma[j] / (s.max[j] - s.min[j]) * conflict;
  }
  return normalised(fn, std::move(info),
                    "every pair of non-constant columns is perfectly correlated (r = 1 after the benefit/cost "
                    "directions): CRITIC weights are not defined (with 2 operators every correlation is +1 or -1)");
}

Eigen::VectorXd std_dev(const matrix_view& x, const labels& names) {
  constexpr const char* fn = "std_dev";
  check_shape(fn, x);
  const column_moments s = column_stats(fn, x, names, false);
  return normalised(fn, s.sigma, all_constant);
}

Eigen::VectorXd cv(const matrix_view& x, const labels& names) {
  constexpr const char* fn = "cv";
  check_shape(fn, x);
  const column_moments s = column_stats(fn, x, names, false);
  std::vector<double> v(s.sigma.size(), 0.0);
  for (std::size_t j = 0; j < v.size(); ++j) {
    if (s.min[j] < 0.0)
      fail_first(fn, x, static_cast<Eigen::Index>(j), names, nonnegative,
                 ">= 0 (the coefficient of variation needs non-negative values)");
    if (s.sigma[j] > 0.0 && s.mean[j] > 0.0) v[j] = s.sigma[j] / s.mean[j];
  }
  return normalised(fn, std::move(v), all_constant);
}

// ---------------------------------------------------------------------------------------------
// Largest remainder

std::vector<std::int64_t> largest_remainder(std::int64_t total, const std::vector<double>& shares) {
  constexpr const char* fn = "largest_remainder";
  if (total < 0) fail(fn, "total = " + std::to_string(total) + " must be >= 0");
  double s = 0.0;
  for (std::size_t k = 0; k < shares.size(); ++k) {
    if (!std::isfinite(shares[k]) || shares[k] < 0.0)
      fail(fn, "shares[" + std::to_string(k) + "] = " + number(shares[k]) + " must be a finite number >= 0");
    s += shares[k];
  }
  if (!(s > 0.0)) fail(fn, "the shares are all 0");
  std::vector<std::int64_t> out(shares.size());
  std::vector<std::pair<double, std::size_t>> rest;
  std::int64_t given = 0;
  for (std::size_t k = 0; k < shares.size(); ++k) {
    const double exact = static_cast<double>(total) * (shares[k] / s);
    const double fl = std::floor(exact);
    out[k] = static_cast<std::int64_t>(fl);
    given += out[k];
    rest.emplace_back(exact - fl, k);
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::int64_t left = total - given;
  for (std::size_t q = 0; left > 0 && !rest.empty(); ++q, --left) ++out[rest[q % rest.size()].second];
  for (; left < 0; ++left)  // floating-point floors can overshoot by one unit in extreme cases
    for (auto it = rest.rbegin(); it != rest.rend(); ++it)
      if (out[it->second] > 0) {
        --out[it->second];
        break;
      }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The model's tree, from its spec (the public model API only)

namespace {

struct tree {
  const model_spec* spec = nullptr;
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<std::size_t>> children;  ///< per node, in spec order
  std::vector<std::size_t> dimensions;
  std::vector<std::int64_t> centi;

  explicit tree(const model& m) : spec(&m.spec()) {
    const auto& nodes = spec->nodes;
    children.resize(nodes.size());
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      index[nodes[k].id] = k;
      centi.push_back(static_cast<std::int64_t>(std::llround(nodes[k].points * 100.0)));
    }
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      if (nodes[k].parent.empty()) dimensions.push_back(k);
      else children[index.at(nodes[k].parent)].push_back(k);
    }
  }
  bool leaf(std::size_t k) const { return children[k].empty(); }
  bool dimension(std::size_t k) const { return spec->nodes[k].parent.empty(); }
  const std::string& id(std::size_t k) const { return spec->nodes[k].id; }
  const char* kind(std::size_t k) const { return dimension(k) ? "dimension" : (leaf(k) ? "indicator" : "group"); }
  void leaves_under(std::size_t k, std::vector<std::size_t>& out) const {
    if (leaf(k)) {
      out.push_back(k);
      return;
    }
    for (std::size_t c : children[k]) leaves_under(c, out);
  }
  std::int64_t total() const {
    std::int64_t t = 0;
    for (std::size_t d : dimensions) t += centi[d];
    return t;
  }
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

hierarchy_result hierarchical_ahp(const model& m, const std::vector<node_judgements>& judgements,
                                  const hierarchy_options& options) {
  constexpr const char* fn = "hierarchical_ahp";
  const tree tr(m);
  std::map<std::string, const node_judgements*> given;
  for (const auto& j : judgements) {
    const std::string shown = j.node.empty() ? std::string("\"\" (the dimensions)") : "\"" + j.node + "\"";
    if (!j.node.empty()) {
      const auto it = tr.index.find(j.node);
      if (it == tr.index.end()) fail(fn, "judgements for " + shown + ", which is not a node of model " + m.info().id, j.node);
      if (tr.leaf(it->second))
        fail(fn, "judgements for " + shown + ", an indicator: it has no children to compare", j.node);
    }
    if (!given.emplace(j.node, &j).second) fail(fn, "judgements for " + shown + " given twice", j.node);
  }
  hierarchy_result out;
  out.leaf_ids = m.leaf_ids();
  std::vector<double> local_of(tr.spec->nodes.size(), 1.0);  // each node's local weight
  std::vector<std::size_t> parents{static_cast<std::size_t>(-1)};
  for (std::size_t k = 0; k < tr.spec->nodes.size(); ++k)
    if (!tr.leaf(k)) parents.push_back(k);
  for (std::size_t p : parents) {
    const bool root = p == static_cast<std::size_t>(-1);
    const std::vector<std::size_t>& kids = root ? tr.dimensions : tr.children[p];
    const std::string node = root ? std::string() : tr.id(p);
    const std::string where = root ? std::string("the dimensions") : "node \"" + node + "\"";
    node_weights nw;
    nw.node = node;
    for (std::size_t c : kids) nw.ids.push_back(tr.id(c));
    nw.local.resize(static_cast<Eigen::Index>(kids.size()));
    const auto g = given.find(node);
    if (g != given.end()) {
      const node_judgements& j = *g->second;
      std::set<std::string> want(nw.ids.begin(), nw.ids.end()), have;
      std::vector<std::string> unknown, missing, twice;
      for (const auto& id : j.ids) {
        if (!want.count(id)) unknown.push_back(id);
        if (!have.insert(id).second) twice.push_back(id);
      }
      for (const auto& id : nw.ids)
        if (!have.count(id)) missing.push_back(id);
      if (!unknown.empty() || !missing.empty() || !twice.empty())
        fail(fn, where + ": the judgements' ids must be exactly its children (" + join(nw.ids) + ")" +
                     (unknown.empty() ? "" : "; not children: " + join(unknown)) +
                     (missing.empty() ? "" : "; missing: " + join(missing)) +
                     (twice.empty() ? "" : "; given twice: " + join(twice)),
             node);
      const bool has_matrix = j.matrix.size() > 0, has_local = j.local.size() > 0;
      if (has_matrix == has_local)
        fail(fn, where + ": give either a pairwise matrix or local weights" + (has_matrix ? ", not both" : ""), node);
      Eigen::VectorXd w;
      if (has_matrix) {
        ahp_options o = options.ahp;
        o.ids = j.ids;
        try {
          nw.result = ahp(j.matrix, o);
        } catch (const data_error& e) {
          throw data_error(e.where(), std::string(fn) + ": " + where + ": " + e.message());
        }
        w = nw.result->weights;
        nw.origin = "ahp";
      } else {
        if (j.local.size() != static_cast<Eigen::Index>(j.ids.size()))
          fail(fn, where + ": " + std::to_string(j.local.size()) + " local weights for " + std::to_string(j.ids.size()) +
                       " ids",
               node);
        double s = 0.0;
        for (Eigen::Index q = 0; q < j.local.size(); ++q) {
          if (!std::isfinite(j.local[q]) || j.local[q] < 0.0)
            fail(fn, where + ": local weight of " + j.ids[static_cast<std::size_t>(q)] + " = " + number(j.local[q]) +
                         " must be a finite number >= 0",
                 node);
          s += j.local[q];
        }
        if (!(s > 0.0)) fail(fn, where + ": the local weights are all 0", node);
        w = j.local / s;
        nw.origin = "given";
      }
      if (w.size() != static_cast<Eigen::Index>(j.ids.size()))
        fail(fn, where + ": the matrix is " + std::to_string(w.size()) + " x " + std::to_string(w.size()) + " for " +
                     std::to_string(j.ids.size()) + " ids",
             node);
      for (std::size_t q = 0; q < j.ids.size(); ++q) {
        const auto pos = std::find(nw.ids.begin(), nw.ids.end(), j.ids[q]) - nw.ids.begin();
        nw.local[pos] = w[static_cast<Eigen::Index>(q)];
      }
    } else if (kids.size() == 1) {
      nw.local[0] = 1.0;
      nw.origin = "single";
    } else if (options.keep_missing) {
      std::int64_t s = 0;
      for (std::size_t c : kids) s += tr.centi[c];
      for (std::size_t q = 0; q < kids.size(); ++q)
        nw.local[static_cast<Eigen::Index>(q)] =
            s > 0 ? static_cast<double>(tr.centi[kids[q]]) / static_cast<double>(s) : 1.0 / static_cast<double>(kids.size());
      nw.origin = "kept";
    } else {
      fail(fn, where + " has " + std::to_string(kids.size()) + " children (" + join(nw.ids) +
                   ") and no judgements: give a matrix or local weights for it, or keep_missing to keep the model's",
           node);
    }
    for (std::size_t q = 0; q < kids.size(); ++q) local_of[kids[q]] = nw.local[static_cast<Eigen::Index>(q)];
    out.nodes.push_back(std::move(nw));
  }
  out.global.resize(static_cast<Eigen::Index>(out.leaf_ids.size()));
  for (std::size_t q = 0; q < out.leaf_ids.size(); ++q) {
    double w = 1.0;
    for (std::size_t k = tr.index.at(out.leaf_ids[q]);;) {
      w *= local_of[k];
      const std::string& parent = tr.spec->nodes[k].parent;
      if (parent.empty()) break;
      k = tr.index.at(parent);
    }
    out.global[static_cast<Eigen::Index>(q)] = w;
  }
  out.global /= out.global.sum();
  return out;
}

weighted_model apply_weights(const model& m, const std::vector<std::pair<std::string, double>>& weights,
                             const apply_options& options) {
  constexpr const char* fn = "apply_weights";
  const tree tr(m);
  const auto& nodes = tr.spec->nodes;
  if (weights.empty()) fail(fn, "no weights");
  std::map<std::size_t, double> w;
  int leaves = 0, dims = 0;
  double sum = 0.0;
  for (const auto& [id, v] : weights) {
    const auto it = tr.index.find(id);
    if (it == tr.index.end()) fail(fn, "\"" + id + "\" is not an indicator or dimension of model " + m.info().id, id);
    const std::size_t k = it->second;
    if (!tr.leaf(k) && !tr.dimension(k))
      fail(fn, "\"" + id + "\" is a group: give weights by indicator (leaf) or by dimension", id);
    if (!std::isfinite(v) || v < 0.0) fail(fn, "weight of \"" + id + "\" = " + number(v) + " must be a finite number >= 0", id);
    if (!w.emplace(k, v).second) fail(fn, "weight of \"" + id + "\" given twice", id);
    (tr.leaf(k) ? leaves : dims) += 1;
    sum += v;
  }
  if (leaves > 0 && dims > 0) fail(fn, "weights mix indicators and dimensions: give one or the other");
  if (!(sum > 0.0)) fail(fn, "the weights are all 0");
  const bool by_leaf = leaves > 0;
  std::vector<std::string> missing;
  if (by_leaf) {
    for (const auto& id : m.leaf_ids())
      if (!w.count(tr.index.at(id))) missing.push_back(id);
  } else {
    for (std::size_t d : tr.dimensions)
      if (!w.count(d)) missing.push_back(tr.id(d));
  }
  if (!missing.empty())
    fail(fn, std::string("every ") + (by_leaf ? "indicator" : "dimension") + " needs a weight; missing: " + join(missing));

  std::vector<std::int64_t> after(nodes.size(), 0);
  const std::int64_t total = tr.total();
  auto share_out = [&](std::int64_t amount, const std::vector<std::size_t>& targets, const std::vector<double>& shares) {
    const std::vector<std::int64_t> parts = largest_remainder(amount, shares);
    for (std::size_t q = 0; q < targets.size(); ++q) after[targets[q]] = parts[q];
  };
  if (by_leaf && options.keep_dimension_totals) {
    for (std::size_t d : tr.dimensions) {
      std::vector<std::size_t> ls;
      tr.leaves_under(d, ls);
      std::vector<double> shares;
      double s = 0.0;
      for (std::size_t l : ls) {
        shares.push_back(w.at(l));
        s += w.at(l);
      }
      if (tr.centi[d] == 0) continue;
      if (!(s > 0.0))
        fail(fn, "every indicator of dimension \"" + tr.id(d) + "\" has weight 0, so its " + number(static_cast<double>(tr.centi[d]) / 100.0) +
                     " points cannot be shared out (give them weight, or keep_dimension_totals = false)",
             tr.id(d));
      share_out(tr.centi[d], ls, shares);
    }
  } else if (by_leaf) {
    std::vector<std::size_t> ls;
    std::vector<double> shares;
    for (std::size_t d : tr.dimensions) tr.leaves_under(d, ls);
    for (std::size_t l : ls) shares.push_back(w.at(l));
    share_out(total, ls, shares);
  } else {
    std::vector<double> dshares;
    for (std::size_t d : tr.dimensions) dshares.push_back(w.at(d));
    const std::vector<std::int64_t> dpoints = largest_remainder(total, dshares);
    for (std::size_t q = 0; q < tr.dimensions.size(); ++q) {
      std::vector<std::size_t> ls;
      tr.leaves_under(tr.dimensions[q], ls);
      std::vector<double> shares;
      double s = 0.0;
      for (std::size_t l : ls) {
        shares.push_back(static_cast<double>(tr.centi[l]));
        s += static_cast<double>(tr.centi[l]);
      }
      if (!(s > 0.0)) std::fill(shares.begin(), shares.end(), 1.0);
      if (dpoints[q] > 0) share_out(dpoints[q], ls, shares);
    }
  }
  // groups and dimensions: the sums of their children (children come after parents in no fixed
  // order, so recurse)
  std::vector<bool> done(nodes.size(), false);
  std::function<std::int64_t(std::size_t)> points = [&](std::size_t k) -> std::int64_t {
    if (tr.leaf(k) || done[k]) return after[k];
    std::int64_t s = 0;
    for (std::size_t c : tr.children[k]) s += points(c);
    done[k] = true;
    return after[k] = s;
  };
  for (std::size_t d : tr.dimensions) points(d);

  model_spec spec = *tr.spec;
  for (std::size_t k = 0; k < nodes.size(); ++k) spec.nodes[k].points = static_cast<double>(after[k]) / 100.0;
  // an edited model records its parent and gets a version of its own (issue 12)
  weighted_model out{m.derive(std::move(spec), "apply_weights",
                              std::to_string(w.size()) + (by_leaf ? " indicator" : " dimension") + " weight(s), " +
                                  (options.keep_dimension_totals ? "dimension totals kept" : "total kept")),
                     {}};
  const double new_total = static_cast<double>(total);
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    mapping_row r;
    r.id = nodes[k].id;
    r.parent = nodes[k].parent;
    r.kind = tr.kind(k);
    r.points_before = static_cast<double>(tr.centi[k]) / 100.0;
    r.points_after = static_cast<double>(after[k]) / 100.0;
    r.weight_before = static_cast<double>(tr.centi[k]) / static_cast<double>(total);
    r.weight_after = static_cast<double>(after[k]) / new_total;
    const auto it = w.find(k);
    if (it != w.end()) r.target = it->second / sum;
    out.mapping.push_back(std::move(r));
  }
  return out;
}

}  // namespace embedrating::weights
