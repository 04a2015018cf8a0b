// embedrating._core: weights (issue 11; C++ include/embedrating/weights.hpp). Flat functions over
// numpy arrays returning plain dicts; the friendly API (labels, pandas, HTML) is Python, in
// python/embedrating/weights.py.
#include <embedrating/weights.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
namespace ew = embedrating::weights;

using array_f64 = py::array_t<double, py::array::forcecast>;

/// A view of a 2-D float64 numpy array without a copy (any strides that are whole elements).
ew::matrix_view view_2d(const array_f64& a, const char* fn) {
  if (a.ndim() != 2)
    throw data_error(std::string(fn) + ": a 2-D matrix (operators × indicators) is required, got " +
                     std::to_string(a.ndim()) + " dimension(s)");
  ew::matrix_view v;
  v.data = a.data();
  v.rows = a.shape(0);
  v.cols = a.shape(1);
  const auto s0 = a.strides(0), s1 = a.strides(1);
  if (s0 % static_cast<py::ssize_t>(sizeof(double)) != 0 || s1 % static_cast<py::ssize_t>(sizeof(double)) != 0)
    throw data_error(std::string(fn) + ": the array's strides are not whole float64 elements");
  v.row_stride = s0 / static_cast<py::ssize_t>(sizeof(double));
  v.col_stride = s1 / static_cast<py::ssize_t>(sizeof(double));
  return v;
}

ew::labels names_of(const std::vector<std::string>& rows, const std::vector<std::string>& cols) { return {rows, cols}; }

py::dict ahp_dict(const ew::ahp_result& r) {
  py::object worst = py::none();
  if (r.worst) {
    const auto& v = *r.worst;
    worst = py::dict("i"_a = v.i, "j"_a = v.j, "value"_a = v.value, "suggested"_a = v.suggested, "ratio"_a = v.ratio,
                     "lambda_max_after"_a = v.lambda_max_after, "cr_after"_a = v.cr_after);
  }
  return py::dict("weights"_a = Eigen::VectorXd(r.weights), "lambda_max"_a = r.lambda_max, "ci"_a = r.ci,
                  "cr"_a = r.cr, "ri"_a = r.ri, "ri_table"_a = r.ri_table, "method"_a = ew::to_string(r.method),
                  "consistent"_a = r.consistent, "worst"_a = worst);
}

ew::ahp_options ahp_options_of(const std::string& method, const py::object& ri, double tolerance, double threshold,
                               bool find_worst, const std::vector<std::string>& ids) {
  ew::ahp_options o;
  o.method = ew::parse_ahp_method(method);
  if (py::isinstance<py::str>(ri)) o.ri = ri.cast<std::string>();
  else o.ri_values = ri.cast<std::vector<double>>();
  o.tolerance = tolerance;
  o.threshold = threshold;
  o.find_worst = find_worst;
  o.ids = ids;
  return o;
}

py::dict tables() {
  py::dict out;
  for (const auto& t : ew::random_index_tables())
    out[py::str(t.name)] = py::make_tuple(t.values, std::string(t.source));
  return out;
}

}  // namespace

void register_weights(py::module_& m) {
  m.def("random_index_tables", &tables, "Known RI tables: name → (values indexed by n - 1, source).");
  m.def(
      "ahp",
      [](const Eigen::MatrixXd& a, const std::string& method, const py::object& ri, double tolerance, double threshold,
         bool find_worst, const std::vector<std::string>& ids) {
        return ahp_dict(ew::ahp(a, ahp_options_of(method, ri, tolerance, threshold, find_worst, ids)));
      },
      "matrix"_a, "method"_a = "eigen", "ri"_a = "saaty1980", "tolerance"_a = 0.01, "threshold"_a = 0.1,
      "find_worst"_a = true, "ids"_a = std::vector<std::string>{},
      "AHP of a pairwise comparison matrix → dict (weights, lambda_max, ci, cr, ri, ri_table, method, consistent, "
      "worst).");
  m.def(
      "group_ahp",
      [](const std::vector<Eigen::MatrixXd>& matrices, const std::string& aggregation,
         const std::vector<double>& expert_weights, bool aip_geometric, const std::string& method, const py::object& ri,
         double tolerance, double threshold, bool find_worst, const std::vector<std::string>& ids) {
        ew::group_options o;
        o.aggregation = ew::parse_group_method(aggregation);
        o.expert_weights = expert_weights;
        o.aip_geometric = aip_geometric;
        o.ahp = ahp_options_of(method, ri, tolerance, threshold, find_worst, ids);
        const ew::group_result g = ew::group_ahp(matrices, o);
        py::list experts;
        for (const auto& e : g.experts) experts.append(ahp_dict(e));
        return py::dict("aggregation"_a = ew::to_string(g.aggregation), "weights"_a = g.weights,
                        "expert_weights"_a = g.expert_weights, "experts"_a = experts,
                        "aggregate"_a = g.aggregate ? py::object(ahp_dict(*g.aggregate)) : py::object(py::none()),
                        "matrix"_a = g.matrix);
      },
      "matrices"_a, "aggregation"_a = "aij", "expert_weights"_a = std::vector<double>{}, "aip_geometric"_a = true,
      "method"_a = "eigen", "ri"_a = "saaty1980", "tolerance"_a = 0.01, "threshold"_a = 0.1, "find_worst"_a = true,
      "ids"_a = std::vector<std::string>{}, "Group AHP (AIJ or AIP) → dict.");

  auto objective = [&m](const char* name, const char* doc, auto fn) {
    m.def(
        name,
        [fn, name](const array_f64& x, const std::vector<std::string>& row_labels,
                   const std::vector<std::string>& col_labels) {
          const ew::matrix_view v = view_2d(x, name);
          const ew::labels names = names_of(row_labels, col_labels);
          py::gil_scoped_release nogil;
          return Eigen::VectorXd(fn(v, names));
        },
        "x"_a, "row_labels"_a = std::vector<std::string>{}, "col_labels"_a = std::vector<std::string>{}, doc);
  };
  objective("entropy_weights", "Entropy weights of the columns (float64 array read in place).",
            [](const ew::matrix_view& v, const ew::labels& n) { return ew::entropy(v, n); });
  objective("std_weights", "Standard-deviation weights of the columns.",
            [](const ew::matrix_view& v, const ew::labels& n) { return ew::std_dev(v, n); });
  objective("cv_weights", "Coefficient-of-variation weights of the columns.",
            [](const ew::matrix_view& v, const ew::labels& n) { return ew::cv(v, n); });
  m.def(
      "critic_weights",
      [](const array_f64& x, const std::vector<int>& types, const std::vector<std::string>& row_labels,
         const std::vector<std::string>& col_labels) {
        const ew::matrix_view v = view_2d(x, "critic");
        const ew::labels names = names_of(row_labels, col_labels);
        py::gil_scoped_release nogil;
        return Eigen::VectorXd(ew::critic(v, types, names));
      },
      "x"_a, "types"_a = std::vector<int>{}, "row_labels"_a = std::vector<std::string>{},
      "col_labels"_a = std::vector<std::string>{}, "CRITIC weights of the columns (types: +1 benefit, -1 cost).");
  m.def(
      "combine_weights",
      [](const std::vector<Eigen::VectorXd>& ws, const std::string& method, const std::vector<double>& alphas) {
        return Eigen::VectorXd(ew::combine(ws, ew::parse_combine_method(method), alphas));
      },
      "weights"_a, "method"_a = "linear", "alphas"_a = std::vector<double>{0.5}, "Linear or multiplicative combination.");
  m.def(
      "normalize_matrix",
      [](const array_f64& x, const std::string& how, const std::vector<int>& types, const std::vector<std::string>& cols) {
        return Eigen::MatrixXd(ew::normalize(view_2d(x, "normalize"), ew::parse_normalization(how), types, {{}, cols}));
      },
      "x"_a, "how"_a = "minmax", "types"_a = std::vector<int>{}, "col_labels"_a = std::vector<std::string>{},
      "Cost-aware column normalisation (minmax, vector, max, sum).");
  m.def(
      "weighted_sum",
      [](const array_f64& x, const Eigen::VectorXd& w, const std::vector<int>& types, const std::string& how,
         const std::vector<std::string>& cols) {
        return Eigen::VectorXd(
            ew::weighted_sum(view_2d(x, "weighted_sum"), w, types, ew::parse_normalization(how), {{}, cols}));
      },
      "x"_a, "weights"_a, "types"_a = std::vector<int>{}, "how"_a = "minmax", "col_labels"_a = std::vector<std::string>{});
  m.def(
      "weighted_product",
      [](const array_f64& x, const Eigen::VectorXd& w, const std::vector<int>& types, const std::vector<std::string>& cols) {
        return Eigen::VectorXd(ew::weighted_product(view_2d(x, "weighted_product"), w, types, {{}, cols}));
      },
      "x"_a, "weights"_a, "types"_a = std::vector<int>{}, "col_labels"_a = std::vector<std::string>{});
  m.def(
      "topsis",
      [](const array_f64& x, const Eigen::VectorXd& w, const std::vector<int>& types, const std::string& how,
         const std::vector<std::string>& cols) {
        const ew::topsis_result r =
            ew::topsis(view_2d(x, "topsis"), w, types, ew::parse_normalization(how), {{}, cols});
        return py::dict("closeness"_a = r.closeness, "d_plus"_a = r.d_plus, "d_minus"_a = r.d_minus,
                        "ideal"_a = r.ideal, "anti_ideal"_a = r.anti_ideal);
      },
      "x"_a, "weights"_a, "types"_a = std::vector<int>{}, "how"_a = "vector", "col_labels"_a = std::vector<std::string>{});
  m.def(
      "rank_scores", [](const Eigen::VectorXd& s) { return Eigen::VectorXd(ew::rank(s)); }, "scores"_a,
      "Ranks, 1 = highest, ties averaged.");
  m.def(
      "hierarchical_ahp",
      [](const model& mo, const py::list& judgements, bool keep_missing, const std::string& method, const py::object& ri,
         double tolerance, double threshold) {
        std::vector<ew::node_judgements> js;
        for (const py::handle h : judgements) {
          const py::tuple t = py::reinterpret_borrow<py::tuple>(h);
          ew::node_judgements j;
          j.node = t[0].cast<std::string>();
          j.ids = t[1].cast<std::vector<std::string>>();
          if (!t[2].is_none()) j.matrix = t[2].cast<Eigen::MatrixXd>();
          if (!t[3].is_none()) j.local = t[3].cast<Eigen::VectorXd>();
          js.push_back(std::move(j));
        }
        ew::hierarchy_options o;
        o.keep_missing = keep_missing;
        o.ahp = ahp_options_of(method, ri, tolerance, threshold, true, {});
        const ew::hierarchy_result h = ew::hierarchical_ahp(mo, js, o);
        py::list nodes;
        for (const auto& n : h.nodes)
          nodes.append(py::dict("node"_a = n.node, "ids"_a = n.ids, "local"_a = n.local, "origin"_a = n.origin,
                                "result"_a = n.result ? py::object(ahp_dict(*n.result)) : py::object(py::none())));
        return py::dict("leaf_ids"_a = h.leaf_ids, "global"_a = h.global, "nodes"_a = nodes);
      },
      "model"_a, "judgements"_a, "keep_missing"_a = false, "method"_a = "eigen", "ri"_a = "saaty1980",
      "tolerance"_a = 0.01, "threshold"_a = 0.1,
      "Hierarchical AHP over the model's tree; judgements: list of (node, ids, matrix or None, local or None).");
  m.def(
      "apply_weights",
      [](const model& mo, const std::vector<std::pair<std::string, double>>& weights, bool keep_dimension_totals) {
        ew::apply_options o;
        o.keep_dimension_totals = keep_dimension_totals;
        const ew::weighted_model r = ew::apply_weights(mo, weights, o);
        py::list id, parent, kind;
        std::vector<double> before, after, wb, wa, target;
        for (const auto& row : r.mapping) {
          id.append(utf8(row.id));
          parent.append(utf8(row.parent));
          kind.append(row.kind);
          before.push_back(row.points_before);
          after.push_back(row.points_after);
          wb.push_back(row.weight_before);
          wa.push_back(row.weight_after);
          target.push_back(row.target);
        }
        py::dict mapping("id"_a = id, "parent"_a = parent, "kind"_a = kind, "points_before"_a = copy1(before),
                         "points_after"_a = copy1(after), "weight_before"_a = copy1(wb), "weight_after"_a = copy1(wa),
                         "target"_a = copy1(target));
        return py::make_tuple(r.result, mapping);
      },
      "model"_a, "weights"_a, "keep_dimension_totals"_a = true,
      "A model with points from weights by indicator or dimension → (Model, mapping columns).");
  m.def("largest_remainder", &ew::largest_remainder, "total"_a, "shares"_a,
        "Hamilton apportionment of integer units in proportion to shares.");
}

}  // namespace embedrating::python
