#pragma once
/// \file io.hpp
/// Where tables meet the core: one ingestion path for every source.
///
/// A source — a CSV file, a pandas DataFrame, an Arrow table — is a `table_source`: a header and
/// chunks of rows whose columns are `column_view`s, either typed arrays (float64, int64, bool,
/// dates, timestamps, categorical codes with their levels) or text cells. The readers below
/// classify the columns once (by the model: measure, flag, date, review column, attribute…),
/// parse and check every cell with the same code whatever the source, and build a `dataset`, a
/// `facility_table` or a stream of review events. The same bad cell gets the same message from
/// every source; only its location differs: `file:line:column` for a CSV file, the row label
/// and column for a DataFrame.
///
/// CSV files are read as a stream (bounded memory: a few MiB of text at a time, whatever the
/// file's size), UTF-8 with or without BOM or GB18030/GBK.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.hpp"
#include "dataset.hpp"
#include "errors.hpp"
#include "model.hpp"

namespace embedrating {

class review_aggregator;

/// Where cell-level problems go. With a sink, a reader records every problem it finds and goes
/// on (a bad cell is read as missing, a duplicated operator id is renamed "<id>@line<N>"), so
/// a validator can report all of them at once; without one (nullptr), the first problem throws.
/// Problems that make the rest of the input unreadable (cannot open, undecodable text, malformed
/// CSV, no `operator_id` column, no rows) always throw.
using problem_sink = std::vector<data_error>;

// ---------------------------------------------------------------------------------------------
// The column table

/// How a column's values are held.
enum class column_type : std::uint8_t {
  text,         ///< UTF-8 cells (`std::string_view`, read `stride` apart); an empty cell is missing
  float64,      ///< `double`; NaN is missing
  int64,        ///< `std::int64_t`
  boolean,      ///< `std::uint8_t`, 0 or 1
  date,         ///< `std::int32_t` days since 1970-01-01; `civil_date::missing().days()` is missing
  timestamp,    ///< `std::int64_t` ticks since 1970-01-01T00:00 local (China Standard Time); INT64_MIN is missing
  categorical,  ///< integer codes (`code_bytes` wide) into `levels`; a negative code is missing
};
const char* to_string(column_type t) noexcept;

/// One column of a chunk of rows, not owned: the source keeps the memory alive until its next
/// `next()` call.
struct column_view {
  column_type type = column_type::text;
  const void* data = nullptr;           ///< the values (text: `const std::string_view*`)
  std::size_t stride = 1;               ///< text: cell i is `cells[i * stride]`
  const std::uint8_t* valid = nullptr;  ///< optional: 0 marks a missing row (masked / nullable arrays)
  std::int64_t ticks_per_second = 1;    ///< timestamp: 1 (s), 1000 (ms), 10^6 (µs), 10^9 (ns)
  std::uint8_t code_bytes = 8;          ///< categorical: 1, 2, 4 or 8
  const std::string_view* levels = nullptr;  ///< categorical: the level texts
  std::size_t level_count = 0;

  std::string_view cell(std::size_t i) const noexcept { return static_cast<const std::string_view*>(data)[i * stride]; }
  std::int64_t code(std::size_t i) const noexcept;
  bool missing_mask(std::size_t i) const noexcept { return valid != nullptr && valid[i] == 0; }
};

/// A run of rows: rows `first_row .. first_row + rows` of the table; one view per header column.
struct table_chunk {
  std::size_t first_row = 0;
  std::size_t rows = 0;
  std::vector<column_view> columns;
};

/// A table read chunk by chunk. Readers call `next()` until it returns false.
class table_source {
 public:
  virtual ~table_source();
  /// The name used in messages: a file name, "DataFrame", …
  virtual const std::string& name() const noexcept = 0;
  /// Column names, in order (unique, non-empty).
  virtual const std::vector<std::string>& header() const noexcept = 0;
  /// The next chunk (false at the end). Its views stay valid until the next call.
  virtual bool next(table_chunk& chunk) = 0;
  /// Where a cell is, for messages: row `row` (0-based over the whole table) and header column
  /// `column` (npos: the row itself; `row == npos`: the header). CSV: file, physical line and
  /// field number; DataFrame: name and row label.
  virtual error_location where(std::size_t row, std::size_t column) const = 0;
  /// Starts again from the first row with another text encoding (only CSV sources whose
  /// automatic encoding detection changed its mind after the first chunk need it). Readers call
  /// it when `next()` throws `encoding_changed`.
  virtual void restart();
  /// How rows are named in messages: "line" (CSV) or "row" (DataFrame).
  virtual const char* row_noun() const noexcept { return "row"; }
  /// Whether next() may still throw encoding_changed (a CSV read with encoding "auto" that has
  /// not seen a byte outside ASCII-compatible UTF-8 yet).
  virtual bool may_restart() const noexcept { return false; }
  /// Rows, when known in advance (0: unknown). A CSV file's source gives an estimate from the
  /// bytes read so far instead (readers only reserve memory with it).
  virtual std::size_t size_hint() const noexcept { return 0; }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

/// Thrown by a CSV source read with encoding "auto" when text after the first chunk turns out
/// not to be UTF-8: the reader restarts the source (now read as GB18030) and reads again.
struct encoding_changed {};

/// Options of a CSV source.
struct csv_options {
  /// "auto" (UTF-8 with or without BOM, else GB18030), "utf-8" (also "utf8", "utf-8-sig"),
  /// "gb18030" (also "gbk", "gb2312", "cp936"); case-insensitive.
  std::string encoding = "auto";
  /// Rows per chunk: small enough that a chunk's cells stay in a core's cache while each
  /// column is converted, large enough that per-chunk work does not matter.
  std::size_t chunk_rows = 2048;
  /// Bytes read and decoded at a time.
  std::size_t block_bytes = std::size_t{4} << 20;
  /// Longest record accepted, in bytes (a longer one is an error naming its line).
  std::size_t max_record_bytes = std::size_t{16} << 20;
  /// Largest input (a regular file is refused from its size, before a byte is read) and most
  /// cells in the file, header included; 0 (the default): no limit, as a stream takes bounded
  /// memory. A file may have more than max_cells cells when they average at least 4 bytes of
  /// text each (memory then stays proportional to the input). read_operators_csv and
  /// read_facilities_csv, whose tables are kept whole, use 1 GiB and 2^23 cells (docs/security.md); review event files are read without them. Fields over
  /// 1 MiB, records of more than 10 000 fields and forbidden characters (NUL, control
  /// characters, a BOM after the start) are refused always.
  std::uint64_t max_bytes = 0;
  std::size_t max_cells = 0;
};

/// Opens a CSV file (RFC 4180: ',' separated, CRLF/LF/CR records, quoted fields with doubled
/// quotes and line breaks; completely empty lines skipped) as a table source; reads its header.
/// Errors: data_error naming the file (cannot open, a directory, undecodable byte at line:column,
/// malformed quoting, wrong field count, empty/duplicate column name, no header).
std::unique_ptr<table_source> open_csv(const std::string& path, const csv_options& options = {});

// ---------------------------------------------------------------------------------------------
// Readers

/// How an operator table's columns are read for a model (besides `operator_id`, `status`,
/// `scenarios`, the history columns, the model's measures and the review input columns): flags
/// (the catalogue's Art. 16 veto flags and every `flag.*` the model reads), dates (every
/// `months_since.*` and lapse date the model reads; any other column ending in `_on` is a date
/// too) and text attributes (`mode`, `district`, `street`, `community`, `name`, `name_zh`,
/// `address` and every `attr.*` the model reads).
struct operator_columns {
  std::set<std::string> flags, dates, attributes;
};
operator_columns operator_input_columns(const model& m, const catalogue& cat);
operator_columns operator_input_columns(const model& m);  ///< with the shipped catalogue

/// What every reader takes besides its table.
struct read_options {
  /// Codes of scenarios, operating modes and veto flags (nullptr: the shipped catalogue).
  const catalogue* codes = nullptr;
  /// Problems are collected here instead of thrown (see problem_sink).
  problem_sink* problems = nullptr;
};

/// The operator table for `m`: the first table holds `operator_id` (required, unique) and any of
/// the columns below; every further table (e.g. indicators kept apart from descriptive columns)
/// holds `operator_id` too and is aligned to the first by it (each operator exactly once). Columns:
/// - `status` (active | suspending | suspended | terminated), `scenarios` (codes separated by ';'),
///   `previous_grade` ("5A".."1A", "unrated" or empty), `previous_rated_on`, `last_downgrade_on`;
/// - the model's measures (numbers within the measure's range; categories by level), missing allowed;
/// - review columns `stars_1`..`stars_5` (counts >= 0; decayed counts may be fractional),
///   `bad_open`, `bad_closed_in_time`, `bad_overdue`, `bad_followed_up` (whole numbers >= 0);
/// - flags (0/1, true/false, 是/否, booleans; missing = 0): every `flag.<name>` the model reads
///   and the Art. 16 veto flags;
/// - dates (YYYY-MM-DD, dates or timestamps; missing = never): every `months_since.<name>` and
///   lapse date the model reads, and any column ending in `_on`;
/// - attributes (text): `mode` (a catalogue code), `district`, `street`, `community`, `name`,
///   `name_zh`, `address` and every `attr.<name>` the model reads.
/// Any other column is an error naming it (all of them, with a problem sink).
dataset read_operators(const std::vector<table_source*>& tables, const model& m, const read_options& options = {});

/// A per-facility (site) table for `m` whose operators are in `operators`. Columns:
/// `facility_id` and `operator_id` (required), `volume` (number >= 0, the weight of
/// volume-weighted roll-ups; no column = all 1), descriptive text `name`, `name_zh`, `street`,
/// `community`, `address` (kept out of the rating), and the model's measures. A measure may be
/// given per facility or per operator, not both (the roll-up is the model's `rollup`).
/// Use `operators.set_facilities(read_facilities(...))`.
facility_table read_facilities(table_source& table, const model& m, const dataset& operators,
                               const read_options& options = {});

/// Review events (SPEC §5 columns: `review_id`, `revision`, `operator_id`, `reviewer_id`, `time`,
/// `level`, `scenario`, `status`, `rectified_at`, `followed_up_at`, `service_record_id`) added to
/// an aggregator. A bad row is rejected, never dropped silently: counted by kind in the
/// aggregator's reject log with an example naming where it is; a bad header throws data_error.
/// Times: ISO 8601 text (no offset: China Standard Time), timestamps (local) or Unix seconds
/// (int64). Levels: 1..5, good/bad, 好评/差评 and the five satisfaction words.
void add_events(review_aggregator& aggregator, table_source& events);

/// Reads an operator CSV (see read_operators). `path` is the name in messages.
dataset read_operators_csv(const std::string& path, const model& m, const std::string& encoding = "auto",
                           problem_sink* problems = nullptr);

/// Reads a facility CSV (see read_facilities).
facility_table read_facilities_csv(const std::string& path, const model& m, const dataset& operators,
                                   const std::string& encoding = "auto", problem_sink* problems = nullptr);

// ---------------------------------------------------------------------------------------------
// Writing files

/// Writes `bytes` to `path` atomically: into the temporary file `path.tmp` beside it (locked, so
/// concurrent savers take turns), flushed to disk and renamed over `path`; on failure the
/// temporary file is removed and `path` is left as it was. Only regular files are replaced (a
/// symbolic link's target is; a directory, FIFO, device or socket is refused). Returns "" on
/// success, else what failed (e.g. "cannot create the temporary file /x/y.tmp: …").
std::string write_file_atomically(const std::string& path, std::string_view bytes);
/// The same for output written piece by piece into a stream (memory stays bounded).
std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce);

/// For outputs a user names (`-o FILE`): a character device (/dev/null, a terminal), a FIFO, or a
/// file named through /dev/ or /proc/ (`/dev/stdout` redirected to a file) is written through,
/// appending, as a shell redirection would; anything else goes through write_file_atomically (so
/// directories and sockets are refused). Returns "" or what failed.
std::string write_output_file(const std::string& path, std::string_view bytes);
/// The same for output written piece by piece into a stream.
std::string write_output_file(const std::string& path, const std::function<void(std::ostream&)>& produce);

/// Reads a whole file of at most `max_bytes` into `out` (directories refused, a larger regular
/// file refused before reading, pipes and devices refused once past the limit). Returns "" or
/// what failed, e.g. "larger than the 1048576-byte limit".
std::string read_file_bounded(const std::string& path, std::size_t max_bytes, std::string& out);

}  // namespace embedrating
