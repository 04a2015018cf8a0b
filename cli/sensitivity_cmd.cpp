// `embedrating sensitivity` (Monte Carlo over weights), `embedrating sensitivity oat` (one-at-a-time
// swings), `embedrating sensitivity near-line` and `embedrating compare MODEL_A MODEL_B` (issue 13):
// the same C++ functions the Python package calls (include/embedrating/sensitivity.hpp), printed
// as a table, CSV or JSON. Progress goes to stderr when it is a terminal. Exit statuses as cli.hpp.
#include "sensitivity_cmd.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <embedrating/embedrating.hpp>
#include <embedrating/sensitivity.hpp>

#include "cli.hpp"
#include "encoding.hpp"
#include "text_table.hpp"

namespace embedrating::cli {

namespace {

namespace fs = std::filesystem;
namespace es = embedrating::sensitivity;
using json = nlohmann::ordered_json;

struct input_opts {
  std::string model, data, operators, facilities, encoding = "auto", as_of;
};

struct output_opts {
  std::string format = "table";
  std::string output;
  std::string lang = "en";
  std::string output_encoding = "auto";
};

void require_readable(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw failure{io, fmt::format("cannot read {} \"{}\": {}", what, path, std::strerror(errno))};
}

civil_date evaluation_date(const input_opts& o) {
  const bool sample = o.data.empty() && o.operators.empty();
  std::string when = o.as_of;
  if (when.empty()) {
    if (!sample)
      throw failure{usage, std::string("--as-of DATE is required with your own data (the clock is never read; the shipped sample defaults to ") +
                               sample_as_of + ")"};
    when = sample_as_of;
  }
  const auto d = parse_date(when);
  if (!d) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", when)};
  return *d;
}

model load_model(const std::string& path) {
  const std::string p = path.empty() ? data_directory() + "/models/wuhan-2024.toml" : path;
  require_readable(p, path.empty() ? "the shipped model" : "model file");
  return model::load(p);
}

/// The dataset as the options say (defaults: the shipped sample), read for model `m`.
dataset load_data(const input_opts& o, const model& m) {
  const std::string dir = o.data.empty() ? data_directory() + "/sample" : o.data;
  if (!o.data.empty() && !fs::is_directory(o.data))
    throw failure{io, fmt::format("--data \"{}\" is not a directory (it holds operators.csv and optionally facilities.csv)", o.data)};
  const std::string ops = o.operators.empty() ? dir + "/operators.csv" : o.operators;
  std::string fac = o.facilities;
  if (fac.empty() && o.operators.empty() && fs::exists(dir + "/facilities.csv")) fac = dir + "/facilities.csv";
  require_readable(ops, "operator file");
  if (!fac.empty()) require_readable(fac, "facility file");
  dataset d = read_operators_csv(ops, m, o.encoding);
  if (!fac.empty()) d.set_facilities(read_facilities_csv(fac, m, d, o.encoding));
  return d;
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

/// The shortest text that reads back as the same double (CSV and JSON: exactly what Python sees).
std::string exact(double v) {
  if (std::isnan(v)) return "";
  return fmt::format("{}", v);
}
std::string fixed(double v, int digits) { return std::isnan(v) ? "—" : fmt::format("{:.{}f}", v, digits); }
std::string pct(double v) { return fmt::format("{:.1f}%", 100.0 * v); }

std::string grade_text(int lvl, bool zh) {
  const grade g = grade_from_level(lvl);
  return std::string(zh ? to_string_zh(g) : to_string(g));
}

/// The CSV header line: the English column names, or under --lang zh their Chinese names (the
/// values stay codes, as Python's frames have them).
std::string csv_header(const std::vector<std::string>& columns, bool zh) {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"operator_id", "运营商编号"}, {"status", "运营状态"}, {"grade", "等级"}, {"modal_grade", "众数等级"},
      {"stability", "稳定度"}, {"p_down", "降级概率"}, {"p_up", "升级概率"}, {"total", "总分"},
      {"total_mean", "总分均值"}, {"total_sd", "总分标准差"}, {"total_min", "总分最小值"}, {"total_max", "总分最大值"},
      {"resolution", "分辨率"}, {"clipped", "截断次数"}, {"kind", "类型"}, {"id", "编号"}, {"sign", "方向"},
      {"base", "当前值"}, {"value", "变动后值"}, {"moved_up", "升级数"}, {"moved_down", "降级数"},
      {"mean_change", "总分平均变动"}, {"mean_abs_change", "总分平均绝对变动"}, {"max_abs_change", "总分最大绝对变动"},
      {"direction", "方向"}, {"to", "变动后等级"}, {"gate", "门槛类型"}, {"level", "门槛等级"}, {"required", "要求"},
      {"actual", "实际"}, {"distance", "距离"}, {"grade_a", "模型A等级"}, {"grade_b", "模型B等级"},
      {"total_a", "模型A总分"}, {"total_b", "模型B总分"}, {"rank", "原因序号"}, {"action", "动作"},
      {"target", "目标等级"}, {"a", "模型A值"}, {"b", "模型B值"}, {"magnitude", "幅度"}};
  std::string line;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::string name = columns[c];
    if (zh) {
      bool found = false;
      for (const auto& [en, cn] : names)
        if (en == name) {
          name = cn;
          found = true;
          break;
        }
      if (!found && name.rfind("total_q", 0) == 0) name = "总分" + name.substr(7) + "%分位数";
      else if (!found && name.rfind("p_", 0) == 0) {
        for (int l = 0; l < grade_count; ++l)
          if (name == "p_" + std::string(to_string(grade_from_level(l)))) name = std::string(to_string_zh(grade_from_level(l))) + "概率";
      }
    }
    line += (c ? "," : "") + name;
  }
  return line + '\n';
}

json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

/// "5", "25", "2.5": the percent of a quantile probability, as Python names its columns.
std::string quantile_name(double q) { return fmt::format("total_q{}", 100.0 * q); }

/// Progress on stderr when it is a terminal (or forced): "monte carlo: 512/1000 draws".
struct progress_line {
  std::ostream* err = nullptr;
  bool on = false;
  void operator()(std::size_t done, std::size_t total) const {
    if (!on) return;
    *err << fmt::format("\rmonte carlo: {}/{} draws ({:.0f}%)", done, total, 100.0 * static_cast<double>(done) / static_cast<double>(total))
         << std::flush;
    if (done == total) *err << '\n';
  }
};

bool show_progress(const std::string& mode, std::ostream& err) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return &err == &std::cerr && isatty(STDERR_FILENO) != 0;
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo

struct mc_opts {
  input_opts in;
  output_opts out;
  std::size_t draws = 1000;
  std::uint64_t seed = 0;
  std::string method = "dirichlet";
  double concentration = 200.0, spread = 0.1, cutoff_jitter = 0.0;
  std::vector<double> quantiles = {0.05, 0.25, 0.5, 0.75, 0.95};
  bool no_quantiles = false;
  int threads = 1;
  double fragile = 0.1;
  bool all = false;
  std::string progress = "auto";
};

const char* const grade_names[] = {"unrated", "1A", "2A", "3A", "4A", "5A"};

int cmd_monte_carlo(const mc_opts& o, std::ostream& out, std::ostream& err) {
  const civil_date as_of = evaluation_date(o.in);
  if (!(o.fragile > 0.0 && o.fragile <= 1.0)) throw failure{usage, fmt::format("--fragile: a share in (0, 1], got {}", o.fragile)};
  const model m = load_model(o.in.model);
  const dataset d = load_data(o.in, m);
  es::monte_carlo_options mo;
  mo.draws = o.draws;
  mo.seed = o.seed;
  mo.noise = es::parse_weight_noise(o.method);
  mo.concentration = o.concentration;
  mo.spread = o.spread;
  mo.cutoff_jitter = o.cutoff_jitter;
  mo.quantiles = o.no_quantiles ? std::vector<double>{} : o.quantiles;
  mo.threads = o.threads;
  const progress_line bar{&err, show_progress(o.progress, err)};
  mo.progress = [&bar](std::size_t done, std::size_t total) { bar(done, total); };
  score_options so;
  so.compute_input_hash = false;
  const auto t0 = std::chrono::steady_clock::now();
  const scored s = score(m, d, as_of, so);
  for (const auto& w : s.run_warnings()) err << "warning: " << w << '\n';
  const es::monte_carlo_result r = es::monte_carlo(s, mo);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const ratings now = regrade(s, m);
  const std::vector<es::line_gate> fragile = es::fragile(now, r, o.fragile);
  const bool zh = o.out.lang == "zh";
  const std::size_t N = r.size(), Q = mo.quantiles.size();
  std::size_t active = 0;
  for (auto a : r.active) active += a;
  const bool with_totals = Q > 0;

  auto operator_row = [&](std::size_t i, std::vector<std::string>& cells) {
    cells.push_back(r.operator_ids[i]);
    cells.push_back(to_string(now.status[i]));
    cells.push_back(r.active[i] ? grade_names[r.grade[i]] : "");
    cells.push_back(r.active[i] ? grade_names[r.modal(i)] : "");
    cells.push_back(exact(r.stability(i)));
    cells.push_back(exact(r.probability_down(i)));
    cells.push_back(exact(r.probability_up(i)));
    for (int l = 0; l < grade_count; ++l) cells.push_back(exact(r.probability(i, l)));
    cells.push_back(exact(r.total[i]));
    if (with_totals) {
      cells.push_back(exact(r.total_mean[i]));
      cells.push_back(exact(r.total_sd[i]));
      cells.push_back(exact(r.total_min[i]));
      for (std::size_t q = 0; q < Q; ++q) cells.push_back(exact(r.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(q))));
      cells.push_back(exact(r.total_max[i]));
      cells.push_back(exact(r.resolution[i]));
      cells.push_back(std::to_string(r.clipped[i]));
    }
  };
  std::vector<std::string> header = {"operator_id", "status", "grade", "modal_grade", "stability", "p_down", "p_up"};
  for (const char* g : grade_names) header.push_back(std::string("p_") + g);
  header.push_back("total");
  if (with_totals) {
    header.insert(header.end(), {"total_mean", "total_sd", "total_min"});
    for (double q : mo.quantiles) header.push_back(quantile_name(q));
    header.insert(header.end(), {"total_max", "resolution", "clipped"});
  }

  auto emit = [&](std::ostream& os) {
    if (o.out.format == "csv") {
      os << csv_header(header, zh);
      std::vector<std::string> cells;
      for (std::size_t i = 0; i < N; ++i) {
        cells.clear();
        operator_row(i, cells);
        for (std::size_t c = 0; c < cells.size(); ++c) os << (c ? "," : "") << csv_field(cells[c]);
        os << '\n';
      }
      return;
    }
    if (o.out.format == "json") {
      json doc;
      doc["model"] = {{"id", m.info().id}, {"fingerprint", m.fingerprint()}};
      doc["as_of"] = to_string(as_of);
      doc["options"] = {{"draws", o.draws},         {"seed", o.seed},       {"method", o.method},
                        {"concentration", o.concentration}, {"spread", o.spread}, {"cutoff_jitter", o.cutoff_jitter},
                        {"quantiles", mo.quantiles}, {"threads", o.threads}};
      doc["memory"] = {{"accumulators", r.memory.accumulators}, {"draws", r.memory.draws},
                       {"tile_buffers", r.memory.tile_buffers}, {"engine_buffers", r.memory.engine_buffers},
                       {"total", r.memory.total()}};
      doc["kernel_isa"] = r.kernel_isa;
      json dist = json::array();
      for (int l = grade_count - 1; l >= 0; --l) {
        const auto& p = r.population[static_cast<std::size_t>(l)];
        dist.push_back({{"grade", grade_names[l]}, {"current", p.current}, {"expected", p.expected}, {"low", p.low}, {"high", p.high}});
      }
      dist.push_back({{"grade", "not_graded"}, {"current", r.not_graded}, {"expected", r.not_graded}, {"low", r.not_graded}, {"high", r.not_graded}});
      doc["distribution"] = dist;
      json ops = json::array();
      std::vector<std::string> cells;
      for (std::size_t i = 0; i < N; ++i) {
        json op;
        op["operator_id"] = r.operator_ids[i];
        op["status"] = to_string(now.status[i]);
        op["grade"] = r.active[i] ? json(grade_names[r.grade[i]]) : json(nullptr);
        op["modal_grade"] = r.active[i] ? json(grade_names[r.modal(i)]) : json(nullptr);
        op["stability"] = r.stability(i);
        op["p_down"] = r.probability_down(i);
        op["p_up"] = r.probability_up(i);
        for (int l = 0; l < grade_count; ++l) op[std::string("p_") + grade_names[l]] = r.probability(i, l);
        op["total"] = r.total[i];
        if (with_totals) {
          op["total_mean"] = r.total_mean[i];
          op["total_sd"] = r.total_sd[i];
          op["total_min"] = r.total_min[i];
          for (std::size_t q = 0; q < Q; ++q)
            op[quantile_name(mo.quantiles[q])] = r.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(q));
          op["total_max"] = r.total_max[i];
          op["resolution"] = r.resolution[i];
          op["clipped"] = r.clipped[i];
        }
        ops.push_back(op);
      }
      doc["operators"] = ops;
      json fj = json::array();
      for (const auto& g : fragile)
        fj.push_back({{"operator_id", r.operator_ids[g.row]}, {"direction", es::to_string(g.direction)},
                      {"gate", to_string(g.kind)}, {"id", g.id}, {"level", grade_names[level(g.level)]}, {"distance", g.distance}});
      doc["fragile"] = {{"share", o.fragile}, {"operators", fj}};
      os << doc.dump(2) << '\n';
      return;
    }
    // table
    const std::string how = o.method == "dirichlet" ? fmt::format("Dirichlet, concentration {}", o.concentration)
                            : o.method == "uniform" ? fmt::format("uniform ±{}%", 100.0 * o.spread)
                                                    : std::string(zh ? "权重不变" : "weights fixed");
    os << fmt::format(zh ? "权重蒙特卡洛分析 · 模型 {} · 评价日 {} · {} 家运营商 × {} 次抽样（{}{}，种子 {}）· 内存 {:.1f} MB\n\n"
                         : "Monte Carlo over weights · model {} · as of {} · {} operators × {} draws ({}{}, seed {}) · memory {:.1f} MB\n\n",
                      m.info().id, to_string(as_of), N, o.draws, how,
                      o.cutoff_jitter > 0 ? fmt::format(zh ? "，分数线 ±{} 分" : ", cut-offs ±{} points", o.cutoff_jitter) : "",
                      o.seed, static_cast<double>(r.memory.total()) / 1e6);
    text_table t;
    t.column(zh ? "等级" : "grade");
    t.column(zh ? "当前" : "now", text_table::align::right);
    t.column(zh ? "期望" : "expected", text_table::align::right);
    t.column(fmt::format(zh ? "{:.0f}% 区间" : "{:.0f}% interval", 100.0 * mo.interval), text_table::align::right);
    for (int l = grade_count - 1; l >= 0; --l) {
      const auto& p = r.population[static_cast<std::size_t>(l)];
      t.row({grade_text(l, zh), fmt::format("{:.0f}", p.current), fmt::format("{:.1f}", p.expected),
             fmt::format("{:.0f} – {:.0f}", p.low, p.high)});
    }
    t.row({zh ? "未参评" : "not graded", std::to_string(r.not_graded), "", ""});
    t.print(os);
    os << '\n'
       << fmt::format(zh ? "{} 家正常运营的运营商中有 {} 家（{}）在至少 {} 的抽样中等级变动：\n\n"
                         : "{1} of {0} active operators ({2}) change grade in at least {3} of the draws:\n\n",
                      active, fragile.size(), pct(active ? static_cast<double>(fragile.size()) / static_cast<double>(active) : 0.0),
                      pct(o.fragile));
    text_table f;
    f.column(zh ? "运营商" : "operator");
    f.column(zh ? "等级" : "grade");
    f.column(zh ? "众数等级" : "modal");
    f.column(zh ? "稳定度" : "stability", text_table::align::right);
    f.column("P(down)", text_table::align::right);
    f.column("P(up)", text_table::align::right);
    f.column(zh ? "总分" : "total", text_table::align::right);
    if (with_totals)
      f.column(fmt::format("{}–{}%", 100.0 * mo.quantiles.front(), 100.0 * mo.quantiles.back()), text_table::align::right);
    f.column(zh ? "决定门槛" : "deciding gate");
    f.column(zh ? "距离" : "distance", text_table::align::right);
    auto add = [&](std::size_t i, const es::line_gate* g) {
      std::vector<std::string> cells = {r.operator_ids[i], grade_text(r.grade[i], zh), grade_text(r.modal(i), zh),
                                        fixed(r.stability(i), 3), fixed(r.probability_down(i), 3),
                                        fixed(r.probability_up(i), 3), fixed(r.total[i], 2)};
      if (with_totals)
        cells.push_back(fmt::format("{:.1f} – {:.1f}", r.total_quantiles(static_cast<Eigen::Index>(i), 0),
                                    r.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(Q - 1))));
      if (g != nullptr) {
        cells.push_back(fmt::format("{} {} {} ({})", es::to_string(g->direction), to_string(g->kind), g->id, grade_names[level(g->level)]));
        cells.push_back(fixed(g->distance, 2));
      } else {
        cells.push_back("");
        cells.push_back("");
      }
      f.row(std::move(cells));
    };
    if (o.all) {
      for (std::size_t i = 0; i < N; ++i) {
        if (!r.active[i]) continue;
        const auto it = std::find_if(fragile.begin(), fragile.end(), [i](const es::line_gate& g) { return g.row == i; });
        add(i, it == fragile.end() ? nullptr : &*it);
      }
    } else {
      for (const auto& g : fragile) add(g.row, &g);
    }
    f.print(os);
    os << fmt::format(zh ? "\n用时 {:.2f} 秒；稳定度 = 与当前等级相同的抽样占比。\n" : "\n{:.2f} s; stability = share of draws with the current grade.\n", seconds);
  };
  write_output(o.out.output, out, emit, o.out.output_encoding, o.out.format == "csv");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// one at a time

struct oat_opts {
  input_opts in;
  output_opts out;
  double delta = 0.1, cutoff_delta = 10.0;
  int threads = 1;
};

int cmd_oat(const oat_opts& o, std::ostream& out, std::ostream& err) {
  const civil_date as_of = evaluation_date(o.in);
  const model m = load_model(o.in.model);
  const dataset d = load_data(o.in, m);
  score_options so;
  so.compute_input_hash = false;
  const scored s = score(m, d, as_of, so);
  for (const auto& w : s.run_warnings()) err << "warning: " << w << '\n';
  es::oat_options oo;
  oo.delta = o.delta;
  oo.cutoff_delta = o.cutoff_delta;
  oo.per_operator = false;
  oo.threads = o.threads;
  const es::oat_result r = es::one_at_a_time(s, oo);
  const bool zh = o.out.lang == "zh";
  std::size_t active = 0;
  for (auto a : r.active) active += a;
  auto emit = [&](std::ostream& os) {
    if (o.out.format == "csv") {
      os << csv_header({"kind", "id", "sign", "base", "value", "moved_up", "moved_down", "mean_change", "mean_abs_change", "max_abs_change"}, zh);
      for (const auto& v : r.variants)
        os << es::to_string(v.kind) << ',' << csv_field(v.id) << ',' << v.sign << ',' << exact(v.base) << ',' << exact(v.value) << ','
           << v.moved_up << ',' << v.moved_down << ',' << exact(v.mean_change) << ',' << exact(v.mean_abs_change) << ','
           << exact(v.max_abs_change) << '\n';
      return;
    }
    if (o.out.format == "json") {
      json doc;
      doc["model"] = {{"id", m.info().id}, {"fingerprint", m.fingerprint()}};
      doc["as_of"] = to_string(as_of);
      doc["delta"] = o.delta;
      doc["cutoff_delta"] = o.cutoff_delta;
      doc["active"] = active;
      json vs = json::array();
      for (const auto& v : r.variants)
        vs.push_back({{"kind", es::to_string(v.kind)}, {"id", v.id}, {"sign", v.sign}, {"base", v.base}, {"value", v.value},
                      {"moved_up", v.moved_up}, {"moved_down", v.moved_down}, {"mean_change", v.mean_change},
                      {"mean_abs_change", v.mean_abs_change}, {"max_abs_change", v.max_abs_change}});
      doc["variants"] = vs;
      os << doc.dump(2) << '\n';
      return;
    }
    os << fmt::format(zh ? "单因素敏感性 · 模型 {} · 评价日 {} · 权重与维度分值 ±{}%，分数线 ±{} 分 · {} 家正常运营的运营商\n\n"
                         : "One at a time · model {} · as of {} · weights and dimension totals ±{}%, cut-offs ±{} points · {} active operators\n\n",
                      m.info().id, to_string(as_of), 100.0 * o.delta, o.cutoff_delta, active);
    // parameters by the operators they move (both sides), largest first
    std::vector<std::size_t> order;
    for (std::size_t k = 0; k + 1 < r.variants.size(); k += 2) order.push_back(k);
    auto moved = [&](std::size_t k) {
      return r.variants[k].moved_up + r.variants[k].moved_down + r.variants[k + 1].moved_up + r.variants[k + 1].moved_down;
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return moved(a) > moved(b); });
    text_table t;
    t.column(zh ? "类型" : "kind");
    t.column(zh ? "参数" : "parameter");
    t.column(zh ? "当前" : "now", text_table::align::right);
    t.column("−δ", text_table::align::right);
    t.column("+δ", text_table::align::right);
    t.column(zh ? "−δ 升/降" : "−δ up/down", text_table::align::right);
    t.column(zh ? "+δ 升/降" : "+δ up/down", text_table::align::right);
    t.column(zh ? "−δ 平均|Δ总分|" : "−δ mean |Δ total|", text_table::align::right);
    t.column(zh ? "+δ 平均|Δ总分|" : "+δ mean |Δ total|", text_table::align::right);
    for (std::size_t k : order) {
      const auto& lo = r.variants[k];
      const auto& hi = r.variants[k + 1];
      const bool cut = lo.kind == es::parameter_kind::cutoff;
      const int digits = cut ? 1 : 4;
      t.row({es::to_string(lo.kind), lo.id, fixed(lo.base, digits), fixed(lo.value, digits), fixed(hi.value, digits),
             fmt::format("{}/{}", lo.moved_up, lo.moved_down), fmt::format("{}/{}", hi.moved_up, hi.moved_down),
             fixed(lo.mean_abs_change, 2), fixed(hi.mean_abs_change, 2)});
    }
    t.print(os);
  };
  write_output(o.out.output, out, emit, o.out.output_encoding, o.out.format == "csv");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// near the line

struct near_opts {
  input_opts in;
  output_opts out;
  double points = 5.0;
};

int cmd_near(const near_opts& o, std::ostream& out, std::ostream& err) {
  const civil_date as_of = evaluation_date(o.in);
  const model m = load_model(o.in.model);
  const dataset d = load_data(o.in, m);
  rate_options ro;
  ro.compute_input_hash = false;
  const ratings r = rate(m, d, as_of, ro);
  for (const auto& w : r.run_warnings) err << "warning: " << w << '\n';
  const std::vector<es::line_gate> near = es::near_the_line(r, o.points);
  const bool zh = o.out.lang == "zh";
  auto emit = [&](std::ostream& os) {
    if (o.out.format == "csv") {
      os << csv_header({"operator_id", "grade", "direction", "to", "gate", "id", "level", "required", "actual", "distance"}, zh);
      for (const auto& g : near)
        os << csv_field(r.operator_ids[g.row]) << ',' << grade_names[level(g.from)] << ',' << es::to_string(g.direction) << ','
           << grade_names[level(g.to)] << ',' << to_string(g.kind) << ',' << csv_field(g.id) << ',' << grade_names[level(g.level)] << ','
           << exact(g.required) << ',' << exact(g.actual) << ',' << exact(g.distance) << '\n';
      return;
    }
    if (o.out.format == "json") {
      json doc;
      doc["model"] = {{"id", m.info().id}, {"fingerprint", m.fingerprint()}};
      doc["as_of"] = to_string(as_of);
      doc["points"] = o.points;
      json a = json::array();
      for (const auto& g : near)
        a.push_back({{"operator_id", r.operator_ids[g.row]}, {"grade", grade_names[level(g.from)]},
                     {"direction", es::to_string(g.direction)}, {"to", grade_names[level(g.to)]}, {"gate", to_string(g.kind)},
                     {"id", g.id}, {"level", grade_names[level(g.level)]}, {"required", g.required}, {"actual", g.actual},
                     {"distance", g.distance}});
      doc["operators"] = a;
      os << doc.dump(2) << '\n';
      return;
    }
    os << fmt::format(zh ? "临界运营商（距决定门槛不超过 {} 分）· 模型 {} · 评价日 {} · {} 条\n\n"
                         : "Near the line (within {} points of the deciding gate) · model {} · as of {} · {} found\n\n",
                      o.points, m.info().id, to_string(as_of), near.size());
    text_table t;
    t.column(zh ? "运营商" : "operator");
    t.column(zh ? "等级" : "grade");
    t.column(zh ? "方向" : "direction");
    t.column(zh ? "门槛" : "gate");
    t.column(zh ? "要求" : "required", text_table::align::right);
    t.column(zh ? "实际" : "actual", text_table::align::right);
    t.column(zh ? "距离（分）" : "distance (points)", text_table::align::right);
    for (const auto& g : near) {
      const bool total = g.kind == gate_kind::total;
      t.row({r.operator_ids[g.row], grade_text(level(g.from), zh),
             fmt::format("{} → {}", zh ? (g.direction == es::direction_t::up ? "上升" : "下降") : es::to_string(g.direction),
                         grade_text(level(g.to), zh)),
             fmt::format("{} {} ({})", to_string(g.kind), g.id, grade_names[level(g.level)]), fixed(g.required, total ? 2 : 3),
             fixed(g.actual, total ? 2 : 3), fixed(g.distance, 2)});
    }
    t.print(os);
  };
  write_output(o.out.output, out, emit, o.out.output_encoding, o.out.format == "csv");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// compare

struct compare_opts {
  std::string model_a, model_b;
  input_opts in;
  output_opts out;
  std::size_t max_reasons = 0;
};

int cmd_compare(const compare_opts& o, std::ostream& out, std::ostream& err) {
  const civil_date as_of = evaluation_date(o.in);
  require_readable(o.model_a, "model file");
  require_readable(o.model_b, "model file");
  const model a = model::load(o.model_a), b = model::load(o.model_b);
  // each model reads the data its own way (the columns it declares)
  const dataset da = load_data(o.in, a), db = load_data(o.in, b);
  es::compare_options co;
  co.max_reasons = o.max_reasons;
  es::comparison c;
  if (structure_difference(a, b).empty()) {
    c = es::compare(a, b, da, as_of, co);
  } else {
    rate_options ro;
    ro.compute_input_hash = false;
    c = es::compare(rate(a, da, as_of, ro), rate(b, db, as_of, ro), co);
  }
  for (const auto& w : c.ratings_a.run_warnings) err << "warning: model A: " << w << '\n';
  for (const auto& w : c.ratings_b.run_warnings) err << "warning: model B: " << w << '\n';
  const bool zh = o.out.lang == "zh";
  const auto& sm = c.summary;
  auto reason_json = [](const es::move_reason& why) {
    const bool gate = why.kind == es::move_reason::kind_t::gate_a || why.kind == es::move_reason::kind_t::gate_b;
    return json{{"kind", es::to_string(why.kind)}, {"id", why.id}, {"action", why.action.empty() ? json(nullptr) : json(why.action)},
                {"gate", gate ? json(to_string(why.gate)) : json(nullptr)}, {"target", gate ? json(grade_names[level(why.target)]) : json(nullptr)},
                {"a", why.a}, {"b", why.b}, {"rank_class", why.rank_class}, {"magnitude", why.magnitude}};
  };
  auto reason_text = [&](const es::move_reason& why) {
    switch (why.kind) {
      case es::move_reason::kind_t::indicator: return fmt::format("{} {:.2f} → {:.2f}", why.id, why.a, why.b);
      case es::move_reason::kind_t::rule_a:
      case es::move_reason::kind_t::rule_b:
        return fmt::format("{} {} ({} {})", zh ? "规则" : "rule", why.id, why.action,
                           why.kind == es::move_reason::kind_t::rule_a ? (zh ? "仅模型 A" : "A only") : (zh ? "仅模型 B" : "B only"));
      default:
        return fmt::format("{} {} {} → {}{} ({})", zh ? "门槛" : "gate", to_string(why.gate), why.id, grade_names[level(why.target)],
                           why.rank_class == 1 ? fmt::format(zh ? "，差 {:.2f}" : ", {:.2f} short", why.magnitude) : "",
                           why.kind == es::move_reason::kind_t::gate_a ? (zh ? "仅模型 A" : "A only") : (zh ? "仅模型 B" : "B only"));
    }
  };
  auto emit = [&](std::ostream& os) {
    if (o.out.format == "csv") {
      os << csv_header({"operator_id", "grade_a", "grade_b", "total_a", "total_b", "rank", "kind", "id", "action", "gate", "target", "a", "b", "magnitude"}, zh);
      for (const auto& mo : c.moved) {
        const std::string head = fmt::format("{},{},{},{},{}", csv_field(c.operator_ids[mo.row]), grade_names[level(mo.from)],
                                             grade_names[level(mo.to)], exact(mo.total_a), exact(mo.total_b));
        if (mo.reasons.empty()) os << head << ",,,,,,,,,\n";
        for (std::size_t k = 0; k < mo.reasons.size(); ++k) {
          const auto& why = mo.reasons[k];
          const bool gate = why.kind == es::move_reason::kind_t::gate_a || why.kind == es::move_reason::kind_t::gate_b;
          os << head << ',' << k + 1 << ',' << es::to_string(why.kind) << ',' << csv_field(why.id) << ',' << why.action << ','
             << (gate ? to_string(why.gate) : "") << ',' << (gate ? grade_names[level(why.target)] : "") << ',' << exact(why.a)
             << ',' << exact(why.b) << ',' << exact(why.magnitude) << '\n';
        }
      }
      return;
    }
    if (o.out.format == "json") {
      json doc;
      doc["model_a"] = {{"file", o.model_a}, {"id", a.info().id}, {"fingerprint", a.fingerprint()}};
      doc["model_b"] = {{"file", o.model_b}, {"id", b.info().id}, {"fingerprint", b.fingerprint()}};
      doc["as_of"] = to_string(as_of);
      doc["summary"] = {{"operators", sm.operators}, {"active", sm.active}, {"moved", sm.moved}, {"moved_up", sm.moved_up},
                        {"moved_down", sm.moved_down}, {"max_shift", sm.max_shift}, {"mean_total_change", sm.mean_total_change},
                        {"kappa", number_or_null(sm.kappa)}, {"weighted_kappa", number_or_null(sm.weighted_kappa)},
                        {"same_structure", sm.same_structure}};
      json t = json::object();
      for (int ga = grade_count - 1; ga >= 0; --ga) {
        json row = json::object();
        for (int gb = grade_count - 1; gb >= 0; --gb) row[grade_names[gb]] = c.transitions[static_cast<std::size_t>(ga)][static_cast<std::size_t>(gb)];
        t[grade_names[ga]] = row;
      }
      doc["transitions"] = t;
      json moved = json::array();
      for (const auto& mo : c.moved) {
        json rs = json::array();
        for (const auto& why : mo.reasons) rs.push_back(reason_json(why));
        moved.push_back({{"operator_id", c.operator_ids[mo.row]}, {"grade_a", grade_names[level(mo.from)]},
                         {"grade_b", grade_names[level(mo.to)]}, {"total_a", mo.total_a}, {"total_b", mo.total_b}, {"reasons", rs}});
      }
      doc["moved"] = moved;
      os << doc.dump(2) << '\n';
      return;
    }
    os << fmt::format(zh ? "模型比较 · A {} ({}) → B {} ({}) · 评价日 {}\n" : "Model comparison · A {} ({}) → B {} ({}) · as of {}\n",
                      a.info().id, a.fingerprint().substr(0, 12), b.info().id, b.fingerprint().substr(0, 12), to_string(as_of));
    os << fmt::format(zh ? "{} 家运营商中 {} 家等级变动（升 {}，降 {}，最多 {} 级）；Cohen kappa {:.3f}，二次加权 kappa {:.3f}；总分平均变动 {:+.2f}\n\n"
                         : "{1} of {0} operators moved ({2} up, {3} down, at most {4} level(s)); Cohen's kappa {5:.3f}, quadratic-weighted {6:.3f}; mean total change {7:+.2f}\n\n",
                      sm.operators, sm.moved, sm.moved_up, sm.moved_down, sm.max_shift, sm.kappa, sm.weighted_kappa, sm.mean_total_change);
    text_table t;
    t.column(zh ? "A \\ B" : "A \\ B");
    for (int gb = grade_count - 1; gb >= 0; --gb) t.column(grade_text(gb, zh), text_table::align::right);
    for (int ga = grade_count - 1; ga >= 0; --ga) {
      std::vector<std::string> row = {grade_text(ga, zh)};
      for (int gb = grade_count - 1; gb >= 0; --gb) row.push_back(std::to_string(c.transitions[static_cast<std::size_t>(ga)][static_cast<std::size_t>(gb)]));
      t.row(std::move(row));
    }
    t.print(os);
    if (c.moved.empty()) return;
    os << '\n';
    text_table mv;
    mv.column(zh ? "运营商" : "operator");
    mv.column(zh ? "等级" : "grade");
    mv.column(zh ? "总分" : "total", text_table::align::right);
    mv.column(zh ? "原因（按重要性）" : "reasons (ranked)");
    for (const auto& mo : c.moved) {
      std::string why;
      for (std::size_t k = 0; k < mo.reasons.size() && k < 3; ++k) why += (k ? "; " : "") + reason_text(mo.reasons[k]);
      if (mo.reasons.size() > 3) why += fmt::format(zh ? "；另 {} 条" : "; {} more", mo.reasons.size() - 3);
      mv.row({c.operator_ids[mo.row], fmt::format("{} → {}", grade_text(level(mo.from), zh), grade_text(level(mo.to), zh)),
              fmt::format("{:.2f} → {:.2f}", mo.total_a, mo.total_b), why});
    }
    mv.print(os);
  };
  write_output(o.out.output, out, emit, o.out.output_encoding, o.out.format == "csv");
  return ok;
}

void add_inputs(CLI::App& c, input_opts& in, bool with_model) {
  if (with_model) c.add_option("--model", in.model, "Model TOML file (default: the shipped wuhan-2024 model)");
  c.add_option("--data", in.data, "Directory holding operators.csv and optionally facilities.csv (default: the shipped sample)");
  c.add_option("--operators", in.operators, "Operator CSV file (overrides <data>/operators.csv)");
  c.add_option("--facilities", in.facilities, "Facility (site) CSV file");
  c.add_option("--encoding", in.encoding, "CSV text encoding: auto, utf-8, gb18030, gbk")
      ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "gb18030", "gbk", "gb2312", "cp936"}, CLI::ignore_case));
  c.add_option("--as-of", in.as_of, std::string("Evaluation date YYYY-MM-DD (required with your own data; the sample defaults to ") + sample_as_of + ")");
}

void add_outputs(CLI::App& c, output_opts& out) {
  c.add_option("--format", out.format, "Output format: table (default), csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  c.add_option("--output,-o", out.output, "Write the result to FILE instead of standard output");
  c.add_option("--lang", out.lang, "Language of the table and of the CSV header: en or zh")->check(CLI::IsMember({"en", "zh"}));
  add_output_encoding_option(c, out.output_encoding);
}

}  // namespace

struct sensitivity_command::impl {
  CLI::App* sensitivity = nullptr;
  CLI::App* oat = nullptr;
  CLI::App* near = nullptr;
  CLI::App* compare = nullptr;
  mc_opts mc;
  oat_opts oo;
  near_opts no;
  compare_opts co;
};

sensitivity_command::sensitivity_command(CLI::App& app) : p_(std::make_unique<impl>()) {
  impl& p = *p_;
  p.sensitivity = app.add_subcommand(
      "sensitivity",
      "How stable is each grade: Monte Carlo over the weights (default), or `oat` (one-at-a-time swings), or `near-line`");
  p.sensitivity->require_subcommand(0, 1);
  add_inputs(*p.sensitivity, p.mc.in, true);
  add_outputs(*p.sensitivity, p.mc.out);
  p.sensitivity->add_option("--draws", p.mc.draws, "Weight draws (default 1000)")->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  p.sensitivity->add_option("--seed", p.mc.seed, "Seed of the counter-based generator (default 0; the same seed gives the same result everywhere)");
  p.sensitivity->add_option("--method", p.mc.method, "dirichlet (default), uniform or none")->check(CLI::IsMember({"dirichlet", "uniform", "none"}));
  p.sensitivity->add_option("--concentration", p.mc.concentration, "Dirichlet concentration (default 200; larger is tighter)");
  p.sensitivity->add_option("--spread", p.mc.spread, "Uniform noise: each weight × U(1 - x, 1 + x) (default 0.1)");
  p.sensitivity->add_option("--cutoff-jitter", p.mc.cutoff_jitter, "Each cut-off + U(-x, x) points (default 0)");
  p.sensitivity->add_option("--quantiles", p.mc.quantiles, "Quantiles of each operator's total (default 0.05,0.25,0.5,0.75,0.95)")->delimiter(',');
  p.sensitivity->add_flag("--no-quantiles", p.mc.no_quantiles, "Grades only (faster)");
  p.sensitivity->add_option("--threads", p.mc.threads, "Worker threads (the result does not depend on it)")->check(CLI::Range(1, 256));
  p.sensitivity->add_option("--fragile", p.mc.fragile, "List operators whose grade changes in at least this share of the draws (default 0.1)");
  p.sensitivity->add_flag("--all", p.mc.all, "Table format: list every active operator, not only the fragile ones");
  p.sensitivity->add_option("--progress", p.mc.progress, "Progress on stderr: auto (when it is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  p.oat = p.sensitivity->add_subcommand("oat", "One-at-a-time swings: each weight, dimension total and cut-off ±delta");
  add_inputs(*p.oat, p.oo.in, true);
  add_outputs(*p.oat, p.oo.out);
  p.oat->add_option("--delta", p.oo.delta, "Relative change of each weight and dimension total (default 0.1)");
  p.oat->add_option("--cutoff-delta", p.oo.cutoff_delta, "Points added to / taken from each cut-off (default 10)");
  p.oat->add_option("--threads", p.oo.threads, "Worker threads")->check(CLI::Range(1, 256));

  p.near = p.sensitivity->add_subcommand("near-line", "Operators within POINTS of the gate that decides their grade (up or down)");
  add_inputs(*p.near, p.no.in, true);
  add_outputs(*p.near, p.no.out);
  p.near->add_option("--points", p.no.points, "Distance in points (default 5)");

  p.compare = app.add_subcommand("compare", "Compare two models on the same operators: transitions, who moved and why, kappa");
  p.compare->add_option("model_a", p.co.model_a, "The model in force (TOML)")->required();
  p.compare->add_option("model_b", p.co.model_b, "The new model (TOML)")->required();
  add_inputs(*p.compare, p.co.in, false);
  add_outputs(*p.compare, p.co.out);
  p.compare->add_option("--max-reasons", p.co.max_reasons, "Keep at most N reasons per moved operator (default: all)");
}

sensitivity_command::~sensitivity_command() = default;

bool sensitivity_command::parsed() const { return p_->sensitivity->parsed() || p_->compare->parsed(); }

int sensitivity_command::run(std::ostream& out, std::ostream& err) const {
  try {
    if (p_->compare->parsed()) return cmd_compare(p_->co, out, err);
    if (p_->oat->parsed()) return cmd_oat(p_->oo, out, err);
    if (p_->near->parsed()) return cmd_near(p_->no, out, err);
    return cmd_monte_carlo(p_->mc, out, err);
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
