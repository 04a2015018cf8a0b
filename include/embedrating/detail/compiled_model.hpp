#pragma once
/// \file detail/compiled_model.hpp
/// A model compiled into plain arrays: tree as parent indices, leaves in tree order, base point
/// allocation in centi-points, rule indices by phase. Built once by `model`'s constructor.
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "../model.hpp"

namespace embedrating::detail {

struct compiled_node {
  std::int32_t parent = -1;          ///< node index, -1 for a dimension
  std::vector<std::int32_t> children;
  std::int32_t depth = 0;            ///< 0 for a dimension
  std::int32_t dimension = -1;       ///< index into compiled_model::dimensions
  std::int32_t leaf = -1;            ///< index into compiled_model::leaves, -1 for groups
  std::int64_t points_centi = 0;     ///< nominal points in centi-points
  std::int64_t base_centi = 0;       ///< allocation when everything is applicable (== points_centi)
};

struct compiled_model {
  model_spec spec;
  std::vector<compiled_node> nodes;            ///< same order as spec.nodes
  std::vector<std::int32_t> dimensions;        ///< node indices of the dimensions, file order
  std::vector<std::int32_t> leaves;            ///< node indices of the leaves, depth-first tree order
  std::vector<std::int32_t> topo;              ///< node indices, parents before children
  std::vector<std::string> leaf_ids;
  std::int64_t total_centi = 0;
  std::unordered_map<std::string, std::int32_t> node_index;
  std::unordered_map<std::string, std::int32_t> measure_index;
  std::array<std::int32_t, 6> gate_index{{-1, -1, -1, -1, -1, -1}};  ///< by grade level → spec.grades
  /// Prerequisites per grade level (from the grade table and from prerequisite rules), in order:
  /// pointers into spec.grades[..].prerequisites or spec.rules.
  struct prereq_ref {
    const condition* when;
    std::string id;
    std::int32_t rule = -1;  ///< rule index if it came from a rule
    std::int32_t gate = -1;  ///< grade table entry and position otherwise
    std::int32_t position = -1;
  };
  std::array<std::vector<prereq_ref>, 6> prerequisites;
  /// Rule indices by phase (rule_phase order), file order within a phase.
  std::array<std::vector<std::uint32_t>, 5> rules_by_phase;
  std::string canonical;
  std::string fingerprint;
  /// Fingerprint of the structure: the canonical encoding with the numbers that set points and
  /// thresholds left out (scored.hpp: what a re-grade may change).
  std::string structure;

  /// Results derived from the model alone, kept for reuse (e.g. the point allocation of a
  /// not-applicable pattern, so that rating one operator at a time does not redo it). Bounded.
  std::shared_ptr<const void> cached(const std::string& key) const {
    std::lock_guard<std::mutex> lock(cache_mu_);
    const auto it = cache_.find(key);
    return it == cache_.end() ? nullptr : it->second;
  }
  void cache(const std::string& key, std::shared_ptr<const void> value) const {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= 256) cache_.clear();
    cache_[key] = std::move(value);
  }

 private:
  mutable std::mutex cache_mu_;
  mutable std::map<std::string, std::shared_ptr<const void>> cache_;
};

/// Centi-points a ratio gate requires of `available` centi-points: points ≥ ratio × available,
/// rounded up to the centi-point (tolerant of binary fractions: 0.90 × 25000 needs exactly 22500).
inline std::int64_t required_centi(double ratio, std::int64_t available) noexcept {
  return static_cast<std::int64_t>(std::ceil(ratio * static_cast<double>(available) - 1e-6));
}

/// Known derived review measures (reviews.<name>).
inline constexpr const char* review_measures[] = {
    "valid_n", "satisfaction_index", "satisfaction_rate", "closure_rate", "bad_n", "bad_open",
    "bad_overdue", "bad_closed_in_time", "bad_followed_up", "followup_rate",
    "raw_satisfaction_index", "raw_satisfaction_rate"};

}  // namespace embedrating::detail
