// The dataset archive (docs/archives.md): every column field by field in the portable encoding.
// Loading rebuilds the dataset through its public setters, so an archive gets every check a
// dataset built from CSV or a DataFrame gets (a bad column is an archive_error naming it).
#include <map>
#include <optional>

#include <boost/serialization/split_member.hpp>

#include "embedrating/dataset.hpp"
#include "embedrating/serialize.hpp"
#include "forms.hpp"

namespace embedrating {
namespace {

constexpr const char* previous_rated_on = "history.previous_rated_on";
constexpr const char* last_downgrade_on = "history.last_downgrade_on";

template <class Map>
void save_map(portable_oarchive& ar, const Map& m) {
  ar << static_cast<std::uint64_t>(m.size());
  for (const auto& [name, column] : m) ar << name << column;
}

/// Reads a (name, column) list, handing each to `set`.
template <class Column, class Set>
void load_map(portable_iarchive& ar, const char* what, Set&& set) {
  const std::uint64_t n = ar.count(16, what);
  for (std::uint64_t k = 0; k < n; ++k) {
    std::string name;
    Column column;
    ar >> name >> column;
    set(name, std::move(column));
  }
}

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

/// The serialized form of a dataset; class version 1.
struct dataset_form {
  const dataset* in = nullptr;
  std::optional<dataset> out;

  void save(portable_oarchive& ar, const unsigned int /*version*/) const {
    const dataset& d = *in;
    ar << d.source_name() << d.operator_ids();
    const bool has_status = d.status() != nullptr;
    ar << has_status;
    if (has_status) ar << *d.status();
    save_map(ar, d.numbers());
    ar << static_cast<std::uint64_t>(d.categories().size());
    for (const auto& [name, c] : d.categories()) ar << name << c.codes << c.levels;
    save_map(ar, d.flags());
    save_map(ar, d.attributes());
    std::map<std::string, std::vector<std::int32_t>> dates;
    for (const auto& [name, v] : d.dates())
      if (name != previous_rated_on && name != last_downgrade_on) dates[name] = date_days(v);
    save_map(ar, dates);
    save_map(ar, d.review_columns());
    ar << d.has_scenarios();
    if (d.has_scenarios()) ar << d.scenario_offsets() << d.scenario_codes() << d.scenario_levels();
    ar << d.has_history();
    if (d.has_history())
      ar << d.previous_grade() << date_days(d.dates().at(previous_rated_on)) << date_days(d.dates().at(last_downgrade_on));
    const facility_table* f = d.facilities();
    ar << (f != nullptr);
    if (f) {
      ar << f->facility_ids << f->operator_ids << f->volume;
      save_map(ar, f->numbers);
      save_map(ar, f->categories);
    }
  }

  void load(portable_iarchive& ar, const unsigned int /*version*/) {
    std::string source;
    std::vector<std::string> ids;
    ar >> source >> ids;
    try {
      load_columns(ar, source, std::move(ids));
    } catch (const archive_error&) {
      throw;
    } catch (const error& e) {
      ar.fail(std::string("the dataset in the archive is invalid: ") + e.what());
    }
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()

 private:
  void load_columns(portable_iarchive& ar, const std::string& source, std::vector<std::string> ids) {
    out.emplace(std::move(ids), source);
    dataset& d = *out;
    bool flag = false;
    ar >> flag;
    if (flag) {
      std::vector<std::uint8_t> codes;
      ar >> codes;
      std::vector<operator_status> status(codes.size());
      for (std::size_t i = 0; i < codes.size(); ++i) {
        if (codes[i] > static_cast<std::uint8_t>(operator_status::terminated)) ar.fail("an operator status code is out of range");
        status[i] = static_cast<operator_status>(codes[i]);
      }
      d.set_status(std::move(status));
    }
    load_map<std::vector<double>>(ar, "number columns",
                                  [&](const std::string& n, std::vector<double> v) { d.set_number(n, std::move(v), nan_policy::missing); });
    const std::uint64_t n_cat = ar.count(24, "category columns");
    for (std::uint64_t k = 0; k < n_cat; ++k) {
      std::string name;
      category_column c;
      ar >> name >> c.codes >> c.levels;
      d.set_category(name, std::move(c));
    }
    load_map<std::vector<std::uint8_t>>(ar, "flag columns", [&](const std::string& n, std::vector<std::uint8_t> v) { d.set_flag(n, std::move(v)); });
    load_map<std::vector<std::string>>(ar, "attribute columns",
                                       [&](const std::string& n, std::vector<std::string> v) { d.set_attribute(n, std::move(v)); });
    load_map<std::vector<std::int32_t>>(ar, "date columns",
                                        [&](const std::string& n, std::vector<std::int32_t> v) { d.set_date(n, day_dates(v)); });
    load_map<std::vector<double>>(ar, "review columns",
                                  [&](const std::string& n, std::vector<double> v) { d.set_review_column(n, std::move(v)); });
    ar >> flag;
    if (flag) {
      std::vector<std::uint32_t> offsets;
      std::vector<std::int32_t> codes;
      std::vector<std::string> levels;
      ar >> offsets >> codes >> levels;
      d.set_scenarios(std::move(offsets), std::move(codes), std::move(levels));
    }
    ar >> flag;
    if (flag) {
      std::vector<std::int8_t> levels;
      std::vector<std::int32_t> rated, down;
      ar >> levels >> rated >> down;
      std::vector<std::optional<grade>> previous(levels.size());
      for (std::size_t i = 0; i < levels.size(); ++i) {
        if (levels[i] < -1 || levels[i] > 5) ar.fail("a previous grade is out of range (-1 .. 5)");
        if (levels[i] >= 0) previous[i] = static_cast<grade>(levels[i]);
      }
      d.set_history(previous, day_dates(rated), day_dates(down));
    }
    ar >> flag;
    if (flag) {
      facility_table f;
      ar >> f.facility_ids >> f.operator_ids >> f.volume;
      load_map<std::vector<double>>(ar, "facility number columns",
                                    [&](const std::string& n, std::vector<double> v) { f.numbers[n] = std::move(v); });
      load_map<std::vector<std::string>>(ar, "facility category columns",
                                         [&](const std::string& n, std::vector<std::string> v) { f.categories[n] = std::move(v); });
      d.set_facilities(std::move(f));
    }
  }
};

}  // namespace
}  // namespace embedrating

BOOST_CLASS_VERSION(embedrating::dataset_form, 1)

namespace embedrating {

std::string to_bytes(const dataset& d) {
  dataset_form f;
  f.in = &d;
  return detail::seal_form(archive_type::dataset, f);
}

template <>
dataset from_bytes<dataset>(std::string_view bytes, const std::string& source) {
  dataset_form f;
  detail::unseal_form(archive_type::dataset, bytes, source, "dataset", f);
  return std::move(*f.out);
}

}  // namespace embedrating
