// The ratings archive (docs/archives.md): the rating model (its canonical TOML and fingerprints,
// as in the model archive), the per-run fields, then every per-operator array field by field.
// Loading checks every array against the operator count, every enum code against its range, the
// CSR offsets (monotone, starting at 0, ending at the size of `fired` / `warnings`) and every rule
// index against the model's rules; each violation is an archive_error naming the field.
//
// Format 2 adds the scored data the ratings were graded from (the scored part of the scored
// archive, src/archive/scored_archive.cpp, with the scoring model when it is not the rating
// model), so that a loaded ratings explains and gives leaf scores, node points and gates; the
// point plan is recomputed from the rating model on loading. Not stored: kept node points
// (computed on request). A format-1 archive still loads, without the scored data: indicator and
// node detail, explain() and an active operator's gates then throw std::logic_error.
#include <optional>

#include <boost/serialization/split_member.hpp>

#include "embedrating/model.hpp"
#include "embedrating/ratings.hpp"
#include "../rate/stages.hpp"
#include "embedrating/serialize.hpp"
#include "forms.hpp"

namespace embedrating {
namespace {

std::vector<std::int32_t> date_days(const std::vector<civil_date>& v) {
  std::vector<std::int32_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i].days();
  return out;
}
std::vector<civil_date> day_dates(const std::vector<std::int32_t>& v) {
  std::vector<civil_date> out;
  out.reserve(v.size());
  for (std::int32_t d : v) out.emplace_back(d);
  return out;
}

template <class E>
std::vector<std::uint8_t> enum_codes(const std::vector<E>& v) {
  std::vector<std::uint8_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<std::uint8_t>(v[i]);
  return out;
}

/// The serialized form of ratings; class version 1 (format 1: the fields below; format 2: then the
/// scored data).
struct ratings_form {
  const ratings* in = nullptr;
  ratings out;
  std::string source;
  std::uint32_t format_version = 2;

  void save(portable_oarchive& ar, const unsigned int /*version*/) const {
    const ratings& r = *in;
    const bool has_model = r.rating_model.has_value();
    ar << has_model;
    if (has_model) detail::save_model_text(ar, *r.rating_model);
    ar << r.as_of.days() << r.input_hash << r.library_version << r.run_warnings;
    ar << r.operator_ids.vector();
    ar << enum_codes(r.status.vector());
    std::vector<std::int8_t> g(r.grade_by_score.size());
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<std::int8_t>(r.grade_by_score[i]);
    ar << g;
    g.resize(r.final_grade.size());
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<std::int8_t>(r.final_grade[i]);
    ar << g;
    ar << r.terminate.vector() << r.total_centi.vector();
    ar << static_cast<std::uint64_t>(r.dimension_centi.rows()) << static_cast<std::uint64_t>(r.dimension_centi.cols());
    ar << std::vector<std::int32_t>(r.dimension_centi.data(), r.dimension_centi.data() + r.dimension_centi.size());
    ar << r.fired_offsets.vector();
    std::vector<std::uint32_t> rule(r.fired.size());
    std::vector<std::int32_t> lapses(r.fired.size());
    for (std::size_t k = 0; k < r.fired.size(); ++k) {
      rule[k] = r.fired[k].rule;
      lapses[k] = r.fired[k].lapses_on.days();
    }
    ar << rule << lapses;
    ar << r.warning_offsets.vector();
    std::vector<std::uint8_t> kind(r.warnings.size());
    std::vector<std::uint32_t> index(r.warnings.size());
    for (std::size_t k = 0; k < r.warnings.size(); ++k) {
      kind[k] = static_cast<std::uint8_t>(r.warnings[k].kind);
      index[k] = r.warnings[k].index;
    }
    ar << kind << index;
    ar << r.previous_grade.vector();
    g.resize(r.history_limit.size());
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<std::int8_t>(r.history_limit[i]);
    ar << g;
    ar << date_days(r.history_lapses_on.vector());
    ar << r.prerequisite_level_ << r.extra_prerequisites_failed_;
    // format 2: the scored data (a flag; then whether the scoring model is the rating model, the
    // scoring model if not, and the scored part)
    const bool has_scored = has_model && r.scored_state_ && r.point_plan_;
    ar << has_scored;
    if (!has_scored) return;
    const detail::scored_state& S = *r.scored_state_;
    const bool same_model = S.scoring_model->fingerprint() == r.rating_model->fingerprint();
    ar << same_model;
    if (!same_model) detail::save_model_text(ar, *S.scoring_model);
    detail::scored_part p;
    p.in = &S;
    ar << p;
  }

  void load(portable_iarchive& ar, const unsigned int /*version*/) {
    bool has_model = false;
    ar >> has_model;
    if (has_model) out.rating_model = detail::load_model_text(ar, source, "the model in the ratings archive");
    std::int32_t as_of = 0;
    ar >> as_of >> out.input_hash >> out.library_version >> out.run_warnings;
    out.as_of = civil_date(as_of);

    std::vector<std::string> ids;
    ar >> ids;
    const std::size_t n = ids.size();
    out.operator_ids = std::move(ids);
    auto sized = [&](std::size_t got, std::size_t want, const char* field) {
      if (got != want)
        ar.fail(std::string("ratings field ") + field + " has " + std::to_string(got) + " entries, " + std::to_string(want) +
                " expected");
    };
    auto grades = [&](const char* field) {
      std::vector<std::int8_t> g;
      ar >> g;
      sized(g.size(), n, field);
      std::vector<grade> out_g(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (g[i] < 0 || g[i] >= grade_count)
          ar.fail(std::string("ratings field ") + field + ": grade code " + std::to_string(g[i]) + " out of range (row " +
                  std::to_string(i) + ")");
        out_g[i] = static_cast<grade>(g[i]);
      }
      return out_g;
    };

    std::vector<std::uint8_t> codes;
    ar >> codes;
    sized(codes.size(), n, "status");
    std::vector<operator_status> status(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (codes[i] > static_cast<std::uint8_t>(operator_status::terminated))
        ar.fail("ratings field status: code " + std::to_string(codes[i]) + " out of range (row " + std::to_string(i) + ")");
      status[i] = static_cast<operator_status>(codes[i]);
    }
    out.status = std::move(status);
    out.grade_by_score = grades("grade_by_score");
    out.final_grade = grades("final_grade");
    std::vector<std::uint8_t> terminate;
    ar >> terminate;
    sized(terminate.size(), n, "terminate");
    out.terminate = std::move(terminate);
    std::vector<std::int32_t> total;
    ar >> total;
    sized(total.size(), n, "total_centi");
    out.total_centi = std::move(total);

    std::uint64_t rows = 0, cols = 0;
    ar >> rows >> cols;
    sized(static_cast<std::size_t>(rows), n, "dimension_centi (rows)");
    if (out.rating_model && cols != out.rating_model->dimension_nodes().size())
      ar.fail("ratings field dimension_centi has " + std::to_string(cols) + " columns, the model has " +
              std::to_string(out.rating_model->dimension_nodes().size()) + " dimensions");
    std::vector<std::int32_t> dims;
    ar >> dims;
    if (cols != 0 && rows > dims.size() / cols) ar.fail("ratings field dimension_centi is shorter than its rows × columns");
    sized(dims.size(), static_cast<std::size_t>(rows * cols), "dimension_centi");
    out.dimension_centi = Eigen::Map<const centi_matrix>(dims.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));

    const std::size_t n_rules = out.rating_model ? out.rating_model->spec().rules.size() : 0;
    auto offsets = [&](const char* field) {
      std::vector<std::uint32_t> o;
      ar >> o;
      sized(o.size(), n + 1, field);
      if (o[0] != 0) ar.fail(std::string("ratings field ") + field + " does not start at 0");
      for (std::size_t i = 1; i < o.size(); ++i)
        if (o[i] < o[i - 1]) ar.fail(std::string("ratings field ") + field + " is not monotone at row " + std::to_string(i - 1));
      return o;
    };
    std::vector<std::uint32_t> fo = offsets("fired_offsets");
    std::vector<std::uint32_t> rule;
    std::vector<std::int32_t> lapses;
    ar >> rule >> lapses;
    sized(lapses.size(), rule.size(), "fired (lapses_on)");
    if (fo.back() != rule.size())
      ar.fail("ratings field fired_offsets ends at " + std::to_string(fo.back()) + " but fired has " + std::to_string(rule.size()) +
              " entries");
    std::vector<fired_rule> fired(rule.size());
    for (std::size_t k = 0; k < rule.size(); ++k) {
      if (rule[k] >= n_rules)
        ar.fail("ratings field fired: rule index " + std::to_string(rule[k]) + " out of range (the model has " +
                std::to_string(n_rules) + " rules)");
      fired[k].rule = rule[k];
      fired[k].lapses_on = civil_date(lapses[k]);
    }
    out.fired_offsets = std::move(fo);
    out.fired = std::move(fired);

    std::vector<std::uint32_t> wo = offsets("warning_offsets");
    std::vector<std::uint8_t> kind;
    std::vector<std::uint32_t> index;
    ar >> kind >> index;
    sized(index.size(), kind.size(), "warnings (index)");
    if (wo.back() != kind.size())
      ar.fail("ratings field warning_offsets ends at " + std::to_string(wo.back()) + " but warnings has " +
              std::to_string(kind.size()) + " entries");
    const std::size_t n_leaves = out.rating_model ? out.rating_model->leaf_ids().size() : 0;
    std::vector<operator_warning> warnings(kind.size());
    for (std::size_t k = 0; k < kind.size(); ++k) {
      if (kind[k] > static_cast<std::uint8_t>(operator_warning::kind_t::low_review_volume))
        ar.fail("ratings field warnings: kind code " + std::to_string(kind[k]) + " out of range");
      const auto kt = static_cast<operator_warning::kind_t>(kind[k]);
      if (kt == operator_warning::kind_t::rule_warning && index[k] >= n_rules)
        ar.fail("ratings field warnings: rule index " + std::to_string(index[k]) + " out of range (the model has " +
                std::to_string(n_rules) + " rules)");
      if (out.rating_model &&
          (kt == operator_warning::kind_t::missing_fixed || kt == operator_warning::kind_t::missing_fallback ||
           kt == operator_warning::kind_t::missing_zero) &&
          index[k] >= n_leaves)
        ar.fail("ratings field warnings: leaf index " + std::to_string(index[k]) + " out of range (the model has " +
                std::to_string(n_leaves) + " leaves)");
      warnings[k].kind = kt;
      warnings[k].index = index[k];
    }
    out.warning_offsets = std::move(wo);
    out.warnings = std::move(warnings);

    std::vector<std::int8_t> prev;
    ar >> prev;
    sized(prev.size(), n, "previous_grade");
    for (std::int8_t p : prev)
      if (p < no_grade || p >= grade_count) ar.fail("ratings field previous_grade: code " + std::to_string(p) + " out of range");
    out.previous_grade = std::move(prev);
    out.history_limit = grades("history_limit");
    std::vector<std::int32_t> hl;
    ar >> hl;
    sized(hl.size(), n, "history_lapses_on");
    out.history_lapses_on = day_dates(hl);
    ar >> out.prerequisite_level_ >> out.extra_prerequisites_failed_;
    if (!out.prerequisite_level_.empty()) {
      sized(out.prerequisite_level_.size(), n, "prerequisite_level");
      for (std::uint8_t l : out.prerequisite_level_)
        if (l >= grade_count) ar.fail("ratings field prerequisite_level: level " + std::to_string(l) + " out of range");
    }
    if (!out.extra_prerequisites_failed_.empty())
      sized(out.extra_prerequisites_failed_.size(), n * grade_count, "extra_prerequisites_failed");
    if (format_version >= 2) load_scored(ar, n);
  }

  void load_scored(portable_iarchive& ar, std::size_t n) {
    bool has_scored = false;
    ar >> has_scored;
    if (!has_scored) return;
    if (!out.rating_model) ar.fail("ratings field scored: the scored data is stored without the rating model");
    bool same_model = true;
    ar >> same_model;
    std::optional<model> scoring;
    if (!same_model) scoring = detail::load_model_text(ar, source, "the scoring model in the ratings archive");
    const model& rm = *out.rating_model;
    detail::scored_part p;
    p.scoring_model = same_model ? &rm : &*scoring;
    ar >> p;
    const detail::scored_state& S = *p.out;
    if (S.structure != rm.structure_fingerprint())
      ar.fail("ratings field scored: the scoring model " + p.scoring_model->info().id +
              " differs in structure from the rating model " + rm.info().id + " (" + structure_difference(*p.scoring_model, rm) + ")");
    if (S.n != n)
      ar.fail("ratings field scored: " + std::to_string(S.n) + " scored operators, the ratings have " + std::to_string(n));
    if (S.operator_ids.vector() != out.operator_ids.vector())
      ar.fail("ratings field scored: the scored operator ids differ from the rated ones");
    // one copy of the per-operator columns both keep
    out.operator_ids = S.operator_ids;
    out.point_plan_ = std::make_shared<const detail::point_plan>(detail::make_point_plan(rm, S.patterns));
    out.scored_state_ = std::move(p.out);
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

}  // namespace
}  // namespace embedrating

BOOST_CLASS_VERSION(embedrating::ratings_form, 1)

namespace embedrating {

std::string to_bytes(const ratings& r) {
  ratings_form f;
  f.in = &r;
  return detail::seal_form(archive_type::ratings, f);
}

template <>
ratings from_bytes<ratings>(std::string_view bytes, const std::string& source) {
  ratings_form f;
  f.source = source;
  detail::unseal_versioned_form(archive_type::ratings, bytes, source, "ratings", f);
  return std::move(f.out);
}

}  // namespace embedrating
