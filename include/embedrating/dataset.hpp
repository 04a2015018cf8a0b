#pragma once
/// \file dataset.hpp
/// The inputs of one rating run, column-major and validated on the way in (SPEC §3, §9).
///
/// Operators are rows. Columns are named and live in namespaces that match the condition fields:
/// numbers and categories (`raw.*`), flags (`flag.*`), string attributes (`attr.*`), dates
/// (`months_since.*`), review columns (`reviews.*` inputs), scenario sets, status and history.
/// A missing value is explicit: NaN in a number column is an error unless the caller says NaN
/// means missing (`nan_policy::missing`); infinities are always an error.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "date.hpp"
#include "grade.hpp"

namespace embedrating {

namespace detail {
struct dataset_filler;  // internal: the readers' validated path (src/dataset.cpp, used by src/ingest/)
}  // namespace detail

/// Art. 14: only active operators are graded; the others are reported with their status.
enum class operator_status : unsigned char { active, suspending, suspended, terminated };

const char* to_string(operator_status s) noexcept;
std::optional<operator_status> parse_status(const std::string& s) noexcept;

/// How NaN in a number column is read.
enum class nan_policy : unsigned char { error, missing };

/// A category column: codes index `levels`; -1 is missing.
struct category_column {
  std::vector<std::int32_t> codes;
  std::vector<std::string> levels;
};

/// Per-facility (site) inputs; the model's measures say how they roll up to operators.
struct facility_table {
  std::vector<std::string> facility_ids;
  std::vector<std::string> operator_ids;  ///< owner of each facility; must be a dataset operator
  std::vector<double> volume;             ///< weight for volume_mean (empty: all 1)
  std::map<std::string, std::vector<double>> numbers;  ///< NaN = missing
  std::map<std::string, std::vector<std::string>> categories;  ///< "" = missing
};

/// Review columns the core reads (the event-level aggregator produces them too).
inline constexpr const char* review_input_columns[] = {
    "stars_1", "stars_2", "stars_3", "stars_4", "stars_5",
    "bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up"};

class dataset {
 public:
  /// Operator ids must be non-empty and unique (data_error naming the duplicate and both rows).
  explicit dataset(std::vector<std::string> operator_ids, std::string source_name = {});
  /// Internal (the table readers, src/ingest/): ids a reader already found non-empty and unique,
  /// with the open-addressing index it built while checking (slots `hash tag << 32 | row + 1`,
  /// std::hash<std::string_view>, capacity the smallest power of two >= max(16, 2·rows)); an index
  /// of another size is ignored and built again. The ids are hashed once instead of twice.
  struct indexed_ids {
    std::vector<std::string> ids;
    std::vector<std::uint64_t> index;
  };
  dataset(indexed_ids ids, std::string source_name);

  std::size_t size() const noexcept { return ids_->size(); }
  const std::vector<std::string>& operator_ids() const noexcept { return *ids_; }
  /// The ids, shared (results of rating share them instead of copying).
  const std::shared_ptr<const std::vector<std::string>>& shared_operator_ids() const noexcept { return ids_; }
  /// Row of an operator id, or -1 (a hash look-up).
  std::int64_t find(const std::string& operator_id) const;
  /// Name used in error messages (a file name, "DataFrame", …).
  const std::string& source_name() const noexcept { return source_; }

  // -- setters: every column must have size() rows; errors name the column and the operator.
  void set_status(std::vector<operator_status> status);
  void set_number(const std::string& name, std::vector<double> values, nan_policy nan = nan_policy::error);
  /// `valid[i] == 0` marks row i missing (its value is ignored).
  void set_number(const std::string& name, std::vector<double> values, const std::vector<std::uint8_t>& valid);
  /// Strings; "" is missing.
  void set_category(const std::string& name, const std::vector<std::string>& values);
  /// A category column already factorised: codes index `levels` (distinct, non-empty), -1 missing.
  void set_category(const std::string& name, category_column column);
  void set_flag(const std::string& name, std::vector<std::uint8_t> values);
  void set_attribute(const std::string& name, std::vector<std::string> values);
  void set_date(const std::string& name, std::vector<civil_date> values);
  /// Scenario codes per operator.
  void set_scenarios(const std::vector<std::vector<std::string>>& scenarios);
  /// The same in compressed form (the layout scenario_offsets()/codes()/levels() return): row i's
  /// scenarios are levels[codes[offsets[i] .. offsets[i+1])]; levels distinct and non-empty, no
  /// scenario twice in a row.
  void set_scenarios(std::vector<std::uint32_t> offsets, std::vector<std::int32_t> codes, std::vector<std::string> levels);
  /// One of review_input_columns: stars_1..stars_5 finite and >= 0 (decayed counts may be fractional), bad_* whole numbers >= 0. Replaces an earlier column of that name.
  void set_review_column(const std::string& name, std::vector<double> values);
  /// History: previous grade (nullopt: never rated), when it was given, last downgrade date.
  void set_history(const std::vector<std::optional<grade>>& previous_grade,
                   std::vector<civil_date> previous_rated_on, std::vector<civil_date> last_downgrade_on);
  void set_facilities(facility_table facilities);

  // -- getters (nullptr when absent)
  const std::vector<operator_status>* status() const noexcept { return status_ ? &*status_ : nullptr; }
  const std::vector<double>* number(const std::string& name) const noexcept;
  const category_column* category(const std::string& name) const noexcept;
  const std::vector<std::uint8_t>* flag(const std::string& name) const noexcept;
  const std::vector<std::string>* attribute(const std::string& name) const noexcept;
  const std::vector<civil_date>* date(const std::string& name) const noexcept;
  const std::vector<double>* review_column(const std::string& name) const noexcept;
  bool has_scenarios() const noexcept { return !scenario_offsets_.empty(); }
  /// CSR: scenarios of row i are scenario_codes()[offsets[i] .. offsets[i+1]) indexing scenario_levels().
  const std::vector<std::uint32_t>& scenario_offsets() const noexcept { return scenario_offsets_; }
  const std::vector<std::int32_t>& scenario_codes() const noexcept { return scenario_codes_; }
  const std::vector<std::string>& scenario_levels() const noexcept { return scenario_levels_; }
  /// Each row's scenarios as a bit set over scenario_levels() (bit k: level k); empty when there
  /// are more than 64 levels.
  const std::vector<std::uint64_t>& scenario_bits() const noexcept { return scenario_bits_; }
  bool has_history() const noexcept { return !previous_grade_.empty(); }
  const std::vector<std::int8_t>& previous_grade() const noexcept { return previous_grade_; }  ///< -1: none
  const facility_table* facilities() const noexcept { return facilities_ ? &*facilities_ : nullptr; }
  /// CSR over facilities by operator row: the facilities of row i are
  /// facility_index()[facility_offsets()[i] .. facility_offsets()[i+1]) (file order). Empty without facilities.
  const std::vector<std::uint32_t>& facility_offsets() const noexcept { return facility_offsets_; }
  const std::vector<std::uint32_t>& facility_index() const noexcept { return facility_index_; }

  const std::map<std::string, std::vector<double>>& numbers() const noexcept { return numbers_; }
  const std::map<std::string, category_column>& categories() const noexcept { return categories_; }
  const std::map<std::string, std::vector<std::uint8_t>>& flags() const noexcept { return flags_; }
  const std::map<std::string, std::vector<std::string>>& attributes() const noexcept { return attrs_; }
  const std::map<std::string, std::vector<civil_date>>& dates() const noexcept { return dates_; }
  const std::map<std::string, std::vector<double>>& review_columns() const noexcept { return reviews_; }

  /// Hex SHA-256 over a canonical encoding of every column (order-independent of set calls).
  /// Computed once and kept until a setter changes the dataset; safe to call from many threads.
  std::string input_hash() const;
  /// The input hash of the one-operator dataset made of row `row` (what rate_one records).
  std::string input_hash_of_row(std::size_t row) const;

  /// Internal: results derived from this dataset (e.g. that a model's columns are all present),
  /// kept until a setter changes the dataset. Safe to use from many threads.
  std::shared_ptr<const void> derived(const std::string& key) const;
  void keep_derived(const std::string& key, std::shared_ptr<const void> value) const;

 private:
  friend struct detail::dataset_filler;
  void build_index();
  void check_rows(const std::string& what, std::size_t n) const;
  void check_new_name(const std::string& name) const;

  /// The cached input hash: copied with the dataset, cleared by every setter.
  class hash_cache {
   public:
    hash_cache() = default;
    hash_cache(const hash_cache& o) : value_(o.get()) {}
    hash_cache& operator=(const hash_cache& o) {
      if (this != &o) set(o.get());
      return *this;
    }
    std::string get() const {
      std::lock_guard<std::mutex> lock(mu_);
      return value_;
    }
    void set(std::string v) {
      std::lock_guard<std::mutex> lock(mu_);
      value_ = std::move(v);
    }
    void clear() { set({}); }
    std::mutex& mutex() const noexcept { return mu_; }
    std::string& value() noexcept { return value_; }

   private:
    mutable std::mutex mu_;
    std::string value_;
  };
  std::string compute_hash(std::size_t begin, std::size_t count) const;
  void forget_derived();

  std::string source_;
  std::shared_ptr<const std::vector<std::string>> ids_;
  mutable hash_cache hash_;
  /// derived(): not copied with the dataset (a copy may be changed), cleared by every setter
  struct derived_cache {
    derived_cache() = default;
    derived_cache(const derived_cache&) {}
    derived_cache& operator=(const derived_cache&) { return *this; }
    mutable std::mutex mu;
    std::map<std::string, std::shared_ptr<const void>> values;
  };
  mutable derived_cache derived_;
  std::vector<std::uint64_t> index_;  ///< open-addressing table by operator id: hash tag << 32 | row + 1
  std::optional<std::vector<operator_status>> status_;
  std::map<std::string, std::vector<double>> numbers_;
  std::map<std::string, category_column> categories_;
  std::map<std::string, std::vector<std::uint8_t>> flags_;
  std::map<std::string, std::vector<std::string>> attrs_;
  std::map<std::string, std::vector<civil_date>> dates_;
  std::map<std::string, std::vector<double>> reviews_;
  std::vector<std::uint32_t> scenario_offsets_;
  std::vector<std::int32_t> scenario_codes_;
  std::vector<std::string> scenario_levels_;
  std::vector<std::uint64_t> scenario_bits_;
  void make_scenario_bits();
  std::vector<std::int8_t> previous_grade_;
  std::optional<facility_table> facilities_;
  std::vector<std::uint32_t> facility_offsets_, facility_index_;
};

}  // namespace embedrating
