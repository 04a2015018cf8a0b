#pragma once
// Internal: what the operator, facility and event readers share (src/ingest/).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "embedrating/catalogue.hpp"
#include "embedrating/io.hpp"
#include "embedrating/model.hpp"
#include "../id_slots.hpp"

namespace embedrating::detail {

/// The shipped catalogue, loaded once.
const catalogue& shipped_catalogue();

/// What a column of an operator table is for a model.
enum class column_role : unsigned char {
  unknown, id, status, scenarios, previous_grade, previous_rated_on, last_downgrade_on,
  number, category, stars, bad_count, flag, date, attribute, mode,
};
column_role classify_operator_column(const std::string& name, const model& m, const operator_columns& roles,
                                     const measure** me);

/// An open-addressing index of text ids kept elsewhere (a vector the caller owns and passes to
/// every look-up): slots `hash tag << 32 | row + 1` (0 = empty), std::hash<std::string_view>, at
/// most half full, capacity the smallest power of two >= max(16, 2·rows) — the layout
/// dataset::indexed_ids takes. No allocation per id; ids are compared only when tags match. The
/// one such table of the readers: the operator and facility id checks build it, the event reader
/// looks operators up in it.
class id_index {
 public:
  static std::size_t hash(std::string_view id) noexcept { return std::hash<std::string_view>()(id); }
  /// Indexes `ids` in row order; an id equal to an earlier one is not added and, with `dups`,
  /// recorded as (row, first row).
  void build(const std::vector<std::string>& ids, std::vector<std::pair<std::size_t, std::size_t>>* dups = nullptr);
  /// Row of `id` (whose hash is `h`) in `ids`, or -1.
  std::int64_t find(const std::vector<std::string>& ids, std::string_view id, std::size_t h) const noexcept {
    return probe_id_slots(slots_.data(), mask_, ids, id, h);
  }
  std::int64_t find(const std::vector<std::string>& ids, std::string_view id) const noexcept { return find(ids, id, hash(id)); }
  /// Rows of n ids at once (-1: not indexed), `hashes` as scratch: the slots, the id strings and
  /// their bytes are prefetched some rows ahead, so the cache misses of a table larger than the
  /// caches overlap instead of following one another.
  void find_many(const std::vector<std::string>& ids, const std::string_view* keys, std::size_t n, std::int64_t* rows,
                 std::vector<std::size_t>& hashes) const;
  /// The slots; the index is empty afterwards (finds nothing).
  std::vector<std::uint64_t> release() {
    std::vector<std::uint64_t> out = std::move(slots_);
    slots_.assign(1, 0);
    mask_ = 0;
    return out;
  }

 private:
  std::vector<std::uint64_t> slots_ = std::vector<std::uint64_t>(1, 0);
  std::size_t mask_ = 0;
};

/// "line 12" (CSV) or "row <label>" (DataFrame).
std::string row_name(const table_source& src, std::size_t row);
/// "<id>@line12" / "<id>@row<label>": the name a duplicated or empty id is read under (with a problem sink).
std::string renamed_id(const table_source& src, std::size_t row, const std::string& id);
/// Reports every id equal to an earlier one ("duplicate <what> "X" (first at line N)") and
/// renames it (see renamed_id) so reading can go on with a problem sink. With `index` and no
/// duplicate, the open-addressing table built for the check is handed over in the layout
/// dataset::indexed_ids takes (so the dataset does not hash every id again); else it is cleared.
void check_unique_ids(const table_source& src, std::size_t column, std::vector<std::string>& ids, problem_sink* sink,
                      const char* what, bool name_operator, std::vector<std::uint64_t>* index = nullptr);

/// review_key (reviews.hpp) computed without its per-call digest context and hex text: equal to
/// review_key(id) for every id (text ids are most review events' reviewer ids: a SHA-256 each).
std::uint64_t fast_review_key(std::string_view id);

/// Makes room for `need` elements: the source's row estimate (table_source::size_hint: a CSV
/// file's rows so far × size ÷ bytes read, a DataFrame's length) when it is larger, else doubling.
/// Columns filled chunk by chunk then grow once or twice instead of log2(rows) times, each time
/// into fresh pages.
template <class V>
void reserve_rows(V& v, std::size_t need, std::size_t hint) {
  if (need <= v.capacity()) return;
  v.reserve(hint > need ? hint : std::max(need, 2 * v.capacity()));
}

/// Reads every chunk of a source; when a CSV source's automatic encoding changes its mind, the
/// source is restarted, `reset` called, and reading begins again.
void for_each_chunk(table_source& src, const std::function<void()>& reset,
                    const std::function<void(const table_chunk&)>& use);

}  // namespace embedrating::detail
