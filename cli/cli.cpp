// The `embedrating` command-line tool: rate, explain, validate (issue 3; SPEC §1, §7–§9).
// Results go to `out`, errors and warnings to `err`; exit statuses are documented in cli.hpp.
#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
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
#include <embedrating/detail/compiled_model.hpp>
#include <embedrating/embedrating.hpp>
#include <embedrating/version.hpp>

#include "text_table.hpp"

namespace embedrating::cli {

namespace {

namespace fs = std::filesystem;

/// The shipped sample is rated as of this date unless --as-of says otherwise (data/sample/README.md).
constexpr const char* sample_as_of = "2025-12-31";

/// A failure with its exit status; the message goes to stderr.
struct failure {
  int status;
  std::string message;
};

struct input_options {
  std::string model;       ///< model TOML; empty: the shipped wuhan-2024
  std::string data;        ///< directory with operators.csv [+ facilities.csv]; empty: the shipped sample
  std::string operators;   ///< overrides <data>/operators.csv
  std::string facilities;  ///< overrides <data>/facilities.csv
  std::string encoding = "auto";
  std::string as_of;
  std::string lang = "en";
};

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
};

void require_readable(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw failure{io, fmt::format("cannot read {} \"{}\": {}", what, path, std::strerror(errno))};
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

/// Model and data as the options say, with the documented defaults.
loaded_inputs load_inputs(const input_options& o, bool need_as_of) {
  loaded_inputs in;
  in.zh = o.lang == "zh";
  in.sample = o.data.empty() && o.operators.empty();
  if (need_as_of) in.as_of = evaluation_date(o, in.sample);  // usage errors before any file is read
  const std::string data_dir = data_directory();
  in.cat = catalogue::load(data_dir + "/catalogue");
  // model
  if (o.model.empty()) {
    const std::string path = data_dir + "/models/wuhan-2024.toml";
    require_readable(path, "the shipped model");
    in.m = model::load(path);
    in.model_label = in.zh ? "随附模型" : "shipped model";
  } else {
    require_readable(o.model, "model file");
    in.m = model::load(o.model);
    in.model_label = display_path(o.model);
  }
  // data
  const std::string dir = o.data.empty() ? data_dir + "/sample" : o.data;
  if (!o.data.empty() && !fs::is_directory(o.data))
    throw failure{io, fmt::format("--data \"{}\" is not a directory (it holds operators.csv and optionally facilities.csv)", o.data)};
  const std::string ops = o.operators.empty() ? dir + "/operators.csv" : o.operators;
  std::string fac = o.facilities;
  if (fac.empty() && o.operators.empty() && fs::exists(dir + "/facilities.csv")) fac = dir + "/facilities.csv";
  require_readable(ops, "operator file");
  if (!fac.empty()) require_readable(fac, "facility file");
  in.d = read_operators_csv(ops, *in.m, o.encoding);
  if (!fac.empty()) {
    facility_table f = read_facilities_csv(fac, *in.m, *in.d, o.encoding);
    in.facility_count = f.facility_ids.size();
    in.d->set_facilities(std::move(f));
  }
  in.data_label = in.sample ? (in.zh ? "随附样例数据（合成）" : "shipped sample (synthetic)") : display_path(ops);
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

std::string attribute_or(const dataset& d, const char* name, std::size_t i) {
  const auto* a = d.attribute(name);
  return a ? (*a)[i] : std::string();
}

std::string operator_name(const dataset& d, std::size_t i) {
  std::string n = attribute_or(d, "name_zh", i);
  return n.empty() ? attribute_or(d, "name", i) : n;
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
  const auto& cm = m.compiled();
  for (std::int32_t node : cm.dimensions) ids.push_back(cm.spec.nodes[static_cast<std::size_t>(node)].id);
  return ids;
}

void write_csv(std::ostream& out, const loaded_inputs& in, const ratings& r) {
  const dataset& d = *in.d;
  const model& m = *in.m;
  const std::vector<std::string> dims = dimension_ids(m);
  out << "operator_id,name,district,street,community,mode,status,total,grade_by_score,grade,terminate";
  for (const auto& id : dims) out << ',' << id << "_points";
  out << ",rules_fired,history_limit,previous_grade,as_of,model_id,model_version,model_fingerprint,input_hash\n";
  for (std::size_t i = 0; i < r.size(); ++i) {
    const bool g = graded(r, i);
    out << csv_field(r.operator_ids[i]) << ',' << csv_field(operator_name(d, i)) << ','
        << csv_field(attribute_or(d, "district", i)) << ',' << csv_field(attribute_or(d, "street", i)) << ','
        << csv_field(attribute_or(d, "community", i)) << ',' << csv_field(attribute_or(d, "mode", i)) << ','
        << to_string(r.status[i]) << ',' << points(r.total_centi[i]) << ',' << (g ? to_string(r.grade_by_score[i]) : "")
        << ',' << (g ? to_string(r.final_grade[i]) : "") << ',' << int(r.terminate[i]);
    for (Eigen::Index k = 0; k < r.dimension_centi.cols(); ++k)
      out << ',' << points(r.dimension_centi(static_cast<Eigen::Index>(i), k));
    const std::int8_t prev = r.previous_grade[i];
    out << ',' << csv_field(join(fired_ids(r, i), ";")) << ','
        << (r.history_limit[i] < grade::a5 ? std::string(to_string(r.history_limit[i])) : std::string()) << ','
        << (prev >= 0 ? std::string(to_string(grade_from_level(prev))) : std::string()) << ',' << to_string(r.as_of)
        << ',' << csv_field(m.info().id) << ',' << csv_field(m.info().version) << ',' << m.fingerprint() << ','
        << r.input_hash << '\n';
  }
}

void write_json(std::ostream& out, const loaded_inputs& in, const ratings& r) {
  using json = nlohmann::ordered_json;
  const dataset& d = *in.d;
  const model& m = *in.m;
  const auto& cm = m.compiled();
  const std::vector<std::string> dims = dimension_ids(m);
  json doc;
  doc["embedrating_version"] = r.library_version;
  doc["model"] = {{"id", m.info().id}, {"version", m.info().version}, {"fingerprint", m.fingerprint()}};
  doc["as_of"] = to_string(r.as_of);
  doc["input_hash"] = r.input_hash;
  doc["warnings"] = r.run_warnings;
  json ops = json::array();
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
    for (std::size_t k = 0; k < cm.spec.nodes.size(); ++k)
      nj[cm.spec.nodes[k].id] = {{"points", static_cast<double>(r.node_centi(row, static_cast<Eigen::Index>(k))) / 100.0},
                                 {"available", static_cast<double>(r.available_centi(row, static_cast<Eigen::Index>(k))) / 100.0}};
    o["nodes"] = nj;
    json fired = json::array();
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k) {
      const auto& f = r.fired[k];
      fired.push_back({{"rule", cm.spec.rules[f.rule].id},
                       {"lapses_on", f.lapses_on.is_missing() ? json(nullptr) : json(to_string(f.lapses_on))}});
    }
    o["rules_fired"] = fired;
    o["history_limit"] = r.history_limit[i] < grade::a5 ? json(std::string(to_string(r.history_limit[i]))) : json(nullptr);
    json gates = json::array();
    if (g && !r.terminate[i])
      for (const gate& gt : r.gates(i)) {
        json gj = {{"grade", std::string(to_string(gt.target))}, {"id", gt.id}, {"required", gt.required},
                   {"actual", gt.actual}, {"shortfall", gt.shortfall}};
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

/// Writes through a temporary file renamed into place, so a failed run leaves no half file.
template <class Writer>
void write_file(const std::string& path, Writer&& w) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw failure{io, fmt::format("cannot write \"{}\": {}", path, std::strerror(errno))};
    w(f);
    f.flush();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw failure{io, fmt::format("cannot write \"{}\": {}", path, std::strerror(errno))};
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw failure{io, fmt::format("cannot write \"{}\": {}", path, ec.message())};
  }
}

/// The grade directory (等级评定目录, Art. 7): graded operators 1A–5A with their validity.
void write_directory(std::ostream& out, const loaded_inputs& in, const ratings& r, int valid_months) {
  const model& m = *in.m;
  civil_date valid_to(add_months(r.as_of, valid_months).days() - 1);
  if (!m.info().effective_to.is_missing() && m.info().effective_to < valid_to) valid_to = m.info().effective_to;
  out << "operator_id,name,district,mode,grade,valid_from,valid_to,model_id,model_version,model_fingerprint,input_hash\n";
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!graded(r, i) || r.final_grade[i] == grade::unrated) continue;
    out << csv_field(r.operator_ids[i]) << ',' << csv_field(operator_name(*in.d, i)) << ','
        << csv_field(attribute_or(*in.d, "district", i)) << ',' << csv_field(attribute_or(*in.d, "mode", i)) << ','
        << to_string(r.final_grade[i]) << ',' << to_string(r.as_of) << ',' << to_string(valid_to) << ','
        << csv_field(m.info().id) << ',' << csv_field(m.info().version) << ',' << m.fingerprint() << ',' << r.input_hash
        << '\n';
  }
}

int cmd_rate(const rate_options& o, std::ostream& out, std::ostream& err) {
  const loaded_inputs in = load_inputs(o.in, true);
  const ratings r = rate(*in.m, *in.d, in.as_of);
  for (const auto& w : r.run_warnings) err << "warning: " << w << '\n';
  auto emit = [&](std::ostream& s) {
    if (o.format == "csv") write_csv(s, in, r);
    else if (o.format == "json") write_json(s, in, r);
    else write_table(s, in, r, o.summary_only);
  };
  if (o.output.empty() || o.output == "-") emit(out);
  else write_file(o.output, emit);
  if (!o.directory.empty()) write_file(o.directory, [&](std::ostream& s) { write_directory(s, in, r, o.valid_months); });
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

int cmd_explain(const input_options& o, const std::string& operator_id, std::ostream& out) {
  const loaded_inputs in = load_inputs(o, true);
  if (in.d->find(operator_id) < 0) {
    // near misses: ids within two edits of what was typed
    std::vector<std::string> near;
    for (const auto& id : in.d->operator_ids())
      if (near.size() < 5 && edit_distance(id, operator_id) <= 2) near.push_back(id);
    throw failure{invalid_input, fmt::format("operator \"{}\" is not in {} ({} operators){}", operator_id, in.data_label,
                                             in.d->size(), near.empty() ? "" : "; did you mean " + join(near, ", ") + "?")};
  }
  // rate only this operator (with its facilities): the same result as in a full run
  const ratings r = rate(*in.m, *in.d, in.as_of);
  out << r.explain(operator_id, in.zh ? language::zh : language::en);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// validate

int cmd_validate(const input_options& o, std::ostream& out, std::ostream& err) {
  std::vector<std::string> problems;
  const std::string data_dir = data_directory();
  std::optional<model> m;
  const std::string model_path = o.model.empty() ? data_dir + "/models/wuhan-2024.toml" : o.model;
  require_readable(model_path, "model file");
  try {
    m = model::load(model_path);
  } catch (const model_error& e) {
    problems.push_back(e.what());
  }
  const bool sample = o.data.empty() && o.operators.empty();
  const std::string dir = o.data.empty() ? data_dir + "/sample" : o.data;
  const std::string ops = o.operators.empty() ? dir + "/operators.csv" : o.operators;
  std::string fac = o.facilities;
  if (fac.empty() && o.operators.empty() && fs::exists(dir + "/facilities.csv")) fac = dir + "/facilities.csv";
  require_readable(ops, "operator file");
  if (!fac.empty()) require_readable(fac, "facility file");
  std::size_t n_ops = 0, n_fac = 0;
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
    for (const auto& p : sink) problems.push_back(p.what());
    // the rating itself checks what needs the whole model (roll-ups, derived review measures)
    if (d && sink.empty()) {
      std::optional<civil_date> when = o.as_of.empty() ? (sample ? parse_date(sample_as_of) : std::nullopt) : parse_date(o.as_of);
      if (!o.as_of.empty() && !when) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", o.as_of)};
      if (when) {
        try {
          (void)rate(*m, *d, *when);
        } catch (const error& e) {
          problems.push_back(e.what());
        }
      }
    }
  }
  for (const auto& p : problems) err << p << '\n';
  if (!problems.empty()) {
    err << fmt::format("{} problem{} found\n", problems.size(), problems.size() == 1 ? "" : "s");
    return invalid_input;
  }
  out << fmt::format("ok: model {} {} (fingerprint {}), {} operators{}\n", m->info().id, m->info().version,
                     m->fingerprint().substr(0, 16), n_ops, fac.empty() ? "" : fmt::format(", {} facilities", n_fac));
  return ok;
}

// ---------------------------------------------------------------------------------------------
// command line

void add_input_options(CLI::App& cmd, input_options& o, bool with_as_of) {
  cmd.add_option("--model", o.model, "Model TOML file (default: the shipped wuhan-2024 model)");
  cmd.add_option("--data", o.data,
                 "Directory holding operators.csv and optionally facilities.csv (default: the shipped synthetic sample)");
  cmd.add_option("--operators", o.operators, "Operator CSV file (overrides <data>/operators.csv)");
  cmd.add_option("--facilities", o.facilities, "Facility (site) CSV file (overrides <data>/facilities.csv)");
  cmd.add_option("--encoding", o.encoding, "CSV text encoding: auto (UTF-8 with or without BOM, else GB18030), utf-8, gb18030, gbk")
      ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "gb18030", "gbk", "gb2312", "cp936"}, CLI::ignore_case));
  if (with_as_of)
    cmd.add_option("--as-of", o.as_of,
                   std::string("Evaluation date YYYY-MM-DD (required with your own data; the shipped sample defaults to ") +
                       sample_as_of + "; the clock is never read)");
  cmd.add_option("--lang", o.lang, "Language of labels and explanations: en or zh")->check(CLI::IsMember({"en", "zh"}));
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"embedrating — rates operators of community-embedded service facilities (社区嵌入式服务设施运营商) 1A–5A.",
               "embedrating"};
  app.set_version_flag("--version", std::string("embedrating ") + EMBEDRATING_VERSION_STRING);
  app.require_subcommand(1, 1);
  app.footer(
      "Exit status: 0 success; 1 a problem in the model or the data (validate found problems, unknown operator); "
      "2 bad command line; 3 a file cannot be read or written; 70 internal error.\n"
      "Run `embedrating COMMAND --help` for a command's options. Data directory: " + data_directory());

  rate_options ro;
  CLI::App* rate_cmd = app.add_subcommand("rate", "Rate every operator: a table (or CSV/JSON) and the grade distribution");
  add_input_options(*rate_cmd, ro.in, true);
  rate_cmd->add_option("--format", ro.format, "Output format: table (default), csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  rate_cmd->add_option("--output,-o", ro.output, "Write the result to FILE instead of standard output");
  rate_cmd->add_option("--directory", ro.directory,
                       "Also write the grade directory (等级评定目录) CSV: operator, grade, valid from/to, model fingerprint");
  rate_cmd->add_option("--valid-months", ro.valid_months, "Months a published grade stays valid (default 12; never past the model's effective_to)")
      ->check(CLI::Range(1, 60));
  rate_cmd->add_flag("--summary", ro.summary_only, "Table format: print only the header and the grade distribution");

  input_options eo;
  std::string operator_id;
  CLI::App* explain_cmd = app.add_subcommand("explain", "Explain one operator's grade: points, rules, gates to the next grade");
  explain_cmd->add_option("operator_id", operator_id, "The operator to explain")->required();
  add_input_options(*explain_cmd, eo, true);

  input_options vo;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Check a model and data files; report every problem with file, line and column");
  add_input_options(*validate_cmd, vo, true);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? ok : usage;
  }

  try {
    if (rate_cmd->parsed()) return cmd_rate(ro, out, err);
    if (explain_cmd->parsed()) return cmd_explain(eo, operator_id, out);
    if (validate_cmd->parsed()) return cmd_validate(vo, out, err);
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
