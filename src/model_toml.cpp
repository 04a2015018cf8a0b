// Reading and writing models as TOML (toml++ is private to this file).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <type_traits>
#include <vector>

#include <toml++/toml.h>

#include "embedrating/detail/atomic_file.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/model.hpp"
#include "embedrating/review_fields.hpp"

namespace embedrating {

namespace {

constexpr std::size_t max_model_bytes = 4u << 20;  // 4 MiB
constexpr int max_condition_depth = 32;

class reader {
 public:
  explicit reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::node* at, const std::string& key, const std::string& msg) const {
    error_location where;
    where.file = file_;
    if (at != nullptr) {
      where.line = static_cast<std::uint32_t>(at->source().begin.line);
      where.column = static_cast<std::uint32_t>(at->source().begin.column);
    }
    where.field = key;
    throw model_error(where, msg);
  }
  static std::uint32_t line_of(const toml::node& n) { return static_cast<std::uint32_t>(n.source().begin.line); }

  /// Rejects keys not in `allowed` (keys starting with x_ are free annotations).
  void check_keys(const toml::table& t, const std::string& path, std::initializer_list<const char*> allowed) const {
    check_keys(t, path, std::vector<const char*>(allowed));
  }
  void check_keys(const toml::table& t, const std::string& path, const std::vector<const char*>& allowed) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (key.rfind("x_", 0) == 0) continue;
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        fail(&v, path.empty() ? key : path + "." + key, "unknown key \"" + key + "\" (allowed: " + list + ")");
      }
    }
  }

  const toml::table& table_at(const toml::node& n, const std::string& path) const {
    const toml::table* t = n.as_table();
    if (t == nullptr) fail(&n, path, "must be a table");
    return *t;
  }

  std::optional<std::string> opt_string(const toml::table& t, const std::string& path, const char* key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) fail(n, path + "." + key, "must be a string");
    return std::string(n->as_string()->get());
  }
  std::string req_string(const toml::table& t, const std::string& path, const char* key) const {
    auto s = opt_string(t, path, key);
    if (!s) fail(&t, path + "." + key, "is required");
    return *s;
  }
  static double number_of(const toml::node& n, bool& ok) {
    ok = true;
    if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
    if (const auto* f = n.as_floating_point()) return f->get();
    ok = false;
    return 0.0;
  }
  double as_number(const toml::node& n, const std::string& path) const {
    bool ok = false;
    const double v = number_of(n, ok);
    if (!ok) fail(&n, path, "must be a number");
    if (!std::isfinite(v)) fail(&n, path, "must be finite");
    return v;
  }
  std::optional<double> opt_number(const toml::table& t, const std::string& path, const char* key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    return as_number(*n, path + "." + key);
  }
  double req_number(const toml::table& t, const std::string& path, const char* key) const {
    auto v = opt_number(t, path, key);
    if (!v) fail(&t, path + "." + key, "is required");
    return *v;
  }
  std::optional<int> opt_int(const toml::table& t, const std::string& path, const char* key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    const double v = as_number(*n, path + "." + key);
    if (v != std::floor(v) || std::fabs(v) > 1e9) fail(n, path + "." + key, "must be a whole number");
    return static_cast<int>(v);
  }
  std::optional<bool> opt_bool(const toml::table& t, const std::string& path, const char* key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) fail(n, path + "." + key, "must be true or false");
    return n->as_boolean()->get();
  }
  civil_date opt_date(const toml::table& t, const std::string& path, const char* key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return civil_date::missing();
    if (const auto* d = n->as_date()) {
      const toml::date v = d->get();
      const auto parsed = parse_date(fmt_date(v.year, v.month, v.day));
      if (!parsed) fail(n, path + "." + key, "is not a valid date");
      return *parsed;
    }
    if (const auto* s = n->as_string()) {
      const auto parsed = parse_date(s->get());
      if (!parsed) fail(n, path + "." + key, "must be a date YYYY-MM-DD, got \"" + s->get() + "\"");
      return *parsed;
    }
    fail(n, path + "." + key, "must be a date YYYY-MM-DD");
  }
  static std::string fmt_date(int y, int m, int d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
  }
  grade req_grade(const toml::table& t, const std::string& path, const char* key, bool allow_unrated) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) fail(&t, path + "." + key, "is required");
    return grade_of(*n, path + "." + key, allow_unrated);
  }
  grade grade_of(const toml::node& n, const std::string& path, bool allow_unrated) const {
    if (!n.is_string()) fail(&n, path, "must be a grade string such as \"3A\"");
    const auto g = parse_grade(n.as_string()->get());
    if (!g || (!allow_unrated && *g == grade::unrated))
      fail(&n, path, "\"" + n.as_string()->get() + "\" is not a grade (" + (allow_unrated ? "\"5A\"..\"1A\" or \"unrated\"" : "\"5A\"..\"1A\"") + ")");
    return *g;
  }
  std::vector<std::string> string_list(const toml::node& n, const std::string& path) const {
    const toml::array* a = n.as_array();
    if (a == nullptr) fail(&n, path, "must be an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& e = *a->get(i);
      if (!e.is_string()) fail(&e, path + "[" + std::to_string(i) + "]", "must be a string");
      out.push_back(e.as_string()->get());
    }
    return out;
  }
  template <class F>
  void each_table(const toml::table& root, const char* key, F&& f) const {
    const toml::node* n = root.get(key);
    if (n == nullptr) return;
    const toml::array* a = n->as_array();
    if (a == nullptr) fail(n, key, std::string("must be an array of tables: write [[") + key + "]]");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string path = std::string(key) + "[" + std::to_string(i) + "]";
      f(table_at(*a->get(i), path), path);
    }
  }

  field_ref field(const toml::node& n, const std::string& path) const {
    if (!n.is_string()) fail(&n, path, "must be a field name string");
    field_ref f;
    if (!parse_field(n.as_string()->get(), f))
      fail(&n, path, "unknown field \"" + n.as_string()->get() +
                         "\" (use raw.*, score.*, dim.*, total, flag.*, attr.*, scenarios, reviews.*, history.previous_grade, months_since.*)");
    return f;
  }

  static compare_op op_of(const std::string& s, bool& ok) {
    const auto op = parse_compare_op(s);
    ok = op.has_value();
    return op.value_or(compare_op::eq);
  }

  condition cond(const toml::node& n, const std::string& path, int depth) const {
    if (depth > max_condition_depth)
      fail(&n, path, "condition nested deeper than " + std::to_string(max_condition_depth) + " levels");
    const toml::table& t = table_at(n, path);
    condition c;
    if (const toml::node* all = t.get("all")) {
      check_keys(t, path, {"all"});
      c.kind = condition::node_kind::all;
      children(*all, path + ".all", depth, c);
      return c;
    }
    if (const toml::node* any = t.get("any")) {
      check_keys(t, path, {"any"});
      c.kind = condition::node_kind::any;
      children(*any, path + ".any", depth, c);
      return c;
    }
    if (const toml::node* neg = t.get("not")) {
      check_keys(t, path, {"not"});
      c.kind = condition::node_kind::negate;
      c.children.push_back(cond(*neg, path + ".not", depth + 1));
      return c;
    }
    check_keys(t, path, {"field", "op", "value", "cmp", "n"});
    const toml::node* fn = t.get("field");
    if (fn == nullptr) fail(&t, path, "a condition needs field and op, or all / any / not");
    c.kind = condition::node_kind::compare;
    c.field = field(*fn, path + ".field");
    const std::string op = req_string(t, path, "op");
    bool ok = false;
    c.op = op_of(op, ok);
    if (!ok) fail(t.get("op"), path + ".op", "unknown operator \"" + op + "\" (< <= > >= == != in contains count_in is_missing)");
    const toml::node* v = t.get("value");
    if (c.op == compare_op::is_missing) {
      c.numbers.push_back(1.0);
      if (v != nullptr) {
        if (!v->is_boolean()) fail(v, path + ".value", "is_missing takes true or false");
        c.numbers[0] = v->as_boolean()->get() ? 1.0 : 0.0;
      }
      return c;
    }
    if (v == nullptr) fail(&t, path + ".value", "is required");
    if (c.op == compare_op::count_in) {
      const std::string cmp = req_string(t, path, "cmp");
      c.count_cmp = op_of(cmp, ok);
      if (!ok) fail(t.get("cmp"), path + ".cmp", "unknown comparison \"" + cmp + "\"");
      c.count_n = req_number(t, path, "n");
    } else if (t.get("cmp") || t.get("n")) {
      fail(t.get("cmp") ? t.get("cmp") : t.get("n"), path, "cmp and n belong to count_in only");
    }
    if (const toml::array* a = v->as_array()) {
      if (c.op != compare_op::in && c.op != compare_op::count_in)
        fail(v, path + ".value", "an array value needs op = \"in\" or \"count_in\"");
      for (std::size_t i = 0; i < a->size(); ++i) scalar(*a->get(i), path + ".value[" + std::to_string(i) + "]", c);
    } else {
      if (c.op == compare_op::in || c.op == compare_op::count_in) fail(v, path + ".value", "must be an array");
      scalar(*v, path + ".value", c);
    }
    return c;
  }

  void scalar(const toml::node& v, const std::string& path, condition& c) const {
    if (c.field.kind == field_kind::history_grade) {
      c.numbers.push_back(level(grade_of(v, path, true)));
      return;
    }
    if (const auto* s = v.as_string()) {
      if (!c.numbers.empty()) fail(&v, path, "do not mix strings and numbers");
      c.string_values = true;
      c.strings.push_back(s->get());
      return;
    }
    if (c.string_values) fail(&v, path, "do not mix strings and numbers");
    if (const auto* b = v.as_boolean()) {
      c.numbers.push_back(b->get() ? 1.0 : 0.0);
      return;
    }
    c.numbers.push_back(as_number(v, path));
  }

  void children(const toml::node& n, const std::string& path, int depth, condition& c) const {
    const toml::array* a = n.as_array();
    if (a == nullptr) fail(&n, path, "must be an array of conditions");
    for (std::size_t i = 0; i < a->size(); ++i)
      c.children.push_back(cond(*a->get(i), path + "[" + std::to_string(i) + "]", depth + 1));
  }

  direction dir(const toml::table& t, const std::string& path) const {
    const auto s = opt_string(t, path, "direction");
    if (!s || *s == "benefit") return direction::benefit;
    if (*s == "cost") return direction::cost;
    fail(t.get("direction"), path + ".direction", "must be \"benefit\" or \"cost\"");
  }

  std::vector<std::pair<double, double>> pairs(const toml::node& n, const std::string& path) const {
    const toml::array* a = n.as_array();
    if (a == nullptr) fail(&n, path, "must be an array of [x, score] pairs");
    std::vector<std::pair<double, double>> out;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      const toml::array* pr = a->get(i)->as_array();
      if (pr == nullptr || pr->size() != 2) fail(a->get(i), p, "must be a pair [x, score]");
      out.emplace_back(as_number(*pr->get(0), p + "[0]"), as_number(*pr->get(1), p + "[1]"));
    }
    return out;
  }

  scoring_function scoring(const toml::node& n, const std::string& path) const {
    const toml::table& t = table_at(n, path);
    scoring_function f;
    const std::string kind = req_string(t, path, "kind");
    if (kind == "linear") {
      check_keys(t, path, {"kind", "direction", "lower", "upper"});
      f.kind = scoring_kind::linear;
      f.dir = dir(t, path);
      f.lower = req_number(t, path, "lower");
      f.upper = req_number(t, path, "upper");
    } else if (kind == "piecewise") {
      check_keys(t, path, {"kind", "points"});
      f.kind = scoring_kind::piecewise;
      const toml::node* p = t.get("points");
      if (p == nullptr) fail(&t, path + ".points", "is required");
      f.points = pairs(*p, path + ".points");
    } else if (kind == "steps") {
      check_keys(t, path, {"kind", "direction", "steps", "otherwise"});
      f.kind = scoring_kind::steps;
      f.dir = dir(t, path);
      const toml::node* p = t.get("steps");
      if (p == nullptr) fail(&t, path + ".steps", "is required");
      f.points = pairs(*p, path + ".steps");
      f.otherwise = opt_number(t, path, "otherwise").value_or(0.0);
    } else if (kind == "boolean") {
      check_keys(t, path, {"kind", "true_score", "false_score"});
      f.kind = scoring_kind::boolean;
      f.true_score = opt_number(t, path, "true_score").value_or(1.0);
      f.false_score = opt_number(t, path, "false_score").value_or(0.0);
    } else if (kind == "categorical") {
      check_keys(t, path, {"kind", "map"});
      f.kind = scoring_kind::categorical;
      const toml::node* m = t.get("map");
      if (m == nullptr) fail(&t, path + ".map", "is required");
      const toml::table& mt = table_at(*m, path + ".map");
      for (const auto& [k, v] : mt) f.categories.emplace_back(std::string(k.str()), as_number(v, path + ".map." + std::string(k.str())));
    } else {
      fail(t.get("kind"), path + ".kind", "unknown scoring kind \"" + kind + "\" (linear, piecewise, steps, boolean, categorical)");
    }
    return f;
  }

  missing_policy missing(const toml::table& t, const std::string& path) const {
    missing_policy p;
    const toml::node* n = t.get("missing");
    if (n == nullptr) return p;
    const std::string mp = path + ".missing";
    if (const auto* s = n->as_string()) {
      if (s->get() == "error") p.kind = missing_policy::kind_t::error;
      else if (s->get() == "zero") p.kind = missing_policy::kind_t::zero;
      else fail(n, mp, "must be \"error\", \"zero\", { score = s } or { fallback = \"field\", scoring = {…} }");
      return p;
    }
    const toml::table& mt = table_at(*n, mp);
    if (mt.get("score")) {
      check_keys(mt, mp, {"score"});
      p.kind = missing_policy::kind_t::fixed;
      p.score = req_number(mt, mp, "score");
      return p;
    }
    check_keys(mt, mp, {"fallback", "scoring"});
    const toml::node* fb = mt.get("fallback");
    if (fb == nullptr) fail(n, mp, "must have score or fallback");
    p.kind = missing_policy::kind_t::fallback;
    p.fallback_input = field(*fb, mp + ".fallback");
    const toml::node* sc = mt.get("scoring");
    if (sc == nullptr) fail(n, mp + ".scoring", "is required with fallback");
    p.fallback_scoring = scoring(*sc, mp + ".scoring");
    return p;
  }

  model_spec read(const toml::table& root) const {
    model_spec s;
    s.info.file = file_;
    check_keys(root, "", {"model", "reviews", "history", "measures", "dimensions", "indicators", "grades", "rules", "scenario_sets"});
    const toml::node* mn = root.get("model");
    if (mn == nullptr) fail(nullptr, "model", "the [model] table is required");
    const toml::table& m = table_at(*mn, "model");
    check_keys(m, "model", {"id", "version", "label", "label_zh", "source", "basis", "effective_from", "effective_to", "rationale", "provenance"});
    s.info.id = req_string(m, "model", "id");
    s.info.version = opt_string(m, "model", "version").value_or("");
    s.info.label = opt_string(m, "model", "label").value_or("");
    s.info.label_zh = opt_string(m, "model", "label_zh").value_or("");
    s.info.source = opt_string(m, "model", "source").value_or("");
    cite(s, m, "model", "model");
    s.info.effective_from = opt_date(m, "model", "effective_from");
    s.info.effective_to = opt_date(m, "model", "effective_to");
    s.info.rationale = opt_string(m, "model", "rationale").value_or("");
    if (const toml::node* pn = m.get("provenance")) {
      const toml::table& pt = table_at(*pn, "model.provenance");
      check_keys(pt, "model.provenance", {"parent_id", "parent_version", "parent_fingerprint", "method", "note"});
      auto& pv = s.info.provenance;
      pv.parent_id = opt_string(pt, "model.provenance", "parent_id").value_or("");
      pv.parent_version = opt_string(pt, "model.provenance", "parent_version").value_or("");
      pv.parent_fingerprint = opt_string(pt, "model.provenance", "parent_fingerprint").value_or("");
      pv.method = opt_string(pt, "model.provenance", "method").value_or("");
      pv.note = opt_string(pt, "model.provenance", "note").value_or("");
      if (!pv.parent_fingerprint.empty() &&
          (pv.parent_fingerprint.size() != 64 || pv.parent_fingerprint.find_first_not_of("0123456789abcdef") != std::string::npos))
        fail(pt.get("parent_fingerprint"), "model.provenance.parent_fingerprint", "must be 64 lower-case hex digits (a SHA-256)");
    }

    if (const toml::node* rn = root.get("reviews")) {
      const toml::table& r = table_at(*rn, "reviews");
      // every key from the table of review settings (embedrating/review_fields.hpp)
      std::vector<const char*> keys;
      for_each_review_field([&keys](const auto& field) { keys.push_back(field.name); });
      keys.push_back("source");
      keys.push_back("basis");
      check_keys(r, "reviews", keys);
      cite(s, r, "reviews", "reviews");
      visit_review_fields(s.reviews, [&](const auto& field, auto& v) {
        using T = typename std::decay_t<decltype(field)>::value_type;
        const std::string path = std::string("reviews.") + field.name;
        const toml::node* n = r.get(field.name);
        if (n == nullptr) return;  // the default of review_settings
        if constexpr (std::is_array_v<T>) {
          constexpr std::size_t size = std::extent_v<T>;
          const toml::array* a = n->as_array();
          if (a == nullptr || a->size() != size)
            fail(n, path, "must be an array of " + std::to_string(size) + " numbers" + (size == 5 ? " (★1..★5)" : ""));
          for (std::size_t k = 0; k < size; ++k) v[k] = as_number(*a->get(k), path + "[" + std::to_string(k) + "]");
        } else if constexpr (std::is_enum_v<T>) {
          const auto text = opt_string(r, "reviews", field.name);
          if (!choice_of(field, *text, v)) fail(n, path, field.rule);
        } else if constexpr (std::is_same_v<T, bool>) {
          v = *opt_bool(r, "reviews", field.name);
        } else if constexpr (std::is_same_v<T, int>) {
          v = *opt_int(r, "reviews", field.name);
        } else {
          v = *opt_number(r, "reviews", field.name);
        }
      });
    }
    if (const toml::node* hn = root.get("history")) {
      const toml::table& h = table_at(*hn, "history");
      check_keys(h, "history", {"max_rise", "no_rise_months_after_downgrade", "first_rating_max", "source", "basis"});
      cite(s, h, "history", "history");
      s.history.max_rise = opt_int(h, "history", "max_rise").value_or(s.history.max_rise);
      s.history.no_rise_months_after_downgrade =
          opt_int(h, "history", "no_rise_months_after_downgrade").value_or(s.history.no_rise_months_after_downgrade);
      if (h.get("first_rating_max")) s.history.first_rating_max = req_grade(h, "history", "first_rating_max", true);
    }

    each_table(root, "measures", [&](const toml::table& t, const std::string& path) {
      check_keys(t, path, {"id", "kind", "unit", "min", "max", "levels", "direction", "rollup", "label", "label_zh", "source", "basis", "rationale"});
      measure me;
      me.line = line_of(t);
      me.id = req_string(t, path, "id");
      const std::string kind = opt_string(t, path, "kind").value_or("number");
      if (kind == "number") me.kind = measure_kind::number;
      else if (kind == "category") me.kind = measure_kind::category;
      else fail(t.get("kind"), path + ".kind", "must be \"number\" or \"category\"");
      me.unit = opt_string(t, path, "unit").value_or("");
      me.min = opt_number(t, path, "min");
      me.max = opt_number(t, path, "max");
      if (const toml::node* l = t.get("levels")) me.levels = string_list(*l, path + ".levels");
      me.dir = dir(t, path);
      const std::string rollup = opt_string(t, path, "rollup").value_or("worst");
      if (rollup == "worst") me.rollup = rollup_kind::worst;
      else if (rollup == "mean") me.rollup = rollup_kind::mean;
      else if (rollup == "volume_mean") me.rollup = rollup_kind::volume_mean;
      else if (rollup == "sum") me.rollup = rollup_kind::sum;
      else fail(t.get("rollup"), path + ".rollup", "must be worst, mean, volume_mean or sum");
      me.label = opt_string(t, path, "label").value_or("");
      me.label_zh = opt_string(t, path, "label_zh").value_or("");
      me.source = opt_string(t, path, "source").value_or("");
      me.rationale = opt_string(t, path, "rationale").value_or("");
      me.basis = opt_string(t, path, "basis").value_or("");
      s.measures.push_back(std::move(me));
    });

    each_table(root, "dimensions", [&](const toml::table& t, const std::string& path) {
      check_keys(t, path, {"id", "points", "label", "label_zh", "source", "basis", "rationale"});
      indicator_node nd;
      nd.line = line_of(t);
      nd.id = req_string(t, path, "id");
      nd.points = req_number(t, path, "points");
      nd.label = opt_string(t, path, "label").value_or("");
      nd.label_zh = opt_string(t, path, "label_zh").value_or("");
      nd.source = opt_string(t, path, "source").value_or("");
      nd.rationale = opt_string(t, path, "rationale").value_or("");
      nd.basis = opt_string(t, path, "basis").value_or("");
      s.nodes.push_back(std::move(nd));
    });
    each_table(root, "indicators", [&](const toml::table& t, const std::string& path) {
      check_keys(t, path, {"id", "parent", "points", "input", "scoring", "missing", "not_applicable_if", "label", "label_zh", "source", "basis", "rationale"});
      indicator_node nd;
      nd.line = line_of(t);
      nd.id = req_string(t, path, "id");
      nd.parent = req_string(t, path, "parent");
      nd.points = req_number(t, path, "points");
      if (const toml::node* in = t.get("input")) nd.input = field(*in, path + ".input");
      if (const toml::node* sc = t.get("scoring")) {
        if (!nd.input) fail(sc, path + ".scoring", "scoring needs an input");
        nd.scoring = scoring(*sc, nd.id + ".scoring");
      } else if (nd.input) {
        fail(t.get("input"), path + ".scoring", "a leaf with an input needs scoring");
      }
      nd.missing = missing(t, nd.id);
      if (const toml::node* na = t.get("not_applicable_if")) nd.not_applicable_if = cond(*na, nd.id + ".not_applicable_if", 1);
      nd.label = opt_string(t, path, "label").value_or("");
      nd.label_zh = opt_string(t, path, "label_zh").value_or("");
      nd.source = opt_string(t, path, "source").value_or("");
      nd.rationale = opt_string(t, path, "rationale").value_or("");
      nd.basis = opt_string(t, path, "basis").value_or("");
      s.nodes.push_back(std::move(nd));
    });

    each_table(root, "grades", [&](const toml::table& t, const std::string& path) {
      check_keys(t, path, {"grade", "min_total", "min_dimension_ratio", "dimension_minimums", "prerequisites", "label", "label_zh",
                           "source", "basis", "rationale"});
      grade_gate g;
      g.line = line_of(t);
      g.level = req_grade(t, path, "grade", false);
      cite(s, t, path, "grades." + std::string(to_string(g.level)));
      g.min_total = req_number(t, path, "min_total");
      g.min_dimension_ratio = opt_number(t, path, "min_dimension_ratio").value_or(0.0);
      g.rationale = opt_string(t, path, "rationale").value_or("");
      if (const toml::node* dm = t.get("dimension_minimums")) {
        const toml::table& dt = table_at(*dm, path + ".dimension_minimums");
        for (const auto& [k, v] : dt)
          g.dimension_minimums.emplace_back(std::string(k.str()), as_number(v, path + ".dimension_minimums." + std::string(k.str())));
      }
      if (const toml::node* pn = t.get("prerequisites")) {
        const toml::array* a = pn->as_array();
        if (a == nullptr) fail(pn, path + ".prerequisites", "must be an array of tables: write [[grades.prerequisites]]");
        for (std::size_t i = 0; i < a->size(); ++i) {
          const std::string pp = path + ".prerequisites[" + std::to_string(i) + "]";
          const toml::table& pt = table_at(*a->get(i), pp);
          check_keys(pt, pp, {"id", "when", "label", "label_zh", "source", "basis", "rationale"});
          prerequisite p;
          p.line = line_of(pt);
          p.id = req_string(pt, pp, "id");
          const toml::node* w = pt.get("when");
          if (w == nullptr) fail(&pt, pp + ".when", "is required");
          p.when = cond(*w, pp + ".when", 1);
          p.label = opt_string(pt, pp, "label").value_or("");
          p.label_zh = opt_string(pt, pp, "label_zh").value_or("");
          p.source = opt_string(pt, pp, "source").value_or("");
          p.rationale = opt_string(pt, pp, "rationale").value_or("");
          p.basis = opt_string(pt, pp, "basis").value_or("");
          g.prerequisites.push_back(std::move(p));
        }
      }
      s.grades.push_back(std::move(g));
    });

    each_table(root, "rules", [&](const toml::table& t, const std::string& path) {
      check_keys(t, path, {"id", "action", "when", "grade", "levels", "terminate", "target", "score", "lapse",
                           "message", "message_zh", "label", "label_zh", "source", "basis", "rationale"});
      rule r;
      r.line = line_of(t);
      r.id = req_string(t, path, "id");
      const std::string rp = "rules." + r.id;
      const std::string action = req_string(t, rp, "action");
      const rule_action_info* act = find_action(action);
      if (act == nullptr) {
        std::string names;
        for (const auto& x : rule_actions()) names += std::string(names.empty() ? "" : ", ") + x.name;
        fail(t.get("action"), rp + ".action", "unknown action \"" + action + "\" (" + names + ")");
      }
      r.action = act->action;
      const toml::node* w = t.get("when");
      if (w == nullptr) fail(&t, rp + ".when", "is required");
      r.when = cond(*w, rp + ".when", 1);
      // the parameters the action table lists for this action; every other parameter key is refused
      static const rule_param every_param[] = {rule_param::ceiling, rule_param::gated_grade, rule_param::levels,
                                               rule_param::terminate, rule_param::target, rule_param::score,
                                               rule_param::message, rule_param::message_zh};
      for (rule_param p : every_param) {
        const char* key = toml_key(p);
        bool takes = false;
        for (rule_param q : act->params) takes = takes || std::string(toml_key(q)) == key;
        if (!takes && t.get(key)) fail(t.get(key), rp + "." + key, "does not apply to a " + action + " rule");
      }
      for (std::size_t k = 0; k < act->params.size(); ++k) {
        const bool required = act->required[k];
        switch (act->params[k]) {
          case rule_param::ceiling: r.cap = req_grade(t, rp, "grade", true); break;
          case rule_param::gated_grade: r.cap = req_grade(t, rp, "grade", false); break;
          case rule_param::levels:
            if (required && !t.get("levels")) fail(&t, rp + ".levels", "is required");
            r.levels = opt_int(t, rp, "levels").value_or(1);
            break;
          case rule_param::terminate:
            if (required && !t.get("terminate")) fail(&t, rp + ".terminate", "is required");
            r.terminate = opt_bool(t, rp, "terminate").value_or(false);
            break;
          case rule_param::target: r.target = req_string(t, rp, "target"); break;
          case rule_param::score: r.score = req_number(t, rp, "score"); break;
          case rule_param::message: r.message = opt_string(t, rp, "message").value_or(""); break;
          case rule_param::message_zh: r.message_zh = opt_string(t, rp, "message_zh").value_or(""); break;
        }
      }
      if (const toml::node* l = t.get("lapse")) {
        const toml::table& lt = table_at(*l, rp + ".lapse");
        check_keys(lt, rp + ".lapse", {"date", "months"});
        r.lapse.date_field = req_string(lt, rp + ".lapse", "date");
        const auto months = opt_int(lt, rp + ".lapse", "months");
        if (!months) fail(l, rp + ".lapse.months", "is required");
        r.lapse.months = *months;
      }
      r.label = opt_string(t, rp, "label").value_or("");
      r.label_zh = opt_string(t, rp, "label_zh").value_or("");
      r.source = opt_string(t, rp, "source").value_or("");
      if (auto why = opt_string(t, rp, "rationale")) s.rule_rationales.emplace_back(r.id, std::move(*why));
      r.basis = opt_string(t, rp, "basis").value_or("");
      s.rules.push_back(std::move(r));
    });

    each_table(root, "scenario_sets", [&](const toml::table& t, const std::string& path) {
      check_keys(t, path, {"id", "codes", "label", "label_zh", "source", "basis"});
      scenario_set set;
      set.line = line_of(t);
      set.id = req_string(t, path, "id");
      const toml::node* cn = t.get("codes");
      const toml::array* a = cn ? cn->as_array() : nullptr;
      if (a == nullptr) fail(cn ? cn : static_cast<const toml::node*>(&t), path + ".codes", "must be an array of scenario codes");
      for (std::size_t k = 0; k < a->size(); ++k) {
        const auto* v = a->get(k)->as_string();
        if (v == nullptr) fail(a->get(k), path + ".codes[" + std::to_string(k) + "]", "must be a string (a scenario code)");
        set.codes.push_back(v->get());
      }
      set.label = opt_string(t, path, "label").value_or("");
      set.label_zh = opt_string(t, path, "label_zh").value_or("");
      set.source = opt_string(t, path, "source").value_or("");
      set.basis = opt_string(t, path, "basis").value_or("");
      s.scenario_sets.push_back(std::move(set));
    });
    return s;
  }

  /// The `source` and `basis` keys of a settings table, kept under `key`.
  void cite(model_spec& s, const toml::table& t, const std::string& path, const std::string& key) const {
    citation c{opt_string(t, path, "source").value_or(""), opt_string(t, path, "basis").value_or("")};
    if (key == "model") {
      if (!c.basis.empty()) s.citations[key] = c;
      return;
    }
    if (!c.source.empty() || !c.basis.empty()) s.citations[key] = std::move(c);
  }

 private:
  std::string file_;
};

// ---------------------------------------------------------------------------------------------
// Writing

toml::table cond_table(const condition& c) {
  toml::table t;
  switch (c.kind) {
    case condition::node_kind::all:
    case condition::node_kind::any: {
      toml::array a;
      for (const auto& ch : c.children) a.push_back(cond_table(ch));
      t.insert(c.kind == condition::node_kind::all ? "all" : "any", std::move(a));
      break;
    }
    case condition::node_kind::negate:
      t.insert("not", cond_table(c.children.at(0)));
      break;
    case condition::node_kind::compare: {
      t.insert("field", c.field.text());
      t.insert("op", std::string(to_string(c.op)));
      auto push_scalar = [&](toml::array& a, std::size_t i) {
        if (c.string_values) a.push_back(c.strings[i]);
        else if (c.field.kind == field_kind::history_grade)
          a.push_back(std::string(to_string(grade_from_level(static_cast<int>(c.numbers[i])))));
        else if (c.field.kind == field_kind::flag) a.push_back(c.numbers[i] != 0.0);
        else a.push_back(c.numbers[i]);
      };
      if (c.op == compare_op::is_missing) {
        t.insert("value", !c.numbers.empty() && c.numbers[0] != 0.0);
      } else if (c.op == compare_op::in || c.op == compare_op::count_in) {
        toml::array a;
        const std::size_t n = c.string_values ? c.strings.size() : c.numbers.size();
        for (std::size_t i = 0; i < n; ++i) push_scalar(a, i);
        t.insert("value", std::move(a));
        if (c.op == compare_op::count_in) {
          t.insert("cmp", std::string(to_string(c.count_cmp)));
          t.insert("n", c.count_n);
        }
      } else {
        toml::array a;
        push_scalar(a, 0);
        t.insert("value", std::move(*a.get(0)));
      }
      break;
    }
  }
  t.is_inline(true);
  return t;
}

toml::table scoring_table(const scoring_function& f) {
  toml::table t;
  auto dir_name = [&] { return std::string(f.dir == direction::benefit ? "benefit" : "cost"); };
  auto pair_array = [&] {
    toml::array a;
    for (const auto& [x, y] : f.points) a.push_back(toml::array{x, y});
    return a;
  };
  switch (f.kind) {
    case scoring_kind::linear:
      t.insert("kind", "linear");
      t.insert("direction", dir_name());
      t.insert("lower", f.lower);
      t.insert("upper", f.upper);
      break;
    case scoring_kind::piecewise:
      t.insert("kind", "piecewise");
      t.insert("points", pair_array());
      break;
    case scoring_kind::steps:
      t.insert("kind", "steps");
      t.insert("direction", dir_name());
      t.insert("steps", pair_array());
      t.insert("otherwise", f.otherwise);
      break;
    case scoring_kind::boolean:
      t.insert("kind", "boolean");
      t.insert("true_score", f.true_score);
      t.insert("false_score", f.false_score);
      break;
    case scoring_kind::categorical: {
      t.insert("kind", "categorical");
      toml::table m;
      for (const auto& [k, v] : f.categories) m.insert(k, v);
      m.is_inline(true);
      t.insert("map", std::move(m));
      break;
    }
  }
  t.is_inline(true);
  return t;
}

toml::date to_toml_date(civil_date d) {
  const auto ymd = to_ymd(d);
  return toml::date{ymd.year, static_cast<unsigned>(ymd.month), static_cast<unsigned>(ymd.day)};
}

void put_labels(toml::table& t, const std::string& label, const std::string& label_zh, const std::string& source,
                const std::string& basis = std::string(), const std::string& rationale = std::string()) {
  if (!label.empty()) t.insert("label", label);
  if (!label_zh.empty()) t.insert("label_zh", label_zh);
  if (!source.empty()) t.insert("source", source);
  if (!basis.empty()) t.insert("basis", basis);
  if (!rationale.empty()) t.insert("rationale", rationale);
}

void put_citation(toml::table& t, const model_spec& s, const std::string& key, bool with_source = true) {
  const auto it = s.citations.find(key);
  if (it == s.citations.end()) return;
  if (with_source && !it->second.source.empty()) t.insert("source", it->second.source);
  if (!it->second.basis.empty()) t.insert("basis", it->second.basis);
}

/// The first non-ASCII byte outside strings and comments, as (line, column), or (0, 0). TOML 1.0
/// allows non-ASCII text only inside strings and comments; toml++ 3.3 reaches undefined behaviour
/// (an unreachable branch of its Unicode whitespace test) on some such characters (U+00A1 …
/// U+049A) where whitespace may stand, so they are refused before it sees them.
std::pair<std::uint32_t, std::uint32_t> non_ascii_outside_strings(const std::string& t) {
  std::uint32_t line = 1, column = 1;
  std::size_t i = 0;
  const std::size_t n = t.size();
  auto advance = [&](std::size_t k) {
    for (std::size_t e = std::min(n, i + k); i < e; ++i) {
      if (t[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(t[i]) & 0xC0u) != 0x80u) {
        ++column;
      }
    }
  };
  while (i < n) {
    const char c = t[i];
    if (c == '#') {  // a comment, to the end of the line
      while (i < n && t[i] != '\n') advance(1);
    } else if (c == '"' || c == '\'') {
      const bool multi = t.compare(i, 3, std::string(3, c)) == 0;
      advance(multi ? 3 : 1);
      while (i < n) {
        if (c == '"' && t[i] == '\\') {
          advance(2);
        } else if (multi ? t.compare(i, 3, std::string(3, c)) == 0 : t[i] == c) {
          advance(multi ? 3 : 1);
          while (multi && i < n && t[i] == c) advance(1);  // up to two quotes may end the content
          break;
        } else if (!multi && t[i] == '\n') {
          break;  // an unterminated string: toml++ reports it
        } else {
          advance(1);
        }
      }
    } else if (static_cast<unsigned char>(c) >= 0x80u) {
      return {line, column};
    } else {
      advance(1);
    }
  }
  return {0, 0};
}

}  // namespace

model model::from_toml(const std::string& text, const std::string& source_name) {
  error_location where;
  where.file = source_name;
  if (text.size() > max_model_bytes)
    throw model_error(where, "model file is larger than 4 MiB (" + std::to_string(text.size()) + " bytes)");
  if (const auto [line, column] = non_ascii_outside_strings(text); line != 0) {
    where.line = line;
    where.column = column;
    throw model_error(where, "TOML syntax error: a non-ASCII character outside a string or comment (keys are ASCII; "
                             "write text such as labels in quotes)");
  }
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    where.line = static_cast<std::uint32_t>(e.source().begin.line);
    where.column = static_cast<std::uint32_t>(e.source().begin.column);
    throw model_error(where, "TOML syntax error: " + std::string(e.description()));
  }
  reader r(source_name);
  return model(r.read(root));
}

model model::load(const std::string& path) {
  error_location where;
  where.file = path;
  std::string text;
  const std::string why = detail::read_file_bounded(path, max_model_bytes, text);
  if (why.rfind("cannot open", 0) == 0) throw model_error(where, "cannot open model file" + why.substr(11));
  if (why.rfind("larger", 0) == 0) throw model_error(where, "model file is larger than 4 MiB" + why.substr(why.find(" limit") + 6));
  if (!why.empty()) throw model_error(where, "model file " + why);
  return from_toml(text, path);
}

std::string model::to_toml() const {
  const model_spec& s = spec();
  toml::table root;
  toml::table m;
  m.insert("id", s.info.id);
  if (!s.info.version.empty()) m.insert("version", s.info.version);
  if (!s.info.effective_from.is_missing()) m.insert("effective_from", to_toml_date(s.info.effective_from));
  if (!s.info.effective_to.is_missing()) m.insert("effective_to", to_toml_date(s.info.effective_to));
  put_labels(m, s.info.label, s.info.label_zh, s.info.source, std::string(), s.info.rationale);
  put_citation(m, s, "model", false);
  if (!s.info.provenance.empty()) {
    const auto& pv = s.info.provenance;
    toml::table pt;
    if (!pv.parent_id.empty()) pt.insert("parent_id", pv.parent_id);
    if (!pv.parent_version.empty()) pt.insert("parent_version", pv.parent_version);
    if (!pv.parent_fingerprint.empty()) pt.insert("parent_fingerprint", pv.parent_fingerprint);
    if (!pv.method.empty()) pt.insert("method", pv.method);
    if (!pv.note.empty()) pt.insert("note", pv.note);
    m.insert("provenance", std::move(pt));
  }
  root.insert("model", std::move(m));

  toml::table rv;
  // every setting from the table of review settings (embedrating/review_fields.hpp)
  visit_review_fields(s.reviews, [&](const auto& field, const auto& v) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if constexpr (std::is_array_v<T>) {
      toml::array a;
      for (double x : v) a.push_back(x);
      rv.insert(field.name, std::move(a));
    } else if constexpr (std::is_enum_v<T>) {
      const char* name = choice_name(field, v);
      rv.insert(field.name, std::string(name != nullptr ? name : "?"));
    } else {
      // period_days only with period = "days" (it must be 0 otherwise)
      if (field.encoding == review_field_encoding::days_if_period && s.reviews.period != review_period::days) return;
      rv.insert(field.name, v);
    }
  });
  put_citation(rv, s, "reviews");
  root.insert("reviews", std::move(rv));

  toml::table hi;
  hi.insert("max_rise", s.history.max_rise);
  hi.insert("no_rise_months_after_downgrade", s.history.no_rise_months_after_downgrade);
  hi.insert("first_rating_max", std::string(to_string(s.history.first_rating_max)));
  put_citation(hi, s, "history");
  root.insert("history", std::move(hi));

  toml::array measures;
  for (const auto& me : s.measures) {
    toml::table t;
    t.insert("id", me.id);
    t.insert("kind", me.kind == measure_kind::number ? "number" : "category");
    if (!me.unit.empty()) t.insert("unit", me.unit);
    if (me.min) t.insert("min", *me.min);
    if (me.max) t.insert("max", *me.max);
    if (!me.levels.empty()) {
      toml::array a;
      for (const auto& l : me.levels) a.push_back(l);
      t.insert("levels", std::move(a));
    }
    t.insert("direction", me.dir == direction::benefit ? "benefit" : "cost");
    t.insert("rollup", std::string(to_string(me.rollup)));
    put_labels(t, me.label, me.label_zh, me.source, me.basis, me.rationale);
    measures.push_back(std::move(t));
  }
  root.insert("measures", std::move(measures));

  toml::array dims, inds;
  for (const auto& nd : s.nodes) {
    toml::table t;
    t.insert("id", nd.id);
    if (!nd.parent.empty()) t.insert("parent", nd.parent);
    t.insert("points", nd.points);
    if (nd.input) {
      t.insert("input", nd.input->text());
      t.insert("scoring", scoring_table(nd.scoring));
      switch (nd.missing.kind) {
        case missing_policy::kind_t::error: t.insert("missing", "error"); break;
        case missing_policy::kind_t::zero: t.insert("missing", "zero"); break;
        case missing_policy::kind_t::fixed: {
          toml::table mt;
          mt.insert("score", nd.missing.score);
          mt.is_inline(true);
          t.insert("missing", std::move(mt));
          break;
        }
        case missing_policy::kind_t::fallback: {
          toml::table mt;
          mt.insert("fallback", nd.missing.fallback_input.text());
          mt.insert("scoring", scoring_table(nd.missing.fallback_scoring));
          mt.is_inline(true);
          t.insert("missing", std::move(mt));
          break;
        }
      }
    }
    if (nd.not_applicable_if) t.insert("not_applicable_if", cond_table(*nd.not_applicable_if));
    put_labels(t, nd.label, nd.label_zh, nd.source, nd.basis, nd.rationale);
    (nd.parent.empty() ? dims : inds).push_back(std::move(t));
  }
  root.insert("dimensions", std::move(dims));
  root.insert("indicators", std::move(inds));

  toml::array grades;
  for (const auto& g : s.grades) {
    toml::table t;
    t.insert("grade", std::string(to_string(g.level)));
    t.insert("min_total", g.min_total);
    t.insert("min_dimension_ratio", g.min_dimension_ratio);
    if (!g.dimension_minimums.empty()) {
      toml::table dm;
      for (const auto& [d, r] : g.dimension_minimums) dm.insert(d, r);
      dm.is_inline(true);
      t.insert("dimension_minimums", std::move(dm));
    }
    if (!g.prerequisites.empty()) {
      toml::array ps;
      for (const auto& p : g.prerequisites) {
        toml::table pt;
        pt.insert("id", p.id);
        pt.insert("when", cond_table(p.when));
        put_labels(pt, p.label, p.label_zh, p.source, p.basis, p.rationale);
        ps.push_back(std::move(pt));
      }
      t.insert("prerequisites", std::move(ps));
    }
    put_citation(t, s, "grades." + std::string(to_string(g.level)));
    if (!g.rationale.empty()) t.insert("rationale", g.rationale);
    grades.push_back(std::move(t));
  }
  root.insert("grades", std::move(grades));

  toml::array rules;
  for (const auto& r : s.rules) {
    toml::table t;
    t.insert("id", r.id);
    t.insert("action", std::string(to_string(r.action)));
    t.insert("when", cond_table(r.when));
    for (rule_param p : action_info(r.action).params) {
      switch (p) {
        case rule_param::ceiling:
        case rule_param::gated_grade: t.insert("grade", std::string(to_string(r.cap))); break;
        case rule_param::levels: t.insert("levels", r.levels); break;
        case rule_param::terminate: t.insert("terminate", r.terminate); break;
        case rule_param::target: t.insert("target", r.target); break;
        case rule_param::score: t.insert("score", r.score); break;
        case rule_param::message:
          if (!r.message.empty()) t.insert("message", r.message);
          break;
        case rule_param::message_zh:
          if (!r.message_zh.empty()) t.insert("message_zh", r.message_zh);
          break;
      }
    }
    if (r.lapse.active()) {
      toml::table lt;
      lt.insert("date", r.lapse.date_field);
      lt.insert("months", r.lapse.months);
      lt.is_inline(true);
      t.insert("lapse", std::move(lt));
    }
    std::string why;
    for (const auto& [id, text] : s.rule_rationales)
      if (id == r.id) why = text;
    put_labels(t, r.label, r.label_zh, r.source, r.basis, why);
    rules.push_back(std::move(t));
  }
  root.insert("rules", std::move(rules));

  if (!s.scenario_sets.empty()) {
    toml::array sets;
    for (const auto& set : s.scenario_sets) {
      toml::table t;
      t.insert("id", set.id);
      toml::array codes;
      for (const auto& c : set.codes) codes.push_back(c);
      t.insert("codes", std::move(codes));
      put_labels(t, set.label, set.label_zh, set.source, set.basis);
      sets.push_back(std::move(t));
    }
    root.insert("scenario_sets", std::move(sets));
  }

  std::ostringstream os;
  os << "# Canonical form written by embedrating " << "(model " << s.info.id << ")\n";
  // readable UTF-8: Chinese labels as they are, not \uXXXX escapes
  os << toml::toml_formatter(root, toml::format_flags::allow_unicode_strings);
  os << "\n";
  return os.str();
}

void model::save(const std::string& path) const {
  const std::string why = detail::write_file_atomically(path, to_toml());
  if (!why.empty()) {
    error_location where;
    where.file = path;
    throw model_error(where, "cannot write model file: " + why);
  }
}

}  // namespace embedrating
