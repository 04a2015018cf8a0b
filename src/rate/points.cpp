// Stage: points (SPEC §3 step 5). Operators are grouped by their not-applicable pattern; each
// pattern's available points come from one largest-remainder re-allocation, so re-allocation
// costs per pattern, not per operator. Leaf points are round-half-up(score × available) in
// centi-points, summed per dimension.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "embedrating/detail/kernels.hpp"
#include "stages.hpp"

namespace embedrating::detail {

namespace {
struct key_hash {
  std::size_t operator()(const std::vector<std::uint64_t>& k) const noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ull;
    for (auto w : k) h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};
}  // namespace

na_patterns find_patterns(const std::vector<bitmask>& leaf_na, std::size_t n) {
  na_patterns out;
  const std::size_t L = leaf_na.size();
  out.of_row.assign(n, 0);
  out.applicable.push_back(std::vector<std::uint8_t>(L, 1));
  std::vector<std::size_t> with_na;
  for (std::size_t j = 0; j < L; ++j)
    if (leaf_na[j].any()) with_na.push_back(j);
  if (with_na.empty()) return out;
  const std::size_t W = (L + 63) / 64;
  const auto add_pattern = [&](const std::uint64_t* key) {
    std::vector<std::uint8_t> a(L, 1);
    for (std::size_t j = 0; j < L; ++j)
      if ((key[j / 64] >> (j % 64)) & 1u) a[j] = 0;
    out.applicable.push_back(std::move(a));
    return static_cast<std::uint32_t>(out.applicable.size() - 1);
  };
  if (W == 1) {  // up to 64 leaves: one word per operator, and neighbours mostly share it
    std::vector<std::uint64_t> keys(n, 0);
    for (std::size_t j : with_na) leaf_na[j].for_each([&](std::size_t i) { keys[i] |= std::uint64_t{1} << j; });
    std::unordered_map<std::uint64_t, std::uint32_t> ids;
    std::uint64_t last_key = 0;
    std::uint32_t last_id = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = keys[i];
      if (k == 0) continue;
      if (k != last_key || last_id == 0) {
        const auto it = ids.find(k);
        last_id = it != ids.end() ? it->second : ids.emplace(k, add_pattern(&k)).first->second;
        last_key = k;
      }
      out.of_row[i] = last_id;
    }
    return out;
  }
  std::vector<std::uint64_t> keys(n * W, 0);
  for (std::size_t j : with_na) leaf_na[j].for_each([&](std::size_t i) { keys[i * W + j / 64] |= std::uint64_t{1} << (j % 64); });
  std::unordered_map<std::vector<std::uint64_t>, std::uint32_t, key_hash> ids;
  std::vector<std::uint64_t> key(W);
  for (std::size_t i = 0; i < n; ++i) {
    bool any = false;
    for (std::size_t w = 0; w < W; ++w) any = any || keys[i * W + w] != 0;
    if (!any) continue;
    key.assign(keys.begin() + static_cast<std::ptrdiff_t>(i * W), keys.begin() + static_cast<std::ptrdiff_t>((i + 1) * W));
    const auto it = ids.find(key);
    out.of_row[i] = it != ids.end() ? it->second : ids.emplace(key, add_pattern(key.data())).first->second;
  }
  return out;
}

std::vector<std::int64_t> allocate(const compiled_model& cm, const std::vector<std::int64_t>& node_points,
                                   std::int64_t total, const std::vector<std::uint8_t>& leaf_applicable) {
  const std::size_t N = cm.nodes.size();
  std::vector<std::uint8_t> applicable(N, 0);
  for (auto it = cm.topo.rbegin(); it != cm.topo.rend(); ++it) {  // bottom-up
    const auto& cn = cm.nodes[static_cast<std::size_t>(*it)];
    if (cn.leaf >= 0) {
      applicable[static_cast<std::size_t>(*it)] = leaf_applicable[static_cast<std::size_t>(cn.leaf)];
    } else {
      std::uint8_t a = 0;
      for (std::int32_t c : cn.children) a |= applicable[static_cast<std::size_t>(c)];
      applicable[static_cast<std::size_t>(*it)] = a;
    }
  }
  std::vector<std::int64_t> avail(N, 0), rem(N, -1);
  // distribute `amount` over the applicable `kids` pro rata to their nominal points; the left-over
  // centi-points go to the largest remainders, earlier siblings first on ties
  auto distribute = [&](std::int64_t amount, const std::vector<std::int32_t>& kids) {
    std::int64_t weight = 0;
    for (std::int32_t c : kids)
      if (applicable[static_cast<std::size_t>(c)]) weight += node_points[static_cast<std::size_t>(c)];
    std::int64_t given = 0;
    for (std::int32_t c : kids) {
      const auto ci = static_cast<std::size_t>(c);
      if (!applicable[ci] || weight == 0) {
        avail[ci] = 0;
        rem[ci] = -1;
        continue;
      }
      const std::int64_t num = amount * node_points[ci];
      avail[ci] = num / weight;
      rem[ci] = num % weight;
      given += avail[ci];
    }
    for (std::int64_t left = weight == 0 ? 0 : amount - given; left > 0; --left) {
      std::int32_t best = -1;
      for (std::int32_t c : kids)
        if (rem[static_cast<std::size_t>(c)] >= 0 && (best < 0 || rem[static_cast<std::size_t>(c)] > rem[static_cast<std::size_t>(best)]))
          best = c;
      avail[static_cast<std::size_t>(best)] += 1;
      rem[static_cast<std::size_t>(best)] = -1;
    }
  };
  distribute(total, cm.dimensions);
  for (std::int32_t node : cm.topo) {
    const auto& cn = cm.nodes[static_cast<std::size_t>(node)];
    if (!cn.children.empty()) distribute(avail[static_cast<std::size_t>(node)], cn.children);
  }
  return avail;
}

point_plan make_point_plan(const compiled_model& cm, const std::vector<std::int64_t>& node_points,
                           const std::array<double, grade_count>& min_totals, const na_patterns& patterns) {
  point_plan p;
  p.nodes = cm.nodes.size();
  p.leaves = cm.leaves.size();
  p.dims = cm.dimensions.size();
  p.patterns = patterns.applicable.size();
  p.node_points = node_points;
  for (std::int32_t d : cm.dimensions) p.total += node_points[static_cast<std::size_t>(d)];
  p.available.resize(p.patterns * p.nodes);
  p.leaf_available.resize(p.patterns * p.leaves);
  for (std::size_t q = 0; q < p.patterns; ++q) {
    const std::vector<std::int64_t> a = q == 0 ? node_points : allocate(cm, node_points, p.total, patterns.applicable[q]);
    std::copy(a.begin(), a.end(), p.available.begin() + static_cast<std::ptrdiff_t>(q * p.nodes));
    for (std::size_t j = 0; j < p.leaves; ++j)
      p.leaf_available[q * p.leaves + j] = static_cast<double>(a[static_cast<std::size_t>(cm.leaves[j])]);
  }
  p.leaf_uniform.assign(p.leaves, 1);
  for (std::size_t j = 0; j < p.leaves; ++j)
    for (std::size_t q = 1; q < p.patterns; ++q)
      if (p.leaf_available[q * p.leaves + j] != p.leaf_available[j]) p.leaf_uniform[j] = 0;
  p.leaf_dimension.resize(p.leaves);
  for (std::size_t j = 0; j < p.leaves; ++j)
    p.leaf_dimension[j] = cm.nodes[static_cast<std::size_t>(cm.leaves[j])].dimension;
  // thresholds, cumulative over levels
  const model_spec& s = cm.spec;
  std::int64_t running = std::numeric_limits<std::int64_t>::min();
  p.min_total[0] = running;
  for (int l = 1; l < grade_count; ++l) {
    running = std::max(running, static_cast<std::int64_t>(std::llround(min_totals[static_cast<std::size_t>(l)] * 100.0)));
    p.min_total[static_cast<std::size_t>(l)] = running;
  }
  p.required.assign(p.patterns * grade_count * p.dims, std::numeric_limits<std::int64_t>::min());
  for (std::size_t q = 0; q < p.patterns; ++q)
    for (std::size_t d = 0; d < p.dims; ++d) {
      const std::int32_t node = cm.dimensions[d];
      const std::int64_t av = p.available[q * p.nodes + static_cast<std::size_t>(node)];
      std::int64_t cum = std::numeric_limits<std::int64_t>::min();
      for (int l = 1; l < grade_count; ++l) {
        if (av > 0) {
          const grade_gate& g = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])];
          std::int64_t req = required_centi(g.min_dimension_ratio, av);
          for (const auto& [dim, ratio] : g.dimension_minimums)
            if (dim == s.nodes[static_cast<std::size_t>(node)].id) req = std::max(req, required_centi(ratio, av));
          cum = std::max(cum, req);
        }
        p.required[(q * grade_count + static_cast<std::size_t>(l)) * p.dims + d] = cum;
      }
    }
  return p;
}

point_plan make_point_plan(const model& variant, const na_patterns& patterns) {
  const compiled_model& cm = variant.compiled();
  std::vector<std::int64_t> pts(cm.nodes.size());
  for (std::size_t k = 0; k < pts.size(); ++k) pts[k] = cm.nodes[k].points_centi;
  std::array<double, grade_count> totals{};
  for (int l = 1; l < grade_count; ++l)
    totals[static_cast<std::size_t>(l)] = cm.spec.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])].min_total;
  return make_point_plan(cm, pts, totals, patterns);
}

void dimension_points(const point_plan& plan, const Eigen::Ref<const Eigen::MatrixXd>& scores, const std::uint32_t* pattern,
                      std::size_t n, centi_matrix& dims, std::vector<std::int32_t>& total) {
  const std::size_t D = plan.dims, L = plan.leaves;
  dims.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(D));
  total.resize(n);
  const std::size_t B = std::min<std::size_t>(512, (n + 7) / 8 * 8);  // one operator: a block of 8
  std::vector<double> acc(D * B);
  std::vector<std::uint32_t> present;
  for (std::size_t b = 0; b < n; b += B) {
    const std::size_t m = std::min(B, n - b);
    std::fill(acc.begin(), acc.end(), 0.0);  // B × D doubles: 16 KiB at most
    // the patterns in this block (few): a leaf whose points differ between them takes one pass each
    present.clear();
    for (std::size_t i = 0; i < m; ++i)
      if (std::find(present.begin(), present.end(), pattern[b + i]) == present.end()) present.push_back(pattern[b + i]);
    for (std::size_t j = 0; j < L; ++j) {
      const double* s = scores.col(static_cast<Eigen::Index>(j)).data() + b;
      double* a = acc.data() + static_cast<std::size_t>(plan.leaf_dimension[j]) * B;
      if (present.size() == 1 || plan.leaf_uniform[j]) {
        accumulate_points(s, plan.leaf_available[pattern[b] * L + j], m, a);
      } else if (present.size() == 2) {
        accumulate_points_of_two(s, plan.leaf_available[present[0] * L + j], plan.leaf_available[present[1] * L + j],
                                 pattern + b, present[1], m, a);
      } else if (present.size() <= 8) {
        for (std::uint32_t q : present) accumulate_points_of_pattern(s, plan.leaf_available[q * L + j], pattern + b, q, m, a);
      } else {
        accumulate_points_by_pattern(s, plan.leaf_available.data() + j, L, pattern + b, m, a);
      }
    }
    for (std::size_t i = 0; i < m; ++i) {
      std::int64_t t = 0;
      for (std::size_t d = 0; d < D; ++d) {
        const auto v = static_cast<std::int32_t>(acc[d * B + i]);
        dims(static_cast<Eigen::Index>(b + i), static_cast<Eigen::Index>(d)) = v;
        t += v;
      }
      total[b + i] = static_cast<std::int32_t>(t);
    }
  }
}

void node_points_of(const compiled_model& cm, const point_plan& plan, const double* scores_row, std::size_t stride,
                    std::uint32_t pattern, std::vector<std::int64_t>& earned, std::vector<std::int64_t>& available) {
  const std::size_t N = plan.nodes;
  available.assign(plan.available.begin() + static_cast<std::ptrdiff_t>(pattern * N),
                   plan.available.begin() + static_cast<std::ptrdiff_t>((pattern + 1) * N));
  earned.assign(N, 0);
  for (std::size_t j = 0; j < plan.leaves; ++j) {
    const double sc = scores_row[j * stride];
    const auto node = static_cast<std::size_t>(cm.leaves[j]);
    earned[node] = std::isnan(sc) ? 0 : static_cast<std::int64_t>(std::floor(sc * static_cast<double>(available[node]) + 0.5));
  }
  for (auto it = cm.topo.rbegin(); it != cm.topo.rend(); ++it) {
    const auto& cn = cm.nodes[static_cast<std::size_t>(*it)];
    if (cn.children.empty()) continue;
    std::int64_t sum = 0;
    for (std::int32_t c : cn.children) sum += earned[static_cast<std::size_t>(c)];
    earned[static_cast<std::size_t>(*it)] = sum;
  }
}

}  // namespace embedrating::detail
