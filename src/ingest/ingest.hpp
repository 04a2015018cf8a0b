#pragma once
// Internal: what the operator, facility and event readers share (src/ingest/).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "embedrating/catalogue.hpp"
#include "embedrating/io.hpp"
#include "embedrating/model.hpp"

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
