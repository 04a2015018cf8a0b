// One ingestion path (io.hpp): the CSV source in any chunking and block size gives the same
// dataset; a table of typed columns (what a DataFrame hands over) gives the same dataset and the
// same messages as the CSV text of the same values; tables aligned by operator_id; review events
// from any source; rating with a review aggregator equals rating the dataset with its summary applied.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <fstream>
#include <limits>
#include <sstream>

#include "embedrating/embedrating.hpp"
#include "ingest/ingest.hpp"
#include "perfect_operator.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

namespace {

using embedrating::test_support::read_text;
using embedrating::test_support::write_text;

using namespace embedrating;
using namespace embedrating::test_support;

const civil_date as_of = make_date(2025, 12, 31);

std::string sample_file(const std::string& name) { return data_directory() + "/sample/" + name; }

dataset read_csv_with(const std::string& path, std::size_t chunk_rows, std::size_t block_bytes) {
  csv_options o;
  o.chunk_rows = chunk_rows;
  o.block_bytes = block_bytes;
  const auto src = open_csv(path, o);
  return read_operators({src.get()}, default_model());
}

/// A table source over columns held by the test (what the Python bindings build from a DataFrame).
class memory_source final : public table_source {
 public:
  explicit memory_source(std::string name = "frame") : name_(std::move(name)) {}
  const std::string& name() const noexcept override { return name_; }
  const std::vector<std::string>& header() const noexcept override { return header_; }
  bool next(table_chunk& chunk) override {
    chunk.columns.clear();
    chunk.first_row = 0;
    chunk.rows = 0;
    if (done_ || rows_ == 0) return false;
    done_ = true;
    chunk.rows = rows_;
    for (const auto& c : cols_) chunk.columns.push_back(c.view);
    return true;
  }
  error_location where(std::size_t row, std::size_t col) const override {
    error_location w;
    w.file = name_;
    if (row != npos) w.row = "r" + std::to_string(row);
    if (col != npos) w.field = header_[col];
    return w;
  }

  void text(const std::string& name, std::vector<std::string> values) {
    column& c = add(name, values.size());
    c.texts = std::move(values);
    for (const auto& t : c.texts) c.views.emplace_back(t);
    c.view.type = column_type::text;
    c.view.data = c.views.data();
  }
  void number(const std::string& name, std::vector<double> values) {
    column& c = add(name, values.size());
    c.f64 = std::move(values);
    c.view.type = column_type::float64;
    c.view.data = c.f64.data();
  }
  void boolean(const std::string& name, std::vector<std::uint8_t> values) {
    column& c = add(name, values.size());
    c.u8 = std::move(values);
    c.view.type = column_type::boolean;
    c.view.data = c.u8.data();
  }
  void dates(const std::string& name, const std::vector<civil_date>& values) {
    column& c = add(name, values.size());
    for (const auto d : values) c.i32.push_back(d.days());
    c.view.type = column_type::date;
    c.view.data = c.i32.data();
  }
  void timestamps(const std::string& name, std::vector<std::int64_t> ns) {
    column& c = add(name, ns.size());
    c.i64 = std::move(ns);
    c.view.type = column_type::timestamp;
    c.view.ticks_per_second = 1000000000;
    c.view.data = c.i64.data();
  }
  void categorical(const std::string& name, const std::vector<std::string>& values) {
    column& c = add(name, values.size());
    for (const auto& v : values) {
      if (v.empty()) {
        c.i32.push_back(-1);
        continue;
      }
      auto it = std::find(c.texts.begin(), c.texts.end(), v);
      if (it == c.texts.end()) {
        c.texts.push_back(v);
        it = c.texts.end() - 1;
      }
      c.i32.push_back(static_cast<std::int32_t>(it - c.texts.begin()));
    }
    for (const auto& t : c.texts) c.views.emplace_back(t);
    c.view.type = column_type::categorical;
    c.view.code_bytes = 4;
    c.view.data = c.i32.data();
    c.view.levels = c.views.data();
    c.view.level_count = c.views.size();
  }

 private:
  struct column {
    column_view view;
    std::vector<std::string> texts;
    std::vector<std::string_view> views;
    std::vector<double> f64;
    std::vector<std::uint8_t> u8;
    std::vector<std::int32_t> i32;
    std::vector<std::int64_t> i64;
  };
  column& add(const std::string& name, std::size_t n) {
    header_.push_back(name);
    rows_ = n;
    cols_.emplace_back();
    cols_.back().texts.reserve(n);
    cols_.back().views.reserve(n);
    return cols_.back();
  }
  std::string name_;
  std::vector<std::string> header_;
  std::deque<column> cols_;
  std::size_t rows_ = 0;
  bool done_ = false;
};

/// The sample operators as typed columns, built from what the CSV reader read: numbers as float64,
/// flags as booleans, dates as dates (history dates as timestamps), categories as categoricals.
memory_source typed_sample(const dataset& d) {
  memory_source src;
  src.text("operator_id", d.operator_ids());
  std::vector<std::string> status;
  for (const auto s : *d.status()) status.emplace_back(to_string(s));
  src.categorical("status", status);
  std::vector<std::string> scenarios(d.size());
  for (std::size_t i = 0; i < d.size(); ++i)
    for (std::uint32_t k = d.scenario_offsets()[i]; k < d.scenario_offsets()[i + 1]; ++k)
      scenarios[i] += (scenarios[i].empty() ? "" : ";") + d.scenario_levels()[static_cast<std::size_t>(d.scenario_codes()[k])];
  src.text("scenarios", scenarios);
  for (const auto& [name, col] : d.numbers()) src.number(name, col);
  for (const auto& [name, col] : d.categories()) {
    std::vector<std::string> v;
    for (const auto c : col.codes) v.push_back(c < 0 ? std::string() : col.levels[static_cast<std::size_t>(c)]);
    src.categorical(name, v);
  }
  for (const auto& [name, col] : d.review_columns()) src.number(name, col);
  for (const auto& [name, col] : d.flags()) src.boolean(name, col);
  for (const auto& [name, col] : d.dates()) {
    if (name.rfind("history.", 0) == 0) continue;
    src.dates(name, col);
  }
  for (const auto& [name, col] : d.attributes()) src.text(name, col);
  std::vector<std::string> prev;
  for (const auto g : d.previous_grade()) prev.push_back(g < 0 ? std::string() : std::string(to_string(grade_from_level(g))));
  src.categorical("previous_grade", prev);
  for (const char* h : {"previous_rated_on", "last_downgrade_on"}) {
    std::vector<std::int64_t> ns;
    for (const auto day : *d.date(std::string("history.") + h))
      ns.push_back(day.is_missing() ? std::numeric_limits<std::int64_t>::min() : std::int64_t{day.days()} * 86400 * 1000000000);
    src.timestamps(h, ns);
  }
  return src;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const data_error& e) {
    return e.message() + " @ " + e.where().field + " / " + e.where().operator_id;
  }
  return "(no error)";
}

TEST(ingest, chunking_and_block_size_do_not_change_the_dataset) {
  const std::string path = sample_file("operators.csv");
  const std::string reference = read_operators_csv(path, default_model()).input_hash();
  for (std::size_t chunk : {1u, 7u, 300u, 4096u})
    for (std::size_t block : {16u, 1000u, 65536u}) {
      const dataset d = read_csv_with(path, chunk, block);
      EXPECT_EQ(d.input_hash(), reference) << chunk << " rows, " << block << " bytes";
      EXPECT_EQ(d.size(), 300u);
    }
}

TEST(ingest, the_event_readers_review_keys_equal_review_key) {
  // src/ingest/events.cpp hashes text reviewer ids itself (a reused digest context); the keys
  // must be review_key's, or saved review states would not match
  std::vector<std::string> ids = {"", "0", "7", "007", "U0184997", "U10184997", "reviewer-甲", "9223372036854775808",
                                  "12345678901234567890", " 5", "a", std::string(300, 'x'), "18446744073709551615"};
  for (int k = 0; k < 2000; ++k) ids.push_back("U" + std::to_string(k * 7919));
  for (const auto& id : ids) EXPECT_EQ(detail::fast_review_key(id), review_key(id)) << id;
  EXPECT_NE(detail::fast_review_key("U1"), detail::fast_review_key("U2"));
}

TEST(ingest, more_cells_than_max_cells_are_read_when_they_average_four_bytes) {
  // the cell limit bounds memory for files of tiny cells; a large table of ordinary cells (a
  // 2·10^6-operator file averages about 7 bytes a cell) is read whole
  const temp_dir dir("ingest");
  std::string wide = "operator_id,name_zh\n", tiny = wide;
  for (int k = 0; k < 100; ++k) {
    wide += "op" + std::to_string(1000 + k) + ",abcd\n";  // 7 + 5 bytes for 2 cells
    tiny += "x,\n";                                      // 3 bytes for 2 cells
  }
  write_text(dir.file("wide.csv"), wide);
  write_text(dir.file("tiny.csv"), tiny);
  auto read = [](const std::string& path) {
    csv_options o;
    o.max_cells = 50;
    o.chunk_rows = 8;
    o.block_bytes = 64;
    const auto src = open_csv(path, o);
    table_chunk c;
    std::size_t rows = 0;
    while (src->next(c)) rows += c.rows;
    return rows;
  };
  EXPECT_EQ(read(dir.file("wide.csv")), 100u);
  try {
    (void)read(dir.file("tiny.csv"));
    ADD_FAILURE() << "a file of 202 cells of 1.5 bytes read with max_cells 50";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny.csv:26: more than 50 cells in the file; split it into smaller files"), std::string::npos)
        << e.what();
  }
}

TEST(ingest, records_with_quoted_line_breaks_across_blocks_and_lines_in_messages) {
  const temp_dir dir("ingest");
  // a quoted name with a line break and doubled quotes; a bad cell four lines later
  std::string text = "operator_id,name,credit_blacklist\n";
  text += "A,\"line one\nline \"\"two\"\"\",0\n";
  text += "B,plain,1\n";
  text += "C,\"x,y\",maybe\n";
  write_text(dir.file("q.csv"), text);
  for (std::size_t block : {16u, 17u, 64u, 4096u}) {
    csv_options o;
    o.block_bytes = block;
    o.chunk_rows = 1;
    const auto src = open_csv(dir.file("q.csv"), o);
    problem_sink problems;
    read_options ro;
    ro.problems = &problems;
    const dataset d = read_operators({src.get()}, default_model(), ro);
    EXPECT_EQ((*d.attribute("name"))[0], "line one\nline \"two\"") << block;
    EXPECT_EQ((*d.attribute("name"))[2], "x,y");
    ASSERT_EQ(problems.size(), 1u) << block;
    EXPECT_EQ(problems[0].where().line, 5u);  // C starts on physical line 5
    EXPECT_EQ(problems[0].where().column, 3u);
    EXPECT_EQ(problems[0].message(), "a flag is 0 or 1 (true/false), got \"maybe\"");
  }
}

TEST(ingest, gb18030_found_after_the_first_chunk_restarts_the_reading) {
  const temp_dir dir("ingest-gb");
  std::string text = "operator_id,name_zh\n";
  for (int i = 0; i < 50; ++i) text += "OP" + std::to_string(i) + ",ascii\n";
  text += "OP50,\xD4\xCB\xD3\xAA\xC9\xCC\n";  // 运营商 in GB18030, after 50 ASCII rows
  write_text(dir.file("gb.csv"), text);
  csv_options o;
  o.chunk_rows = 4;
  o.block_bytes = 64;  // the GB18030 bytes arrive long after the first chunk was handed out
  const auto src = open_csv(dir.file("gb.csv"), o);
  const dataset d = read_operators({src.get()}, default_model());
  EXPECT_EQ(d.size(), 51u);
  EXPECT_EQ((*d.attribute("name_zh"))[50], "运营商");
  // events restart the same way (the aggregator is reset to its state before the file)
  std::string ev = "review_id,operator_id,reviewer_id,time,level\n";
  for (int i = 0; i < 30; ++i) ev += std::to_string(i + 1) + ",OP1,U" + std::to_string(i) + ",2025-06-01T10:00:00,5\n";
  ev += "99,OP2,\xD3\xC3\xBB\xA7,2025-06-01T10:00:00,\xBA\xC3\xC6\xC0\n";  // reviewer 用户, level 好评
  write_text(dir.file("ev.csv"), ev);
  review_aggregator agg(default_model(), d);
  const auto esrc = open_csv(dir.file("ev.csv"), o);
  add_events(agg, *esrc);
  EXPECT_EQ(agg.events_seen(), 31u);
  EXPECT_EQ(agg.rejects().total(), 0u);
}

TEST(ingest, gb18030_restart_keeps_the_events_an_aggregator_held_before_the_file) {
  // the events reader copies a state that already holds events before a file whose encoding may
  // change its mind, and goes back to that copy on a restart (an empty state is rebuilt instead)
  const temp_dir dir("ingest-gb-held");
  std::string head = "review_id,operator_id,reviewer_id,time,level\n", body;
  for (int i = 0; i < 30; ++i) body += std::to_string(i + 1) + ",A,U" + std::to_string(i) + ",2025-06-01T10:00:00,5\n";
  write_text(dir.file("gb.csv"), head + body + "99,B,\xD3\xC3\xBB\xA7,2025-06-01T10:00:00,\xBA\xC3\xC6\xC0\n");
  write_text(dir.file("utf8.csv"), head + body + "99,B,用户,2025-06-01T10:00:00,好评\n");
  csv_options o;
  o.chunk_rows = 4;
  o.block_bytes = 64;
  review_event earlier;
  earlier.review_id = "500";
  earlier.operator_id = "B";
  earlier.reviewer_id = "U9";
  earlier.time = *parse_review_time("2025-05-01T10:00:00");
  earlier.level = 2;
  review_aggregator gb({"A", "B"}), utf8({"A", "B"});
  gb.add(earlier);
  utf8.add(earlier);
  add_events(gb, *open_csv(dir.file("gb.csv"), o));
  add_events(utf8, *open_csv(dir.file("utf8.csv"), o));
  EXPECT_EQ(gb.events_seen(), 32u);
  EXPECT_EQ(gb.records_kept(), 32u);
  EXPECT_TRUE(gb == utf8);
}

TEST(ingest, events_find_every_operator_of_a_long_list_and_reject_the_others) {
  // 3000 operators (long ids on the heap, short ones inline), events in a scrambled order over
  // small chunks: each operator's one event must land on that operator, whatever the look-ahead
  const temp_dir dir("ingest-events-index");
  constexpr int n = 3000;
  std::vector<std::string> ids;
  for (int k = 0; k < n; ++k) ids.push_back(k % 2 ? "S" + std::to_string(k) : "operator-with-a-long-id-" + std::to_string(k));
  std::string ev = "review_id,revision,operator_id,reviewer_id,time,level\n";
  for (int i = 0; i < n; ++i) {
    const int k = static_cast<int>((static_cast<long>(i) * 1999) % n);  // 1999 is prime to 3000: every k once
    const std::string op = k == 5 ? " S5 " : ids[static_cast<std::size_t>(k)];  // trimmed like every cell
    const std::string who = k % 3 ? "u" + std::to_string(k % 700) : std::to_string(k);  // text and numeric reviewers
    ev += std::to_string(i + 1) + "," + (k % 4 ? "1" : "") + "," + op + "," + who + ",2025-06-01T10:00:00," + std::to_string(k % 5 + 1) + "\n";
  }
  ev += "9001,1,operator-with-a-long-id-3000,u1,2025-06-01T10:00:00,5\n";  // tags and lengths of real ids, not in the list
  ev += "9002,1,S29999,u1,2025-06-01T10:00:00,5\n";
  ev += "9003,1234567,S1,u1,2025-06-01T10:00:00,5\n";  // seven digits: not a revision
  write_text(dir.file("ev.csv"), ev);
  csv_options o;
  o.chunk_rows = 61;
  review_aggregator agg(ids);
  add_events(agg, *open_csv(dir.file("ev.csv"), o));
  EXPECT_EQ(agg.events_seen(), static_cast<std::uint64_t>(n + 3));
  EXPECT_EQ(agg.records_kept(), static_cast<std::size_t>(n));
  const reject_log& r = agg.rejects();
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::unknown_operator)], 2u);
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::bad_revision)], 1u);
  EXPECT_EQ(r.examples[static_cast<int>(reject_kind::unknown_operator)].at(0),
            dir.file("ev.csv") + ":3002: review 9001: operator \"operator-with-a-long-id-3000\" is not in the operator list");
  EXPECT_EQ(r.examples[static_cast<int>(reject_kind::bad_revision)].at(0),
            dir.file("ev.csv") + ":3004: review 9003: revision \"1234567\" is not a whole number 0..65534");
  const review_summary s = agg.summary(make_date(2025, 6, 30));
  for (int k = 0; k < n; ++k) {
    ASSERT_EQ(s.counts.row(k).sum(), 1) << ids[static_cast<std::size_t>(k)];
    ASSERT_EQ(s.counts(k, k % 5), 1) << ids[static_cast<std::size_t>(k)];
  }
  // a few events into a large state take the aggregator's own look-up (no index over 3000 ids)
  write_text(dir.file("few.csv"), "review_id,operator_id,reviewer_id,time,level\n"
                                  "1,operator-with-a-long-id-2998,u1,2025-06-01T10:00:00,2\n"
                                  "2, S5 ,u2,2025-06-01T10:00:00,4\n"
                                  "3,S29999,u3,2025-06-01T10:00:00,5\n");
  review_aggregator few(ids);
  add_events(few, *open_csv(dir.file("few.csv"), o));
  const review_summary f = few.summary(make_date(2025, 6, 30));
  EXPECT_EQ(f.counts(2998, 1), 1);
  EXPECT_EQ(f.counts(5, 3), 1);
  EXPECT_EQ(f.counts.sum(), 2);
  EXPECT_EQ(few.rejects().examples[static_cast<int>(reject_kind::unknown_operator)].at(0),
            dir.file("few.csv") + ":4: review 3: operator \"S29999\" is not in the operator list");
}

TEST(ingest, id_index_finds_each_id_reports_duplicates_and_hands_its_slots_to_a_dataset) {
  std::vector<std::string> ids;
  for (int k = 0; k < 500; ++k) ids.push_back("id-" + std::to_string(k) + (k % 3 ? "" : "-with-a-longer-tail"));
  ids.push_back("id-7");  // row 500 repeats row 7
  detail::id_index index;
  std::vector<std::pair<std::size_t, std::size_t>> dups;
  index.build(ids, &dups);
  ASSERT_EQ(dups.size(), 1u);
  EXPECT_EQ(dups[0], std::make_pair(std::size_t{500}, std::size_t{7}));
  std::vector<std::string_view> keys(ids.begin(), ids.end());
  keys.push_back("id-500");
  keys.push_back("");
  std::vector<std::int64_t> rows(keys.size());
  std::vector<std::size_t> scratch;
  index.find_many(ids, keys.data(), keys.size(), rows.data(), scratch);
  for (std::size_t i = 0; i < 500; ++i) {
    EXPECT_EQ(rows[i], static_cast<std::int64_t>(i));
    EXPECT_EQ(index.find(ids, keys[i]), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(rows[500], 7);
  EXPECT_EQ(rows[501], -1);
  EXPECT_EQ(rows[502], -1);
  ids.pop_back();
  detail::id_index unique;
  unique.build(ids);
  const dataset d(dataset::indexed_ids{ids, unique.release()}, "ids");
  EXPECT_EQ(unique.find(ids, ids[0]), -1);  // released: empty, finds nothing
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(d.find(ids[i]), static_cast<std::int64_t>(i));
  EXPECT_EQ(d.find("id-500"), -1);
}

TEST(ingest, typed_columns_give_the_same_dataset_as_the_csv_text) {
  dataset csv = read_operators_csv(sample_file("operators.csv"), default_model());
  memory_source typed = typed_sample(csv);
  dataset d = read_operators({&typed}, default_model());
  EXPECT_EQ(d.input_hash(), csv.input_hash());
  csv.set_facilities(read_facilities_csv(sample_file("facilities.csv"), default_model(), csv));
  d.set_facilities(read_facilities_csv(sample_file("facilities.csv"), default_model(), d));
  const ratings a = rate(default_model(), csv, as_of), b = rate(default_model(), d, as_of);
  EXPECT_EQ(a.final_grade, b.final_grade);
  EXPECT_EQ(a.input_hash, b.input_hash);
}

TEST(ingest, the_same_bad_value_gets_the_same_message_from_text_and_from_typed_columns) {
  struct one_case {
    std::function<void(memory_source&)> typed;
    std::string text_column, text_value;
  };
  const std::vector<one_case> cases = {
      {[](memory_source& s) { s.number("fire_inspection_score", {150}); }, "fire_inspection_score", "150"},
      {[](memory_source& s) { s.number("fire_inspection_score", {std::numeric_limits<double>::infinity()}); },
       "fire_inspection_score", "inf"},
      {[](memory_source& s) { s.categorical("food_grade", {"E"}); }, "food_grade", "E"},
      {[](memory_source& s) { s.number("credit_blacklist", {2}); }, "credit_blacklist", "2"},
      {[](memory_source& s) { s.number("stars_5", {-3}); }, "stars_5", "-3"},
      {[](memory_source& s) { s.number("bad_open", {1.5}); }, "bad_open", "1.5"},
      {[](memory_source& s) { s.categorical("status", {"closed"}); }, "status", "closed"},
      {[](memory_source& s) { s.categorical("previous_grade", {"6A"}); }, "previous_grade", "6A"},
      {[](memory_source& s) { s.categorical("credit_blacklist", {"maybe"}); }, "credit_blacklist", "maybe"},
      {[](memory_source& s) { s.number("opened_on", {20240101}); }, "opened_on", "20240101"},
  };
  const temp_dir dir("ingest-bad");
  for (const auto& c : cases) {
    memory_source typed;
    typed.text("operator_id", {"WH-1"});
    c.typed(typed);
    const std::string from_typed = message_of([&] { read_operators({&typed}, default_model()); });
    EXPECT_NE(from_typed, "(no error)") << c.text_column << " " << c.text_value;
    if (c.text_column.empty()) continue;
    write_text(dir.file("x.csv"), "operator_id," + c.text_column + "\nWH-1," + c.text_value + "\n");
    const std::string from_text = message_of([&] { read_operators_csv(dir.file("x.csv"), default_model()); });
    EXPECT_EQ(from_typed, from_text);
  }
  // where: the CSV names file:line:column, the frame its row label
  memory_source typed("DataFrame");
  typed.text("operator_id", {"WH-1", "WH-2"});
  typed.number("fire_inspection_score", {90, 150});
  try {
    read_operators({&typed}, default_model());
    FAIL();
  } catch (const data_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "DataFrame: row r1: fire_inspection_score: operator WH-2: value 150 is outside the allowed range [0, 100] (points 0-100)");
  }
}

TEST(ingest, tables_aligned_by_operator_id) {
  const dataset csv = read_operators_csv(sample_file("operators.csv"), default_model());
  // descriptive columns in one table, the measures in another, in reverse order
  memory_source ops("ops"), ind("ind");
  ops.text("operator_id", csv.operator_ids());
  std::vector<std::string> status;
  for (const auto s : *csv.status()) status.emplace_back(to_string(s));
  ops.text("status", status);
  std::vector<std::string> ids(csv.operator_ids().rbegin(), csv.operator_ids().rend());
  ind.text("operator_id", ids);
  for (const auto& [name, col] : csv.numbers()) ind.number(name, std::vector<double>(col.rbegin(), col.rend()));
  const dataset d = read_operators({&ops, &ind}, default_model());
  for (const auto& [name, col] : csv.numbers()) {
    const auto* got = d.number(name);
    ASSERT_NE(got, nullptr) << name;
    for (std::size_t i = 0; i < col.size(); ++i)
      EXPECT_TRUE(col[i] == (*got)[i] || (std::isnan(col[i]) && std::isnan((*got)[i]))) << name << " " << i;
  }
  // an operator missing from the second table, one twice, one unknown: every one named
  memory_source a("ops"), b("ind");
  a.text("operator_id", {"A", "B", "C"});
  b.text("operator_id", {"A", "A", "Z"});
  b.number("fire_inspection_score", {90, 91, 92});
  problem_sink problems;
  read_options ro;
  ro.problems = &problems;
  (void)read_operators({&a, &b}, default_model(), ro);
  std::vector<std::string> messages;
  for (const auto& p : problems) messages.push_back(p.what());
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], "ind: row r1: operator_id: operator A: duplicate operator id \"A\" (first at row r0)");
  EXPECT_EQ(messages[1], "ind: row r2: operator_id: operator Z: operator is not in ops");
  EXPECT_EQ(messages[2], "ind: operator_id: operators of ops without a row in ind: B, C");
  // the same column in two tables
  memory_source c("ops"), e("ind");
  c.text("operator_id", {"A"});
  c.number("fire_inspection_score", {90});
  e.text("operator_id", {"A"});
  e.number("fire_inspection_score", {90});
  EXPECT_NE(message_of([&] { read_operators({&c, &e}, default_model()); }).find("is given twice (also in ops)"), std::string::npos);
}

TEST(ingest, review_events_from_typed_columns_equal_the_csv) {
  const dataset d = read_operators_csv(sample_file("operators.csv"), default_model());
  review_aggregator from_csv(default_model(), d);
  from_csv.add_csv(sample_file("reviews.csv"));
  // the same events as typed columns: ids as text, level as numbers, times as text
  const auto src = open_csv(sample_file("reviews.csv"));
  memory_source typed("events");
  std::vector<std::vector<std::string>> cols(src->header().size());
  table_chunk chunk;
  while (src->next(chunk))
    for (std::size_t r = 0; r < chunk.rows; ++r)
      for (std::size_t c = 0; c < cols.size(); ++c) cols[c].emplace_back(chunk.columns[c].cell(r));
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const std::string& name = src->header()[c];
    if (name == "level") {
      typed.categorical(name, cols[c]);
    } else {
      typed.text(name, cols[c]);
    }
  }
  review_aggregator from_typed(default_model(), d);
  add_events(from_typed, typed);
  EXPECT_TRUE(from_typed == from_csv);
  EXPECT_GT(from_csv.records_kept(), 1000u);
}

TEST(ingest, rating_with_an_aggregator_equals_rating_with_its_summary_applied) {
  dataset d = read_operators_csv(sample_file("operators.csv"), default_model());
  d.set_facilities(read_facilities_csv(sample_file("facilities.csv"), default_model(), d));
  review_aggregator agg(default_model(), d);
  agg.add_csv(sample_file("reviews.csv"));
  const civil_date when = make_date(2025, 6, 30);  // not the date the sample's columns were made for
  dataset applied = d;
  agg.summary(when).apply_to(applied);
  rate_options o;
  o.reviews = &agg;
  const ratings a = rate(default_model(), d, when, o), b = rate(default_model(), applied, when);
  EXPECT_EQ(a.final_grade, b.final_grade);
  EXPECT_EQ(a.total_centi, b.total_centi);
  EXPECT_EQ(a.input_hash, b.input_hash);
  EXPECT_NE(a.input_hash, rate(default_model(), d, when).input_hash);  // the events changed the inputs
  const ratings one = rate_one(default_model(), d, 7, when, o);
  EXPECT_EQ(one.final_grade[0], b.final_grade[7]);
}

TEST(ingest, catalogue_names_and_full_width_separators_are_read_as_codes) {
  // status, mode and scenarios by their Chinese names or aliases (data/catalogue/*.csv), scenarios
  // separated by "；" or "、" as Chinese text writes them: the dataset holds the codes
  temp_dir dir("ingest-names");
  const std::string path = dir.file("ops.csv");
  write_text(path,
             "operator_id,status,mode,scenarios\n"
             "A,运营中,公建民营,养老服务、社区助餐；家政便民\n"
             "B,active,public_built_private_run,elderly_care;meals\n"
             "C,正常运营,公建民营模式,\n");
  const dataset d = read_csv_with(path, 2048, std::size_t{4} << 20);
  ASSERT_NE(d.status(), nullptr);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ((*d.status())[i], operator_status::active) << i;
  ASSERT_NE(d.attribute("mode"), nullptr);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ((*d.attribute("mode"))[i], "public_built_private_run") << i;
  auto codes_of_row = [&](std::size_t i) {
    std::vector<std::string> out;
    for (std::uint32_t k = d.scenario_offsets()[i]; k < d.scenario_offsets()[i + 1]; ++k)
      out.push_back(d.scenario_levels()[static_cast<std::size_t>(d.scenario_codes()[k])]);
    return out;
  };
  EXPECT_EQ(codes_of_row(0), (std::vector<std::string>{"elderly_care", "meals", "housekeeping"}));
  EXPECT_EQ(codes_of_row(1), (std::vector<std::string>{"elderly_care", "meals"}));
  EXPECT_TRUE(codes_of_row(2).empty());
  // a name that is in no catalogue is still an error naming the cell
  write_text(path, "operator_id,status,scenarios\nA,运营中,养老服务、不存在的场景\n");
  try {
    read_csv_with(path, 2048, std::size_t{4} << 20);
    ADD_FAILURE() << "an unknown scenario was accepted";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown scenario \"不存在的场景\""), std::string::npos) << e.what();
    EXPECT_EQ(e.where().line, 2u);
  }
}

}  // namespace

// Issue 10, dataset speed: the reader's duplicate check builds the index the dataset keeps (the
// ids are hashed once); the handed-over index must find every operator as the dataset's own does.
TEST(ingest, the_index_handed_over_by_the_reader_finds_every_operator) {
  const dataset d = read_operators_csv(sample_file("operators.csv"), default_model());
  const dataset own(d.operator_ids(), "copy");  // the index built by the public constructor
  ASSERT_EQ(d.size(), 300u);
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d.find(d.operator_ids()[i]), static_cast<std::int64_t>(i)) << d.operator_ids()[i];
    EXPECT_EQ(own.find(d.operator_ids()[i]), static_cast<std::int64_t>(i));
    EXPECT_EQ(d.find(d.operator_ids()[i] + "x"), -1);
  }
  // duplicates read with a sink are renamed: the dataset then indexes the renamed ids itself
  const temp_dir dir("ingest-index");
  write_text(dir.file("dup.csv"), "operator_id,fire_inspection_score\nA,90\nB,80\nA,70\n");
  csv_options o;
  const auto src = open_csv(dir.file("dup.csv"), o);
  problem_sink sink;
  read_options r;
  r.problems = &sink;
  const dataset dup = read_operators({src.get()}, default_model(), r);
  ASSERT_EQ(sink.size(), 1u);
  ASSERT_EQ(dup.size(), 3u);
  EXPECT_EQ(dup.operator_ids()[2], "A@line4");
  EXPECT_EQ(dup.find("A"), 0);
  EXPECT_EQ(dup.find("B"), 1);
  EXPECT_EQ(dup.find("A@line4"), 2);
}

TEST(ingest, a_dataset_given_an_index_of_the_wrong_size_builds_its_own) {
  const dataset d(dataset::indexed_ids{{"a", "b", "c"}, std::vector<std::uint64_t>(8, 0)}, "x");
  EXPECT_EQ(d.find("a"), 0);
  EXPECT_EQ(d.find("c"), 2);
  EXPECT_EQ(d.find("z"), -1);
  // and the checks of the public constructor still apply then
  EXPECT_THROW(dataset(dataset::indexed_ids{{"a", "a"}, {}}, "x"), data_error);
  EXPECT_THROW(dataset(dataset::indexed_ids{{}, std::vector<std::uint64_t>(16, 0)}, "x"), data_error);
}

// Columns are reserved from the source's row estimate: a CSV file's rows so far × size ÷ bytes so far.
TEST(ingest, a_csv_files_row_estimate_is_close_after_the_first_chunk) {
  const temp_dir dir("ingest-estimate");
  std::string text = "operator_id,fire_inspection_score\n";
  for (int i = 0; i < 5000; ++i) text += "WH-" + std::to_string(100000 + i) + "," + std::to_string(50 + i % 50) + "\n";
  write_text(dir.file("ops.csv"), text);
  csv_options o;
  o.chunk_rows = 250;
  const auto src = open_csv(dir.file("ops.csv"), o);
  EXPECT_EQ(src->size_hint(), 0u);  // nothing read yet
  table_chunk c;
  ASSERT_TRUE(src->next(c));
  EXPECT_GE(src->size_hint(), 5000u);
  EXPECT_LE(src->size_hint(), 5400u);
  // and the reader's dataset does not depend on it: the same as in one chunk
  o.chunk_rows = 1 << 20;
  const auto whole = open_csv(dir.file("ops.csv"), o);
  EXPECT_EQ(read_operators({whole.get()}, default_model()).input_hash(),
            read_csv_with(dir.file("ops.csv"), 7, 1000).input_hash());
}

// The per-column missing test (cells.cpp) treats a categorical level of spaces as missing, as
// cell_missing does, and read_status reports empty statuses after the chunk's unknown texts.
TEST(ingest, blank_categorical_levels_are_missing_and_empty_statuses_are_reported_in_order) {
  memory_source typed;
  typed.text("operator_id", {"WH-1", "WH-2", "WH-3"});
  typed.categorical("fire_inspection_score", {"  ", "90", ""});
  const dataset d = read_operators({&typed}, default_model());
  ASSERT_NE(d.number("fire_inspection_score"), nullptr);
  EXPECT_TRUE(std::isnan((*d.number("fire_inspection_score"))[0]));
  EXPECT_EQ((*d.number("fire_inspection_score"))[1], 90.0);
  EXPECT_TRUE(std::isnan((*d.number("fire_inspection_score"))[2]));

  memory_source st;
  st.text("operator_id", {"WH-1", "WH-2", "WH-3"});
  st.text("status", {"", "closed", "active"});
  problem_sink sink;
  read_options r;
  r.problems = &sink;
  (void)read_operators({&st}, default_model(), r);
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_NE(sink[0].message().find("unknown status \"closed\""), std::string::npos) << sink[0].message();
  EXPECT_NE(sink[1].message().find("unknown status \"\""), std::string::npos) << sink[1].message();
  EXPECT_EQ(sink[1].where().operator_id, "WH-1");
}
