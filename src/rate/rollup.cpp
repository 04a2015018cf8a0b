// Stage: facility (site) values rolled up to their operators (SPEC §3 step 1): worst, mean,
// volume-weighted mean or sum per measure; a missing site value makes the operator's value missing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "embedrating/errors.hpp"
#include "stages.hpp"

namespace embedrating::detail {

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

[[noreturn]] void site_fail(const dataset& d, const std::string& measure, std::size_t row, const std::string& msg) {
  error_location w;
  w.file = d.source_name();
  w.field = "facilities." + measure;
  w.operator_id = d.operator_ids()[row];
  throw data_error(w, msg);
}

}  // namespace

void roll_up(const compiled_model& cm, const dataset& d, std::size_t begin, std::size_t n, rolled_columns& out) {
  const facility_table* fac = d.facilities();
  if (!fac) return;
  const auto& offsets = d.facility_offsets();
  const auto& index = d.facility_index();
  // The sites of rows [begin, begin + n) in file order, with their owner (relative row).
  std::vector<std::uint32_t> sites, owner;
  if (begin == 0 && n == d.size()) {
    owner.resize(fac->facility_ids.size());
    for (std::size_t i = 0; i < n; ++i)
      for (std::uint32_t j = offsets[i]; j < offsets[i + 1]; ++j) owner[index[j]] = static_cast<std::uint32_t>(i);
    sites.resize(owner.size());
    for (std::size_t k = 0; k < sites.size(); ++k) sites[k] = static_cast<std::uint32_t>(k);
  } else {
    for (std::size_t i = 0; i < n; ++i)
      for (std::uint32_t j = offsets[begin + i]; j < offsets[begin + i + 1]; ++j) {
        sites.push_back(index[j]);
        owner.push_back(static_cast<std::uint32_t>(i));
      }
    std::vector<std::size_t> order(sites.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sites[a] < sites[b]; });
    std::vector<std::uint32_t> s2(sites.size()), o2(sites.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      s2[k] = sites[order[k]];
      o2[k] = owner[order[k]];
    }
    sites.swap(s2);
    // owner is indexed by position in `sites` here, not by facility number
    owner.swap(o2);
  }
  const bool by_position = !(begin == 0 && n == d.size());
  const auto owner_of = [&](std::size_t pos) -> std::size_t { return by_position ? owner[pos] : owner[sites[pos]]; };

  for (const measure& me : cm.spec.measures) {
    if (me.kind == measure_kind::number) {
      const auto it = fac->numbers.find(me.id);
      if (it == fac->numbers.end()) continue;
      const std::vector<double>& x = it->second;
      std::vector<double> acc(n, 0.0), wsum(n, 0.0), cnt(n, 0.0);
      std::vector<std::uint8_t> any_missing(n, 0);
      const bool worst_min = me.dir == direction::benefit;
      for (std::size_t pos = 0; pos < sites.size(); ++pos) {
        const std::size_t k = sites[pos];
        const std::size_t i = owner_of(pos);
        const double v = x[k];
        if (std::isnan(v)) {
          any_missing[i] = 1;
          continue;
        }
        // every site is range-checked, not only the rolled-up value (a bad site may not be the worst)
        if ((me.min && v < *me.min) || (me.max && v > *me.max))
          site_fail(d, me.id, begin + i,
                    "facility \"" + fac->facility_ids[k] + "\": value " + fmt(v) + " is outside the allowed range [" +
                        (me.min ? fmt(*me.min) : std::string("-inf")) + ", " + (me.max ? fmt(*me.max) : std::string("inf")) +
                        "] (" + me.unit + ")");
        const double w = fac->volume.empty() ? 1.0 : fac->volume[k];
        switch (me.rollup) {
          case rollup_kind::worst:
            acc[i] = cnt[i] == 0.0 ? v : (worst_min ? std::min(acc[i], v) : std::max(acc[i], v));
            break;
          case rollup_kind::mean:
          case rollup_kind::sum:
            acc[i] += v;
            break;
          case rollup_kind::volume_mean:
            acc[i] += w * v;
            wsum[i] += w;
            break;
        }
        cnt[i] += 1.0;
      }
      std::vector<double> col(n, nan_v);
      for (std::size_t i = 0; i < n; ++i) {
        if (any_missing[i] || cnt[i] == 0.0) continue;  // a missing site value, or no sites: missing
        switch (me.rollup) {
          case rollup_kind::worst:
          case rollup_kind::sum: col[i] = acc[i]; break;
          case rollup_kind::mean: col[i] = acc[i] / cnt[i]; break;
          case rollup_kind::volume_mean: col[i] = wsum[i] > 0.0 ? acc[i] / wsum[i] : nan_v; break;
        }
      }
      out.numbers.emplace(me.id, std::move(col));
    } else {
      const auto it = fac->categories.find(me.id);
      if (it == fac->categories.end()) continue;
      category_column col;
      col.levels = me.levels;
      col.codes.assign(n, -2);  // -2: no site yet
      for (std::size_t pos = 0; pos < sites.size(); ++pos) {
        const std::size_t k = sites[pos];
        const std::size_t i = owner_of(pos);
        const std::string& v = it->second[k];
        std::int32_t code = -1;
        if (!v.empty()) {
          const auto p = std::find(me.levels.begin(), me.levels.end(), v);
          if (p == me.levels.end())
            site_fail(d, me.id, begin + i, "facility \"" + fac->facility_ids[k] + "\": \"" + v + "\" is not a level of " + me.id);
          code = static_cast<std::int32_t>(p - me.levels.begin());
        }
        std::int32_t& cur = col.codes[i];
        if (cur == -1) continue;         // already missing
        if (code == -1) cur = -1;        // a missing site value makes the operator's value missing
        else cur = std::max(cur, code);  // levels are best first: the larger index is worse
      }
      for (auto& c : col.codes)
        if (c == -2) c = -1;
      out.categories.emplace(me.id, std::move(col));
    }
  }
}

}  // namespace embedrating::detail
