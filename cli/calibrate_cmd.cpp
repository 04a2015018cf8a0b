// `embedrating calibrate …` and `embedrating model diff A B` (issue 12): fit a model to a panel's
// agreed grades, cross-validate, write the fitted model (TOML) and an HTML report; list every
// difference between two models. Exit statuses as cli.hpp documents.
#include "calibrate_cmd.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <embedrating/directory.hpp>
#include <embedrating/calibrate.hpp>
#include <embedrating/embedrating.hpp>

#include "cli.hpp"
#include "encoding.hpp"
#include "text_table.hpp"

namespace embedrating::cli {

namespace {

namespace fs = std::filesystem;
namespace cal = embedrating::calibrate;
using json = nlohmann::ordered_json;

struct calibrate_opts {
  std::string benchmark, model, data, operators, facilities, encoding = "auto", as_of;
  std::string output, report;
  std::string fit = "joint";
  std::string cv = "loo";
  std::uint64_t seed = 1;
  double lambda = cal::fit_options{}.lambda;
  double margin = cal::fit_options{}.margin;
  double cutoff_penalty = cal::fit_options{}.cutoff_penalty;
  double floor_penalty = cal::fit_options{}.floor_penalty;
  bool fixed_dimension_totals = false;
  std::string id, version;
  std::string format = "table";
};

struct diff_opts {
  std::string a, b;
  std::string format = "table";
  std::string output;
  std::string output_encoding = "auto";
};

void require_readable(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw failure{io, fmt::format("cannot read {} \"{}\": {}", what, path, std::strerror(errno))};
}

template <class Writer>
void write_output(const std::string& path, std::ostream& out, Writer&& w, const std::string& encoding, bool csv) {
  std::ostringstream text;
  w(text);
  try {
    write_encoded(path, text.str(), encoding, csv, out);
  } catch (const std::runtime_error& e) {
    throw failure{io, e.what()};
  }
}

std::string level_name(int l) { return l < 0 ? std::string("not graded") : std::string(to_string(grade_from_level(l))); }
std::string num(double v, int digits) { return std::isnan(v) ? std::string("—") : fmt::format("{:.{}f}", v, digits); }

// ---------------------------------------------------------------------------------------------
// HTML

std::string esc(const std::string& s) { return html_escape(s); }  // the library's escaping (directory.hpp)

void agreement_row(std::string& h, const std::string& name, const cal::agreement_result& a) {
  h += fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", esc(name), a.n,
                   num(a.exact, 3), num(a.within_one, 3), num(a.kappa, 3), num(a.tau_b, 3), num(a.mean_abs_error, 3));
}

void confusion(std::string& h, const std::string& title, const cal::agreement_result& a) {
  std::int64_t top = 1;
  for (const auto& row : a.confusion)
    for (auto x : row) top = std::max(top, x);
  h += "<div class=\"er-cm\"><h4>" + esc(title) + "</h4><table class=\"er-heat\"><tr><th>agreed \\ model</th>";
  for (int p = 5; p >= 0; --p) h += "<th>" + level_name(p) + "</th>";
  h += "</tr>\n";
  for (int r = 5; r >= 0; --r) {
    h += "<tr><th>" + level_name(r) + "</th>";
    for (int p = 5; p >= 0; --p) {
      const auto x = a.confusion[static_cast<std::size_t>(r)][static_cast<std::size_t>(p)];
      const double share = static_cast<double>(x) / static_cast<double>(top);
      const char* hue = r == p ? "30,120,60" : "200,60,40";
      h += fmt::format("<td style=\"background:rgba({},{:.2f})\">{}</td>", hue, x == 0 ? 0.0 : 0.15 + 0.7 * share, x == 0 ? std::string() : std::to_string(x));
    }
    h += "</tr>\n";
  }
  h += "</table></div>\n";
}

}  // namespace

std::string calibration_report_html(const cal::cv_result& cv, const std::string& benchmark_file, const std::string& as_of) {
  const cal::fit_result& full = *cv.full;
  const model& m = full.fitted;
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Calibration report — " + esc(m.info().id) +
       "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}"
       "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:right}th{background:#f2f2f2}td.l,th.l{text-align:left}"
       ".er-cm{display:inline-block;margin-right:2em;vertical-align:top}.warn{color:#a33}</style></head><body>\n";
  h += "<h1>Calibration report 模型校准报告</h1>\n<p>Model <b>" + esc(m.info().id) + "</b> version " + esc(m.info().version) +
       " (fingerprint <code>" + m.fingerprint().substr(0, 16) + "</code>), fitted from <code>" +
       esc(m.info().provenance.parent_fingerprint.substr(0, 16)) + "</code> by " + esc(full.report.method) + ". Benchmark " +
       esc(benchmark_file) + ", as of " + esc(as_of) + ", " + std::to_string(full.report.cases) + " cases fitted, " +
       std::to_string(full.report.excluded.size()) + " excluded. Cross-validation: " + esc(cv.scheme) + ".</p>\n";
  h += "<p>Objective: " + esc(full.report.objective) + ".</p>\n";
  for (const auto& w : cv.warnings) h += "<p class=\"warn\">⚠ " + esc(w) + "</p>\n";
  for (const auto& w : full.report.warnings) h += "<p class=\"warn\">⚠ " + esc(w) + "</p>\n";
  h += "<h2>Agreement 一致性</h2>\n<table><tr><th class=\"l\"></th><th>n</th><th>exact</th><th>within one</th><th>kappa (quadratic)</th><th>tau-b</th><th>mean |error|</th></tr>\n";
  agreement_row(h, "current model", cv.current.stats);
  agreement_row(h, "fitted, in-sample", cv.in_sample.stats);
  agreement_row(h, "fitted, cross-validated", cv.cross_validated.stats);
  h += "</table>\n<h2>Confusion matrices 混淆矩阵</h2>\n";
  confusion(h, "current model", cv.current.stats);
  confusion(h, "fitted, in-sample", cv.in_sample.stats);
  confusion(h, "fitted, cross-validated", cv.cross_validated.stats);
  h += "<h2>Parameters 参数</h2>\n<table><tr><th class=\"l\">parameter</th><th>before</th><th>after</th><th>change</th><th>CV mean</th><th>CV min</th><th>CV max</th></tr>\n";
  for (const auto& p : cv.parameters) {
    const bool weight = p.name.rfind("weights.", 0) == 0;
    const double scale = weight ? m.total_points() : 1.0;  // weights shown as points
    const int digits = weight ? 2 : (p.name.find("min_total") != std::string::npos ? 2 : 4);
    h += fmt::format("<tr><td class=\"l\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", esc(p.name),
                     weight ? " (points)" : "", num(p.current * scale, digits), num(p.in_sample * scale, digits),
                     p.in_sample == p.current ? std::string() : num((p.in_sample - p.current) * scale, digits), num(p.mean * scale, digits),
                     num(p.min * scale, digits), num(p.max * scale, digits));
  }
  h += "</table>\n<h2>Disagreements of the fitted model 不一致的运营商</h2>\n<table><tr><th class=\"l\">operator</th><th>agreed</th><th>model</th><th>by score</th><th class=\"l\">why not the agreed grade</th><th class=\"l\">panel note</th></tr>\n";
  for (const auto& d : cv.in_sample.disagreements)
    h += fmt::format("<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>\n", esc(d.operator_id),
                     level_name(d.agreed), level_name(d.predicted), level_name(d.by_score), esc(d.why), esc(d.note));
  h += "</table>\n";
  if (!full.report.excluded.empty()) {
    h += "<h2>Cases the fit cannot move 无法通过参数调整的案例</h2>\n<table><tr><th class=\"l\">operator</th><th class=\"l\">reason</th></tr>\n";
    for (const auto& e : full.report.excluded) h += "<tr><td class=\"l\">" + esc(e.operator_id) + "</td><td class=\"l\">" + esc(e.reason) + "</td></tr>\n";
    h += "</table>\n";
  }
  h += "<h2>Objective trace 目标函数轨迹</h2>\n<table><tr><th>round</th><th class=\"l\">step</th><th>iteration</th><th>objective</th><th>data</th><th>penalty</th></tr>\n";
  const auto& tr = full.report.trace;
  for (std::size_t k = 0; k < tr.size(); ++k) {
    // long weight traces: the first 5, every 25th and the last of each run
    const bool last_of_run = k + 1 == tr.size() || tr[k + 1].step != tr[k].step || tr[k + 1].round != tr[k].round;
    if (tr[k].step == "weights" && tr[k].iteration >= 5 && tr[k].iteration % 25 != 0 && !last_of_run) continue;
    h += fmt::format("<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", tr[k].round, esc(tr[k].step),
                     tr[k].iteration, num(tr[k].objective, 4), num(tr[k].data, 4), num(tr[k].penalty, 4));
  }
  h += "</table>\n<p>Provenance: " + esc(m.info().provenance.note) + "</p>\n</body></html>\n";
  return h;
}

namespace {

int cmd_calibrate(const calibrate_opts& o, std::ostream& out, std::ostream& err) {
  const bool sample = o.data.empty() && o.operators.empty();
  if (o.as_of.empty() && !sample)
    throw failure{usage, "--as-of DATE is required with your own data (the clock is never read; the shipped sample defaults to 2025-12-31)"};
  const std::string when = o.as_of.empty() ? "2025-12-31" : o.as_of;
  const auto as_of = parse_date(when);
  if (!as_of) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", when)};
  int folds = 0;
  if (o.cv != "loo") {
    char* end = nullptr;
    const long k = std::strtol(o.cv.c_str(), &end, 10);
    if (end == o.cv.c_str() || *end != '\0' || k < 2) throw failure{usage, fmt::format("--cv: \"{}\" is not loo or a number of folds >= 2", o.cv)};
    folds = static_cast<int>(k);
  }
  const std::string dir = o.data.empty() ? data_directory() + "/sample" : o.data;
  if (!o.data.empty() && !fs::is_directory(o.data))
    throw failure{io, fmt::format("--data \"{}\" is not a directory (it holds operators.csv and optionally facilities.csv)", o.data)};
  const std::string model_path = o.model.empty() ? data_directory() + "/models/wuhan-2024.toml" : o.model;
  const std::string ops = o.operators.empty() ? dir + "/operators.csv" : o.operators;
  std::string fac = o.facilities;
  if (fac.empty() && o.operators.empty() && fs::exists(dir + "/facilities.csv")) fac = dir + "/facilities.csv";
  require_readable(model_path, "model file");
  require_readable(ops, "operator file");
  require_readable(o.benchmark, "benchmark file");
  if (!fac.empty()) require_readable(fac, "facility file");
  const model m = model::load(model_path);
  dataset d = read_operators_csv(ops, m, o.encoding);
  if (!fac.empty()) d.set_facilities(read_facilities_csv(fac, m, d, o.encoding));
  const cal::benchmark b = cal::read_benchmark_csv(o.benchmark);
  const scored s = score(m, d, *as_of);
  for (const auto& w : s.run_warnings()) err << "warning: " << w << '\n';
  cal::cv_options co;
  co.method = cal::parse_fit_method(o.fit);
  co.folds = folds;
  co.seed = o.seed;
  co.fit.lambda = o.lambda;
  co.fit.margin = o.margin;
  co.fit.cutoff_penalty = o.cutoff_penalty;
  co.fit.floor_penalty = o.floor_penalty;
  co.fit.fixed_dimension_totals = o.fixed_dimension_totals;
  co.fit.id = o.id;
  co.fit.version = o.version;
  const cal::cv_result cv = cal::cross_validate(s, b, co);
  const model& fitted = cv.full->fitted;
  for (const auto& w : cv.full->report.warnings) err << "warning: " << w << '\n';
  for (const auto& w : cv.warnings) err << "warning: " << w << '\n';
  if (!o.output.empty()) {
    const std::string why = embedrating::write_output_file(o.output, fitted.to_toml());
    if (!why.empty()) throw failure{io, fmt::format("cannot write \"{}\": {}", o.output, why)};
  }
  if (!o.report.empty()) {
    const std::string why = embedrating::write_output_file(o.report, calibration_report_html(cv, o.benchmark, when));
    if (!why.empty()) throw failure{io, fmt::format("cannot write \"{}\": {}", o.report, why)};
  }
  if (o.format == "json") {
    json doc;
    doc["method"] = cv.full->report.method;
    doc["as_of"] = when;
    doc["model"] = {{"id", fitted.info().id}, {"version", fitted.info().version}, {"fingerprint", fitted.fingerprint()},
                    {"parent_fingerprint", fitted.info().provenance.parent_fingerprint}};
    doc["cross_validation"] = cv.scheme;
    auto stats = [](const cal::agreement_result& a) {
      return json{{"n", a.n}, {"exact", a.exact}, {"within_one", a.within_one}, {"kappa", a.kappa},
                  {"tau_b", std::isnan(a.tau_b) ? json(nullptr) : json(a.tau_b)}};
    };
    doc["agreement"] = {{"current", stats(cv.current.stats)}, {"in_sample", stats(cv.in_sample.stats)},
                        {"cross_validated", stats(cv.cross_validated.stats)}};
    json params = json::array();
    for (const auto& p : cv.full->report.parameters)
      if (p.moved()) params.push_back({{"name", p.name}, {"before", p.before}, {"after", p.after}});
    doc["moved"] = params;
    doc["warnings"] = cv.warnings;
    out << doc.dump(2) << '\n';
    return ok;
  }
  out << fmt::format("calibration · {} · model {} {} → {} · as of {} · {} benchmark cases ({} fitted) · {}\n\n", cv.full->report.method,
                     m.info().id, m.info().version, fitted.info().version, when, b.size(), cv.full->report.cases, cv.scheme);
  text_table t;
  t.column("");
  t.column("n", text_table::align::right);
  t.column("exact", text_table::align::right);
  t.column("within one", text_table::align::right);
  t.column("kappa", text_table::align::right);
  t.column("tau-b", text_table::align::right);
  auto row = [&](const char* name, const cal::agreement_result& a) {
    t.row({name, std::to_string(a.n), num(a.exact, 3), num(a.within_one, 3), num(a.kappa, 3), num(a.tau_b, 3)});
  };
  row("current model", cv.current.stats);
  row("fitted, in-sample", cv.in_sample.stats);
  row("fitted, cross-validated", cv.cross_validated.stats);
  t.print(out);
  std::size_t moved = 0;
  for (const auto& p : cv.full->report.parameters) moved += p.moved() ? 1u : 0u;
  out << fmt::format("\n{} of {} parameters moved; fitted model fingerprint {}\n", moved, cv.full->report.parameters.size(), fitted.fingerprint());
  if (!o.output.empty()) out << "model written to " << o.output << '\n';
  if (!o.report.empty()) out << "report written to " << o.report << '\n';
  return ok;
}

int cmd_diff(const diff_opts& o, std::ostream& out) {
  require_readable(o.a, "model file");
  require_readable(o.b, "model file");
  const model a = model::load(o.a), b = model::load(o.b);
  const std::vector<model_change> changes = a.diff(b);
  auto emit = [&](std::ostream& s) {
    if (o.format == "json") {
      json doc;
      doc["a"] = {{"file", o.a}, {"id", a.info().id}, {"version", a.info().version}, {"fingerprint", a.fingerprint()}};
      doc["b"] = {{"file", o.b}, {"id", b.info().id}, {"version", b.info().version}, {"fingerprint", b.fingerprint()}};
      json rows = json::array();
      for (const auto& c : changes)
        rows.push_back({{"section", c.section}, {"item", c.item}, {"field", c.field}, {"before", c.before}, {"after", c.after}});
      doc["changes"] = rows;
      s << doc.dump(2) << '\n';
      return;
    }
    if (o.format == "csv") {
      s << "section,item,field,before,after\n";
      for (const auto& c : changes)
        s << csv_field(c.section) << ',' << csv_field(c.item) << ',' << csv_field(c.field) << ',' << csv_field(c.before) << ','
          << csv_field(c.after) << '\n';
      return;
    }
    s << fmt::format("A: {} {} ({})\nB: {} {} ({})\n", a.info().id, a.info().version, a.fingerprint().substr(0, 16), b.info().id,
                     b.info().version, b.fingerprint().substr(0, 16));
    if (changes.empty()) {
      s << "\nno differences\n";
      return;
    }
    s << fmt::format("{} difference{}{}\n\n", changes.size(), changes.size() == 1 ? "" : "s",
                     a.fingerprint() == b.fingerprint() ? " (labels, sources or provenance only: same fingerprint)" : "");
    text_table t;
    t.column("section");
    t.column("item");
    t.column("field");
    t.column("before", text_table::align::right);
    t.column("after", text_table::align::right);
    auto clip = [](const std::string& x) { return x.size() > 60 ? x.substr(0, 57) + "..." : x; };
    for (const auto& c : changes) t.row({c.section, c.item, c.field, clip(c.before), clip(c.after)});
    t.print(s);
  };
  write_output(o.output, out, emit, o.output_encoding, o.format == "csv");
  return ok;
}

}  // namespace

struct calibrate_command::impl {
  CLI::App* calibrate = nullptr;
  CLI::App* model_cmd = nullptr;
  CLI::App* diff = nullptr;
  calibrate_opts c;
  diff_opts d;
};

calibrate_command::calibrate_command(CLI::App& app) : p_(std::make_unique<impl>()) {
  impl& p = *p_;
  p.calibrate = app.add_subcommand(
      "calibrate", "Fit weights, cut-offs and floors to a benchmark of agreed grades; cross-validate; write the fitted model and a report");
  CLI::App* c = p.calibrate;
  c->add_option("--benchmark,-b", p.c.benchmark, "Benchmark CSV: operator_id, agreed_grade, optionally panel_note (data/sample/benchmark.csv)")->required();
  c->add_option("--model", p.c.model, "Model TOML file to start from (default: the shipped wuhan-2024 model)");
  c->add_option("--data", p.c.data, "Directory holding operators.csv and optionally facilities.csv (default: the shipped sample)");
  c->add_option("--operators", p.c.operators, "Operator CSV file (overrides <data>/operators.csv)");
  c->add_option("--facilities", p.c.facilities, "Facility (site) CSV file");
  c->add_option("--encoding", p.c.encoding, "CSV text encoding: auto, utf-8, gb18030, gbk")
      ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "gb18030", "gbk", "gb2312", "cp936"}, CLI::ignore_case));
  c->add_option("--as-of", p.c.as_of, "Evaluation date YYYY-MM-DD (required with your own data; the sample defaults to 2025-12-31)");
  c->add_option("--output,-o", p.c.output, "Write the fitted model (TOML) to FILE");
  c->add_option("--report", p.c.report, "Write the calibration report (HTML) to FILE");
  c->add_option("--fit", p.c.fit, "What to fit: weights, cutoffs, floors or joint (default)")
      ->check(CLI::IsMember({"weights", "cutoffs", "floors", "joint"}));
  c->add_option("--cv", p.c.cv, "Cross-validation: loo (leave-one-out, default) or a number of folds K (stratified, seeded)");
  c->add_option("--seed", p.c.seed, "Seed of the k-fold assignment (default 1)");
  c->add_option("--lambda", p.c.lambda, "Pull toward the current weights, per point² (default 0.02)")->check(CLI::NonNegativeNumber);
  c->add_option("--margin", p.c.margin, "Margin in points the weight fit asks of every gate (default 2)")->check(CLI::NonNegativeNumber);
  c->add_option("--cutoff-penalty", p.c.cutoff_penalty, "Ordinal errors a cut-off must save per point moved (default 0.02)")->check(CLI::NonNegativeNumber);
  c->add_option("--floor-penalty", p.c.floor_penalty, "Ordinal errors a floor must save per 0.01 moved (default 0.1)")->check(CLI::NonNegativeNumber);
  c->add_flag("--fixed-dimension-totals", p.c.fixed_dimension_totals, "Keep every dimension's points (fit indicators within dimensions)");
  c->add_option("--id", p.c.id, "Id of the fitted model (default: the parent's)");
  c->add_option("--version", p.c.version, "Version of the fitted model (default: the parent's + \"+\" + 8 hex digits of its fingerprint)");
  c->add_option("--format", p.c.format, "Output format of the summary: table (default) or json")->check(CLI::IsMember({"table", "json"}));
  p.model_cmd = app.add_subcommand("model", "Models: compare two model files");
  p.model_cmd->require_subcommand(1, 1);
  p.diff = p.model_cmd->add_subcommand("diff", "Every difference between model A and model B: points, weights, cut-offs, floors, rules, settings, labels, provenance");
  p.diff->add_option("a", p.d.a, "Model A (before)")->required();
  p.diff->add_option("b", p.d.b, "Model B (after)")->required();
  p.diff->add_option("--format", p.d.format, "Output format: table (default), csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  p.diff->add_option("--output,-o", p.d.output, "Write the result to FILE instead of standard output");
  add_output_encoding_option(*p.diff, p.d.output_encoding);
}

calibrate_command::~calibrate_command() = default;

bool calibrate_command::parsed() const { return p_->calibrate->parsed() || p_->model_cmd->parsed(); }

int calibrate_command::run(std::ostream& out, std::ostream& err) const {
  try {
    if (p_->calibrate->parsed()) return cmd_calibrate(p_->c, out, err);
    if (p_->diff->parsed()) return cmd_diff(p_->d, out);
    err << "embedrating: model: no command given (diff)\n";
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
