// Conditions: names, parsing of fields and operators, validation against a model, and evaluation
// as bit masks over columns (SPEC §3 "Rules are data"; docs/model-format.md "Conditions").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "condition_eval.hpp"
#include "embedrating/detail/kernels.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"

namespace embedrating {

// ---------------------------------------------------------------------------------------------
// Names and parsing

const char* to_string(compare_op op) noexcept {
  switch (op) {
    case compare_op::lt: return "<";
    case compare_op::le: return "<=";
    case compare_op::gt: return ">";
    case compare_op::ge: return ">=";
    case compare_op::eq: return "==";
    case compare_op::ne: return "!=";
    case compare_op::in: return "in";
    case compare_op::contains: return "contains";
    case compare_op::count_in: return "count_in";
    case compare_op::is_missing: return "is_missing";
  }
  return "?";
}

std::optional<compare_op> parse_compare_op(std::string_view s) noexcept {
  static constexpr compare_op all[] = {compare_op::lt, compare_op::le,       compare_op::gt,
                                       compare_op::ge, compare_op::eq,       compare_op::ne,
                                       compare_op::in, compare_op::contains, compare_op::count_in,
                                       compare_op::is_missing};
  for (compare_op op : all)
    if (s == to_string(op)) return op;
  return std::nullopt;
}

std::string field_ref::text() const {
  switch (kind) {
    case field_kind::raw: return "raw." + name;
    case field_kind::score: return "score." + name;
    case field_kind::dim: return "dim." + name;
    case field_kind::total: return "total";
    case field_kind::flag: return "flag." + name;
    case field_kind::attr: return "attr." + name;
    case field_kind::scenarios: return name.empty() ? "scenarios" : "scenarios." + name;
    case field_kind::reviews: return "reviews." + name;
    case field_kind::history_grade: return "history.previous_grade";
    case field_kind::months_since: return "months_since." + name;
  }
  return name;
}

bool parse_field(const std::string& text, field_ref& out) {
  if (text == "total") {
    out = {field_kind::total, {}};
    return true;
  }
  if (text == "scenarios") {
    out = {field_kind::scenarios, {}};
    return true;
  }
  if (text.rfind("scenarios.", 0) == 0 && text.size() > 10) {  // a named set: counts its codes only
    out = {field_kind::scenarios, text.substr(10)};
    return true;
  }
  if (text == "history.previous_grade") {
    out = {field_kind::history_grade, {}};
    return true;
  }
  const auto dot = text.find('.');
  if (dot == std::string::npos) {
    if (text.empty()) return false;
    out = {field_kind::raw, text};
    return true;
  }
  const std::string head = text.substr(0, dot);
  std::string rest = text.substr(dot + 1);
  if (rest.empty()) return false;
  static const std::pair<const char*, field_kind> heads[] = {
      {"raw", field_kind::raw},   {"score", field_kind::score},     {"dim", field_kind::dim},
      {"flag", field_kind::flag}, {"attr", field_kind::attr},       {"reviews", field_kind::reviews},
      {"months_since", field_kind::months_since}};
  for (const auto& [h, k] : heads) {
    if (head == h) {
      out = {k, std::move(rest)};
      return true;
    }
  }
  return false;
}

bool reads_scores(const condition& c) noexcept {
  if (c.kind == condition::node_kind::compare)
    return c.field.kind == field_kind::score || c.field.kind == field_kind::dim || c.field.kind == field_kind::total;
  for (const auto& ch : c.children)
    if (reads_scores(ch)) return true;
  return false;
}

namespace {
std::string number_text(double v) {
  std::ostringstream os;
  os.precision(15);
  os << v;
  return os.str();
}
}  // namespace

std::string to_string(const condition& c) {
  switch (c.kind) {
    case condition::node_kind::all:
    case condition::node_kind::any: {
      std::string s = c.kind == condition::node_kind::all ? "all(" : "any(";
      for (std::size_t i = 0; i < c.children.size(); ++i) {
        if (i) s += ", ";
        s += to_string(c.children[i]);
      }
      return s + ")";
    }
    case condition::node_kind::negate:
      return "not(" + (c.children.empty() ? std::string() : to_string(c.children[0])) + ")";
    case condition::node_kind::compare:
      break;
  }
  std::string s = c.field.text() + " " + to_string(c.op);
  if (c.op == compare_op::is_missing) return c.numbers.empty() || c.numbers[0] != 0.0 ? s : s + " false";
  std::string v;
  const bool many = c.op == compare_op::in || c.op == compare_op::count_in;
  if (many) v += "[";
  const std::size_t n = c.string_values ? c.strings.size() : c.numbers.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i) v += ", ";
    if (c.string_values) {
      v += "\"" + c.strings[i] + "\"";
    } else if (c.field.kind == field_kind::history_grade) {
      v += "\"" + std::string(to_string(grade_from_level(static_cast<int>(c.numbers[i])))) + "\"";
    } else if (c.field.kind == field_kind::flag) {
      v += c.numbers[i] != 0.0 ? "true" : "false";
    } else {
      v += number_text(c.numbers[i]);
    }
  }
  if (many) v += "]";
  s += " " + v;
  if (c.op == compare_op::count_in) s += std::string(" ") + to_string(c.count_cmp) + " " + number_text(c.count_n);
  return s;
}

namespace detail {

// ---------------------------------------------------------------------------------------------
// Validation

namespace {

constexpr int max_condition_depth = 32;

[[noreturn]] void fail(const condition_scope& s, std::uint32_t line, const std::string& field, const std::string& msg) {
  error_location where;
  where.file = s.spec.info.file;
  where.line = line;
  where.field = field;
  throw model_error(where, msg);
}

const measure* find_measure(const model_spec& s, const std::string& id) {
  for (const auto& m : s.measures)
    if (m.id == id) return &m;
  return nullptr;
}

void check_review_measure(const condition_scope& s, std::uint32_t line, const std::string& field, const std::string& name) {
  for (const char* r : review_measures)
    if (name == r) return;
  std::string known;
  for (const char* r : review_measures) known += std::string(known.empty() ? "" : ", ") + r;
  fail(s, line, field, "unknown review measure \"" + name + "\" (known: " + known + ")");
}

}  // namespace

void validate_condition(const condition_scope& scope, std::uint32_t line, const std::string& field, const condition& c,
                        int depth) {
  if (depth > max_condition_depth)
    fail(scope, line, field, "condition nested deeper than " + std::to_string(max_condition_depth) + " levels");
  switch (c.kind) {
    case condition::node_kind::all:
    case condition::node_kind::any:
      if (c.children.empty()) fail(scope, line, field, "all/any needs at least one condition");
      for (std::size_t i = 0; i < c.children.size(); ++i)
        validate_condition(scope, line,
                           field + (c.kind == condition::node_kind::all ? ".all[" : ".any[") + std::to_string(i) + "]",
                           c.children[i], depth + 1);
      return;
    case condition::node_kind::negate:
      if (c.children.size() != 1) fail(scope, line, field, "not needs exactly one condition");
      validate_condition(scope, line, field + ".not", c.children[0], depth + 1);
      return;
    case condition::node_kind::compare:
      break;
  }
  const field_ref& f = c.field;
  const std::string where = field + ".field";
  bool category = false, stringy = false, is_set = false;
  const measure* me = nullptr;
  switch (f.kind) {
    case field_kind::raw:
      me = find_measure(scope.spec, f.name);
      if (me == nullptr) fail(scope, line, where, "unknown measure \"" + f.name + "\" in " + f.text());
      category = me->kind == measure_kind::category;
      stringy = category;
      break;
    case field_kind::score:
      if (!scope.node_ids.count(f.name)) fail(scope, line, where, "unknown indicator \"" + f.name + "\" in " + f.text());
      break;
    case field_kind::dim:
      if (!scope.dimensions.count(f.name)) fail(scope, line, where, "unknown dimension \"" + f.name + "\" in " + f.text());
      break;
    case field_kind::reviews:
      check_review_measure(scope, line, where, f.name);
      break;
    case field_kind::attr:
      stringy = true;
      break;
    case field_kind::scenarios:
      is_set = true;
      if (!f.name.empty()) {  // scenarios.<set>: a count, compared with numbers only
        bool declared = false;
        for (const auto& set : scope.spec.scenario_sets) declared = declared || set.id == f.name;
        if (!declared) fail(scope, line, field + ".field", "unknown scenario set \"" + f.name + "\" (declare it in [[scenario_sets]])");
        if (c.op == compare_op::contains || c.op == compare_op::count_in)
          fail(scope, line, field + ".op", std::string(to_string(c.op)) + " applies to scenarios, not to the count " + f.text());
      }
      break;
    case field_kind::total:
    case field_kind::flag:
    case field_kind::history_grade:
    case field_kind::months_since:
      break;
  }
  const std::size_t nvalues = c.string_values ? c.strings.size() : c.numbers.size();
  switch (c.op) {
    case compare_op::is_missing:
      return;
    case compare_op::contains:
      if (!is_set) fail(scope, line, field + ".op", "contains needs a set field (scenarios), got " + f.text());
      if (!c.string_values || c.strings.size() != 1) fail(scope, line, field + ".value", "contains needs one string value");
      return;
    case compare_op::count_in:
      if (!is_set) fail(scope, line, field + ".op", "count_in needs a set field (scenarios), got " + f.text());
      if (!c.string_values || c.strings.empty())
        fail(scope, line, field + ".value", "count_in needs a non-empty array of strings");
      if (!std::isfinite(c.count_n)) fail(scope, line, field + ".n", "must be a finite number");
      switch (c.count_cmp) {
        case compare_op::lt: case compare_op::le: case compare_op::gt:
        case compare_op::ge: case compare_op::eq: case compare_op::ne: break;
        default: fail(scope, line, field + ".cmp", "must be one of < <= > >= == !=");
      }
      return;
    case compare_op::in:
      if (nvalues == 0) fail(scope, line, field + ".value", "in needs a non-empty array");
      break;
    default:
      if (nvalues != 1) fail(scope, line, field + ".value", "needs exactly one value");
      break;
  }
  if (is_set) {
    if (c.string_values)
      fail(scope, line, field + ".value", "scenarios compared with " + std::string(to_string(c.op)) + " needs a number (its size)");
  } else if (stringy != c.string_values) {
    fail(scope, line, field + ".value",
         stringy ? f.text() + " holds text: compare it with strings" : f.text() + " is numeric: compare it with numbers");
  }
  if (stringy && c.op != compare_op::eq && c.op != compare_op::ne && c.op != compare_op::in)
    fail(scope, line, field + ".op", f.text() + " holds text: only ==, != and in apply");
  if (category) {
    for (const auto& s : c.strings)
      if (std::find(me->levels.begin(), me->levels.end(), s) == me->levels.end())
        fail(scope, line, field + ".value", "\"" + s + "\" is not a level of measure " + me->id);
  }
  for (double v : c.numbers)
    if (!std::isfinite(v)) fail(scope, line, field + ".value", "must be finite");
}

// ---------------------------------------------------------------------------------------------
// Evaluation: one pass over a column per comparison; 64 rows are compared into bytes and packed
// into one word (the byte loop vectorises; the packing is a multiply per 8 rows).

namespace {

inline std::uint64_t pack8(const std::uint8_t* b) noexcept {
  std::uint64_t x;
  std::memcpy(&x, b, 8);  // eight 0/1 bytes
  return (x * 0x0102040810204080ull) >> 56;  // bit k = byte k (little-endian)
}

/// out bit i = pred(i), computed 64 rows at a time through a byte buffer.
template <class Pred>
void fill_bits(std::size_t n, std::uint64_t* out, Pred&& pred) {
  std::uint8_t bytes[64];
  for (std::size_t base = 0, w = 0; base < n; base += 64, ++w) {
    const std::size_t m = std::min<std::size_t>(64, n - base);
    for (std::size_t b = 0; b < m; ++b) bytes[b] = static_cast<std::uint8_t>(pred(base + b) ? 1 : 0);
    for (std::size_t b = m; b < 64; ++b) bytes[b] = 0;
    std::uint64_t x = 0;
    for (std::size_t k = 0; k < 8; ++k) x |= pack8(bytes + 8 * k) << (8 * k);
    out[w] = x;
  }
}

bool compare_one(compare_op op, double a, double b) noexcept {
  switch (op) {
    case compare_op::lt: return a < b;
    case compare_op::le: return a <= b;
    case compare_op::gt: return a > b;
    case compare_op::ge: return a >= b;
    case compare_op::eq: return a == b;
    case compare_op::ne: return a == a && a != b;
    default: return false;
  }
}

bool want_missing(const condition& c) noexcept { return c.numbers.empty() || c.numbers[0] != 0.0; }

/// Bits of a 0/1 byte column, eight bytes per multiply.
void bits_of_bytes(const std::uint8_t* x, std::size_t n, std::uint64_t* out) {
  for (std::size_t base = 0, w = 0; base < n; base += 64, ++w) {
    std::uint64_t word = 0;
    if (base + 64 <= n) {
      for (std::size_t k = 0; k < 8; ++k) word |= pack8(x + base + 8 * k) << (8 * k);
    } else {
      for (std::size_t b = 0; base + b < n; ++b) word |= static_cast<std::uint64_t>(x[base + b] != 0) << b;
    }
    out[w] = word;
  }
}

/// The last date d with add_months(d, k) <= as_of: months_since(d) >= k exactly when d <= it
/// (add_months is non-decreasing in d).
civil_date last_date_with_months(civil_date as_of, int k) {
  civil_date c = add_months(as_of, -k);
  while (add_months(civil_date(c.days() + 1), k) <= as_of) c = civil_date(c.days() + 1);
  while (add_months(c, k) > as_of) c = civil_date(c.days() - 1);
  return c;
}

/// months_since.<date> compared with <, <=, > or >= as a comparison of dates; false when missing.
bool months_since_as_dates(const condition& c, field_source& src, std::uint64_t* w) {
  if (c.op != compare_op::lt && c.op != compare_op::le && c.op != compare_op::gt && c.op != compare_op::ge) return false;
  const civil_date* d = src.date(c.field.name);
  const civil_date as_of = src.as_of();
  const double v = c.numbers.at(0);
  if (d == nullptr || as_of.is_missing() || !(std::abs(v) < 1e6)) return false;
  // months m (a whole number) >= k, with: m >= v ⟺ m >= ceil(v); m > v ⟺ m >= floor(v) + 1
  const bool at_least = c.op == compare_op::ge || c.op == compare_op::gt;
  const bool strict_side = c.op == compare_op::gt || c.op == compare_op::le;
  const int k = strict_side ? static_cast<int>(std::floor(v)) + 1 : static_cast<int>(std::ceil(v));
  const std::int32_t last = last_date_with_months(as_of, k).days();
  static_assert(sizeof(civil_date) == sizeof(std::int32_t), "a date is its day count");
  date_bits(reinterpret_cast<const std::int32_t*>(d), src.rows(), last, at_least, w);
  return true;
}

void evaluate_compare(const condition& c, field_source& src, bitmask& out) {
  const std::size_t n = src.rows();
  out.assign(n, false);
  std::uint64_t* w = out.words();
  const field_ref& f = c.field;
  if (f.kind == field_kind::flag && c.op != compare_op::is_missing) {
    if (const std::uint8_t* x = src.flag(f.name)) {
      // a flag is 0 or 1: the comparison's result for each, then the bits of the column
      const auto result = [&](double v) {
        if (c.op == compare_op::in) return std::find(c.numbers.begin(), c.numbers.end(), v) != c.numbers.end();
        return compare_one(c.op, v, c.numbers.at(0));
      };
      const bool r0 = result(0.0), r1 = result(1.0);
      if (r0 == r1) {
        out.assign(n, r0);
      } else {
        bits_of_bytes(x, n, w);
        if (r0) out.flip();
      }
      return;
    }
  }
  if (f.kind == field_kind::months_since && months_since_as_dates(c, src, w)) return;
  if (f.kind == field_kind::raw && c.string_values) {  // a category compared with levels
    const category_view col = src.category(f.name);
    if (!col) throw std::logic_error("condition: no category column " + f.name);
    std::vector<std::uint8_t> hit(col.levels->size(), 0);
    for (std::size_t k = 0; k < hit.size(); ++k)
      hit[k] = static_cast<std::uint8_t>(std::find(c.strings.begin(), c.strings.end(), (*col.levels)[k]) != c.strings.end());
    const std::uint8_t flip = c.op == compare_op::ne ? 1 : 0;
    fill_bits(n, w, [&](std::size_t i) {
      const std::int32_t code = col.codes[i];
      return code >= 0 && (hit[static_cast<std::size_t>(code)] ^ flip);
    });
    return;
  }
  if (f.kind == field_kind::raw && c.op == compare_op::is_missing) {
    if (const category_view col = src.category(f.name)) {
      const bool want = want_missing(c);
      fill_bits(n, w, [&](std::size_t i) { return (col.codes[i] < 0) == want; });
      return;
    }
  }
  if (f.kind == field_kind::attr) {
    const std::string* col = src.attribute(f.name);
    if (col == nullptr) throw std::logic_error("condition: no attribute column " + f.name);
    if (c.op == compare_op::is_missing) {
      const bool want = want_missing(c);
      fill_bits(n, w, [&](std::size_t i) { return col[i].empty() == want; });
      return;
    }
    const bool negate = c.op == compare_op::ne;
    fill_bits(n, w, [&](std::size_t i) {
      if (col[i].empty()) return false;
      const bool in = std::find(c.strings.begin(), c.strings.end(), col[i]) != c.strings.end();
      return negate ? !in : in;
    });
    return;
  }
  if (f.kind == field_kind::scenarios && (c.op == compare_op::contains || c.op == compare_op::count_in)) {
    const set_view s = src.scenarios();
    if (const std::uint64_t* rows = src.scenario_bits()) {
      std::uint64_t want = 0;
      for (std::size_t k = 0; k < s.levels->size(); ++k)
        if (std::find(c.strings.begin(), c.strings.end(), (*s.levels)[k]) != c.strings.end()) want |= std::uint64_t{1} << k;
      if (c.op == compare_op::contains) {
        any_bits(rows, n, want, w);
      } else {
        fill_bits(n, w, [&](std::size_t i) {
          return compare_one(c.count_cmp, static_cast<double>(__builtin_popcountll(rows[i] & want)), c.count_n);
        });
      }
      return;
    }
    std::vector<std::uint8_t> hit(s.levels->size(), 0);
    for (std::size_t k = 0; k < hit.size(); ++k)
      hit[k] = static_cast<std::uint8_t>(std::find(c.strings.begin(), c.strings.end(), (*s.levels)[k]) != c.strings.end());
    fill_bits(n, w, [&](std::size_t i) {
      double count = 0;
      for (std::uint32_t k = s.offsets[i]; k < s.offsets[i + 1]; ++k) count += hit[static_cast<std::size_t>(s.codes[k])];
      return c.op == compare_op::contains ? count > 0 : compare_one(c.count_cmp, count, c.count_n);
    });
    return;
  }
  const double* x = src.numeric(f);
  if (x == nullptr) throw std::logic_error("condition: no numeric column " + f.text());
  switch (c.op) {
    case compare_op::is_missing:
      compare_bits(compare_op::is_missing, x, n, want_missing(c) ? 1.0 : 0.0, w);
      return;
    case compare_op::in:
      fill_bits(n, w, [&](std::size_t i) { return std::find(c.numbers.begin(), c.numbers.end(), x[i]) != c.numbers.end(); });
      return;
    default:
      compare_bits(c.op, x, n, c.numbers.at(0), w);
  }
}

/// An exact key of a condition's meaning (numbers as bits), for the memo.
void memo_key(const condition& c, std::string& k) {
  k += static_cast<char>('0' + static_cast<int>(c.kind));
  if (c.kind != condition::node_kind::compare) {
    k += '(';
    for (const auto& ch : c.children) memo_key(ch, k);
    k += ')';
    return;
  }
  k += c.field.text();
  k += '\x1f';
  k += to_string(c.op);
  const auto bits = [&](double v) {
    char buf[24];
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    std::snprintf(buf, sizeof buf, "%016llx,", static_cast<unsigned long long>(u));
    k += buf;
  };
  for (double v : c.numbers) bits(v);
  for (const auto& s : c.strings) {
    k += s;
    k += '\x1e';
  }
  if (c.op == compare_op::count_in) {
    k += to_string(c.count_cmp);
    bits(c.count_n);
  }
  k += ';';
}

void evaluate_node(const condition& c, field_source& src, bitmask& out);

}  // namespace

void evaluate(const condition& c, field_source& src, bitmask& out) {
  auto* memo = src.memo();
  if (memo == nullptr) {
    evaluate_node(c, src, out);
    return;
  }
  std::string key;
  memo_key(c, key);
  const auto it = memo->find(key);
  if (it != memo->end()) {
    out = it->second;
    return;
  }
  evaluate_node(c, src, out);
  memo->emplace(std::move(key), out);
}

namespace {

void evaluate_node(const condition& c, field_source& src, bitmask& out) {
  switch (c.kind) {
    case condition::node_kind::all: {
      out.assign(src.rows(), true);
      bitmask m;
      for (const auto& ch : c.children) {
        evaluate(ch, src, m);
        out &= m;
      }
      return;
    }
    case condition::node_kind::any: {
      out.assign(src.rows(), false);
      bitmask m;
      for (const auto& ch : c.children) {
        evaluate(ch, src, m);
        out |= m;
      }
      return;
    }
    case condition::node_kind::negate:
      evaluate(c.children.at(0), src, out);
      out.flip();
      return;
    case condition::node_kind::compare:
      evaluate_compare(c, src, out);
      return;
  }
}

}  // namespace

bool reads_points(const field_ref& f, const compiled_model& cm) noexcept {
  switch (f.kind) {
    case field_kind::total:
    case field_kind::dim:
      return true;
    case field_kind::score: {
      const auto it = cm.node_index.find(f.name);
      return it == cm.node_index.end() || cm.nodes[static_cast<std::size_t>(it->second)].leaf < 0;
    }
    default:
      return false;
  }
}

bool reads_points(const condition& c, const compiled_model& cm) noexcept {
  if (c.kind == condition::node_kind::compare) return reads_points(c.field, cm);
  for (const auto& ch : c.children)
    if (reads_points(ch, cm)) return true;
  return false;
}

void evaluate_fixed_parts(const condition& c, const compiled_model& cm, field_source& inputs, partial_condition& out) {
  if (!reads_points(c, cm)) {
    out.fixed.emplace_back();
    evaluate(c, inputs, out.fixed.back());
    return;
  }
  for (const auto& ch : c.children) evaluate_fixed_parts(ch, cm, inputs, out);
}

namespace {
void finish(const condition& c, const compiled_model& cm, field_source& points, const partial_condition& fixed,
            std::size_t& next, bitmask& out) {
  if (!reads_points(c, cm)) {
    if (next >= fixed.fixed.size()) throw std::logic_error("condition: structure differs from the scored model");
    out = fixed.fixed[next++];
    return;
  }
  switch (c.kind) {
    case condition::node_kind::all:
    case condition::node_kind::any: {
      const bool all = c.kind == condition::node_kind::all;
      out.assign(points.rows(), all);
      bitmask m;
      for (const auto& ch : c.children) {
        finish(ch, cm, points, fixed, next, m);
        if (all) out &= m;
        else out |= m;
      }
      return;
    }
    case condition::node_kind::negate:
      finish(c.children.at(0), cm, points, fixed, next, out);
      out.flip();
      return;
    case condition::node_kind::compare:
      evaluate_compare(c, points, out);
      return;
  }
}
}  // namespace

void evaluate_with_fixed_parts(const condition& c, const compiled_model& cm, field_source& points,
                               const partial_condition& fixed, bitmask& out) {
  std::size_t next = 0;
  finish(c, cm, points, fixed, next, out);
}

}  // namespace detail
}  // namespace embedrating
