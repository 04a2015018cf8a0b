// The sheets the CLI publishes (ratings, directory, distribution, review summary), en and zh.
#include "report_sheets.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>


#include "text_table.hpp"

namespace embedrating::cli {

std::string attribute_or(const dataset& d, const char* name, std::size_t i) {
  const auto* a = d.attribute(name);
  return a ? (*a)[i] : std::string();
}

std::string operator_name(const dataset& d, std::size_t i) {
  std::string n = attribute_or(d, "name_zh", i);
  return n.empty() ? attribute_or(d, "name", i) : n;
}

namespace {

using kind = sheet_column::kind;

/// Centi-points as "12.34" into `out` (what fmt's {:.2f} gives for centi / 100: a whole number of
/// hundredths is exact), without a double or an allocation once `out` has room.
void put_points(std::string& out, std::int64_t centi) {
  char buf[32];
  char* e = buf + sizeof buf;
  char* p = e;
  const bool negative = centi < 0;
  std::uint64_t v = negative ? 0 - static_cast<std::uint64_t>(centi) : static_cast<std::uint64_t>(centi);
  *--p = static_cast<char>('0' + v % 10);
  v /= 10;
  *--p = static_cast<char>('0' + v % 10);
  v /= 10;
  *--p = '.';
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (negative) *--p = '-';
  out.assign(p, e);
}

bool graded(const ratings& r, std::size_t i) { return r.status[i] == operator_status::active; }

std::string number(double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); }

}  // namespace

std::string mode_name(const catalogue& cat, const std::string& code, bool zh) {
  const operating_mode* md = cat.find_mode(code);
  if (!md) return code;
  return zh ? md->name_zh : (code);
}

std::string status_name(const catalogue& cat, operator_status s, bool zh) {
  if (!zh) return to_string(s);
  const status_info* st = cat.find_status(to_string(s));
  return st ? st->name_zh : std::string(to_string(s));
}

sheet ratings_columns(const report_context& c) {
  sheet s;
  s.name_en = "ratings";
  s.name_zh = "评级结果";
  s.column("operator_id", "运营商编号");
  s.column("name", "名称");
  s.column("district", "区");
  s.column("street", "街道");
  s.column("community", "社区");
  s.column("mode", "运营模式");
  s.column("status", "状态");
  s.column("total", "总分", kind::number);
  s.column("grade_by_score", "按得分等级");
  s.column("grade", "评定等级");
  s.column("terminate", "终止协议(1=是)", kind::integer);
  for (std::int32_t node : c.m.dimension_nodes()) {
    const auto& nd = c.m.spec().nodes[static_cast<std::size_t>(node)];
    s.column(nd.id + "_points", (nd.label_zh.empty() ? nd.id : nd.label_zh) + "得分", kind::number);
  }
  s.column("rules_fired", "触发规则");
  s.column("history_limit", "历史限制");
  s.column("previous_grade", "上期等级");
  s.column("as_of", "评定日期");
  s.column("model_id", "模型");
  s.column("model_version", "模型版本");
  s.column("model_fingerprint", "模型指纹");
  s.column("input_hash", "输入哈希");
  // the rest of the history the next cycle needs (embedrating roll-forward reads it back)
  s.column("previous_rated_on", "上期评定日期");
  s.column("last_downgrade_on", "最近降级日期");
  return s;
}

void ratings_rows(const report_context& c, const std::function<void(const std::vector<std::string>&)>& each) {
  const ratings& r = c.r;
  const bool zh = c.zh;
  const auto* rated_on = c.d.date("history.previous_rated_on");
  const auto* downgraded_on = c.d.date("history.last_downgrade_on");
  // columns looked up once; the row's strings are reused from one operator to the next
  const std::vector<std::string>* name_zh = c.d.attribute("name_zh");
  const std::vector<std::string>* name = c.d.attribute("name");
  const std::vector<std::string>* attrs[] = {c.d.attribute("district"), c.d.attribute("street"), c.d.attribute("community")};
  const std::vector<std::string>* mode = c.d.attribute("mode");
  const std::string not_graded = zh ? "未参评" : "";
  const std::string as_of = to_string(r.as_of);
  const auto dims = static_cast<std::size_t>(r.dimension_centi.cols());
  std::vector<std::string> row(11 + dims + 10);
  auto put_date = [](std::string& out, const std::vector<civil_date>* col, std::size_t i) {
    if (col == nullptr || (*col)[i].is_missing()) out.clear();
    else out = to_string((*col)[i]);
  };
  const auto& rules = r.rating_model->spec().rules;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const bool g = graded(r, i);
    const std::size_t di = c.first_row + i;  // the operator's row in the dataset
    std::size_t k = 0;
    row[k++] = r.operator_ids[i];
    const std::string* nm = name_zh && !(*name_zh)[di].empty() ? &(*name_zh)[di] : name ? &(*name)[di] : nullptr;
    if (nm) row[k++] = *nm;
    else row[k++].clear();
    for (const auto* col : attrs) {
      if (col) row[k++] = (*col)[di];
      else row[k++].clear();
    }
    if (mode) row[k++] = mode_name(c.cat, (*mode)[di], zh);
    else row[k++].clear();
    row[k++] = status_name(c.cat, r.status[i], zh);
    put_points(row[k++], r.total_centi[i]);
    if (g) row[k++] = zh ? to_string_zh(r.grade_by_score[i]) : to_string(r.grade_by_score[i]);
    else row[k++] = not_graded;
    if (g) row[k++] = zh ? to_string_zh(r.final_grade[i]) : to_string(r.final_grade[i]);
    else row[k++] = not_graded;
    row[k++] = r.terminate[i] ? "1" : "0";
    for (std::size_t j = 0; j < dims; ++j) put_points(row[k++], r.dimension_centi(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
    std::string& fired = row[k++];
    fired.clear();
    for (std::uint32_t f = r.fired_offsets[i]; f < r.fired_offsets[i + 1]; ++f) {
      if (!fired.empty()) fired += ';';
      fired += rules[r.fired[f].rule].id;
    }
    if (r.history_limit[i] < grade::a5) row[k++] = zh ? to_string_zh(r.history_limit[i]) : to_string(r.history_limit[i]);
    else row[k++].clear();
    const std::int8_t prev = r.previous_grade[i];
    if (prev >= 0) row[k++] = zh ? to_string_zh(grade_from_level(prev)) : to_string(grade_from_level(prev));
    else row[k++].clear();
    row[k++] = as_of;
    row[k++] = c.m.info().id;
    row[k++] = c.m.info().version;
    row[k++] = c.m.fingerprint();
    row[k++] = r.input_hash;
    put_date(row[k++], rated_on, di);
    put_date(row[k++], downgraded_on, di);
    each(row);
  }
}

sheet ratings_sheet(const report_context& c) {
  sheet s = ratings_columns(c);
  s.rows.reserve(c.r.size());
  ratings_rows(c, [&](const std::vector<std::string>& row) { s.rows.push_back(row); });
  return s;
}

namespace {
/// Whether a cell must be quoted (',', '"', CR or LF in it): one pass over the bytes (find_first_of
/// searches the four characters once per byte, a quarter of the time of writing 2·10^6 rows).
bool needs_quotes(const std::string& v) noexcept {
  bool any = false;
  for (const char c : v) any |= (c == ',') | (c == '"') | (c == '\r') | (c == '\n');
  return any;
}
}  // namespace

void append_csv_row(std::string& out, const std::vector<std::string>& row) {
  for (std::size_t k = 0; k < row.size(); ++k) {
    if (k) out += ',';
    const std::string& v = row[k];
    if (!needs_quotes(v)) out += v;
    else out += csv_field(v);
  }
  out += '\n';
}

sheet directory_sheet(const report_context& c, int valid_months) {
  const ratings& r = c.r;
  const civil_date valid_to = directory_valid_to(c.m, r.as_of, valid_months);
  sheet s;
  s.name_en = "directory";
  s.name_zh = "等级评定目录";
  s.column("operator_id", "运营商编号");
  s.column("name", "名称");
  s.column("district", "区");
  s.column("mode", "运营模式");
  s.column("grade", "等级");
  s.column("valid_from", "有效期起");
  s.column("valid_to", "有效期止");
  s.column("model_id", "模型");
  s.column("model_version", "模型版本");
  s.column("model_fingerprint", "模型指纹");
  s.column("input_hash", "输入哈希");
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!graded(r, i) || r.final_grade[i] == grade::unrated) continue;
    s.rows.push_back({r.operator_ids[i], operator_name(c.d, i), attribute_or(c.d, "district", i),
                      mode_name(c.cat, attribute_or(c.d, "mode", i), c.zh), std::string(to_string(r.final_grade[i])),
                      to_string(r.as_of), to_string(valid_to), c.m.info().id, c.m.info().version, c.m.fingerprint(),
                      r.input_hash});
  }
  return s;
}

sheet distribution_sheet(const report_context& c) {
  const ratings& r = c.r;
  const bool zh = c.zh;
  sheet s;
  s.name_en = "distribution";
  s.name_zh = "等级分布";
  s.column("group", "分组");
  s.column("value", "名称");
  for (int l = 5; l >= 1; --l) s.column(std::string(to_string(grade_from_level(l))), std::string(to_string(grade_from_level(l))), kind::integer);
  s.column("unrated", "不予评级", kind::integer);
  s.column("not_graded", "未参评", kind::integer);
  s.column("total", "合计", kind::integer);
  struct tally {
    std::size_t n[grade_count] = {0, 0, 0, 0, 0, 0};
    std::size_t not_graded = 0;
  };
  auto add_row = [&](const std::string& group, const std::string& value, const tally& t) {
    std::vector<std::string> row{group, value};
    std::size_t total = t.not_graded;
    for (int l = 5; l >= 0; --l) {
      row.push_back(std::to_string(t.n[l]));
      total += t.n[l];
    }
    row.push_back(std::to_string(t.not_graded));
    row.push_back(std::to_string(total));
    s.rows.push_back(std::move(row));
  };
  auto count = [&](tally& t, std::size_t i) {
    if (graded(r, i)) ++t.n[level(r.final_grade[i])];
    else ++t.not_graded;
  };
  tally all;
  for (std::size_t i = 0; i < r.size(); ++i) count(all, i);
  add_row(zh ? "全部" : "all", zh ? "全部运营商" : "all operators", all);
  for (const char* attr : {"district", "mode"}) {
    const auto* a = c.d.attribute(attr);
    if (!a) continue;
    std::vector<std::string> order;
    if (std::string(attr) == "mode")
      for (const auto& md : c.cat.modes())
        if (std::find(a->begin(), a->end(), md.code) != a->end()) order.push_back(md.code);
    std::map<std::string, tally> by;
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string& k = (*a)[i];
      if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
      count(by[k], i);
    }
    const bool mode = std::string(attr) == "mode";
    for (const auto& k : order) {
      std::string label = mode ? mode_name(c.cat, k, zh) : k;
      if (k.empty()) label = zh ? "（未填）" : "(none)";
      add_row(mode ? (zh ? "运营模式" : "mode") : (zh ? "区" : "district"), label, by[k]);
    }
  }
  return s;
}

sheet review_summary_sheet(const review_summary& sm, bool /*zh: the titles carry both*/) {
  sheet s;
  s.name_en = "reviews";
  s.name_zh = "好差评汇总";
  s.column("operator_id", "运营商编号");
  for (int l = 1; l <= 5; ++l) s.column(fmt::format("stars_{}", l), fmt::format("{}星", l), kind::integer);
  s.column("valid_n", "有效评价数", kind::number);
  s.column("effective_n", "有效样本量", kind::number);
  s.column("satisfaction_index", "满意度指数", kind::number);
  s.column("satisfaction_rate", "满意率", kind::number);
  s.column("wilson_lower", "Wilson下限", kind::number);
  s.column("jeffreys_lower", "Jeffreys下限", kind::number);
  s.column("jeffreys_upper", "Jeffreys上限", kind::number);
  s.column("bayes_rate", "贝叶斯平均满意率", kind::number);
  s.column("eb_rate", "经验贝叶斯满意率", kind::number);
  s.column("bad_open", "差评未结", kind::integer);
  s.column("bad_closed_in_time", "差评按期整改", kind::integer);
  s.column("bad_overdue", "差评逾期", kind::integer);
  s.column("bad_followed_up", "差评已回访", kind::integer);
  s.column("low_volume", "样本不足(1=是)", kind::integer);
  s.column("as_of", "评定日期");
  for (std::size_t i = 0; i < sm.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    std::vector<std::string> row{sm.operator_ids[i]};
    for (int l = 0; l < 5; ++l) row.push_back(std::to_string(sm.counts(r, l)));
    row.push_back(fmt::format("{}", sm.valid_n(r)));
    for (double v : {sm.effective_n(r), sm.satisfaction_index(r), sm.satisfaction_rate(r), sm.wilson_lower(r), sm.jeffreys_lower(r),
                     sm.jeffreys_upper(r), sm.bayes_rate(r), sm.eb_rate(r)})
      row.push_back(number(v));
    for (auto v : {sm.bad_open[i], sm.bad_closed_in_time[i], sm.bad_overdue[i], sm.bad_followed_up[i]}) row.push_back(std::to_string(v));
    row.push_back(std::to_string(int(sm.low_volume[i])));
    row.push_back(to_string(sm.as_of));
    s.rows.push_back(std::move(row));
  }
  return s;
}

std::string sheet_csv(const sheet& s, bool zh) {
  std::string out;
  for (std::size_t c = 0; c < s.columns.size(); ++c) out += (c ? "," : "") + csv_field(s.title(c, zh));
  out += '\n';
  for (const auto& row : s.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + csv_field(row[c]);
    out += '\n';
  }
  return out;
}

}  // namespace embedrating::cli
