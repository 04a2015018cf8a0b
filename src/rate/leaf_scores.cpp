// Stage: leaf scores (SPEC §3 step 3) — not-applicable masks, scoring functions column by column,
// missing policies. set_score rules run after this stage (rules.cpp).
#include <cmath>
#include <limits>

#include "embedrating/detail/kernels.hpp"
#include "embedrating/errors.hpp"
#include "stages.hpp"

namespace embedrating::detail {

std::vector<bitmask> leaf_not_applicable(const compiled_model& cm, const std::vector<bitmask>& node_na, std::size_t n) {
  std::vector<bitmask> out(cm.leaves.size());
  for (std::size_t j = 0; j < cm.leaves.size(); ++j) {
    out[j].assign(n, false);
    for (std::int32_t node = cm.leaves[j]; node >= 0; node = cm.nodes[static_cast<std::size_t>(node)].parent) {
      const bitmask& m = node_na[static_cast<std::size_t>(node)];
      if (m.size() == n) out[j] |= m;
    }
  }
  return out;
}

void score_leaves(const compiled_model& cm, operator_inputs& in, const std::vector<bitmask>& leaf_na,
                  const bitmask& graded, double* scores,
                  std::vector<std::pair<std::uint32_t, operator_warning>>& warnings) {
  constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
  const model_spec& s = cm.spec;
  const std::size_t n = in.rows(), L = cm.leaves.size();
  std::vector<double> fallback;
  // scores one input into dst; returns how many are missing (NaN)
  auto score_field = [&](const field_ref& input, const scoring_function& f, double* dst) -> std::size_t {
    if (f.kind == scoring_kind::categorical) {
      const category_view col = in.category(input.name);
      std::vector<double> table(col.levels->size());
      for (std::size_t k = 0; k < table.size(); ++k) table[k] = category_score(f, (*col.levels)[k]);
      std::size_t missing = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::int32_t c = col.codes[i];
        missing += static_cast<std::size_t>(c < 0);
        dst[i] = c < 0 ? nan_v : table[static_cast<std::size_t>(c)];
      }
      return missing;
    }
    return score_column(f, in.numeric(input), n, dst);
  };
  for (std::size_t j = 0; j < L; ++j) {
    const indicator_node& nd = s.nodes[static_cast<std::size_t>(cm.leaves[j])];
    double* out = scores + j * n;
    const std::size_t missing = score_field(*nd.input, nd.scoring, out);
    const bitmask& na = leaf_na[j];
    bool fallback_done = false;
    const auto warn = [&](std::size_t i, operator_warning::kind_t k) {
      warnings.push_back({static_cast<std::uint32_t>(i), {k, static_cast<std::uint32_t>(j)}});
    };
    if (missing == 0) {  // most columns miss nothing: then only the not-applicable rows change
      na.for_each([&](std::size_t i) { out[i] = nan_v; });
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (na.test(i)) {
        out[i] = nan_v;
        continue;
      }
      if (!std::isnan(out[i])) continue;
      switch (nd.missing.kind) {  // a missing input
        case missing_policy::kind_t::error:
          if (graded.test(i)) {
            error_location w;
            w.file = in.data().source_name();
            w.field = nd.input->text();
            w.operator_id = in.operator_id(i);
            throw data_error(w, "indicator " + nd.id + ": input is missing (the model's missing policy is \"error\")");
          }
          out[i] = 0.0;
          break;
        case missing_policy::kind_t::zero:
          out[i] = 0.0;
          warn(i, operator_warning::kind_t::missing_zero);
          break;
        case missing_policy::kind_t::fixed:
          out[i] = nd.missing.score;
          warn(i, operator_warning::kind_t::missing_fixed);
          break;
        case missing_policy::kind_t::fallback:
          if (!fallback_done) {
            fallback.resize(n);
            score_field(nd.missing.fallback_input, nd.missing.fallback_scoring, fallback.data());
            fallback_done = true;
          }
          if (std::isnan(fallback[i])) {
            out[i] = 0.0;  // both inputs missing: zero, never more
            warn(i, operator_warning::kind_t::missing_zero);
          } else {
            out[i] = fallback[i];
            warn(i, operator_warning::kind_t::missing_fallback);
          }
          break;
      }
    }
  }
}

}  // namespace embedrating::detail
