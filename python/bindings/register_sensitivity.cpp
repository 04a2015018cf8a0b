// embedrating._core: sensitivity and model comparison (issue 13; C++ include/embedrating/sensitivity.hpp).
// Flat functions returning dicts of numpy arrays (moved, not copied); the friendly API (DataFrames,
// progress bars, plots, HTML) is Python, in python/embedrating/sensitivity.py.
#include <embedrating/sensitivity.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
namespace es = embedrating::sensitivity;

/// A numpy array that takes over `v` (no copy; the vector lives in a capsule).
template <class T>
py::array take(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {static_cast<py::ssize_t>(sizeof(T))}, heap->data(), owner);
}

/// The same for a row-major Eigen matrix.
template <class M>
py::array take_matrix(M&& m) {
  using T = typename std::decay_t<M>::Scalar;
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto* heap = new RowMajor(std::forward<M>(m));
  py::capsule owner(heap, [](void* p) { delete static_cast<RowMajor*>(p); });
  const auto rows = static_cast<py::ssize_t>(heap->rows()), cols = static_cast<py::ssize_t>(heap->cols());
  return py::array_t<T>({rows, cols}, {cols * static_cast<py::ssize_t>(sizeof(T)), static_cast<py::ssize_t>(sizeof(T))},
                        heap->data(), owner);
}

py::dict memory_dict(const es::memory_report& m) {
  return py::dict("accumulators"_a = m.accumulators, "draws"_a = m.draws, "tile_buffers"_a = m.tile_buffers,
                  "engine_buffers"_a = m.engine_buffers, "total"_a = m.total());
}

py::dict gates_dict(const std::vector<es::line_gate>& gs) {
  std::vector<std::int64_t> row;
  std::vector<std::int8_t> from, to, lvl;
  std::vector<double> required, actual, distance;
  py::list direction, kind, id;
  for (const auto& g : gs) {
    row.push_back(static_cast<std::int64_t>(g.row));
    from.push_back(static_cast<std::int8_t>(level(g.from)));
    to.push_back(static_cast<std::int8_t>(level(g.to)));
    lvl.push_back(static_cast<std::int8_t>(level(g.level)));
    required.push_back(g.required);
    actual.push_back(g.actual);
    distance.push_back(g.distance);
    direction.append(es::to_string(g.direction));
    kind.append(to_string(g.kind));
    id.append(utf8(g.id));
  }
  return py::dict("row"_a = take(std::move(row)), "direction"_a = direction, "from"_a = take(std::move(from)),
                  "to"_a = take(std::move(to)), "kind"_a = kind, "id"_a = id, "level"_a = take(std::move(lvl)),
                  "required"_a = take(std::move(required)), "actual"_a = take(std::move(actual)),
                  "distance"_a = take(std::move(distance)));
}

/// The dict of a Monte Carlo result (arrays moved, not copied): monte_carlo and monte_carlo_combine.
py::dict result_dict(es::monte_carlo_result&& r) {
  py::list population;
  for (const auto& g : r.population)
    population.append(py::dict("current"_a = g.current, "expected"_a = g.expected, "low"_a = g.low, "high"_a = g.high));
  const std::size_t N = r.size();
  std::vector<double> stability(N), up(N), down(N);
  std::vector<std::int8_t> modal(N);
  for (std::size_t i = 0; i < N; ++i) {
    stability[i] = r.stability(i);
    up[i] = r.probability_up(i);
    down[i] = r.probability_down(i);
    modal[i] = static_cast<std::int8_t>(r.modal(i));
  }
  py::object cutoffs = r.cutoffs.size() ? take_matrix(r.cutoffs) : py::object(py::none());
  return py::dict(
      "weights"_a = take_matrix(r.weights), "cutoffs"_a = cutoffs, "grade"_a = take(std::move(r.grade)),
      "active"_a = take(std::move(r.active)), "total"_a = take(std::move(r.total)),
      "counts"_a = take_matrix(r.counts), "stability"_a = take(std::move(stability)),
      "probability_up"_a = take(std::move(up)), "probability_down"_a = take(std::move(down)),
      "modal"_a = take(std::move(modal)), "total_mean"_a = take(std::move(r.total_mean)),
      "total_sd"_a = take(std::move(r.total_sd)), "total_min"_a = take(std::move(r.total_min)),
      "total_max"_a = take(std::move(r.total_max)), "total_quantiles"_a = take_matrix(r.total_quantiles),
      "resolution"_a = take(std::move(r.resolution)), "clipped"_a = take(std::move(r.clipped)),
      "per_draw"_a = take_matrix(r.per_draw), "population"_a = population, "not_graded"_a = r.not_graded,
      "memory"_a = memory_dict(r.memory), "model_fingerprint"_a = r.model_fingerprint,
      "kernel_isa"_a = r.kernel_isa);
}

py::dict monte_carlo_py(const scored& s, std::size_t draws, std::uint64_t seed, const std::string& method,
                        double concentration, double spread, double cutoff_jitter, std::vector<double> quantiles,
                        double resolution, std::size_t bins, double window_sd, double interval, int threads,
                        std::size_t tile_rows, std::size_t chunk, const py::object& progress, std::uint64_t first_draw) {
  es::monte_carlo_options o;
  o.draws = draws;
  o.first_draw = first_draw;
  o.seed = seed;
  o.noise = es::parse_weight_noise(method);
  o.concentration = concentration;
  o.spread = spread;
  o.cutoff_jitter = cutoff_jitter;
  o.quantiles = std::move(quantiles);
  o.resolution = resolution;
  o.bins = bins;
  o.window_sd = window_sd;
  o.interval = interval;
  o.threads = threads;
  o.tile_rows = tile_rows;
  o.chunk = chunk;
  // between chunks: Ctrl-C stops the run, and the Python callback (a progress bar) sees the count
  o.progress = [&progress](std::size_t done, std::size_t total) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (!progress.is_none()) progress(done, total);
  };
  es::monte_carlo_result r;
  {
    py::gil_scoped_release nogil;
    r = es::monte_carlo(s, o);
  }
  return result_dict(std::move(r));
}


/// A (rows × cols) matrix from a part's numpy array, the shape checked.
template <class Matrix>
Matrix matrix_of(const py::handle& value, py::ssize_t cols, std::size_t part, const char* key) {
  using T = typename Matrix::Scalar;
  const auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!a || a.ndim() != 2 || (cols >= 0 && a.shape(1) != cols))
    throw py::value_error("monte_carlo_combine: part " + std::to_string(part) + " [\"" + key + "\"] is not a 2-d array" +
                          (cols >= 0 ? " of " + std::to_string(cols) + " columns" : std::string()));
  Matrix m(a.shape(0), a.shape(1));
  for (py::ssize_t i = 0; i < a.shape(0); ++i)
    for (py::ssize_t c = 0; c < a.shape(1); ++c) m(i, c) = a.at(i, c);
  return m;
}

template <class T>
std::vector<T> vector_of(const py::handle& value, std::size_t part, const char* key) {
  const auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!a || a.ndim() != 1)
    throw py::value_error("monte_carlo_combine: part " + std::to_string(part) + " [\"" + key + "\"] is not a 1-d array");
  return std::vector<T>(a.data(), a.data() + a.size());
}

/// Runs over consecutive draw ranges (the dicts of monte_carlo(..., quantiles=[]) with their
/// "first_draw") as one run, through es::combine_draw_ranges — the core's one way to do it.
py::dict monte_carlo_combine_py(const py::list& parts, std::uint64_t seed, const std::string& method, double concentration,
                                double spread, double cutoff_jitter, double interval) {
  std::vector<es::monte_carlo_result> rs;
  rs.reserve(parts.size());
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const py::dict d = parts[j].cast<py::dict>();
    auto item = [&](const char* key) -> py::object {
      if (!d.contains(key)) throw py::value_error("monte_carlo_combine: part " + std::to_string(j) + " has no \"" + key + "\"");
      return d[key];
    };
    es::monte_carlo_result r;
    r.options.seed = seed;
    r.options.noise = es::parse_weight_noise(method);
    r.options.concentration = concentration;
    r.options.spread = spread;
    r.options.cutoff_jitter = cutoff_jitter;
    r.options.interval = interval;
    r.options.quantiles.clear();
    r.options.first_draw = item("first_draw").cast<std::uint64_t>();
    r.weights = matrix_of<Eigen::MatrixXd>(item("weights"), -1, j, "weights");
    r.options.draws = static_cast<std::size_t>(r.weights.rows());
    const py::object cut = item("cutoffs");
    if (!cut.is_none()) r.cutoffs = matrix_of<Eigen::MatrixXd>(cut, 5, j, "cutoffs");
    r.counts = matrix_of<decltype(r.counts)>(item("counts"), grade_count, j, "counts");
    r.per_draw = matrix_of<decltype(r.per_draw)>(item("per_draw"), grade_count, j, "per_draw");
    r.grade = vector_of<std::int8_t>(item("grade"), j, "grade");
    r.active = vector_of<std::uint8_t>(item("active"), j, "active");
    r.total = vector_of<double>(item("total"), j, "total");
    r.operator_ids.resize(r.grade.size());  // the row count; the ids stay with the Scored in Python
    r.not_graded = item("not_graded").cast<std::size_t>();
    r.model_fingerprint = item("model_fingerprint").cast<std::string>();
    r.kernel_isa = item("kernel_isa").cast<std::string>();
    const py::dict mem = item("memory").cast<py::dict>();
    r.memory.accumulators = mem["accumulators"].cast<std::size_t>();
    r.memory.draws = mem["draws"].cast<std::size_t>();
    r.memory.tile_buffers = mem["tile_buffers"].cast<std::size_t>();
    r.memory.engine_buffers = mem["engine_buffers"].cast<std::size_t>();
    rs.push_back(std::move(r));
  }
  es::monte_carlo_result r;
  try {
    r = es::combine_draw_ranges(std::move(rs));
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
  return result_dict(std::move(r));
}

}  // namespace

void register_sensitivity(py::module_& m) {
  m.def("monte_carlo", &monte_carlo_py, "scored"_a, "draws"_a = 1000, "seed"_a = 0, "method"_a = "dirichlet",
        "concentration"_a = 200.0, "spread"_a = 0.1, "cutoff_jitter"_a = 0.0,
        "quantiles"_a = std::vector<double>{0.05, 0.25, 0.5, 0.75, 0.95}, "resolution"_a = 0.5, "bins"_a = 128,
        "window_sd"_a = 6.0, "interval"_a = 0.95, "threads"_a = 1, "tile_rows"_a = 0, "chunk"_a = 256,
        "progress"_a = py::none(), "first_draw"_a = 0,
        "Monte Carlo over the weights of a Scored's model → dict of numpy arrays (without the GIL; "
        "progress(done, total) is called between chunks of draws). first_draw: the index of the run's first "
        "draw (draws first_draw … first_draw + draws - 1; embedrating.dask splits a run this way).");
  m.def("monte_carlo_combine", &monte_carlo_combine_py, "parts"_a, "seed"_a, "method"_a, "concentration"_a, "spread"_a,
        "cutoff_jitter"_a, "interval"_a,
        "The dicts of monte_carlo runs over consecutive draw ranges (quantiles=[], each with its \"first_draw\") → "
        "the dict of the run over the whole range, bit for bit (combine_draw_ranges in the C++ core). ValueError "
        "names the part that does not fit.");
  m.def(
      "draw_weights",
      [](const std::vector<double>& base, std::size_t k0, std::size_t k1, std::uint64_t seed, const std::string& method,
         double concentration, double spread) {
        es::monte_carlo_options o;
        o.seed = seed;
        o.noise = es::parse_weight_noise(method);
        o.concentration = concentration;
        o.spread = spread;
        return take_matrix(es::draw_weights(base, o, k0, k1));
      },
      "base"_a, "k0"_a, "k1"_a, "seed"_a = 0, "method"_a = "dirichlet", "concentration"_a = 200.0, "spread"_a = 0.1,
      "The weights of draws [k0, k1) (each depends only on the seed and its index).");
  m.def(
      "near_the_line",
      [](const ratings& r, double points) { return gates_dict(es::near_the_line(r, points)); }, "ratings"_a,
      "points"_a, "Operators within `points` of the gate that decides their grade (dict of columns).");
  m.def(
      "deciding_gates",
      [](const ratings& r, const std::vector<std::int64_t>& rows, const std::vector<std::string>& directions) {
        if (rows.size() != directions.size()) throw py::value_error("deciding_gates: rows and directions differ in length");
        std::vector<es::line_gate> out;
        es::line_gate g;
        for (std::size_t k = 0; k < rows.size(); ++k) {
          if (rows[k] < 0 || static_cast<std::size_t>(rows[k]) >= r.size()) throw py::index_error("deciding_gates: row out of range");
          const es::direction_t d = directions[k] == "up" ? es::direction_t::up : es::direction_t::down;
          if (es::deciding_gate(r, static_cast<std::size_t>(rows[k]), d, g)) out.push_back(g);
        }
        return gates_dict(out);
      },
      "ratings"_a, "rows"_a, "directions"_a, "The gate deciding each (row, \"up\"|\"down\") move, where points can make it.");
  m.def(
      "one_at_a_time",
      [](const scored& s, double delta, double cutoff_delta, bool weights, bool dimensions, bool cutoffs,
         bool per_operator, int threads) {
        es::oat_options o;
        o.delta = delta;
        o.cutoff_delta = cutoff_delta;
        o.weights = weights;
        o.dimensions = dimensions;
        o.cutoffs = cutoffs;
        o.per_operator = per_operator;
        o.threads = threads;
        es::oat_result r;
        {
          py::gil_scoped_release nogil;
          r = es::one_at_a_time(s, o);
        }
        py::list variants;
        for (const auto& v : r.variants)
          variants.append(py::dict("kind"_a = es::to_string(v.kind), "id"_a = utf8(v.id), "sign"_a = v.sign,
                                   "base"_a = v.base, "value"_a = v.value, "moved_up"_a = v.moved_up,
                                   "moved_down"_a = v.moved_down, "mean_change"_a = v.mean_change,
                                   "mean_abs_change"_a = v.mean_abs_change, "max_abs_change"_a = v.max_abs_change));
        py::object tc = py::none(), gc = py::none();
        if (per_operator) {
          tc = take_matrix(r.total_change);
          gc = take_matrix(r.grade_change);
        }
        return py::dict("variants"_a = variants, "total_change"_a = tc, "grade_change"_a = gc,
                        "grade"_a = take(std::move(r.grade)), "total"_a = take(std::move(r.total)),
                        "active"_a = take(std::move(r.active)));
      },
      "scored"_a, "delta"_a = 0.1, "cutoff_delta"_a = 10.0, "weights"_a = true, "dimensions"_a = true,
      "cutoffs"_a = true, "per_operator"_a = true, "threads"_a = 1,
      "One-at-a-time swings → dict (variants, and variants × n changes in centi-points and levels).");
  m.def(
      "compare",
      [](const ratings& a, const ratings& b, std::size_t max_reasons) {
        es::compare_options o;
        o.max_reasons = max_reasons;
        es::comparison c;
        {
          py::gil_scoped_release nogil;
          c = es::compare(a, b, o);
        }
        std::vector<std::int64_t> moved_rows, reason_row;
        std::vector<std::int8_t> target;
        std::vector<std::int32_t> rank_class;
        std::vector<double> ra, rb, magnitude;
        py::list kind, id, gate, action;
        for (const auto& mo : c.moved) {
          moved_rows.push_back(static_cast<std::int64_t>(mo.row));
          for (const auto& why : mo.reasons) {
            reason_row.push_back(static_cast<std::int64_t>(mo.row));
            kind.append(es::to_string(why.kind));
            id.append(utf8(why.id));
            const bool is_gate = why.kind == es::move_reason::kind_t::gate_a || why.kind == es::move_reason::kind_t::gate_b;
            gate.append(is_gate ? py::object(py::str(to_string(why.gate))) : py::object(py::none()));
            action.append(why.action.empty() ? py::object(py::none()) : py::object(py::str(why.action)));
            target.push_back(static_cast<std::int8_t>(is_gate ? level(why.target) : -1));
            ra.push_back(why.a);
            rb.push_back(why.b);
            rank_class.push_back(why.rank_class);
            magnitude.push_back(why.magnitude);
          }
        }
        py::list transitions;
        for (const auto& row : c.transitions) transitions.append(std::vector<std::uint64_t>(row.begin(), row.end()));
        const auto& sm = c.summary;
        py::dict summary("operators"_a = sm.operators, "active"_a = sm.active, "moved"_a = sm.moved,
                         "moved_up"_a = sm.moved_up, "moved_down"_a = sm.moved_down, "max_shift"_a = sm.max_shift,
                         "mean_total_change"_a = sm.mean_total_change, "kappa"_a = sm.kappa,
                         "weighted_kappa"_a = sm.weighted_kappa, "same_structure"_a = sm.same_structure);
        py::dict reasons("row"_a = take(std::move(reason_row)), "kind"_a = kind, "id"_a = id, "gate"_a = gate,
                         "target"_a = take(std::move(target)), "action"_a = action, "a"_a = take(std::move(ra)),
                         "b"_a = take(std::move(rb)), "rank_class"_a = take(std::move(rank_class)),
                         "magnitude"_a = take(std::move(magnitude)));
        return py::dict("transitions"_a = transitions, "moved"_a = take(std::move(moved_rows)), "reasons"_a = reasons,
                        "summary"_a = summary);
      },
      "ratings_a"_a, "ratings_b"_a, "max_reasons"_a = 0,
      "Compares two ratings of the same operators → dict (transitions, moved rows, ranked reasons, summary).");
  m.def(
      "cohen_kappa",
      [](const std::vector<std::vector<double>>& table, const std::string& weights) {
        for (const auto& row : table)
          if (row.size() != table.size()) throw data_error("cohen_kappa: the table must be square");
        es::kappa_weights w = es::kappa_weights::none;
        if (weights == "linear") w = es::kappa_weights::linear;
        else if (weights == "quadratic") w = es::kappa_weights::quadratic;
        else if (weights != "none") {
          error_location where;
          where.field = "weights";
          throw data_error(where, "cohen_kappa: weights must be none, linear or quadratic, got \"" + weights + "\"");
        }
        return es::cohen_kappa(table, w);
      },
      "table"_a, "weights"_a = "none", "Cohen's kappa of a square contingency table (weights none, linear, quadratic).");
}

}  // namespace embedrating::python
