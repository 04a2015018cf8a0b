// Dataset: validated, column-major inputs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "embedrating/dataset.hpp"
#include "embedrating/detail/kernels.hpp"
#include "embedrating/detail/sha256.hpp"
#include "embedrating/errors.hpp"
#include "id_slots.hpp"
#include "ingest/filler.hpp"

namespace embedrating {

const char* to_string(operator_status s) noexcept {
  switch (s) {
    case operator_status::active: return "active";
    case operator_status::suspending: return "suspending";
    case operator_status::suspended: return "suspended";
    case operator_status::terminated: return "terminated";
  }
  return "?";
}

std::optional<operator_status> parse_status(const std::string& s) noexcept {
  if (s == "active") return operator_status::active;
  if (s == "suspending") return operator_status::suspending;
  if (s == "suspended") return operator_status::suspended;
  if (s == "terminated") return operator_status::terminated;
  return std::nullopt;
}

namespace {
error_location at(const std::string& source, const std::string& field, const std::string& op = {}) {
  error_location w;
  w.file = source;
  w.field = field;
  w.operator_id = op;
  return w;
}
}  // namespace

namespace {
std::size_t id_hash(const std::string& id) noexcept { return std::hash<std::string_view>()(id); }
}  // namespace

dataset::dataset(std::vector<std::string> operator_ids, std::string source_name)
    : source_(std::move(source_name)), ids_(std::make_shared<const std::vector<std::string>>(std::move(operator_ids))) {
  build_index();
}


dataset::dataset(indexed_ids ids, std::string source_name)
    : source_(std::move(source_name)), ids_(std::make_shared<const std::vector<std::string>>(std::move(ids.ids))) {
  const std::size_t n = ids_->size();
  if (n == 0 || n >= 0x7FFFFFFFu || ids.index.size() != detail::id_slots_capacity(n)) {
    build_index();  // also gives the messages of the empty and too large cases
    return;
  }
  index_ = std::move(ids.index);
}

void dataset::build_index() {
  const std::vector<std::string>& ids = *ids_;
  if (ids.empty()) throw data_error(at(source_, "operator_id"), "the dataset has no operators");
  if (ids.size() >= 0x7FFFFFFFu) throw data_error(at(source_, "operator_id"), "too many operators for one dataset");
  // open-addressing index (src/id_slots.hpp), at most half full, no allocation per id
  detail::fill_id_slots(
      index_, ids,
      [&](std::size_t i) {
        if (ids[i].empty()) throw data_error(at(source_, "operator_id"), "empty operator id in row " + std::to_string(i + 1));
      },
      [&](std::size_t i, std::size_t j) {
        throw data_error(at(source_, "operator_id", ids[i]),
                         "duplicate operator id (rows " + std::to_string(j + 1) + " and " + std::to_string(i + 1) + ")");
      });
}

std::int64_t dataset::find(const std::string& operator_id) const {
  return detail::probe_id_slots(index_.data(), index_.size() - 1, *ids_, operator_id, id_hash(operator_id));
}

void dataset::check_rows(const std::string& what, std::size_t n) const {
  if (n != ids_->size())
    throw data_error(at(source_, what), "has " + std::to_string(n) + " rows, the dataset has " +
                                            std::to_string(ids_->size()) + " operators");
}

void dataset::check_new_name(const std::string& name) const {
  if (name.empty()) throw data_error(at(source_, "<column>"), "column name is empty");
  if (numbers_.count(name) || categories_.count(name))
    throw data_error(at(source_, name), "column given twice (as number or category)");
}

void dataset::set_status(std::vector<operator_status> status) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows("status", status.size());
  status_ = std::move(status);
}

void dataset::set_number(const std::string& name, std::vector<double> values, nan_policy nan) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows(name, values.size());
  check_new_name(name);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) {
      if (nan == nan_policy::error)
        throw data_error(at(source_, name, ids[i]),
                         "value is NaN; leave the cell empty or mark it missing to say \"no data\"");
    } else if (!std::isfinite(v)) {
      throw data_error(at(source_, name, ids[i]), std::string("value is ") + (v > 0 ? "+inf" : "-inf"));
    }
  }
  numbers_.emplace(name, std::move(values));
}

void dataset::set_number(const std::string& name, std::vector<double> values, const std::vector<std::uint8_t>& valid) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows(name, values.size());
  check_rows(name + " (validity mask)", valid.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!valid[i]) {
      values[i] = std::numeric_limits<double>::quiet_NaN();
    } else if (!std::isfinite(values[i])) {
      throw data_error(at(source_, name, ids[i]),
                       std::isnan(values[i]) ? "value is NaN in a row marked valid"
                                             : std::string("value is ") + (values[i] > 0 ? "+inf" : "-inf"));
    }
  }
  set_number(name, std::move(values), nan_policy::missing);
}

void dataset::set_category(const std::string& name, const std::vector<std::string>& values) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows(name, values.size());
  check_new_name(name);
  category_column col;
  col.codes.resize(values.size());
  std::unordered_map<std::string, std::int32_t> index;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].empty()) {
      col.codes[i] = -1;
      continue;
    }
    const auto [it, fresh] = index.emplace(values[i], static_cast<std::int32_t>(col.levels.size()));
    if (fresh) col.levels.push_back(values[i]);
    col.codes[i] = it->second;
  }
  categories_.emplace(name, std::move(col));
}

void dataset::set_category(const std::string& name, category_column column) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows(name, column.codes.size());
  check_new_name(name);
  for (std::size_t l = 0; l < column.levels.size(); ++l) {
    if (column.levels[l].empty()) throw data_error(at(source_, name), "a category level is empty (missing is code -1)");
    for (std::size_t k = 0; k < l; ++k)
      if (column.levels[k] == column.levels[l]) throw data_error(at(source_, name), "category level \"" + column.levels[l] + "\" listed twice");
  }
  const auto n_levels = static_cast<std::int64_t>(column.levels.size());
  for (std::size_t i = 0; i < column.codes.size(); ++i)
    if (column.codes[i] < -1 || column.codes[i] >= n_levels)
      throw data_error(at(source_, name, ids[i]), "category code " + std::to_string(column.codes[i]) + " is not -1 or a level index");
  categories_.emplace(name, std::move(column));
}

void dataset::set_flag(const std::string& name, std::vector<std::uint8_t> values) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows("flag." + name, values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] > 1) throw data_error(at(source_, "flag." + name, ids[i]), "a flag is 0 or 1, got " + std::to_string(values[i]));
  flags_[name] = std::move(values);
}

void dataset::set_attribute(const std::string& name, std::vector<std::string> values) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows("attr." + name, values.size());
  attrs_[name] = std::move(values);
}

void dataset::set_date(const std::string& name, std::vector<civil_date> values) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows(name, values.size());
  dates_[name] = std::move(values);
}

void dataset::set_scenarios(const std::vector<std::vector<std::string>>& scenarios) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  check_rows("scenarios", scenarios.size());
  scenario_offsets_.assign(1, 0);
  scenario_codes_.clear();
  scenario_levels_.clear();
  // scenario catalogues are short (tens of codes): a linear look-up allocates nothing per item
  std::vector<std::int32_t> row;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    row.clear();
    for (const auto& s : scenarios[i]) {
      if (s.empty()) throw data_error(at(source_, "scenarios", ids[i]), "empty scenario code");
      const auto pos = std::find(scenario_levels_.begin(), scenario_levels_.end(), s);
      const auto code = static_cast<std::int32_t>(pos - scenario_levels_.begin());
      if (pos == scenario_levels_.end()) scenario_levels_.push_back(s);
      if (std::find(row.begin(), row.end(), code) != row.end())
        throw data_error(at(source_, "scenarios", ids[i]), "scenario \"" + s + "\" listed twice");
      row.push_back(code);
    }
    scenario_codes_.insert(scenario_codes_.end(), row.begin(), row.end());
    scenario_offsets_.push_back(static_cast<std::uint32_t>(scenario_codes_.size()));
  }
  make_scenario_bits();
}

void dataset::make_scenario_bits() {
  scenario_bits_.clear();
  if (scenario_levels_.size() > 64) return;
  const std::size_t n = scenario_offsets_.size() - 1;
  scenario_bits_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t b = 0;
    for (std::uint32_t k = scenario_offsets_[i]; k < scenario_offsets_[i + 1]; ++k) b |= std::uint64_t{1} << scenario_codes_[k];
    scenario_bits_[i] = b;
  }
}

void dataset::set_scenarios(std::vector<std::uint32_t> offsets, std::vector<std::int32_t> codes, std::vector<std::string> levels) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  if (offsets.size() != ids.size() + 1 || offsets.front() != 0 || offsets.back() != codes.size())
    throw data_error(at(source_, "scenarios"), "offsets must have one entry per operator plus one, start at 0 and end at the number of codes");
  for (std::size_t l = 0; l < levels.size(); ++l) {
    if (levels[l].empty()) throw data_error(at(source_, "scenarios"), "empty scenario code");
    for (std::size_t k = 0; k < l; ++k)
      if (levels[k] == levels[l]) throw data_error(at(source_, "scenarios"), "scenario level \"" + levels[l] + "\" listed twice");
  }
  const auto n_levels = static_cast<std::int64_t>(levels.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (offsets[i + 1] < offsets[i]) throw data_error(at(source_, "scenarios", ids[i]), "offsets must not decrease");
    for (std::uint32_t k = offsets[i]; k < offsets[i + 1]; ++k) {
      if (codes[k] < 0 || codes[k] >= n_levels)
        throw data_error(at(source_, "scenarios", ids[i]), "scenario code " + std::to_string(codes[k]) + " is not a level index");
      for (std::uint32_t j = offsets[i]; j < k; ++j)
        if (codes[j] == codes[k])
          throw data_error(at(source_, "scenarios", ids[i]), "scenario \"" + levels[static_cast<std::size_t>(codes[k])] + "\" listed twice");
    }
  }
  scenario_offsets_ = std::move(offsets);
  scenario_codes_ = std::move(codes);
  scenario_levels_ = std::move(levels);
  make_scenario_bits();
}

void dataset::set_review_column(const std::string& name, std::vector<double> values) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  bool known = false;
  for (const char* c : review_input_columns) known = known || name == c;
  if (!known) {
    std::string list;
    for (const char* c : review_input_columns) list += std::string(list.empty() ? "" : ", ") + c;
    throw data_error(at(source_, name), "unknown review column (known: " + list + ")");
  }
  check_rows(name, values.size());
  // star counts may be decayed (fractional, rescaled to Kish's effective n); bad-review outcomes are whole
  const bool stars = name.rfind("stars_", 0) == 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v) || v < 0.0 || v > 1e9)  // the range of review counts (docs/errors.md, Numbers)
      throw data_error(at(source_, name, ids[i]), stars ? "a review count must be a finite number >= 0 (at most 1e9)"
                                                        : "a review count must be a whole number >= 0 (at most 1e9)");
    if (!stars && v != std::floor(v))
      throw data_error(at(source_, name, ids[i]), "a review count must be a whole number >= 0");
  }
  reviews_[name] = std::move(values);
}

void dataset::set_history(const std::vector<std::optional<grade>>& previous_grade,
                          std::vector<civil_date> previous_rated_on, std::vector<civil_date> last_downgrade_on) {
  hash_.clear();
  forget_derived();
  check_rows("history.previous_grade", previous_grade.size());
  check_rows("history.previous_rated_on", previous_rated_on.size());
  check_rows("history.last_downgrade_on", last_downgrade_on.size());
  previous_grade_.resize(previous_grade.size());
  for (std::size_t i = 0; i < previous_grade.size(); ++i)
    previous_grade_[i] = previous_grade[i] ? static_cast<std::int8_t>(level(*previous_grade[i])) : no_grade;
  dates_["history.previous_rated_on"] = std::move(previous_rated_on);
  dates_["history.last_downgrade_on"] = std::move(last_downgrade_on);
}

void dataset::set_facilities(facility_table f) {
  hash_.clear();
  forget_derived();
  const std::vector<std::string>& ids = *ids_;
  (void)ids;
  const std::size_t n = f.facility_ids.size();
  const auto where = [&](const std::string& field, const std::string& op = {}) { return at(source_, "facilities." + field, op); };
  if (f.operator_ids.size() != n) throw data_error(where("operator_id"), "has a different number of rows than facility_id");
  if (!f.volume.empty() && f.volume.size() != n) throw data_error(where("volume"), "has a different number of rows than facility_id");
  std::vector<std::uint32_t> owner(n);
  {
    // duplicate facility ids: open addressing over rows + 1 (no allocation per id)
    std::size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    std::vector<std::uint32_t> slots(cap, 0);
    const std::hash<std::string_view> hash;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& fid = f.facility_ids[i];
      if (fid.empty()) throw data_error(where("facility_id"), "empty facility id in row " + std::to_string(i + 1));
      for (std::size_t h = hash(fid) & (cap - 1);; h = (h + 1) & (cap - 1)) {
        if (slots[h] == 0) {
          slots[h] = static_cast<std::uint32_t>(i + 1);
          break;
        }
        if (f.facility_ids[slots[h] - 1] == fid)
          throw data_error(where("facility_id", f.operator_ids[i]), "duplicate facility id \"" + fid + "\"");
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t row = find(f.operator_ids[i]);
    if (row < 0)
      throw data_error(where("operator_id", f.operator_ids[i]),
                       "facility \"" + f.facility_ids[i] + "\" belongs to an operator that is not in the dataset");
    owner[i] = static_cast<std::uint32_t>(row);
    if (!f.volume.empty() && (!std::isfinite(f.volume[i]) || f.volume[i] < 0.0))
      throw data_error(where("volume", f.operator_ids[i]), "facility \"" + f.facility_ids[i] + "\": volume must be finite and >= 0");
  }
  for (const auto& [name, col] : f.numbers) {
    if (col.size() != n) throw data_error(where(name), "has a different number of rows than facility_id");
    for (std::size_t i = 0; i < n; ++i)
      if (std::isinf(col[i]))
        throw data_error(where(name, f.operator_ids[i]), "facility \"" + f.facility_ids[i] + "\": value is infinite");
    if (numbers_.count(name) || categories_.count(name))
      throw data_error(where(name), "given both per operator and per facility");
  }
  for (const auto& [name, col] : f.categories) {
    if (col.size() != n) throw data_error(where(name), "has a different number of rows than facility_id");
    if (numbers_.count(name) || categories_.count(name))
      throw data_error(where(name), "given both per operator and per facility");
  }
  // facilities grouped by their operator's row (CSR), so one operator's sites are found directly
  facility_offsets_.assign(ids.size() + 1, 0);
  for (std::size_t k = 0; k < n; ++k) ++facility_offsets_[owner[k] + 1];
  for (std::size_t i = 0; i < ids.size(); ++i) facility_offsets_[i + 1] += facility_offsets_[i];
  facility_index_.assign(n, 0);
  std::vector<std::uint32_t> next(facility_offsets_.begin(), facility_offsets_.end() - 1);
  for (std::size_t k = 0; k < n; ++k) facility_index_[next[owner[k]]++] = static_cast<std::uint32_t>(k);
  facilities_ = std::move(f);
}

// -- the readers' validated path (src/ingest/filler.hpp): the O(1) checks only

void detail::dataset_filler::number(dataset& d, const std::string& name, std::vector<double> values) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows(name, values.size());
  d.check_new_name(name);
  d.numbers_.emplace(name, std::move(values));
}

void detail::dataset_filler::review_column(dataset& d, const std::string& name, std::vector<double> values) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows(name, values.size());
  d.reviews_[name] = std::move(values);
}

void detail::dataset_filler::category(dataset& d, const std::string& name, category_column column) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows(name, column.codes.size());
  d.check_new_name(name);
  d.categories_.emplace(name, std::move(column));
}

void detail::dataset_filler::flag(dataset& d, const std::string& name, std::vector<std::uint8_t> values) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows("flag." + name, values.size());
  d.flags_[name] = std::move(values);
}

void detail::dataset_filler::date(dataset& d, const std::string& name, std::vector<civil_date> values) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows(name, values.size());
  d.dates_[name] = std::move(values);
}

void detail::dataset_filler::status(dataset& d, std::vector<operator_status> values) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows("status", values.size());
  d.status_ = std::move(values);
}

void detail::dataset_filler::attribute(dataset& d, const std::string& name, std::vector<std::string> values) {
  d.hash_.clear();
  d.forget_derived();
  d.check_rows("attr." + name, values.size());
  d.attrs_[name] = std::move(values);
}

void detail::dataset_filler::scenarios(dataset& d, std::vector<std::uint32_t> offsets, std::vector<std::int32_t> codes,
                                       std::vector<std::string> levels) {
  d.hash_.clear();
  d.forget_derived();
  if (offsets.size() != d.size() + 1) d.check_rows("scenarios", offsets.size() - 1);
  d.scenario_offsets_ = std::move(offsets);
  d.scenario_codes_ = std::move(codes);
  d.scenario_levels_ = std::move(levels);
  d.make_scenario_bits();
}

const std::vector<double>* dataset::number(const std::string& name) const noexcept {
  const auto it = numbers_.find(name);
  return it == numbers_.end() ? nullptr : &it->second;
}
const category_column* dataset::category(const std::string& name) const noexcept {
  const auto it = categories_.find(name);
  return it == categories_.end() ? nullptr : &it->second;
}
const std::vector<std::uint8_t>* dataset::flag(const std::string& name) const noexcept {
  const auto it = flags_.find(name);
  return it == flags_.end() ? nullptr : &it->second;
}
const std::vector<std::string>* dataset::attribute(const std::string& name) const noexcept {
  const auto it = attrs_.find(name);
  return it == attrs_.end() ? nullptr : &it->second;
}
const std::vector<civil_date>* dataset::date(const std::string& name) const noexcept {
  const auto it = dates_.find(name);
  return it == dates_.end() ? nullptr : &it->second;
}
const std::vector<double>* dataset::review_column(const std::string& name) const noexcept {
  const auto it = reviews_.find(name);
  return it == reviews_.end() ? nullptr : &it->second;
}

namespace {

/// Feeds SHA-256 through a 64 KiB buffer: the encoding is many small fields (lengths, ids,
/// levels), and one digest update per field costs more than the hashing.
class hasher {
 public:
  hasher() : buf_(new unsigned char[cap]) {}
  void tag(const std::string& t) { str(t); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void u64(std::uint64_t v) {
    if (used_ + 8 > cap) flush();
    for (int k = 0; k < 8; ++k) buf_[used_ + static_cast<std::size_t>(k)] = static_cast<unsigned char>((v >> (8 * k)) & 0xFFu);
    used_ += 8;
  }
  template <class T>
  void raw(const T* p, std::size_t n) {
    u64(n);
    bytes(p, n * sizeof(T));
  }
  /// NaN (missing) canonical, -0 as +0: the hash follows the values, not their bit noise. A
  /// column without either (the usual case) is hashed in place.
  void doubles(const double* v, std::size_t n) {
    u64(n);
    constexpr std::size_t step = 8192;  // 64 KiB: checked, then hashed while still in cache
    for (std::size_t i = 0; i < n; i += step) {
      const std::size_t m = std::min(step, n - i);
      for (std::size_t k = 0; k < m * sizeof(double) && i + m < n; k += 64)
        __builtin_prefetch(reinterpret_cast<const char*>(v + i + m) + k, 0, 2);
      if (detail::count_noncanonical(v + i, m) == 0) {
        bytes(v + i, m * sizeof(double));
        continue;
      }
      for (std::size_t k = 0; k < m; ++k) {
        const double x = v[i + k];
        const double c = x != x ? std::numeric_limits<double>::quiet_NaN() : (x == 0.0 ? 0.0 : x);
        bytes(&c, sizeof c);
      }
    }
  }
  std::string done() {
    flush();
    return h_.hex_digest();
  }
  void bytes(const void* p, std::size_t n) {
    if (n == 0) return;  // an empty column may have no storage (p == nullptr)
    if (used_ + n > cap) flush();
    if (n >= cap / 2) {  // large spans go to the digest in place
      h_.update(p, n);
      return;
    }
    std::memcpy(buf_.get() + used_, p, n);
    used_ += n;
  }

 private:
  static constexpr std::size_t cap = std::size_t{1} << 16;
  void flush() {
    if (used_ != 0) h_.update(buf_.get(), used_);
    used_ = 0;
  }
  detail::sha256 h_;
  std::unique_ptr<unsigned char[]> buf_;
  std::size_t used_ = 0;
};

/// The bytes hasher::u64 and hasher::str write.
std::string encoded_u64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int k = 0; k < 8; ++k) out[static_cast<std::size_t>(k)] = static_cast<char>((v >> (8 * k)) & 0xFFu);
  return out;
}
std::string encoded_text(const std::string& s) { return encoded_u64(s.size()) + s; }

const std::string& empty_string() {
  static const std::string e;
  return e;
}

}  // namespace

std::shared_ptr<const void> dataset::derived(const std::string& key) const {
  std::lock_guard<std::mutex> lock(derived_.mu);
  const auto it = derived_.values.find(key);
  return it == derived_.values.end() ? nullptr : it->second;
}

void dataset::keep_derived(const std::string& key, std::shared_ptr<const void> value) const {
  std::lock_guard<std::mutex> lock(derived_.mu);
  if (derived_.values.size() >= 64) derived_.values.clear();
  derived_.values[key] = std::move(value);
}

void dataset::forget_derived() {
  std::lock_guard<std::mutex> lock(derived_.mu);
  derived_.values.clear();
}

std::string dataset::input_hash() const {
  std::lock_guard<std::mutex> lock(hash_.mutex());
  std::string& v = hash_.value();
  if (v.empty()) v = compute_hash(0, size());
  return v;
}

std::string dataset::input_hash_of_row(std::size_t row) const {
  if (row >= size()) throw data_error(at(source_, "operator_id"), "row " + std::to_string(row) + " is out of range");
  return compute_hash(row, 1);
}

// The encoding (embedrating-dataset/1) of rows [begin, begin + count): every column in name order,
// and the facilities of those rows in file order. A one-row range hashes like the one-row dataset.
std::string dataset::compute_hash(std::size_t begin, std::size_t count) const {
  const std::vector<std::string>& ids = *ids_;
  hasher h;
  h.tag("embedrating-dataset/1");
  h.u64(count);
  for (std::size_t i = begin; i < begin + count; ++i) h.str(ids[i]);
  h.tag("status");
  if (status_) {
    std::vector<std::uint8_t> s(count);
    for (std::size_t i = 0; i < count; ++i) s[i] = static_cast<std::uint8_t>((*status_)[begin + i]);
    h.raw(s.data(), s.size());
  }
  h.tag("numbers");
  for (const auto& [k, v] : numbers_) {
    h.str(k);
    h.doubles(v.data() + begin, count);
  }
  h.tag("categories");
  std::vector<std::string> encoded;  // each level's bytes (length, text), made once per column
  for (const auto& [k, v] : categories_) {
    h.str(k);
    // by value, independent of level order
    h.u64(count);
    encoded.assign(v.levels.size() + 1, std::string());
    for (std::size_t l = 0; l <= v.levels.size(); ++l) encoded[l] = encoded_text(l == 0 ? empty_string() : v.levels[l - 1]);
    for (std::size_t i = begin; i < begin + count; ++i) {
      const std::string& e = encoded[static_cast<std::size_t>(v.codes[i] + 1)];
      h.bytes(e.data(), e.size());
    }
  }
  h.tag("flags");
  for (const auto& [k, v] : flags_) {
    h.str(k);
    h.raw(v.data() + begin, count);
  }
  h.tag("attributes");
  for (const auto& [k, v] : attrs_) {
    h.str(k);
    h.u64(count);
    for (std::size_t i = begin; i < begin + count; ++i) h.str(v[i]);
  }
  h.tag("dates");
  for (const auto& [k, v] : dates_) {
    h.str(k);
    std::vector<std::int32_t> d(count);
    for (std::size_t i = 0; i < count; ++i) d[i] = v[begin + i].days();
    h.raw(d.data(), d.size());
  }
  h.tag("reviews");
  for (const auto& [k, v] : reviews_) {
    h.str(k);
    h.doubles(v.data() + begin, count);
  }
  h.tag("scenarios");
  if (!scenario_offsets_.empty()) {
    // each row's codes sorted by their text: rank the (few) levels once
    std::vector<std::size_t> order(scenario_levels_.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scenario_levels_[a] < scenario_levels_[b]; });
    std::vector<std::uint32_t> rank(order.size());
    for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<std::uint32_t>(r);
    std::vector<std::uint32_t> row;
    const auto encode_row = [&](std::size_t i, std::string& out) {
      row.clear();
      for (std::uint32_t k = scenario_offsets_[i]; k < scenario_offsets_[i + 1]; ++k)
        row.push_back(rank[static_cast<std::size_t>(scenario_codes_[k])]);
      std::sort(row.begin(), row.end());
      out = encoded_u64(row.size());
      for (std::uint32_t r : row) out += encoded_text(scenario_levels_[order[r]]);
    };
    if (!scenario_bits_.empty()) {  // rows share few distinct sets: encode each set once
      std::unordered_map<std::uint64_t, std::string> by_set;
      std::string e;
      for (std::size_t i = begin; i < begin + count; ++i) {
        auto it = by_set.find(scenario_bits_[i]);
        if (it == by_set.end()) {
          encode_row(i, e);
          it = by_set.emplace(scenario_bits_[i], e).first;
        }
        h.bytes(it->second.data(), it->second.size());
      }
    } else {
      std::string e;
      for (std::size_t i = begin; i < begin + count; ++i) {
        encode_row(i, e);
        h.bytes(e.data(), e.size());
      }
    }
  }
  h.tag("history");
  if (previous_grade_.empty()) h.raw(previous_grade_.data(), 0);
  else h.raw(previous_grade_.data() + begin, count);
  h.tag("facilities");
  if (facilities_) {
    const auto& f = *facilities_;
    std::vector<std::size_t> sites;  // file order
    if (begin == 0 && count == size()) {
      sites.resize(f.facility_ids.size());
      for (std::size_t k = 0; k < sites.size(); ++k) sites[k] = k;
    } else {
      for (std::size_t i = begin; i < begin + count; ++i)
        for (std::uint32_t j = facility_offsets_[i]; j < facility_offsets_[i + 1]; ++j) sites.push_back(facility_index_[j]);
      std::sort(sites.begin(), sites.end());
    }
    h.u64(sites.size());
    for (std::size_t k : sites) {
      h.str(f.facility_ids[k]);
      h.str(f.operator_ids[k]);
    }
    std::vector<double> col;
    auto gather = [&](const std::vector<double>& v) {
      col.resize(sites.size());
      for (std::size_t j = 0; j < sites.size(); ++j) col[j] = v[sites[j]];
      h.doubles(col.data(), col.size());
    };
    if (f.volume.empty()) h.doubles(nullptr, 0);
    else gather(f.volume);
    for (const auto& [k, v] : f.numbers) {
      h.str(k);
      gather(v);
    }
    for (const auto& [k, v] : f.categories) {
      h.str(k);
      h.u64(sites.size());
      for (std::size_t j : sites) h.str(v[j]);
    }
  }
  return h.done();
}

}  // namespace embedrating
