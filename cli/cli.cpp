// The `embedrating` command-line tool: rate, explain, validate (issue 3; SPEC §1, §7–§9).
// Results go to `out`, errors and warnings to `err`; exit statuses are documented in cli.hpp.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <embedrating/catalogue.hpp>
#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>
#include <embedrating/version.hpp>

#include "calibrate_cmd.hpp"
#include "sensitivity_cmd.hpp"
#include <embedrating/history.hpp>

#include "encoding.hpp"
#include "output_html.hpp"
#include "output_xlsx.hpp"
#include "report_sheets.hpp"
#include "text_table.hpp"
#include "weights_cmd.hpp"

namespace embedrating::cli {

namespace {

namespace fs = std::filesystem;

/// The shipped sample is rated as of this date unless --as-of says otherwise (data/sample/README.md).
/// A failure with its exit status; the message goes to stderr.
struct input_options {
  std::string model;       ///< model TOML; empty: the shipped wuhan-2024
  std::string data;        ///< directory with operators.csv [+ facilities.csv]; empty: the shipped sample
  std::string operators;   ///< overrides <data>/operators.csv
  std::string facilities;  ///< overrides <data>/facilities.csv
  std::string reviews;     ///< review events CSV: its summary replaces the operators' review columns
  std::string encoding = "auto";
  std::string as_of;
  std::string lang = "en";
  std::string calendar;          ///< working-day calendar CSV for review deadlines; empty: China's official one
  bool weekends_only_calendar = false;  ///< the fallback: Monday–Friday working, no holidays (warned)
};

void require_readable(const std::string& path, const char* what);

/// The calendar for bad-review deadlines the options ask for (nullopt: the shipped official one).
std::optional<holiday_calendar> review_calendar(const input_options& o, std::ostream& err) {
  if (!o.calendar.empty() && o.weekends_only_calendar)
    throw failure{usage, "give either --calendar FILE or --weekends-only-calendar, not both"};
  if (o.weekends_only_calendar) {
    err << "warning: --weekends-only-calendar: bad-review deadlines are counted Monday to Friday with no public holidays "
           "and no make-up workdays (调休) — not the official calendar; deadlines around holidays come out too early\n";
    return holiday_calendar();
  }
  if (o.calendar.empty()) return std::nullopt;
  require_readable(o.calendar, "calendar file");
  return holiday_calendar::load(o.calendar, o.encoding);
}

struct loaded_inputs {
  std::optional<model> m;
  std::string model_label;
  std::optional<dataset> d;
  std::string data_label;
  std::size_t facility_count = 0;
  civil_date as_of;
  bool sample = false;
  catalogue cat;
  bool zh = false;
  std::optional<review_aggregator> reviews;  ///< the events of --reviews (rating applies their summary at as_of)
  std::optional<holiday_calendar> calendar;   ///< --calendar / --weekends-only-calendar (none: the official one)

  /// Rating options: the review summary is applied by the core.
  embedrating::rate_options rating() const {
    embedrating::rate_options o;
    if (reviews) o.reviews = &*reviews;
    if (calendar) o.calendar = &*calendar;
    return o;
  }
};

/// Rejected review events, for stderr: counts by kind and the examples.
std::string reject_report(const reject_log& r, const std::string& file) {
  std::string out;
  if (r.total() == 0) return out;
  out += fmt::format("warning: {} review event{} in {} rejected:\n", r.total(), r.total() == 1 ? "" : "s", file);
  for (std::size_t k = 0; k < reject_kind_count; ++k) {
    if (r.counts[k] == 0) continue;
    out += fmt::format("  {}: {}\n", to_string(static_cast<reject_kind>(k)), r.counts[k]);
    for (const auto& e : r.examples[k]) out += "    e.g. " + e + "\n";
  }
  return out;
}

void require_readable(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw failure{io, fmt::format("cannot read {} \"{}\": {}", what, path, std::strerror(errno))};
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw failure{io, fmt::format("cannot read {} \"{}\": it is a directory, not a file", what, path)};
}

std::string display_path(const std::string& p) { return p; }

/// The evaluation date: --as-of, or the sample's documented date; never the clock.
civil_date evaluation_date(const input_options& o, bool sample) {
  std::string when = o.as_of;
  if (when.empty()) {
    if (!sample)
      throw failure{usage, "--as-of DATE is required when rating your own data (the clock is never read; the shipped sample defaults to " +
                               std::string(sample_as_of) + ")"};
    when = sample_as_of;
  }
  const auto d = parse_date(when);
  if (!d) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", when)};
  return *d;
}

/// The files the options name, with the documented defaults, each checked readable (exit 3 if not).
struct input_paths {
  std::string model;
  bool shipped_model = false;
  std::string operators, facilities;  ///< facilities empty: none
};

input_paths resolve_paths(const input_options& o) {
  const std::string data_dir = data_directory();
  input_paths p;
  p.shipped_model = o.model.empty();
  p.model = p.shipped_model ? data_dir + "/models/wuhan-2024.toml" : o.model;
  require_readable(p.model, p.shipped_model ? "the shipped model" : "model file");
  const std::string dir = o.data.empty() ? data_dir + "/sample" : o.data;
  if (!o.data.empty() && !fs::is_directory(o.data))
    throw failure{io, fmt::format("--data \"{}\" is not a directory (it holds operators.csv and optionally facilities.csv)", o.data)};
  p.operators = o.operators.empty() ? dir + "/operators.csv" : o.operators;
  p.facilities = o.facilities;
  if (p.facilities.empty() && o.operators.empty() && fs::exists(dir + "/facilities.csv")) p.facilities = dir + "/facilities.csv";
  require_readable(p.operators, "operator file");
  if (!p.facilities.empty()) require_readable(p.facilities, "facility file");
  if (!o.reviews.empty()) require_readable(o.reviews, "review event file");
  return p;
}

/// Model and data as the options say, with the documented defaults.
loaded_inputs load_inputs(const input_options& o, bool need_as_of, std::ostream& err) {
  loaded_inputs in;
  in.zh = o.lang == "zh";
  in.sample = o.data.empty() && o.operators.empty();
  if (need_as_of) in.as_of = evaluation_date(o, in.sample);  // usage errors before any file is read
  in.cat = catalogue::load(data_directory() + "/catalogue");
  const input_paths paths = resolve_paths(o);
  in.m = model::load(paths.model);
  in.model_label = paths.shipped_model ? (in.zh ? "随附模型" : "shipped model") : display_path(paths.model);
  const std::string& ops = paths.operators;
  const std::string& fac = paths.facilities;
  in.d = read_operators_csv(ops, *in.m, o.encoding);
  if (!fac.empty()) {
    facility_table f = read_facilities_csv(fac, *in.m, *in.d, o.encoding);
    in.facility_count = f.facility_ids.size();
    in.d->set_facilities(std::move(f));
  }
  in.data_label = in.sample ? (in.zh ? "随附样例数据（合成）" : "shipped sample (synthetic)") : display_path(ops);
  if (!o.reviews.empty()) {
    // the review columns come from the events: rating replaces them by the summary at as_of
    in.reviews.emplace(*in.m, *in.d);
    in.reviews->add_csv(o.reviews, o.encoding);
    in.calendar = review_calendar(o, err);
  }
  return in;
}

// ---------------------------------------------------------------------------------------------
// Labels

std::string grade_text(grade g, bool zh) { return std::string(zh ? to_string_zh(g) : to_string(g)); }

std::string status_text(const loaded_inputs& in, operator_status s) {
  if (!in.zh) return to_string(s);
  const status_info* st = in.cat.find_status(to_string(s));
  return st ? st->name_zh : std::string(to_string(s));
}

std::string mode_text(const loaded_inputs& in, const std::string& code) {
  const operating_mode* md = in.cat.find_mode(code);
  if (!md) return code.empty() ? (in.zh ? "（未填）" : "(none)") : code;
  return in.zh ? md->name_zh : md->name_en;
}

bool graded(const ratings& r, std::size_t i) { return r.status[i] == operator_status::active; }

std::vector<std::string> fired_ids(const ratings& r, std::size_t i) {
  std::vector<std::string> ids;
  const auto& rules = r.rating_model->spec().rules;
  for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k) ids.push_back(rules[r.fired[k].rule].id);
  return ids;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

/// The notes column: rules that fired, the history limit when it binds, "terminate contract".
std::string notes(const ratings& r, std::size_t i, bool zh) {
  std::vector<std::string> parts;
  if (!graded(r, i)) return std::string();  // not active: the status column says why (Art. 14)
  if (r.terminate[i]) parts.push_back(zh ? "终止协议" : "TERMINATE CONTRACT");
  const std::vector<std::string> ids = fired_ids(r, i);
  if (!ids.empty()) parts.push_back(join(ids, ", "));
  if (graded(r, i) && r.history_limit[i] < r.grade_by_score[i] && r.final_grade[i] == r.history_limit[i] &&
      !r.terminate[i])
    parts.push_back((zh ? "历史限制≤" : "history ≤") + grade_text(r.history_limit[i], false));
  return join(parts, "; ");
}

std::string points(std::int64_t centi) { return fmt::format("{:.2f}", static_cast<double>(centi) / 100.0); }

// ---------------------------------------------------------------------------------------------
// Distribution tables

struct tally {
  std::size_t by_grade[grade_count] = {0, 0, 0, 0, 0, 0};
  std::size_t not_graded = 0;
  void add(const ratings& r, std::size_t i) {
    if (graded(r, i)) ++by_grade[level(r.final_grade[i])];
    else ++not_graded;
  }
  std::size_t total() const {
    std::size_t t = not_graded;
    for (std::size_t g : by_grade) t += g;
    return t;
  }
};

void distribution_tables(std::ostream& out, const loaded_inputs& in, const ratings& r) {
  const bool zh = in.zh;
  const dataset& d = *in.d;
  auto make = [&](const std::string& first) {
    text_table t;
    t.column(first);
    for (int l = 5; l >= 1; --l) t.column(std::string(to_string(grade_from_level(l))), text_table::align::right);
    t.column(zh ? "不予评级" : "unrated", text_table::align::right);
    t.column(zh ? "未参评" : "not graded", text_table::align::right);
    t.column(zh ? "合计" : "total", text_table::align::right);
    return t;
  };
  auto add_row = [&](text_table& t, const std::string& label, const tally& c) {
    std::vector<std::string> cells{label};
    for (int l = 5; l >= 0; --l) cells.push_back(std::to_string(c.by_grade[l]));
    cells.push_back(std::to_string(c.not_graded));
    cells.push_back(std::to_string(c.total()));
    t.row(std::move(cells));
  };
  auto grouped = [&](const char* attr, const std::string& title, auto label_of, const std::vector<std::string>& order_hint) {
    const auto* a = d.attribute(attr);
    if (!a) return;
    std::vector<std::string> order;
    std::map<std::string, tally> by;
    for (const auto& k : order_hint) {
      if (std::find(a->begin(), a->end(), k) != a->end()) order.push_back(k);
    }
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string& k = (*a)[i];
      if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
      by[k].add(r, i);
    }
    text_table t = make(title);
    for (const auto& k : order) add_row(t, label_of(k), by[k]);
    out << '\n';
    t.print(out);
  };

  tally all;
  for (std::size_t i = 0; i < r.size(); ++i) all.add(r, i);
  out << '\n' << (zh ? "等级分布" : "Grade distribution") << '\n';
  text_table t = make(zh ? "范围" : "scope");
  add_row(t, zh ? "全部" : "all operators", all);
  t.print(out);
  grouped("district", zh ? "区" : "district", [&](const std::string& k) { return k.empty() ? std::string(zh ? "（未填）" : "(none)") : k; }, {});
  std::vector<std::string> mode_order;
  for (const auto& md : in.cat.modes()) mode_order.push_back(md.code);
  grouped("mode", zh ? "运营模式" : "operating mode", [&](const std::string& k) { return mode_text(in, k); }, mode_order);
  std::size_t terminate = 0, held = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    terminate += r.terminate[i];
    held += graded(r, i) && !r.terminate[i] && r.final_grade[i] < r.grade_by_score[i];
  }
  out << '\n'
      << (zh ? fmt::format("终止协议（第十六条）：{} 家；因规则或历史限制低于按得分等级：{} 家\n", terminate, held)
             : fmt::format("Terminate contract (Art. 16): {}; held below their grade by score by a rule or history limit: {}\n",
                           terminate, held));
}

// ---------------------------------------------------------------------------------------------
// rate

struct rate_options {
  input_options in;
  std::string format = "table";
  std::string output;
  std::string directory;
  int valid_months = 12;
  bool summary_only = false;
  std::string output_encoding = "auto";
  std::size_t block_rows = 65536;  ///< --block-rows: operators rated and written at a time (csv to a file; 0 = all)
};

std::string header_line(const loaded_inputs& in, const ratings& r) {
  const model& m = *in.m;
  const std::string data = fmt::format(in.zh ? "{}（{} {}{}）" : "{} ({} {}{})", in.data_label, r.size(), in.zh ? "家运营商" : "operators",
                                       in.facility_count ? fmt::format(in.zh ? "，{} 个设施" : ", {} facilities", in.facility_count) : "");
  if (in.zh)
    return fmt::format("模型 {} {}（{}，指纹 {}…） · 评定日期 {}{} · 数据：{}\n", m.info().id, m.info().version,
                       in.model_label, m.fingerprint().substr(0, 16), to_string(r.as_of),
                       in.sample ? "" : "", data);
  return fmt::format("model {} {} ({}, fingerprint {}…) · as of {} · data: {}\n", m.info().id, m.info().version,
                     in.model_label, m.fingerprint().substr(0, 16), to_string(r.as_of), data);
}

void write_table(std::ostream& out, const loaded_inputs& in, const ratings& r, bool summary_only) {
  const bool zh = in.zh;
  out << header_line(in, r);
  if (!summary_only) {
    text_table t;
    t.column(zh ? "运营商" : "operator");
    t.column(zh ? "名称" : "name");
    t.column(zh ? "区" : "district");
    t.column(zh ? "状态" : "status");
    t.column(zh ? "总分" : "total", text_table::align::right);
    t.column(zh ? "按得分" : "by score");
    t.column(zh ? "等级" : "grade");
    t.column(zh ? "说明" : "notes");
    const dataset& d = *in.d;
    for (std::size_t i = 0; i < r.size(); ++i) {
      const bool g = graded(r, i);
      t.row({r.operator_ids[i], operator_name(d, i), attribute_or(d, "district", i), status_text(in, r.status[i]),
             g ? points(r.total_centi[i]) : "-", g ? grade_text(r.grade_by_score[i], zh) : "-",
             g ? grade_text(r.final_grade[i], zh) : (zh ? "未参评" : "not graded"), notes(r, i, zh)});
    }
    out << '\n';
    t.print(out);
  }
  distribution_tables(out, in, r);
}

std::vector<std::string> dimension_ids(const model& m) {
  std::vector<std::string> ids;
  ids = m.dimension_ids();
  return ids;
}

report_context context_of(const loaded_inputs& in, const ratings& r, std::size_t first_row = 0) {
  return report_context{*in.m, *in.d, in.cat, r, in.zh, first_row};
}

using row_sink = std::function<void(const std::vector<std::string>&)>;

/// The ratings CSV to `path` (atomically) or `out`, streamed: rows are formatted and encoded
/// 64 KiB at a time, so memory does not grow with a second copy of every cell. `rows` hands every
/// row to its sink (ratings_rows of one ratings, or of one block after another).
void emit_ratings_csv(const std::string& path, const report_context& ctx, const std::string& encoding, std::ostream& out,
                      const std::function<void(const row_sink&)>& rows) {
  const bool to_file = !path.empty() && path != "-";
  const output_encoding enc = resolve_output_encoding(encoding, to_file);
  const sheet header = ratings_columns(ctx);
  auto produce = [&](std::ostream& s) {
    std::string buf;
    auto flush = [&] {
      if (enc == output_encoding::gb18030) {  // whole rows: no character is split between chunks
        const std::string bytes = encode_output(buf, enc);
        s.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      } else {
        s.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      }
      buf.clear();
    };
    if (enc == output_encoding::utf8_sig) buf += "\xEF\xBB\xBF";
    for (std::size_t c = 0; c < header.columns.size(); ++c) buf += (c ? "," : "") + csv_field(header.title(c, ctx.zh));
    buf += '\n';
    rows([&](const std::vector<std::string>& row) {
      append_csv_row(buf, row);
      if (buf.size() >= (std::size_t{1} << 16)) flush();
    });
    flush();
  };
  try {
    if (!to_file) {
      produce(out);
      return;
    }
    const std::string why = embedrating::write_output_file(path, std::function<void(std::ostream&)>(produce));
    if (!why.empty()) throw failure{io, fmt::format("cannot write \"{}\": {}", path, why)};
  } catch (const std::runtime_error& e) {
    throw failure{io, e.what()};
  }
}

void write_json(std::ostream& out, const loaded_inputs& in, const ratings& r) {
  using json = nlohmann::ordered_json;
  const dataset& d = *in.d;
  const model& m = *in.m;
  const model_spec& spec = m.spec();
  const std::vector<std::string> dims = dimension_ids(m);
  json doc;
  doc["embedrating_version"] = r.library_version;
  doc["model"] = {{"id", m.info().id}, {"version", m.info().version}, {"fingerprint", m.fingerprint()}};
  doc["as_of"] = to_string(r.as_of);
  doc["input_hash"] = r.input_hash;
  doc["warnings"] = r.run_warnings;
  json ops = json::array();
  std::vector<std::int64_t> earned, available;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    const bool g = graded(r, i);
    json o;
    o["operator_id"] = r.operator_ids[i];
    o["name"] = operator_name(d, i);
    o["district"] = attribute_or(d, "district", i);
    o["mode"] = attribute_or(d, "mode", i);
    o["status"] = to_string(r.status[i]);
    o["total"] = static_cast<double>(r.total_centi[i]) / 100.0;
    o["total_centi"] = r.total_centi[i];
    o["grade_by_score"] = g ? json(std::string(to_string(r.grade_by_score[i]))) : json(nullptr);
    o["grade"] = g ? json(std::string(to_string(r.final_grade[i]))) : json(nullptr);
    o["terminate"] = r.terminate[i] != 0;
    json dj = json::object();
    for (std::size_t k = 0; k < dims.size(); ++k)
      dj[dims[k]] = static_cast<double>(r.dimension_centi(row, static_cast<Eigen::Index>(k))) / 100.0;
    o["dimensions"] = dj;
    json nj = json::object();
    r.node_points(i, earned, available);
    for (std::size_t k = 0; k < spec.nodes.size(); ++k)
      nj[spec.nodes[k].id] = {{"points", static_cast<double>(earned[k]) / 100.0},
                                 {"available", static_cast<double>(available[k]) / 100.0}};
    o["nodes"] = nj;
    json fired = json::array();
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k) {
      const auto& f = r.fired[k];
      fired.push_back({{"rule", spec.rules[f.rule].id},
                       {"lapses_on", f.lapses_on.is_missing() ? json(nullptr) : json(to_string(f.lapses_on))}});
    }
    o["rules_fired"] = fired;
    o["history_limit"] = r.history_limit[i] < grade::a5 ? json(std::string(to_string(r.history_limit[i]))) : json(nullptr);
    json gates = json::array();
    if (g && !r.terminate[i])
      for (const gate& gt : r.gates(i)) {
        auto number = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };  // no value: null
        json gj = {{"kind", to_string(gt.kind)}, {"grade", std::string(to_string(gt.target))}, {"id", gt.id},
                   {"required", number(gt.required)}, {"actual", number(gt.actual)}, {"shortfall", number(gt.shortfall)}};
        gj["lapses_on"] = gt.lapses_on.is_missing() ? json(nullptr) : json(to_string(gt.lapses_on));
        gates.push_back(gj);
      }
    o["gates_to_next_grade"] = gates;
    ops.push_back(std::move(o));
  }
  doc["operators"] = std::move(ops);
  const auto dist = r.distribution();
  json dj = json::object();
  for (int l = 5; l >= 0; --l) dj[std::string(to_string(grade_from_level(l)))] = dist.by_grade[l];
  dj["not_graded"] = dist.not_graded;
  doc["distribution"] = dj;
  out << doc.dump(2) << '\n';
}

/// Writes `bytes` to `path` atomically, so a failed run leaves no half file; a character device
/// or FIFO (/dev/stdout, /dev/null) is written through, and a directory, socket or other special
/// file is refused (exit 3) — never replaced by a regular file.
void write_bytes(const std::string& path, const std::string& bytes) {
  const std::string why = embedrating::write_output_file(path, bytes);
  if (!why.empty()) throw failure{io, fmt::format("cannot write \"{}\": {}", path, why)};
}

/// Text output in the --output-encoding: to `out` (standard output) or to the file `path`.
void emit_text(const std::string& path, const std::string& utf8, const std::string& encoding, bool csv, std::ostream& out) {
  try {
    write_encoded(path, utf8, encoding, csv, out);
  } catch (const std::runtime_error& e) {
    throw failure{io, e.what()};
  }
}

/// An Excel workbook to `path` (never to a terminal: --output FILE.xlsx is required).
void emit_xlsx(const std::string& path, const std::vector<const sheet*>& sheets, bool zh) {
  if (path.empty() || path == "-") throw failure{usage, "--format xlsx writes a binary file: give --output FILE.xlsx"};
  std::string bytes;
  try {
    bytes = xlsx_workbook(sheets, zh);
  } catch (const std::runtime_error& e) {
    throw failure{io, fmt::format("cannot write \"{}\": {}", path, e.what())};
  }
  write_bytes(path, bytes);
}

/// The format a file name asks for: .xlsx, .html/.htm, else csv.
std::string format_of_path(const std::string& path) {
  auto ends = [&](const char* ext) {
    const std::string e(ext);
    if (path.size() < e.size()) return false;
    std::string tail = path.substr(path.size() - e.size());
    for (auto& c : tail) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return tail == e;
  };
  if (ends(".xlsx")) return "xlsx";
  if (ends(".html") || ends(".htm")) return "html";
  return "csv";
}

/// An error of rate_rows inside the CSV writer, carried past its conversion of runtime errors to
/// I/O failures (the writer removes its temporary file on the way out).
struct block_failure {
  std::exception_ptr error;
};

/// `rate --format csv -o FILE` in blocks of o.block_rows operators (issue 10, peak memory): each
/// block is rated (rate_rows) and written before the next, so the ratings of the whole population
/// never exist at once. The bytes, warnings and exit status are those of rating all at once: every
/// row carries the whole dataset's input hash (rate_rows), the run warnings are the dataset's, and
/// a block that fails is followed by rate() over everything, so the error reported is the one a
/// one-block run reports (rate() checks column by column over every row) and no file is left.
int rate_csv_in_blocks(const rate_options& o, loaded_inputs& in, std::ostream& out, std::ostream& err) {
  const dataset& d = *in.d;
  if (in.reviews) {  // the review summary at as_of, once and in place (rate() applies it to a copy)
    (in.calendar ? in.reviews->summary(in.as_of, *in.calendar) : in.reviews->summary(in.as_of)).apply_to(*in.d);
    in.reviews.reset();
  }
  const embedrating::rate_options options = in.rating();
  const std::size_t n = d.size(), rows = std::min(o.block_rows, n);
  const auto rate_block = [&](std::size_t begin) {
    try {
      return embedrating::rate_rows(*in.m, d, begin, std::min(rows, n - begin), in.as_of, options);
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      try {
        (void)rate(*in.m, d, in.as_of, options);  // the error of a one-block run
      } catch (...) {
        error = std::current_exception();
      }
      throw block_failure{error};
    }
  };
  try {
    ratings block = rate_block(0);  // before anything is written, as rate() is
    for (const auto& w : block.run_warnings) err << "warning: " << w << '\n';
    const report_context header = context_of(in, block);
    emit_ratings_csv(o.output, header, o.output_encoding, out, [&](const row_sink& each) {
      for (std::size_t begin = 0; begin < n; begin += rows) {
        if (begin > 0) {
          block = ratings();  // one block's ratings at a time: the last one is freed first
          block = rate_block(begin);
        }
        ratings_rows(context_of(in, block, begin), each);
      }
    });
  } catch (const block_failure& f) {
    std::rethrow_exception(f.error);
  }
  return ok;
}

int cmd_rate(const rate_options& o, std::ostream& out, std::ostream& err) {
  if (o.format == "xlsx" && (o.output.empty() || o.output == "-"))
    throw failure{usage, "--format xlsx writes a binary file: give --output FILE.xlsx"};
  loaded_inputs in = load_inputs(o.in, true, err);
  if (in.reviews) err << reject_report(in.reviews->rejects(), o.in.reviews);
  if (o.format == "csv" && o.directory.empty() && o.block_rows > 0 && !o.output.empty() && o.output != "-" &&
      in.d->size() > 0)
    return rate_csv_in_blocks(o, in, out, err);
  const ratings r = rate(*in.m, *in.d, in.as_of, in.rating());
  for (const auto& w : r.run_warnings) err << "warning: " << w << '\n';
  const report_context ctx = context_of(in, r);
  if (!o.directory.empty() && directory_valid_to(*in.m, r.as_of, o.valid_months) < r.as_of)  // checked before anything is written
    throw failure{invalid_input,
                  fmt::format("--directory: as of {} is after the effective period of model {} (ends {}): a directory entry "
                              "would end before it starts; rate with a model in force on that date",
                              to_string(r.as_of), in.m->info().id, to_string(in.m->info().effective_to))};
  if (o.format == "xlsx") {
    // ratings, the directory and the distribution, one worksheet each
    const sheet ratings_ws = ratings_sheet(ctx), directory_ws = directory_sheet(ctx, o.valid_months),
                distribution_ws = distribution_sheet(ctx);
    emit_xlsx(o.output, {&ratings_ws, &directory_ws, &distribution_ws}, in.zh);
  } else if (o.format == "html") {
    emit_text(o.output, directory_html(ctx, o.valid_months), "utf-8", false, out);  // the page declares UTF-8
  } else if (o.format == "csv") {
    emit_ratings_csv(o.output, ctx, o.output_encoding, out, [&](const row_sink& each) { ratings_rows(ctx, each); });
  } else {
    std::ostringstream text;
    if (o.format == "json") write_json(text, in, r);
    else write_table(text, in, r, o.summary_only);
    emit_text(o.output, text.str(), o.output_encoding, o.format == "csv", out);
  }
  if (!o.directory.empty()) {
    const std::string f = format_of_path(o.directory);
    if (f == "xlsx") {
      const sheet directory_ws = directory_sheet(ctx, o.valid_months), distribution_ws = distribution_sheet(ctx);
      emit_xlsx(o.directory, {&directory_ws, &distribution_ws}, in.zh);
    } else if (f == "html") {
      emit_text(o.directory, directory_html(ctx, o.valid_months), "utf-8", false, out);  // the page declares UTF-8
    } else {
      emit_text(o.directory, sheet_csv(directory_sheet(ctx, o.valid_months), in.zh), o.output_encoding, true, out);
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// roll-forward

struct roll_options {
  std::string ratings_csv;
  std::string history_csv;
  std::string as_of;
  std::string encoding = "auto";
  std::string output;
  std::string output_encoding = "auto";
};

int cmd_roll_forward(const roll_options& o, std::ostream& out, std::ostream& err) {
  const auto when = parse_date(o.as_of);
  if (!when) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", o.as_of)};
  require_readable(o.ratings_csv, "ratings file");
  if (!o.history_csv.empty()) require_readable(o.history_csv, "history file");
  const cycle_results results = read_cycle_results_csv(o.ratings_csv, *when, o.encoding);
  // without --history, the history columns the ratings CSV carries are the previous history
  const history_table previous = read_history_csv(o.history_csv.empty() ? o.ratings_csv : o.history_csv, o.encoding);
  const history_table next = roll_forward(previous, results);
  std::size_t graded = 0, downgraded = 0;
  for (std::size_t k = 0; k < next.operator_ids.size(); ++k) {
    graded += next.previous_rated_on[k] == *when;
    downgraded += next.last_downgrade_on[k] == *when;
  }
  err << fmt::format("roll-forward: {} operators ({} graded as of {}, {} downgraded); {}\n", next.operator_ids.size(), graded,
                     to_string(*when), downgraded,
                     o.history_csv.empty() ? "previous history from the ratings' own history columns"
                                           : "history carried from " + o.history_csv);
  emit_text(o.output, history_csv(next), o.output_encoding, true, out);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// explain

/// Levenshtein distance (bytes), for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

int cmd_explain(const input_options& o, const std::string& operator_id, std::ostream& out, std::ostream& err) {
  const loaded_inputs in = load_inputs(o, true, err);
  if (in.reviews) err << reject_report(in.reviews->rejects(), o.reviews);
  if (in.d->find(operator_id) < 0) {
    // near misses: ids within two edits of what was typed
    std::vector<std::string> near;
    for (const auto& id : in.d->operator_ids())
      if (near.size() < 5 && edit_distance(id, operator_id) <= 2) near.push_back(id);
    throw failure{invalid_input, fmt::format("operator \"{}\" is not in {} ({} operators){}", operator_id, in.data_label,
                                             in.d->size(), near.empty() ? "" : "; did you mean " + join(near, ", ") + "?")};
  }
  // rate only this operator (with its facilities): the same result as in a full run
  const ratings r = rate(*in.m, *in.d, in.as_of, in.rating());
  out << r.explain(operator_id, in.zh ? language::zh : language::en);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// validate

int cmd_validate(const input_options& o, std::ostream& out, std::ostream& err) {
  const bool zh = o.lang == "zh";
  const language lang = zh ? language::zh : language::en;
  auto text_of = [lang](const error& e) { return problem_text(e, lang); };
  std::vector<std::string> problems;
  const input_paths paths = resolve_paths(o);
  std::optional<model> m;
  try {
    m = model::load(paths.model);
  } catch (const model_error& e) {
    problems.push_back(text_of(e));
  }
  const bool sample = o.data.empty() && o.operators.empty();
  const std::string& ops = paths.operators;
  const std::string& fac = paths.facilities;
  std::size_t n_ops = 0, n_fac = 0;
  std::uint64_t n_events = 0;
  if (m) {
    problem_sink sink;
    std::optional<dataset> d;
    try {
      d = read_operators_csv(ops, *m, o.encoding, &sink);
      n_ops = d->size();
    } catch (const error& e) {
      sink.emplace_back(e.where(), e.message());
    }
    if (d && !fac.empty()) {
      try {
        facility_table f = read_facilities_csv(fac, *m, *d, o.encoding, &sink);
        n_fac = f.facility_ids.size();
        if (sink.empty()) d->set_facilities(std::move(f));
      } catch (const error& e) {
        sink.emplace_back(e.where(), e.message());
      }
    }
    std::stable_sort(sink.begin(), sink.end(), [](const data_error& a, const data_error& b) {
      return std::tie(a.where().file, a.where().line, a.where().column) < std::tie(b.where().file, b.where().line, b.where().column);
    });
    for (const auto& p : sink) problems.push_back(text_of(p));
    // review events: every rejected event is a problem (its example names file and line)
    if (d && !o.reviews.empty()) {
      try {
        review_aggregator agg(*m, *d);
        agg.add_csv(o.reviews, o.encoding);
        n_events = agg.events_seen();
        const reject_log& r = agg.rejects();
        for (std::size_t k = 0; k < reject_kind_count; ++k) {
          for (const auto& e : r.examples[k]) problems.push_back(e + " [" + to_string(static_cast<reject_kind>(k)) + "]");
          if (r.counts[k] > r.examples[k].size())
            problems.push_back(zh ? fmt::format("文件 {}：另有 {} 条 {} 类被拒绝的评价事件", o.reviews, r.counts[k] - r.examples[k].size(),
                                                to_string(static_cast<reject_kind>(k)))
                                  : fmt::format("{}: {} more {} rejects", o.reviews, r.counts[k] - r.examples[k].size(),
                                                to_string(static_cast<reject_kind>(k))));
        }
      } catch (const error& e) {
        problems.push_back(text_of(e));
      }
    }
    // the rating itself checks what needs the whole model (roll-ups, derived review measures)
    if (d && sink.empty()) {
      std::optional<civil_date> when = o.as_of.empty() ? (sample ? parse_date(sample_as_of) : std::nullopt) : parse_date(o.as_of);
      if (!o.as_of.empty() && !when) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", o.as_of)};
      // without --as-of, everything that does not depend on the date is still checked: the
      // rating runs at a stand-in date (the model's effective_from, else 2024-08-23)
      if (!when) when = m->info().effective_from.is_missing() ? make_date(2024, 8, 23) : m->info().effective_from;
      if (when) {
        try {
          (void)rate(*m, *d, *when);
        } catch (const error& e) {
          problems.push_back(text_of(e));
        }
      }
    }
  }
  for (const auto& p : problems) err << p << '\n';
  if (!problems.empty()) {
    err << (zh ? fmt::format("发现 {} 个问题\n", problems.size())
               : fmt::format("{} problem{} found\n", problems.size(), problems.size() == 1 ? "" : "s"));
    return invalid_input;
  }
  if (zh) {
    out << fmt::format("检查通过：模型 {} {}（指纹 {}），{} 家运营商{}{}\n", m->info().id, m->info().version,
                       m->fingerprint().substr(0, 16), n_ops, fac.empty() ? "" : fmt::format("，{} 个设施", n_fac),
                       o.reviews.empty() ? "" : fmt::format("，{} 条评价事件", n_events));
    return ok;
  }
  out << fmt::format("ok: model {} {} (fingerprint {}), {} operators{}{}\n", m->info().id, m->info().version,
                     m->fingerprint().substr(0, 16), n_ops, fac.empty() ? "" : fmt::format(", {} facilities", n_fac),
                     o.reviews.empty() ? "" : fmt::format(", {} review events", n_events));
  return ok;
}

// ---------------------------------------------------------------------------------------------
// reviews summarize

struct reviews_options {
  input_options in;
  std::vector<std::string> events;
  std::string state_in, state_out;
  std::string format = "table";
  std::string output;
  std::string output_encoding = "auto";
  bool strict = false;
};

std::string number_or_dash(double v, const char* f) { return std::isnan(v) ? "-" : fmt::format(fmt::runtime(f), v); }

int cmd_reviews_summarize(const reviews_options& o, std::ostream& out, std::ostream& err) {
  if (o.events.empty() && o.state_in.empty()) throw failure{usage, "reviews summarize: give --events FILE and/or --state FILE"};
  if (o.format == "xlsx" && (o.output.empty() || o.output == "-"))
    throw failure{usage, "--format xlsx writes a binary file: give --output FILE.xlsx"};
  input_options io = o.in;
  io.reviews.clear();
  const loaded_inputs in = load_inputs(io, true, err);
  std::optional<review_aggregator> agg;
  if (!o.state_in.empty()) {
    require_readable(o.state_in, "review state file");
    agg = review_aggregator::load(o.state_in);
    if (const std::string diff = review_settings_difference(agg->settings(), in.m->spec().reviews); !diff.empty())
      throw failure{invalid_input,
                    fmt::format("the review state {} was built with other review settings than model {} ({} in the state vs "
                                "the model); rebuild it from the events with this model",
                                o.state_in, in.model_label, diff)};
    if (agg->operator_ids() != in.d->operator_ids())
      throw failure{invalid_input, fmt::format("the review state {} was built for a different operator list ({} operators) than {} ({})",
                                               o.state_in, agg->operator_ids().size(), in.data_label, in.d->size())};
  } else {
    agg.emplace(*in.m, *in.d);
  }
  for (const auto& f : o.events) {
    require_readable(f, "review event file");
    agg->add_csv(f, o.in.encoding);
  }
  if (!o.state_out.empty()) {
    try {
      agg->save(o.state_out);
    } catch (const archive_error& e) {
      throw failure{exit_status::io, fmt::format("cannot save the review state: {}", e.what())};
    }
  }
  const std::optional<holiday_calendar> cal = review_calendar(o.in, err);
  const review_summary sm = cal ? agg->summary(in.as_of, *cal) : agg->summary(in.as_of);
  err << reject_report(sm.rejects, o.events.empty() ? o.state_in : join(o.events, ", "));
  const bool zh = in.zh;
  auto emit = [&](std::ostream& s) {
    if (o.format == "json") {
      using json = nlohmann::ordered_json;
      json doc;
      doc["as_of"] = to_string(sm.as_of);
      doc["model"] = {{"id", in.m->info().id}, {"fingerprint", in.m->fingerprint()}};
      doc["events_seen"] = sm.events_seen;
      doc["records_kept"] = sm.records_kept;
      json rej = json::object();
      for (std::size_t k = 0; k < reject_kind_count; ++k)
        rej[to_string(static_cast<reject_kind>(k))] = {{"count", sm.rejects.counts[k]}, {"examples", sm.rejects.examples[k]}};
      doc["rejects"] = rej;
      doc["empirical_bayes"] = {{"alpha", sm.eb_alpha}, {"beta", sm.eb_beta}, {"pooled", sm.eb_pooled}, {"note", sm.eb_note}};
      json ops = json::array();
      for (std::size_t i = 0; i < sm.size(); ++i) {
        const auto r = static_cast<Eigen::Index>(i);
        auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
        ops.push_back({{"operator_id", sm.operator_ids[i]},
                       {"stars", {sm.counts(r, 0), sm.counts(r, 1), sm.counts(r, 2), sm.counts(r, 3), sm.counts(r, 4)}},
                       {"valid_n", sm.valid_n(r)},
                       {"effective_n", sm.effective_n(r)},
                       {"satisfaction_index", num(sm.satisfaction_index(r))},
                       {"satisfaction_rate", num(sm.satisfaction_rate(r))},
                       {"wilson_lower", sm.wilson_lower(r)},
                       {"jeffreys", {sm.jeffreys_lower(r), sm.jeffreys_upper(r)}},
                       {"bayes_rate", sm.bayes_rate(r)},
                       {"eb_rate", num(sm.eb_rate(r))},
                       {"bad_open", sm.bad_open[i]},
                       {"bad_closed_in_time", sm.bad_closed_in_time[i]},
                       {"bad_overdue", sm.bad_overdue[i]},
                       {"bad_followed_up", sm.bad_followed_up[i]},
                       {"low_volume", sm.low_volume[i] != 0}});
      }
      doc["operators"] = ops;
      s << doc.dump(2) << '\n';
      return;
    }
    if (o.format == "csv") {
      s << sheet_csv(review_summary_sheet(sm, zh), zh);
      return;
    }
    s << (zh ? fmt::format("好差评汇总 · 评定日期 {} · 事件 {} 条，保留评价 {} 条，拒收 {} 条\n", to_string(sm.as_of), sm.events_seen,
                           sm.records_kept, sm.rejects.total())
             : fmt::format("Resident reviews · as of {} · {} events, {} reviews kept, {} rejected\n", to_string(sm.as_of),
                           sm.events_seen, sm.records_kept, sm.rejects.total()));
    text_table t;
    t.column(zh ? "运营商" : "operator");
    t.column(zh ? "有效评价" : "valid n", text_table::align::right);
    for (int l = 5; l >= 1; --l) t.column(fmt::format("★{}", l), text_table::align::right);
    t.column(zh ? "满意度指数" : "index", text_table::align::right);
    t.column(zh ? "满意率" : "rate", text_table::align::right);
    t.column(zh ? "Wilson下限" : "Wilson LB", text_table::align::right);
    t.column(zh ? "差评未结" : "bad open", text_table::align::right);
    t.column(zh ? "按期整改" : "in time", text_table::align::right);
    t.column(zh ? "逾期" : "overdue", text_table::align::right);
    t.column(zh ? "已回访" : "followed up", text_table::align::right);
    t.column(zh ? "样本不足" : "low volume");
    for (std::size_t i = 0; i < sm.size(); ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      std::vector<std::string> cells{sm.operator_ids[i], fmt::format("{}", sm.valid_n(r))};
      for (int l = 4; l >= 0; --l) cells.push_back(std::to_string(sm.counts(r, l)));
      cells.push_back(number_or_dash(sm.satisfaction_index(r), "{:.1f}"));
      cells.push_back(number_or_dash(sm.satisfaction_rate(r), "{:.3f}"));
      cells.push_back(fmt::format("{:.3f}", sm.wilson_lower(r)));
      cells.push_back(std::to_string(sm.bad_open[i]));
      cells.push_back(std::to_string(sm.bad_closed_in_time[i]));
      cells.push_back(std::to_string(sm.bad_overdue[i]));
      cells.push_back(std::to_string(sm.bad_followed_up[i]));
      cells.push_back(sm.low_volume[i] ? (zh ? "是" : "yes") : "");
      t.row(std::move(cells));
    }
    s << '\n';
    t.print(s);
    s << '\n'
      << (zh ? "经验贝叶斯先验（仅供参考，不用于评级）：" : "Empirical-Bayes prior (reported only, never used for grades): ")
      << (sm.eb_pooled ? (zh ? "无超出二项噪声的差异，合并估计" : "no spread beyond binomial noise: pooled")
                       : fmt::format("alpha {:.3f}, beta {:.3f}", sm.eb_alpha, sm.eb_beta))
      << (sm.eb_note.empty() ? "" : " (" + sm.eb_note + ")") << '\n';
  };
  if (o.format == "xlsx") {
    const sheet summary_ws = review_summary_sheet(sm, zh);
    emit_xlsx(o.output, {&summary_ws}, zh);
  } else {
    std::ostringstream text;
    emit(text);
    emit_text(o.output, text.str(), o.output_encoding, o.format == "csv", out);
  }
  return o.strict && sm.rejects.total() > 0 ? invalid_input : ok;
}

// ---------------------------------------------------------------------------------------------
// command line

void add_input_options(CLI::App& cmd, input_options& o, bool with_as_of) {
  cmd.add_option("--model", o.model, "Model TOML file (default: the shipped wuhan-2024 model)");
  cmd.add_option("--data", o.data,
                 "Directory holding operators.csv and optionally facilities.csv (default: the shipped synthetic sample)");
  cmd.add_option("--operators", o.operators, "Operator CSV file (overrides <data>/operators.csv)");
  cmd.add_option("--facilities", o.facilities, "Facility (site) CSV file (overrides <data>/facilities.csv)");
  cmd.add_option("--reviews", o.reviews,
                 "Resident review events CSV (review_id, revision, operator_id, reviewer_id, time, level, status, rectified_at, …; data/sample/README.md); their summary at --as-of replaces the operators' review columns");
  cmd.add_option("--encoding", o.encoding, "Input CSV text encoding (what is read; --output-encoding is what is written): auto (UTF-8 with or without BOM, else GB18030), utf-8, gb18030, gbk")
      ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "gb18030", "gbk", "gb2312", "cp936"}, CLI::ignore_case));
  if (with_as_of)
    cmd.add_option("--as-of", o.as_of,
                   std::string("Evaluation date YYYY-MM-DD (required with your own data; the shipped sample defaults to ") +
                       sample_as_of + "; the clock is never read)");
  cmd.add_option("--lang", o.lang, "Language of labels, explanations and validate's problem messages: en or zh")->check(CLI::IsMember({"en", "zh"}));
  cmd.add_option("--calendar", o.calendar,
                 "Working-day calendar CSV for bad-review deadlines (date,kind = off|workday; docs/calendar-format.md), "
                 "for years past the shipped 2024–2026 calendar");
  cmd.add_flag("--weekends-only-calendar", o.weekends_only_calendar,
               "Fallback when no official calendar covers a deadline: only Saturdays and Sundays are days off "
               "(no public holidays, no make-up workdays); warned on stderr");
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"embedrating — rates operators of community-embedded service facilities (社区嵌入式服务设施运营商) 1A–5A.",
               "embedrating"};
  app.set_version_flag("--version", std::string("embedrating ") + EMBEDRATING_VERSION_STRING);
  app.require_subcommand(1, 1);
  app.footer(
      "Exit status: 0 success; 1 a problem in the model or the data (validate found problems, unknown operator, "
      "a review state that does not fit the model); "
      "2 bad command line; 3 a file cannot be read or written; 70 internal error.\n"
      "Run `embedrating COMMAND --help` for a command's options. Data directory: " + data_directory());

  rate_options ro;
  CLI::App* rate_cmd = app.add_subcommand("rate", "Rate every operator: a table (or CSV, JSON, an Excel workbook, the HTML grade directory) and the grade distribution");
  add_input_options(*rate_cmd, ro.in, true);
  rate_cmd->add_option("--format", ro.format,
                       "Output format: table (default), csv, json, xlsx (an Excel workbook: ratings, directory, distribution; "
                       "needs --output) or html (the published grade directory page, printable)")
      ->check(CLI::IsMember({"table", "csv", "json", "xlsx", "html"}));
  rate_cmd->add_option("--output,-o", ro.output, "Write the result to FILE instead of standard output");
  rate_cmd->add_option("--directory", ro.directory,
                       "Also write the grade directory (等级评定目录): operator, grade, valid from/to, model fingerprint, input hash; "
                       "FILE.xlsx an Excel workbook, FILE.html the printable page, anything else CSV");
  add_output_encoding_option(*rate_cmd, ro.output_encoding);
  rate_cmd->add_option("--valid-months", ro.valid_months, "Months a published grade stays valid (default 12; never past the model's effective_to)")
      ->check(CLI::Range(1, 60));
  rate_cmd->add_flag("--summary", ro.summary_only, "Table format: print only the header and the grade distribution");
  rate_cmd->add_option("--block-rows", ro.block_rows,
                       "Tuning: --format csv with --output FILE rates and writes N operators at a time (default 65536; 0: all "
                       "at once), so memory holds the data and one block of ratings; the file is the same byte for byte")
      ->check(CLI::Range(0, 1 << 30));

  input_options eo;
  std::string operator_id;
  CLI::App* explain_cmd = app.add_subcommand("explain", "Explain one operator's grade: points, rules, gates to the next grade");
  explain_cmd->add_option("operator_id", operator_id, "The operator to explain")->required();
  add_input_options(*explain_cmd, eo, true);

  input_options vo;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Check a model and data files; report every problem with file, line and column");
  add_input_options(*validate_cmd, vo, true);

  reviews_options revo;
  CLI::App* reviews_cmd = app.add_subcommand("reviews", "Resident reviews (好差评): aggregate review events");
  reviews_cmd->require_subcommand(1, 1);
  CLI::App* summarize_cmd =
      reviews_cmd->add_subcommand("summarize", "Review events CSV → per-operator counts, indices, estimators and bad-review deadlines");
  add_input_options(*summarize_cmd, revo.in, true);
  summarize_cmd->add_option("--events,-e", revo.events, "Review events CSV file(s) (columns as in data/sample/README.md, reviews.csv)");
  summarize_cmd->add_option("--state", revo.state_in, "Start from a saved review state (binary archive)");
  summarize_cmd->add_option("--save", revo.state_out, "Save the review state after adding the events (atomic write)");
  summarize_cmd->add_option("--format", revo.format, "Output format: table (default), csv, json or xlsx (needs --output)")
      ->check(CLI::IsMember({"table", "csv", "json", "xlsx"}));
  add_output_encoding_option(*summarize_cmd, revo.output_encoding);
  summarize_cmd->add_option("--output,-o", revo.output, "Write the result to FILE instead of standard output");
  summarize_cmd->add_flag("--strict", revo.strict, "Exit with status 1 when any event was rejected");

  roll_options rfo;
  CLI::App* roll_cmd = app.add_subcommand(
      "roll-forward", "This cycle's ratings CSV → the history columns of the next cycle (previous_grade, previous_rated_on, last_downgrade_on)");
  roll_cmd->add_option("ratings", rfo.ratings_csv, "Ratings CSV of this cycle (`embedrating rate --format csv`, English or Chinese headers)")
      ->required();
  roll_cmd->add_option("--as-of", rfo.as_of, "The evaluation date of these ratings, YYYY-MM-DD (checked against their as_of column)")->required();
  roll_cmd->add_option("--history", rfo.history_csv,
                       "History of the previous cycles (the last roll-forward output, or an operator CSV with history columns); "
                       "default: the history columns the ratings CSV carries (previous_grade, previous_rated_on, last_downgrade_on)");
  roll_cmd->add_option("--encoding", rfo.encoding, "Input CSV encoding: auto (UTF-8 with or without BOM, else GB18030), utf-8, gb18030")
      ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "gb18030", "gbk", "gb2312", "cp936"}, CLI::ignore_case));
  roll_cmd->add_option("--output,-o", rfo.output, "Write the history CSV to FILE instead of standard output");
  add_output_encoding_option(*roll_cmd, rfo.output_encoding);
  roll_cmd->footer("Put the output's columns into the next cycle's operators.csv (replacing its history columns); "
                   "the next `rate` then applies the history limits (at most one level up, no rise after a downgrade, first rating at most 3A).");

  const weights_command weights_cmd(app);  // embedrating weights ahp|entropy|critic|std-dev|cv (weights_cmd.cpp)
  const calibrate_command calibrate_cmd(app);  // embedrating calibrate, embedrating model diff (calibrate_cmd.cpp)
  const sensitivity_command sensitivity_cmd(app);  // embedrating sensitivity [oat|near-line], compare (sensitivity_cmd.cpp)

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? ok : usage;
  }

  try {
    if (rate_cmd->parsed()) return cmd_rate(ro, out, err);
    if (explain_cmd->parsed()) return cmd_explain(eo, operator_id, out, err);
    if (validate_cmd->parsed()) return cmd_validate(vo, out, err);
    if (summarize_cmd->parsed()) return cmd_reviews_summarize(revo, out, err);
    if (roll_cmd->parsed()) return cmd_roll_forward(rfo, out, err);
    if (weights_cmd.parsed()) return weights_cmd.run(out, err);
    if (calibrate_cmd.parsed()) return calibrate_cmd.run(out, err);
    if (sensitivity_cmd.parsed()) return sensitivity_cmd.run(out, err);
    err << "embedrating: no command given (rate, explain, validate)\n";
    return usage;
  } catch (const failure& f) {
    err << "embedrating: " << f.message << '\n';
    return f.status;
  } catch (const error& e) {
    err << "embedrating: " << e.what() << '\n';
    return invalid_input;
  } catch (const std::exception& e) {
    err << "embedrating: internal error: " << e.what() << '\n';
    return internal;
  }
}

}  // namespace embedrating::cli
