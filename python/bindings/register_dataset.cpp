// embedrating._core: embedrating.Dataset — the C++ dataset read by the core's ingestion path
// (frame_source.hpp hands DataFrame columns over as typed views), its columns as numpy views.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "bindings.hpp"
#include "frame_source.hpp"
#include <embedrating/serialize.hpp>

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
// ---------------------------------------------------------------------------------------------
// Dataset

std::vector<civil_date> dates_of(const exact_array<std::int32_t>& a) {
  std::vector<civil_date> out(static_cast<std::size_t>(a.size()));
  const std::int32_t* p = a.data();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = civil_date(p[i]);
  return out;
}

template <class T>
std::vector<T> vector_of(const exact_array<T>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

py::array_t<std::int32_t> days_array(const std::vector<civil_date>& v) {
  py::array_t<std::int32_t> a(static_cast<py::ssize_t>(v.size()));
  std::int32_t* p = a.mutable_data();
  for (std::size_t i = 0; i < v.size(); ++i) p[i] = v[i].days();
  return a;
}

/// Every column of a dataset, as copies (for export and pickling).
py::dict dataset_columns(const dataset& d) {
  py::dict numbers, categories, flags, attributes, dates, reviews;
  for (const auto& [name, v] : d.numbers()) numbers[py::str(name)] = copy1(v);
  for (const auto& [name, c] : d.categories()) {
    py::list values;
    for (std::int32_t code : c.codes) values.append(code < 0 ? std::string() : c.levels[static_cast<std::size_t>(code)]);
    categories[py::str(name)] = values;
  }
  for (const auto& [name, v] : d.flags()) flags[py::str(name)] = copy1(v);
  for (const auto& [name, v] : d.attributes()) {
    py::list values;
    for (const auto& s : v) values.append(utf8(s));
    attributes[utf8(name)] = values;
  }
  for (const auto& [name, v] : d.dates()) dates[py::str(name)] = days_array(v);
  for (const auto& [name, v] : d.review_columns()) reviews[py::str(name)] = copy1(v);
  py::object status = py::none();
  if (const auto* st = d.status()) {
    py::array_t<std::uint8_t> a(static_cast<py::ssize_t>(st->size()));
    for (std::size_t i = 0; i < st->size(); ++i) a.mutable_data()[i] = static_cast<std::uint8_t>((*st)[i]);
    status = a;
  }
  py::object scenarios = py::none();
  if (d.has_scenarios()) {
    py::list rows;
    const auto& off = d.scenario_offsets();
    for (std::size_t i = 0; i + 1 < off.size(); ++i) {
      py::list row;
      for (std::uint32_t k = off[i]; k < off[i + 1]; ++k)
        row.append(d.scenario_levels()[static_cast<std::size_t>(d.scenario_codes()[k])]);
      rows.append(row);
    }
    scenarios = rows;
  }
  py::object previous = d.has_history() ? py::object(copy1(d.previous_grade())) : py::object(py::none());
  py::object facilities = py::none();
  if (const facility_table* f = d.facilities()) {
    py::dict fn, fc;
    for (const auto& [name, v] : f->numbers) fn[py::str(name)] = copy1(v);
    for (const auto& [name, v] : f->categories) fc[py::str(name)] = v;
    facilities = py::dict("facility_ids"_a = f->facility_ids, "operator_ids"_a = f->operator_ids,
                          "volume"_a = f->volume.empty() ? py::object(py::none()) : py::object(copy1(f->volume)),
                          "numbers"_a = fn, "categories"_a = fc);
  }
  py::list ids;
  for (const auto& s : d.operator_ids()) ids.append(utf8(s));
  return py::dict("operator_ids"_a = ids, "source_name"_a = d.source_name(), "status"_a = status,
                  "numbers"_a = numbers, "categories"_a = categories, "flags"_a = flags, "attributes"_a = attributes,
                  "dates"_a = dates, "reviews"_a = reviews, "scenarios"_a = scenarios, "previous_grade"_a = previous,
                  "facilities"_a = facilities);
}

}  // namespace


void register_dataset(py::module_& m) {
  py::class_<dataset, std::shared_ptr<dataset>>(
      m, "Dataset",
      "Validated, column-major inputs of one rating run (C++ embedrating::dataset). Setters copy each "
      "column once into the dataset; float64, uint8 and int32 C-contiguous arrays are read in place.")
      .def(py::init<std::vector<std::string>, std::string>(), "operator_ids"_a, "source_name"_a = "")
      .def_static(
          "from_ids",
          [](py::handle operator_ids, std::string source_name) {
            std::vector<std::string> ids = texts_of(operator_ids);
            py::gil_scoped_release nogil;
            return std::make_shared<dataset>(std::move(ids), std::move(source_name));
          },
          "operator_ids"_a, "source_name"_a = "",
          "A dataset of these operators (a numpy object array, read in place, or a sequence; texts are "
          "trimmed of spaces and tabs, None/NaN are empty). Ids must be non-empty and unique.")
      .def("__len__", &dataset::size)
      .def_property_readonly("operator_ids", &dataset::operator_ids)
      .def_property_readonly("source_name", &dataset::source_name)
      .def(
          "set_status",
          [](dataset& d, const exact_array<std::uint8_t>& codes) {
            std::vector<operator_status> st(static_cast<std::size_t>(codes.size()));
            for (std::size_t i = 0; i < st.size(); ++i) {
              const std::uint8_t c = codes.data()[i];
              if (c > 3) throw data_error("status code " + std::to_string(c) + " is not 0..3");
              st[i] = static_cast<operator_status>(c);
            }
            d.set_status(std::move(st));
          },
          "codes"_a.noconvert(), "Status codes: 0 active, 1 suspending, 2 suspended, 3 terminated.")
      .def(
          "set_number",
          [](dataset& d, const std::string& name, const exact_array<double>& values, bool nan_is_missing) {
            d.set_number(name, vector_of(values), nan_is_missing ? nan_policy::missing : nan_policy::error);
          },
          "name"_a, "values"_a.noconvert(), "nan_is_missing"_a = true)
      .def("set_category", py::overload_cast<const std::string&, const std::vector<std::string>&>(&dataset::set_category), "name"_a, "values"_a, "Strings; \"\" is missing.")
      .def(
          "set_flag",
          [](dataset& d, const std::string& name, const exact_array<std::uint8_t>& values) {
            d.set_flag(name, vector_of(values));
          },
          "name"_a, "values"_a.noconvert())
      .def("set_attribute", &dataset::set_attribute, "name"_a, "values"_a)
      .def(
          "set_attribute_texts",
          [](dataset& d, const std::string& name, py::handle values) {
            std::vector<std::string> v = texts_of(values);
            py::gil_scoped_release nogil;
            d.set_attribute(name, std::move(v));
          },
          "name"_a, "values"_a, "An attribute from a numpy object array or a sequence (trimmed; missing → \"\").")
      .def(
          "set_category_codes",
          [](dataset& d, const std::string& name, const exact_array<std::int64_t>& codes,
             const std::vector<std::string>& texts) {
            check_codes(codes, texts.size(), name.c_str());
            py::gil_scoped_release nogil;
            // factorised texts → levels (distinct, non-empty) and codes, without a string per row
            category_column col;
            std::vector<std::int32_t> level_of(texts.size(), -1);
            for (std::size_t t = 0; t < texts.size(); ++t) {
              if (texts[t].empty()) continue;
              const auto pos = std::find(col.levels.begin(), col.levels.end(), texts[t]);
              level_of[t] = static_cast<std::int32_t>(pos - col.levels.begin());
              if (pos == col.levels.end()) col.levels.push_back(texts[t]);
            }
            const std::int64_t* c = codes.data();
            col.codes.resize(static_cast<std::size_t>(codes.size()));
            for (std::size_t i = 0; i < col.codes.size(); ++i)
              col.codes[i] = c[i] < 0 ? -1 : level_of[static_cast<std::size_t>(c[i])];
            d.set_category(name, std::move(col));
          },
          "name"_a, "codes"_a.noconvert(), "texts"_a,
          "A category column from factorised codes (int64, -1 missing) into texts (\"\" missing).")
      .def(
          "set_date",
          [](dataset& d, const std::string& name, const exact_array<std::int32_t>& days) {
            d.set_date(name, dates_of(days));
          },
          "name"_a, "days"_a.noconvert(), "Days since 1970-01-01; -2147483648 is missing.")
      .def("set_scenarios", py::overload_cast<const std::vector<std::vector<std::string>>&>(&dataset::set_scenarios), "scenarios"_a)
      .def(
          "set_scenarios_codes",
          [](dataset& d, const exact_array<std::int64_t>& codes, const std::vector<std::vector<std::string>>& sets) {
            check_codes(codes, sets.size(), "scenarios");
            py::gil_scoped_release nogil;
            // distinct sets → scenario levels and per-set codes once; rows expand the codes
            std::vector<std::string> levels;
            std::vector<std::vector<std::int32_t>> set_codes(sets.size());
            for (std::size_t k = 0; k < sets.size(); ++k)
              for (const auto& sc : sets[k]) {
                if (sc.empty()) throw data_error("scenarios: empty scenario code");
                const auto pos = std::find(levels.begin(), levels.end(), sc);
                set_codes[k].push_back(static_cast<std::int32_t>(pos - levels.begin()));
                if (pos == levels.end()) levels.push_back(sc);
              }
            const std::int64_t* c = codes.data();
            const auto n = static_cast<std::size_t>(codes.size());
            std::vector<std::uint32_t> offsets(n + 1, 0);
            std::vector<std::int32_t> flat;
            for (std::size_t i = 0; i < n; ++i) {
              if (c[i] >= 0) {
                const auto& sc = set_codes[static_cast<std::size_t>(c[i])];
                flat.insert(flat.end(), sc.begin(), sc.end());
              }
              offsets[i + 1] = static_cast<std::uint32_t>(flat.size());
            }
            d.set_scenarios(std::move(offsets), std::move(flat), std::move(levels));
          },
          "codes"_a.noconvert(), "sets"_a,
          "Scenario sets from factorised codes (int64, -1: none) into distinct sets of scenario codes.")
      .def(
          "set_review_column",
          [](dataset& d, const std::string& name, const exact_array<double>& values) {
            d.set_review_column(name, vector_of(values));
          },
          "name"_a, "values"_a.noconvert())
      .def(
          "set_history",
          [](dataset& d, const exact_array<std::int8_t>& previous, const exact_array<std::int32_t>& rated_on,
             const exact_array<std::int32_t>& downgraded_on) {
            std::vector<std::optional<grade>> prev(static_cast<std::size_t>(previous.size()));
            for (std::size_t i = 0; i < prev.size(); ++i) {
              const std::int8_t l = previous.data()[i];
              if (l >= 0) prev[i] = grade_of(l);
            }
            d.set_history(prev, dates_of(rated_on), dates_of(downgraded_on));
          },
          "previous_grade"_a.noconvert(), "previous_rated_on"_a.noconvert(), "last_downgrade_on"_a.noconvert(),
          "Previous grade levels (-1: never rated) and the two history dates.")
      .def(
          "set_facilities",
          [](dataset& d, std::vector<std::string> facility_ids, std::vector<std::string> operator_ids,
             std::optional<exact_array<double>> volume, const std::map<std::string, exact_array<double>>& numbers,
             std::map<std::string, std::vector<std::string>> categories) {
            facility_table f;
            f.facility_ids = std::move(facility_ids);
            f.operator_ids = std::move(operator_ids);
            if (volume) f.volume = vector_of(*volume);
            for (const auto& [name, v] : numbers) f.numbers.emplace(name, vector_of(v));
            f.categories = std::move(categories);
            d.set_facilities(std::move(f));
          },
          "facility_ids"_a, "operator_ids"_a, "volume"_a, "numbers"_a, "categories"_a)
      .def("has_facilities", [](const dataset& d) { return d.facilities() != nullptr; })
      .def("attribute",
           [](const dataset& d, const std::string& name) -> py::object {
             const auto* a = d.attribute(name);
             if (!a) return py::none();
             py::list out;
             for (const auto& s : *a) out.append(utf8(s));
             return out;
           })
      .def(
          "input_hash",
          [](const dataset& d) {
            py::gil_scoped_release nogil;
            return d.input_hash();
          },
          "Hex SHA-256 over every column.")
      .def("columns", &dataset_columns, "Every column, as copies (dict of kinds).")
      .def("copy", [](const dataset& d) { return std::make_shared<dataset>(d); })
      .def(
          "to_bytes",
          &archive_bytes<dataset>,
          "The dataset archive (docs/archives.md): header, checksum and every column, portable byte order.")
      .def_static(
          "from_bytes",
          [](const py::bytes& data, const std::string& source_name) {
            const std::string_view bytes = data;
            py::gil_scoped_release nogil;
            return std::make_shared<dataset>(from_bytes<dataset>(bytes, source_name));
          },
          "data"_a, "source_name"_a = "<bytes>",
          "Reads a dataset archive; ArchiveError naming source_name for anything wrong.");

  m.def(
      "read_operators",
      [](const py::list& tables, const model& mo, bool collect) {
        // tables: (DataFrame or mapping, name) pairs; the first holds the operators' rows
        std::vector<std::unique_ptr<frame_source>> sources;
        std::vector<table_source*> ptrs;
        for (const auto t : tables) {
          const auto pair = t.cast<py::tuple>();
          sources.push_back(std::make_unique<frame_source>(pair[0], pair[1].cast<std::string>()));
          ptrs.push_back(sources.back().get());
        }
        problem_sink problems;
        read_options o;
        if (collect) o.problems = &problems;
        std::shared_ptr<dataset> d;
        try {
          d = std::make_shared<dataset>(read_operators(ptrs, mo, o));
        } catch (const data_error& e) {
          if (!collect) throw;
          problems.push_back(e);
        }
        return py::make_tuple(d ? py::cast(d) : py::object(py::none()), data_errors(problems));
      },
      "tables"_a, "model"_a, "collect"_a = false,
      "The C++ dataset of operator tables for a model, by the core's one ingestion path: tables is a "
      "list of (DataFrame or mapping of columns, name) pairs, the first holding the operators' rows, "
      "the others aligned to it by operator_id. Returns (dataset, problems): with collect, every "
      "problem is returned as a DataError (dataset None when reading could not finish); without, "
      "the first raises.");
  m.def(
      "read_facilities",
      [](dataset& d, py::handle table, const std::string& name, const model& mo, bool collect) {
        frame_source src(table, name);
        problem_sink problems;
        read_options o;
        if (collect) o.problems = &problems;
        try {
          facility_table f = read_facilities(src, mo, d, o);
          if (problems.empty()) d.set_facilities(std::move(f));
        } catch (const data_error& e) {
          if (!collect) throw;
          problems.push_back(e);
        }
        return data_errors(problems);
      },
      "dataset"_a, "table"_a, "name"_a, "model"_a, "collect"_a = false,
      "Reads a facility table (DataFrame or mapping) by the core's ingestion path and sets it as the "
      "dataset's facilities. Returns the problems (with collect; without, the first raises).");
  m.def(
      "read_operators_csv",
      [](const std::string& path, const model& mo, const std::string& encoding) {
        py::gil_scoped_release nogil;
        return std::make_shared<dataset>(read_operators_csv(path, mo, encoding));
      },
      "path"_a, "model"_a, "encoding"_a = "auto");
  m.def(
      "read_facilities_csv_into",
      [](dataset& d, const std::string& path, const model& mo, const std::string& encoding) {
        py::gil_scoped_release nogil;
        d.set_facilities(read_facilities_csv(path, mo, d, encoding));
      },
      "dataset"_a, "path"_a, "model"_a, "encoding"_a = "auto",
      "Reads a facility CSV and sets it as the dataset's facilities.");
}

}  // namespace embedrating::python
