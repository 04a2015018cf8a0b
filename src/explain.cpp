// Ratings: lookups, gates to the next grade, distribution and the text explanation.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "embedrating/catalogue.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/ratings.hpp"
#include "rate/stages.hpp"

namespace embedrating {

namespace {
std::string centi_text(std::int64_t c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", c < 0 ? "-" : "", static_cast<long long>(std::llabs(c) / 100),
                static_cast<long long>(std::llabs(c) % 100));
  return buf;
}
std::string num(double v, int digits = 2) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
const std::string& pick(language lang, const std::string& en, const std::string& zh, const std::string& id) {
  if (lang == language::zh && !zh.empty()) return zh;
  if (!en.empty()) return en;
  return id;
}
}  // namespace

std::int64_t ratings::find(const std::string& operator_id) const {
  const auto it = std::find(operator_ids.begin(), operator_ids.end(), operator_id);
  return it == operator_ids.end() ? -1 : static_cast<std::int64_t>(it - operator_ids.begin());
}

namespace {
const detail::scored_state& state(const ratings& r) {
  if (!r.scored_state_ || !r.point_plan_) throw std::logic_error("ratings: no rating behind this object (use rate() or regrade())");
  return *r.scored_state_;
}
}  // namespace

double ratings::dimension_ratio(std::size_t i, std::size_t d) const {
  const auto& cm = rating_model->compiled();
  const detail::scored_state& st = state(*this);
  const std::int64_t av = point_plan_->available[st.patterns.of_row[i] * point_plan_->nodes + static_cast<std::size_t>(cm.dimensions.at(d))];
  return av > 0 ? static_cast<double>(dimension_centi(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(d))) /
                      static_cast<double>(av)
                : std::nan("");
}

double ratings::indicator_score_at(std::size_t i, std::size_t j) const {
  return state(*this).leaf_scores(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
}

leaf_score_matrix ratings::leaf_scores() const {
  const auto& m = state(*this).leaf_scores;
  return leaf_score_matrix(m.data(), m.rows(), m.cols());
}

std::int64_t ratings::available_centi_at(std::size_t i, std::size_t k) const {
  if (kept_available_) return (*kept_available_)(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k));
  return point_plan_->available.at(state(*this).patterns.of_row.at(i) * point_plan_->nodes + k);
}

std::int64_t ratings::node_centi_at(std::size_t i, std::size_t k) const {
  if (kept_earned_) return (*kept_earned_)(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k));
  std::vector<std::int64_t> earned, available;
  node_points(i, earned, available);
  return earned.at(k);
}

void ratings::node_points(std::size_t i, std::vector<std::int64_t>& earned, std::vector<std::int64_t>& available) const {
  const detail::scored_state& st = state(*this);
  if (i >= st.n) throw std::out_of_range("ratings::node_points: row out of range");
  detail::node_points_of(rating_model->compiled(), *point_plan_, st.leaf_scores.data() + i, st.n, st.patterns.of_row[i],
                         earned, available);
}

void ratings::node_matrices(Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>& earned,
                            Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>& available) const {
  const detail::scored_state& st = state(*this);
  const auto n = static_cast<Eigen::Index>(st.n), N = static_cast<Eigen::Index>(point_plan_->nodes);
  earned.resize(n, N);
  available.resize(n, N);
  std::vector<std::int64_t> e, a;
  for (Eigen::Index i = 0; i < n; ++i) {
    node_points(static_cast<std::size_t>(i), e, a);
    for (Eigen::Index k = 0; k < N; ++k) {
      earned(i, k) = e[static_cast<std::size_t>(k)];
      available(i, k) = a[static_cast<std::size_t>(k)];
    }
  }
}

std::uint64_t ratings::prerequisites_failed(std::size_t i, int lvl) const {
  const detail::scored_state& st = state(*this);
  std::uint64_t bits = 0;
  if (lvl < 1 || lvl >= grade_count) return 0;
  const auto& entries = st.prerequisites[static_cast<std::size_t>(lvl)];
  for (std::size_t k = 0; k < entries.size(); ++k)
    if (!entries[k].reads_points && !entries[k].holds.test(i)) bits |= std::uint64_t{1} << k;
  if (!extra_prerequisites_failed_.empty()) bits |= extra_prerequisites_failed_[i * grade_count + static_cast<std::size_t>(lvl)];
  return bits;
}

std::vector<gate> ratings::gates(std::size_t i) const {
  if (final_grade.at(i) == grade::a5) return {};
  return gates(i, grade_from_level(level(final_grade[i]) + 1));
}

std::vector<gate> ratings::gates(std::size_t i, grade target) const {
  const auto& cm = rating_model->compiled();
  const model_spec& s = cm.spec;
  std::vector<gate> out;
  // gates without a numeric value (status, veto, prerequisite) report NaN, not 0, as required,
  // actual and shortfall: 0 would read as "needs 0, has 0"
  const double none = std::nan("");
  auto non_numeric = [none](gate& g) { g.required = g.actual = g.shortfall = none; };
  if (status.at(i) != operator_status::active) {
    gate g{gate::kind_t::status, target, to_string(status[i])};
    non_numeric(g);
    out.push_back(g);
    return out;
  }
  const int previous = previous_grade.empty() ? -1 : previous_grade[i];
  for (std::uint32_t k = fired_offsets[i]; k < fired_offsets[i + 1]; ++k) {
    const rule& r = s.rules[fired[k].rule];
    const rule_action_info& a = action_info(r.action);
    gate g{gate::kind_t::veto, target, ""};
    if (a.reported_gate == gate_kind::veto && a.gate_of(r, fired[k].lapses_on, previous, target, g)) {
      if (g.kind == gate::kind_t::veto || g.kind == gate::kind_t::prerequisite) non_numeric(g);
      out.push_back(g);
    }
  }
  if (!out.empty()) return out;
  std::vector<std::int64_t> earned, available;
  node_points(i, earned, available);
  const auto row = static_cast<Eigen::Index>(i);
  // score gates of every grade up to the target (grades are cumulative)
  for (int l = 1; l <= level(target); ++l) {
    const grade gl = grade_from_level(l);
    const grade_gate& gg = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])];
    const std::int64_t need = std::llround(gg.min_total * 100.0);
    if (total_centi[i] < need) {
      gate g{gate::kind_t::total, gl, "total"};
      g.required = gg.min_total;
      g.actual = total(i);
      g.shortfall = static_cast<double>(need - total_centi[i]) / 100.0;
      out.push_back(g);
    }
    for (std::size_t d = 0; d < cm.dimensions.size(); ++d) {
      const std::int64_t av = available[static_cast<std::size_t>(cm.dimensions[d])];
      if (av <= 0) continue;
      const std::int64_t have = dimension_centi(row, static_cast<Eigen::Index>(d));
      const std::int64_t req = detail::required_centi(gg.min_dimension_ratio, av);
      if (have < req) {
        gate g{gate::kind_t::dimension_ratio, gl, s.nodes[static_cast<std::size_t>(cm.dimensions[d])].id};
        g.required = gg.min_dimension_ratio;
        g.actual = static_cast<double>(have) / static_cast<double>(av);
        g.shortfall = static_cast<double>(req - have) / 100.0;  // in points
        out.push_back(g);
      }
    }
    for (const auto& [dim, ratio] : gg.dimension_minimums) {
      const auto node = static_cast<std::size_t>(cm.node_index.at(dim));
      const std::int64_t av = available[node];
      if (av <= 0) continue;
      const std::int64_t have = earned[node];
      const std::int64_t req = detail::required_centi(ratio, av);
      if (have < req) {
        gate g{gate::kind_t::dimension_minimum, gl, dim};
        g.required = ratio;
        g.actual = static_cast<double>(have) / static_cast<double>(av);
        g.shortfall = static_cast<double>(req - have) / 100.0;
        out.push_back(g);
      }
    }
    const std::uint64_t failed = prerequisites_failed(i, l);
    const auto& list = cm.prerequisites[static_cast<std::size_t>(l)];
    for (std::size_t k = 0; k < list.size() && k < 64; ++k)
      if (failed & (std::uint64_t{1} << k)) {
        gate g{gate::kind_t::prerequisite, gl, list[k].id};
        non_numeric(g);
        out.push_back(g);
      }
  }
  for (std::uint32_t k = fired_offsets[i]; k < fired_offsets[i + 1]; ++k) {
    const rule& r = s.rules[fired[k].rule];
    const rule_action_info& a = action_info(r.action);
    if (a.reported_gate == gate_kind::veto || a.reported_gate == gate_kind::prerequisite) continue;
    gate g{gate::kind_t::cap, target, ""};
    if (a.gate_of(r, fired[k].lapses_on, previous, target, g)) {
      if (g.kind == gate::kind_t::prerequisite) non_numeric(g);
      out.push_back(g);
    }
  }
  if (level(history_limit[i]) < level(target)) {
    gate g{gate::kind_t::history, target, ""};
    g.actual = level(history_limit[i]);
    g.required = level(target);
    g.lapses_on = history_lapses_on[i];
    if (previous_grade[i] < 0) g.id = "first_rating";
    else if (!history_lapses_on[i].is_missing()) g.id = "no_rise_after_downgrade";
    else g.id = "max_rise";
    out.push_back(g);
  }
  return out;
}

ratings::distribution_t ratings::distribution() const {
  distribution_t d;
  for (std::size_t i = 0; i < size(); ++i) {
    if (status[i] != operator_status::active) ++d.not_graded;
    else ++d.by_grade[level(final_grade[i])];
  }
  return d;
}

std::string ratings::explain(const std::string& operator_id, language lang) const {
  const std::int64_t i = find(operator_id);
  if (i < 0) {
    error_location w;
    w.operator_id = operator_id;
    throw data_error(w, "no such operator in these ratings");
  }
  return explain(static_cast<std::size_t>(i), lang);
}

std::string ratings::explain(std::size_t i, language lang) const {
  (void)state(*this);  // a ratings loaded from a format-1 archive keeps grades, not the scores explained here
  const auto& cm = rating_model->compiled();
  const model_spec& s = cm.spec;
  const bool zh = lang == language::zh;
  std::ostringstream o;
  auto grade_name = [&](grade g) { return std::string(zh ? to_string_zh(g) : to_string(g)); };

  static const char* status_zh[] = {"正常运营", "暂停中", "已暂停", "已终止"};
  const bool active = status.at(i) == operator_status::active;
  if (active)
    o << (zh ? "运营商 " : "Operator ") << operator_ids[i] << (zh ? " — 最终等级 " : " — final grade ")
      << grade_name(final_grade[i]) << (zh ? "（按得分 " : " (by score ") << grade_name(grade_by_score[i]) << (zh ? "）" : ")")
      << "\n";
  else  // not active (Art. 14): not graded at all, which is not the grade "unrated"
    o << (zh ? "运营商 " : "Operator ") << operator_ids[i] << (zh ? " — 未参评（状态：" : " — not graded (status: ")
      << (zh ? status_zh[static_cast<int>(status[i])] : to_string(status[i])) << (zh ? "）" : ")") << "\n";
  o << (zh ? "模型 " : "Model ") << s.info.id << " " << s.info.version << ", " << (zh ? "指纹 " : "fingerprint ")
    << rating_model->fingerprint().substr(0, 16) << "…; " << (zh ? "评定日期 " : "as of ") << to_string(as_of)
    << "; " << (zh ? "输入哈希 " : "input hash ") << (input_hash.empty() ? "-" : input_hash.substr(0, 16) + "…")
    << "; embedrating " << library_version << "\n";
  o << (zh ? "状态：" : "Status: ") << (zh ? status_zh[static_cast<int>(status[i])] : to_string(status[i]));
  if (terminate[i]) o << (zh ? "；依第十六条应终止运营协议" : "; the contract is to be terminated (Art. 16)");
  o << "\n";
  if (status[i] != operator_status::active) {
    o << (zh ? "未参评：仅正常运营的运营商参加等级评定（第十四条：暂停、终止服务须提前60日报告）。\n"
             : "Not graded: only active operators are graded (Art. 14: suspension or termination needs 60 days' notice).\n");
    return o.str();
  }

  o << (zh ? "总分 " : "Total ") << centi_text(total_centi[i]) << " / " << centi_text(point_plan_->total) << "\n";
  std::vector<std::int64_t> earned, available;
  node_points(i, earned, available);
  // the article an item implements (source) apart from where its number comes from (basis), as
  // the rules below show them
  auto cite = [&](const std::string& source, const std::string& basis) {
    if (source.empty() && basis.empty()) return;
    o << (zh ? "（" : " (");
    if (!source.empty()) o << (zh ? "依据：" : "source: ") << (zh ? cite_articles_zh(source) : source);
    if (!source.empty() && !basis.empty()) o << (zh ? "；" : "; ");
    if (!basis.empty()) o << (zh ? "数值来源：" : "basis: ") << (zh ? cite_articles_zh(basis) : basis);
    o << (zh ? "）" : ")");
  };
  // the tree, depth-first
  std::function<void(std::int32_t, int)> walk = [&](std::int32_t node, int depth) {
    const auto& cn = cm.nodes[static_cast<std::size_t>(node)];
    const indicator_node& nd = s.nodes[static_cast<std::size_t>(node)];
    const std::int64_t av = available[static_cast<std::size_t>(node)];
    o << std::string(static_cast<std::size_t>(2 + 2 * depth), ' ') << nd.id << " "
      << pick(lang, nd.label, nd.label_zh, nd.id) << ": ";
    if (av == 0 && cn.points_centi > 0) {
      o << (zh ? "不适用（分值按比例分配给同级指标）" : "not applicable (points re-allocated to its siblings)");
      cite(nd.source, nd.basis);
      o << "\n";
      return;
    }
    o << centi_text(earned[static_cast<std::size_t>(node)]) << " / " << centi_text(av);
    if (av != cn.points_centi) o << (zh ? "（原分值 " : " (nominal ") << centi_text(cn.points_centi) << (zh ? "）" : ")");
    if (cn.leaf >= 0) {
      const double sc = indicator_score(i, static_cast<std::size_t>(cn.leaf));
      o << (zh ? "，得分率 " : ", score ") << num(sc, 3);
    }
    cite(nd.source, nd.basis);
    o << "\n";
    for (std::int32_t c : cn.children) walk(c, depth + 1);
  };
  for (std::int32_t d : cm.dimensions) walk(d, 0);

  o << (zh ? "触发的规则：" : "Rules fired:");
  if (fired_offsets[i] == fired_offsets[i + 1]) o << (zh ? "无" : " none");
  o << "\n";
  for (std::uint32_t k = fired_offsets[i]; k < fired_offsets[i + 1]; ++k) {
    const rule& r = s.rules[fired[k].rule];
    // the article the rule implements (source) apart from where its number comes from (basis)
    o << "  " << r.id << " [" << action_tag(r, zh) << "] " << pick(lang, r.label, r.label_zh, r.id) << (zh ? "（依据：" : " (source: ")
      << (zh ? cite_articles_zh(r.source) : r.source);
    if (!r.basis.empty()) o << (zh ? "；数值来源：" : "; basis: ") << (zh ? cite_articles_zh(r.basis) : r.basis);
    if (!fired[k].lapses_on.is_missing()) o << (zh ? "；失效日期 " : "; lapses on ") << to_string(fired[k].lapses_on);
    o << (zh ? "）" : ")") << "\n";
  }
  if (warning_offsets[i] != warning_offsets[i + 1]) {
    o << (zh ? "提示：" : "Warnings:") << "\n";
    for (std::uint32_t k = warning_offsets[i]; k < warning_offsets[i + 1]; ++k) {
      const operator_warning& w = warnings[k];
      o << "  ";
      switch (w.kind) {
        case operator_warning::kind_t::missing_zero:
          o << cm.leaf_ids[w.index] << (zh ? "：输入缺失，按 0 分计" : ": input missing, scored 0");
          break;
        case operator_warning::kind_t::missing_fixed:
          o << cm.leaf_ids[w.index] << (zh ? "：输入缺失，按模型设定的固定得分计" : ": input missing, given the model's fixed score");
          break;
        case operator_warning::kind_t::missing_fallback:
          o << cm.leaf_ids[w.index] << (zh ? "：输入缺失，按替代指标计分" : ": input missing, scored from its fallback input");
          break;
        case operator_warning::kind_t::rule_warning: {
          const rule& r = s.rules[w.index];
          o << r.id << ": " << pick(lang, r.message, r.message_zh, r.id);
          break;
        }
        case operator_warning::kind_t::low_review_volume:
          o << (zh ? "有效评价数低于模型最低数量，评价得分已向先验值收缩" : "fewer valid reviews than the model's minimum: review scores shrunk toward the prior");
          break;
      }
      o << "\n";
    }
  }
  for (const auto& w : run_warnings) o << (zh ? "运行提示：" : "Run warning: ") << w << "\n";

  if (final_grade[i] == grade::a5) {
    o << (zh ? "已是最高等级 5A。\n" : "Already at the highest grade, 5A.\n");
    return o.str();
  }
  const grade next = grade_from_level(level(final_grade[i]) + 1);
  o << (zh ? "升至 " : "To reach ") << grade_name(next) << (zh ? " 需满足：" : ":") << "\n";
  for (const gate& g : gates(i, next)) {
    o << "  - ";
    switch (g.kind) {
      case gate::kind_t::status: o << (zh ? "状态须为正常运营" : "status must be active"); break;
      case gate::kind_t::veto: o << (zh ? "一票否决：" : "vetoed by ") << g.id; break;
      case gate::kind_t::total:
        o << grade_name(g.target) << (zh ? " 总分须 ≥ " : " needs total ≥ ") << num(g.required) << (zh ? "，现为 " : ", has ")
          << num(g.actual) << (zh ? "，差 " : ", short by ") << num(g.shortfall);
        break;
      case gate::kind_t::dimension_ratio:
      case gate::kind_t::dimension_minimum: {
        const auto& nd = s.nodes[static_cast<std::size_t>(cm.node_index.at(g.id))];
        o << grade_name(g.target) << (zh ? " 要求维度 " : " needs dimension ") << pick(lang, nd.label, nd.label_zh, nd.id)
          << (zh ? " 得分率 ≥ " : " ratio ≥ ") << num(g.required, 3) << (zh ? "，现为 " : ", has ") << num(g.actual, 3)
          << (zh ? "，差 " : ", short by ") << num(g.shortfall) << (zh ? " 分" : " points");
        break;
      }
      case gate::kind_t::prerequisite: {
        std::string label = g.id;
        for (const auto& gg : s.grades)
          for (const auto& p : gg.prerequisites)
            if (p.id == g.id) label = pick(lang, p.label, p.label_zh, p.id);
        for (const auto& r : s.rules)
          if (r.id == g.id) label = pick(lang, r.label, r.label_zh, r.id);
        o << grade_name(g.target) << (zh ? " 前提条件未满足：" : " prerequisite not met: ") << label << " (" << g.id << ")";
        break;
      }
      case gate::kind_t::cap:
        o << (zh ? "封顶规则 " : "cap ") << g.id << (zh ? " 限定最高 " : " limits the grade to ")
          << grade_name(grade_from_level(static_cast<int>(g.actual)));
        if (!g.lapses_on.is_missing()) o << (zh ? "，至 " : " until ") << to_string(g.lapses_on);
        break;
      case gate::kind_t::downgrade:
        o << (zh ? "降级规则 " : "downgrade ") << g.id << " (-" << static_cast<int>(g.actual) << ")";
        if (!g.lapses_on.is_missing()) o << (zh ? "，至 " : " until ") << to_string(g.lapses_on);
        break;
      case gate::kind_t::history:
        o << (zh ? "历史限制 " : "history limit ") << g.id << (zh ? "：本周期最高 " : ": at most ")
          << grade_name(grade_from_level(static_cast<int>(g.actual))) << (zh ? "" : " this cycle");
        if (!g.lapses_on.is_missing()) o << (zh ? "，至 " : " until ") << to_string(g.lapses_on);
        break;
    }
    o << "\n";
  }
  return o.str();
}

}  // namespace embedrating
