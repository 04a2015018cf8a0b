// `embedrating weights …` (issue 11): AHP of a pairwise matrix in a CSV file, and objective weights
// (entropy, CRITIC, standard deviation, coefficient of variation) of the model's leaf scores on a
// dataset. Output as a table, CSV or JSON. Exit statuses as cli.hpp documents.
#include "weights_cmd.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <embedrating/embedrating.hpp>
#include <embedrating/weights.hpp>

#include "cli.hpp"
#include "encoding.hpp"
#include "text_table.hpp"

namespace embedrating::cli {

namespace {

namespace fs = std::filesystem;
namespace ew = embedrating::weights;
using json = nlohmann::ordered_json;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

/// Fields of one CSV line (RFC 4180 quotes; no line breaks inside fields).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t k = 0; k < line.size(); ++k) {
    const char c = line[k];
    if (quoted) {
      if (c == '"' && k + 1 < line.size() && line[k + 1] == '"') {
        out.back() += '"';
        ++k;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

/// A judgement cell: a number, or a fraction p/q of two numbers.
std::optional<double> parse_cell(const std::string& cell) {
  auto number = [](const std::string& s) -> std::optional<double> {
    const std::string t = trim(s);
    if (t.empty()) return std::nullopt;
    // decimal only, as every reader (src/text_checks.hpp): no hex, inf, nan or trailing text
    std::size_t i = (t[0] == '+' || t[0] == '-') ? 1 : 0, digits = 0;
    for (; i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'); ++i) digits += t[i] != '.';
    if (digits == 0) return std::nullopt;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      ++i;
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
      const std::size_t e0 = i;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      if (i == e0) return std::nullopt;
    }
    if (i != t.size() || std::count(t.begin(), t.end(), '.') > 1) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || (errno == ERANGE && std::fabs(v) > 1.0) || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  const auto slash = cell.find('/');
  if (slash == std::string::npos) return number(cell);
  const auto p = number(cell.substr(0, slash)), q = number(cell.substr(slash + 1));
  if (!p || !q || *q == 0.0) return std::nullopt;
  return *p / *q;
}

struct pairwise_file {
  std::vector<std::string> ids;
  Eigen::MatrixXd matrix;
  std::uint32_t header_line = 1;
  std::vector<std::uint32_t> row_lines;  ///< the file line of each matrix row
};

[[noreturn]] void data_failure(const std::string& file, std::uint32_t line, std::uint32_t column, const std::string& what) {
  error_location where;
  where.file = file;
  where.line = line;
  where.column = column;
  throw data_error(where, what);
}

/// The AHP CSV format (docs/weights.md): a header row (first cell ignored, then the element ids),
/// then one row per element in the same order, its id first; cells are numbers or fractions.
/// UTF-8 with or without BOM; blank lines and lines starting with # are skipped.
pairwise_file read_pairwise_csv(const std::string& path) {
  std::string text;  // read at most 1 MiB (a pipe or /dev/zero is not read without bound)
  const std::string why = embedrating::read_file_bounded(path, std::size_t{1} << 20, text);
  if (why.rfind("larger", 0) == 0) throw failure{invalid_input, fmt::format("{}: larger than 1 MiB: not a pairwise matrix", path)};
  if (!why.empty()) throw failure{io, fmt::format("cannot read pairwise matrix \"{}\": {}", path, why)};
  if (text.find('\0') != std::string::npos)
    throw failure{invalid_input, fmt::format("{}: a NUL byte (\\x00): not a text pairwise matrix", path)};
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::istringstream in(text);
  std::vector<std::pair<std::uint32_t, std::vector<std::string>>> rows;
  std::uint32_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    rows.emplace_back(line_no, split_csv(line));
  }
  if (rows.empty()) data_failure(path, 0, 0, "no header row: the file is empty");
  pairwise_file out;
  out.header_line = rows[0].first;
  const auto& header = rows[0].second;
  std::set<std::string> seen;
  for (std::size_t k = 1; k < header.size(); ++k) {
    const std::string id = trim(header[k]);
    const auto col = static_cast<std::uint32_t>(k + 1);
    if (id.empty()) data_failure(path, out.header_line, col, "empty id in the header row");
    if (!seen.insert(id).second) data_failure(path, out.header_line, col, "id \"" + id + "\" appears twice in the header row");
    out.ids.push_back(id);
  }
  const std::size_t n = out.ids.size();
  if (n == 0) data_failure(path, out.header_line, 1, "the header row names no elements (first cell empty or a label, then one id per column)");
  if (rows.size() - 1 != n)
    data_failure(path, rows.back().first, 1,
                 fmt::format("{} row(s) of judgements for {} ids in the header: the matrix must be square", rows.size() - 1, n));
  out.matrix.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& [ln, cells] = rows[i + 1];
    out.row_lines.push_back(ln);
    if (cells.size() != n + 1)
      data_failure(path, ln, 1, fmt::format("{} fields, expected {} (the id and {} judgements)", cells.size(), n + 1, n));
    const std::string id = trim(cells[0]);
    if (id != out.ids[i])
      data_failure(path, ln, 1,
                   fmt::format("row id \"{}\" differs from the header's id \"{}\" at the same position (rows follow the columns' order)",
                               id, out.ids[i]));
    for (std::size_t j = 0; j < n; ++j) {
      const auto v = parse_cell(cells[j + 1]);
      if (!v)
        data_failure(path, ln, static_cast<std::uint32_t>(j + 2),
                     fmt::format("({}, {}): \"{}\" is not a number or a fraction like 1/3", out.ids[i], out.ids[j], trim(cells[j + 1])));
      out.matrix(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = *v;
    }
  }
  return out;
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

std::string fixed(double v, int digits) { return fmt::format("{:.{}f}", v, digits); }

// ---------------------------------------------------------------------------------------------
// ahp

struct ahp_opts {
  std::string file;
  std::string method = "eigen";
  std::string ri = "saaty1980";
  double tolerance = 0.01;
  std::string format = "table";
  std::string output;
  std::string output_encoding = "auto";
};

int cmd_ahp(const ahp_opts& o, std::ostream& out, std::ostream&) {
  ew::ahp_options opt;
  opt.method = ew::parse_ahp_method(o.method);
  opt.tolerance = o.tolerance;
  if (o.ri.find(',') != std::string::npos || (!o.ri.empty() && (std::isdigit(static_cast<unsigned char>(o.ri[0])) != 0))) {
    for (const auto& part : split_csv(o.ri)) {
      const auto v = parse_cell(part);
      if (!v) throw failure{usage, fmt::format("--ri: \"{}\" is neither a table name nor a list of numbers", o.ri)};
      opt.ri_values.push_back(*v);
    }
  } else {
    opt.ri = o.ri;
    (void)ew::random_index(o.ri);  // unknown names are a usage error below
  }
  const pairwise_file pf = read_pairwise_csv(o.file);
  opt.ids = pf.ids;
  Eigen::Index bi = 0, bj = 0;
  const std::string problem = ew::pairwise_matrix_problem(pf.matrix, opt.tolerance, pf.ids, bi, bj);
  if (!problem.empty())
    data_failure(o.file, pf.row_lines[static_cast<std::size_t>(bi)], static_cast<std::uint32_t>(bj + 2), problem);
  const ew::ahp_result r = ew::ahp(pf.matrix, opt);
  const Eigen::VectorXd rank = ew::rank(r.weights);
  auto emit = [&](std::ostream& s) {
    if (o.format == "json") {
      json doc;
      doc["file"] = o.file;
      doc["method"] = ew::to_string(r.method);
      doc["ri_table"] = r.ri_table;
      doc["ri"] = r.ri;
      doc["lambda_max"] = r.lambda_max;
      doc["ci"] = r.ci;
      doc["cr"] = r.cr;
      doc["consistent"] = r.consistent;
      json wj = json::object();
      for (std::size_t k = 0; k < pf.ids.size(); ++k) wj[pf.ids[k]] = r.weights[static_cast<Eigen::Index>(k)];
      doc["weights"] = wj;
      if (r.worst) {
        doc["worst"] = {{"row", pf.ids[static_cast<std::size_t>(r.worst->i)]},
                        {"column", pf.ids[static_cast<std::size_t>(r.worst->j)]},
                        {"value", r.worst->value},
                        {"suggested", r.worst->suggested},
                        {"ratio", r.worst->ratio},
                        {"cr_after", r.worst->cr_after}};
      } else {
        doc["worst"] = nullptr;
      }
      s << doc.dump(2) << '\n';
      return;
    }
    if (o.format == "csv") {
      s << "id,weight,rank,method,lambda_max,ci,ri,ri_table,cr,consistent\n";
      for (std::size_t k = 0; k < pf.ids.size(); ++k) {
        const auto e = static_cast<Eigen::Index>(k);
        s << csv_field(pf.ids[k]) << ',' << fmt::format("{}", r.weights[e]) << ',' << fmt::format("{}", rank[e]) << ','
          << ew::to_string(r.method) << ',' << fmt::format("{}", r.lambda_max) << ',' << fmt::format("{}", r.ci) << ','
          << fmt::format("{}", r.ri) << ',' << r.ri_table << ',' << fmt::format("{}", r.cr) << ','
          << (r.consistent ? "true" : "false") << '\n';
      }
      return;
    }
    s << fmt::format("AHP of {} ({} x {}, method {})\n\n", o.file, pf.ids.size(), pf.ids.size(), ew::to_string(r.method));
    text_table t;
    t.column("id");
    t.column("weight", text_table::align::right);
    t.column("rank", text_table::align::right);
    for (std::size_t k = 0; k < pf.ids.size(); ++k) {
      const auto e = static_cast<Eigen::Index>(k);
      t.row({pf.ids[k], fixed(r.weights[e], 4), fmt::format("{}", rank[e])});
    }
    t.print(s);
    s << fmt::format("\nlambda_max {:.4f} · CI {:.4f} · RI {} ({}) · CR {:.4f} · {}\n", r.lambda_max, r.ci, r.ri, r.ri_table,
                     r.cr, r.consistent ? "consistent (CR < 0.1)" : "NOT consistent (CR >= 0.1)");
    if (r.worst)
      s << fmt::format("worst judgement: ({}, {}) = {}; revising it to {:.3g} lowers CR to {:.4f}\n",
                       pf.ids[static_cast<std::size_t>(r.worst->i)], pf.ids[static_cast<std::size_t>(r.worst->j)],
                       r.worst->value, r.worst->suggested, r.worst->cr_after);
  };
  write_output(o.output, out, emit, o.output_encoding, o.format == "csv");
  return ok;
}

// ---------------------------------------------------------------------------------------------
// entropy | critic | std-dev | cv over the model's leaf scores

struct data_opts {
  std::string method;  ///< entropy, critic, std-dev, cv
  std::string model, data, operators, facilities, encoding = "auto", as_of;
  std::vector<std::string> types;  ///< id=-1 …
  std::string na = "drop_rows";
  bool all_operators = false;
  std::string format = "table";
  std::string output;
  std::string output_encoding = "auto";
};

struct leaf_matrix {
  Eigen::MatrixXd scores;               ///< operators × leaves; NaN = not applicable
  std::vector<std::string> operator_ids;
  std::vector<std::string> leaf_ids;
  std::vector<bool> active;
  std::vector<std::string> warnings;
};

/// The one place the CLI makes a decision matrix from data: the leaf scores of score() (the
/// weight-independent part of a rating; no points or grades are computed).
leaf_matrix leaf_scores(const model& m, const dataset& d, civil_date as_of) {
  score_options opts;
  opts.compute_input_hash = false;
  const scored s = score(m, d, as_of, opts);
  leaf_matrix out;
  out.scores = s.leaf_scores();
  out.operator_ids = s.operator_ids();
  out.leaf_ids = m.leaf_ids();
  for (const auto st : s.status()) out.active.push_back(st == operator_status::active);
  out.warnings = s.run_warnings();
  return out;
}

void require_readable(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw failure{io, fmt::format("cannot read {} \"{}\": {}", what, path, std::strerror(errno))};
}

int cmd_data(const data_opts& o, std::ostream& out, std::ostream& err) {
  const bool sample = o.data.empty() && o.operators.empty();
  std::string when = o.as_of;
  if (when.empty()) {
    if (!sample)
      throw failure{usage, std::string("--as-of DATE is required with your own data (the clock is never read; the shipped sample defaults to ") +
                               sample_as_of + ")"};
    when = sample_as_of;
  }
  const auto as_of = parse_date(when);
  if (!as_of) throw failure{usage, fmt::format("--as-of: \"{}\" is not a date YYYY-MM-DD", when)};
  if (o.na != "drop_rows" && o.na != "error") throw failure{usage, "--na must be drop_rows or error"};
  const std::string dir = o.data.empty() ? data_directory() + "/sample" : o.data;
  if (!o.data.empty() && !fs::is_directory(o.data))
    throw failure{io, fmt::format("--data \"{}\" is not a directory (it holds operators.csv and optionally facilities.csv)", o.data)};
  const std::string model_path = o.model.empty() ? data_directory() + "/models/wuhan-2024.toml" : o.model;
  const std::string ops = o.operators.empty() ? dir + "/operators.csv" : o.operators;
  std::string fac = o.facilities;
  if (fac.empty() && o.operators.empty() && fs::exists(dir + "/facilities.csv")) fac = dir + "/facilities.csv";
  require_readable(model_path, "model file");
  require_readable(ops, "operator file");
  if (!fac.empty()) require_readable(fac, "facility file");
  const model m = model::load(model_path);
  dataset d = read_operators_csv(ops, m, o.encoding);
  if (!fac.empty()) d.set_facilities(read_facilities_csv(fac, m, d, o.encoding));

  const leaf_matrix lm = leaf_scores(m, d, *as_of);
  for (const auto& w : lm.warnings) err << "warning: " << w << '\n';
  // rows: active operators (unless --all-operators), then the NA policy
  std::vector<Eigen::Index> keep;
  std::size_t dropped_inactive = 0, dropped_na = 0;
  const Eigen::Index leaves = lm.scores.cols();
  for (Eigen::Index i = 0; i < lm.scores.rows(); ++i) {
    if (!o.all_operators && !lm.active[static_cast<std::size_t>(i)]) {
      ++dropped_inactive;
      continue;
    }
    Eigen::Index bad = -1;
    for (Eigen::Index j = 0; j < leaves && bad < 0; ++j)
      if (std::isnan(lm.scores(i, j))) bad = j;
    if (bad >= 0) {
      if (o.na == "error") {
        error_location where;
        where.field = lm.leaf_ids[static_cast<std::size_t>(bad)];
        where.operator_id = lm.operator_ids[static_cast<std::size_t>(i)];
        throw data_error(where, "no score (not applicable) and --na error; --na drop_rows drops such operators");
      }
      ++dropped_na;
      continue;
    }
    keep.push_back(i);
  }
  if (keep.size() < 2)
    throw failure{invalid_input, fmt::format("{}: {} operator(s) left after dropping {} with a not-applicable score and {} not active; at least 2 are needed",
                                             o.method, keep.size(), dropped_na, dropped_inactive)};
  Eigen::MatrixXd x(static_cast<Eigen::Index>(keep.size()), leaves);
  for (std::size_t r = 0; r < keep.size(); ++r) x.row(static_cast<Eigen::Index>(r)) = lm.scores.row(keep[r]);
  ew::labels names;
  for (const Eigen::Index i : keep) names.rows.push_back(lm.operator_ids[static_cast<std::size_t>(i)]);
  names.cols = lm.leaf_ids;
  std::vector<int> types;
  if (!o.types.empty()) {
    types.assign(lm.leaf_ids.size(), 1);
    for (const auto& spec : o.types) {
      const auto eq = spec.find('=');
      const std::string id = trim(spec.substr(0, eq));
      const auto it = std::find(lm.leaf_ids.begin(), lm.leaf_ids.end(), id);
      if (eq == std::string::npos || it == lm.leaf_ids.end())
        throw failure{usage, fmt::format("--types: \"{}\" is not INDICATOR=1 or INDICATOR=-1 with a leaf indicator of the model", spec)};
      const std::string v = trim(spec.substr(eq + 1));
      const int t = (v == "-1" || v == "cost") ? -1 : (v == "1" || v == "+1" || v == "benefit") ? 1 : 0;
      if (t == 0) throw failure{usage, fmt::format("--types: \"{}\": use 1/benefit or -1/cost", spec)};
      types[static_cast<std::size_t>(it - lm.leaf_ids.begin())] = t;
    }
  }
  Eigen::VectorXd w;
  if (o.method == "entropy") w = ew::entropy(x, names);
  else if (o.method == "critic") w = ew::critic(x, types, names);
  else if (o.method == "std-dev") w = ew::std_dev(x, names);
  else w = ew::cv(x, names);
  const Eigen::VectorXd rank = ew::rank(w);
  auto emit = [&](std::ostream& s) {
    if (o.format == "json") {
      json doc;
      doc["method"] = o.method;
      doc["as_of"] = to_string(*as_of);
      doc["model"] = {{"id", m.info().id}, {"fingerprint", m.fingerprint()}};
      doc["operators_used"] = keep.size();
      doc["dropped_not_applicable"] = dropped_na;
      doc["dropped_inactive"] = dropped_inactive;
      json wj = json::object();
      for (std::size_t k = 0; k < lm.leaf_ids.size(); ++k) wj[lm.leaf_ids[k]] = w[static_cast<Eigen::Index>(k)];
      doc["weights"] = wj;
      s << doc.dump(2) << '\n';
      return;
    }
    if (o.format == "csv") {
      s << "indicator,weight,rank,model_weight\n";
      const std::vector<double> mw = m.weights();
      for (std::size_t k = 0; k < lm.leaf_ids.size(); ++k)
        s << csv_field(lm.leaf_ids[k]) << ',' << fmt::format("{}", w[static_cast<Eigen::Index>(k)]) << ','
          << fmt::format("{}", rank[static_cast<Eigen::Index>(k)]) << ',' << fmt::format("{}", mw[k]) << '\n';
      return;
    }
    s << fmt::format("{} weights of the leaf scores · model {} · as of {} · {} operators ({} dropped with a not-applicable score, {} not active)\n\n",
                     o.method, m.info().id, to_string(*as_of), keep.size(), dropped_na, dropped_inactive);
    text_table t;
    t.column("indicator");
    t.column("weight", text_table::align::right);
    t.column("rank", text_table::align::right);
    t.column("model weight", text_table::align::right);
    const std::vector<double> mw = m.weights();
    for (std::size_t k = 0; k < lm.leaf_ids.size(); ++k)
      t.row({lm.leaf_ids[k], fixed(w[static_cast<Eigen::Index>(k)], 4), fmt::format("{}", rank[static_cast<Eigen::Index>(k)]),
             fixed(mw[k], 4)});
    t.print(s);
  };
  write_output(o.output, out, emit, o.output_encoding, o.format == "csv");
  return ok;
}

}  // namespace

struct weights_command::impl {
  CLI::App* weights = nullptr;
  CLI::App* ahp = nullptr;
  std::vector<std::pair<CLI::App*, std::string>> data_cmds;
  ahp_opts a;
  data_opts d;
};

weights_command::weights_command(CLI::App& app) : p_(std::make_unique<impl>()) {
  impl& p = *p_;
  p.weights = app.add_subcommand("weights", "Indicator weights: AHP from a pairwise matrix, or entropy/CRITIC/std-dev/cv from data");
  p.weights->require_subcommand(1, 1);
  p.ahp = p.weights->add_subcommand(
      "ahp", "AHP of a pairwise comparison matrix in a CSV file (header: an empty cell, then ids; each row: an id, then judgements such as 3 or 1/3)");
  p.ahp->add_option("file", p.a.file, "The pairwise matrix CSV (docs/weights.md)")->required();
  p.ahp->add_option("--method", p.a.method, "eigen (default), rgmm or colmean")->check(CLI::IsMember({"eigen", "rgmm", "colmean"}));
  p.ahp->add_option("--ri", p.a.ri,
                    "Random-index table: saaty1980 (default), saaty2005, alonso_lamata2006, donegan_dodd1991, or values indexed by n-1 (\"0,0,0.58,...\")");
  p.ahp->add_option("--tolerance", p.a.tolerance, "Allowed |a_ij * a_ji - 1| (default 0.01)")->check(CLI::Range(0.0, 1.0));
  p.ahp->add_option("--format", p.a.format, "Output format: table (default), csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  p.ahp->add_option("--output,-o", p.a.output, "Write the result to FILE instead of standard output");
  add_output_encoding_option(*p.ahp, p.a.output_encoding);
  for (const char* name : {"entropy", "critic", "std-dev", "cv"}) {
    CLI::App* c = p.weights->add_subcommand(name, fmt::format("{} weights of the model's leaf scores on a dataset (rated at --as-of)", name));
    c->add_option("--model", p.d.model, "Model TOML file (default: the shipped wuhan-2024 model)");
    c->add_option("--data", p.d.data, "Directory holding operators.csv and optionally facilities.csv (default: the shipped sample)");
    c->add_option("--operators", p.d.operators, "Operator CSV file (overrides <data>/operators.csv)");
    c->add_option("--facilities", p.d.facilities, "Facility (site) CSV file");
    c->add_option("--encoding", p.d.encoding, "CSV text encoding: auto, utf-8, gb18030, gbk")
        ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "gb18030", "gbk", "gb2312", "cp936"}, CLI::ignore_case));
    c->add_option("--as-of", p.d.as_of, std::string("Evaluation date YYYY-MM-DD (required with your own data; the sample defaults to ") + sample_as_of + ")");
    c->add_option("--na", p.d.na,
                  "Operators with a not-applicable (NaN) leaf score: drop_rows (default: drop them) or error");
    c->add_flag("--all-operators", p.d.all_operators, "Keep operators that are not active (default: only active operators, Art. 14)");
    if (std::string(name) == "critic")
      c->add_option("--types", p.d.types, "Cost indicators as INDICATOR=-1 (default: every indicator is a benefit)");
    c->add_option("--format", p.d.format, "Output format: table (default), csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
    c->add_option("--output,-o", p.d.output, "Write the result to FILE instead of standard output");
    add_output_encoding_option(*c, p.d.output_encoding);
    p.data_cmds.emplace_back(c, name);
  }
}

weights_command::~weights_command() = default;

bool weights_command::parsed() const { return p_->weights->parsed(); }

int weights_command::run(std::ostream& out, std::ostream& err) const {
  try {
    if (p_->ahp->parsed()) return cmd_ahp(p_->a, out, err);
    for (const auto& [cmd, name] : p_->data_cmds)
      if (cmd->parsed()) {
        data_opts d = p_->d;
        d.method = name;
        return cmd_data(d, out, err);
      }
    err << "embedrating: weights: no command given (ahp, entropy, critic, std-dev, cv)\n";
    return usage;
  } catch (const failure& f) {
    err << "embedrating: " << f.message << '\n';
    return f.status;
  } catch (const error& e) {
    const std::string what = e.what();
    // an unknown --ri name is a bad command line, not bad data
    if (e.where().field == "ri" && what.find("unknown random index table") != std::string::npos) {
      err << "embedrating: --ri: " << e.message() << '\n';
      return usage;
    }
    err << "embedrating: " << what << '\n';
    return invalid_input;
  } catch (const std::exception& e) {
    err << "embedrating: internal error: " << e.what() << '\n';
    return internal;
  }
}

}  // namespace embedrating::cli
