// Bindings for publishing and the next cycle: roll_forward over plain arrays, and the Chinese
// citation of articles (第十七条) used by the Python explanation views.
#include <embedrating/calendar.hpp>
#include <embedrating/catalogue.hpp>
#include <embedrating/directory.hpp>
#include <embedrating/history.hpp>

#include "bindings.hpp"

namespace embedrating::python {

using namespace pybind11::literals;

namespace {

civil_date day_or_missing(const std::optional<std::int32_t>& d) { return d ? civil_date(*d) : civil_date::missing(); }
std::optional<std::int32_t> days_or_none(civil_date d) {
  if (d.is_missing()) return std::nullopt;
  return d.days();
}

}  // namespace

void register_calendar(py::module_& m) {
  py::class_<holiday_calendar>(m, "HolidayCalendar",
                               "A working-day calendar for bad-review deadlines (include/embedrating/calendar.hpp).")
      .def_static("china", &holiday_calendar::china, "The shipped official calendar of mainland China (2024–2026).")
      .def_static("load", &holiday_calendar::load, "path"_a, "encoding"_a = "auto",
                  "A calendar CSV (date, kind = off | workday; docs/calendar-format.md).")
      .def_static("weekdays_only", [] { return holiday_calendar(); },
                  "Monday to Friday, no public holidays or make-up workdays, every date covered (a fallback).")
      .def_property_readonly("bounded", &holiday_calendar::bounded)
      .def_property_readonly("covered_from",
                             [](const holiday_calendar& c) { return days_or_none(c.covered_from()); })
      .def_property_readonly("covered_to", [](const holiday_calendar& c) { return days_or_none(c.covered_to()); })
      .def_property_readonly("fingerprint", &holiday_calendar::fingerprint)
      .def("is_working_day", [](const holiday_calendar& c, std::int32_t d) { return c.is_working_day(civil_date(d)); }, "day"_a)
      .def(
          "add_working_days",
          [](const holiday_calendar& c, std::int32_t d, int n) { return c.add_working_days(civil_date(d), n).days(); }, "day"_a,
          "n"_a);
}

void register_publishing(py::module_& m) {
  m.def(
      "roll_forward",
      [](std::vector<std::string> prev_ids, std::vector<std::optional<int>> prev_grade,
         std::vector<std::optional<std::int32_t>> prev_rated, std::vector<std::optional<std::int32_t>> prev_down,
         std::vector<std::string> ids, std::vector<int> status, std::vector<int> final_grade, std::int32_t as_of) {
        history_table previous;
        previous.operator_ids = std::move(prev_ids);
        for (const auto& g : prev_grade) {
          if (g && (*g < 0 || *g >= grade_count)) throw py::value_error("roll_forward: previous grade level out of range");
          previous.previous_grade.push_back(g ? std::optional<grade>(grade_from_level(*g)) : std::nullopt);
        }
        for (const auto& d : prev_rated) previous.previous_rated_on.push_back(day_or_missing(d));
        for (const auto& d : prev_down) previous.last_downgrade_on.push_back(day_or_missing(d));
        cycle_results results;
        results.as_of = civil_date(as_of);
        results.operator_ids = std::move(ids);
        for (int s : status) {
          if (s < 0 || s > 3) throw py::value_error("roll_forward: status code out of range");
          results.status.push_back(static_cast<operator_status>(s));
        }
        for (int g : final_grade) {
          if (g < 0 || g >= grade_count) throw py::value_error("roll_forward: grade level out of range");
          results.final_grade.push_back(grade_from_level(g));
        }
        history_table next;
        {
          py::gil_scoped_release release;
          next = roll_forward(previous, results);
        }
        py::list grades, rated, down;
        for (std::size_t k = 0; k < next.operator_ids.size(); ++k) {
          grades.append(next.previous_grade[k] ? py::object(py::int_(level(*next.previous_grade[k]))) : py::object(py::none()));
          rated.append(days_or_none(next.previous_rated_on[k]));
          down.append(days_or_none(next.last_downgrade_on[k]));
        }
        return py::make_tuple(next.operator_ids, grades, rated, down);
      },
      "previous_ids"_a, "previous_grade"_a, "previous_rated_on"_a, "last_downgrade_on"_a, "operator_ids"_a, "status"_a,
      "final_grade"_a, "as_of"_a,
      "History for the next cycle (include/embedrating/history.hpp roll_forward): grade levels 0-5 or None, dates as days "
      "since 1970-01-01 or None, status codes 0-3 → (operator_ids, previous_grade, previous_rated_on, last_downgrade_on).");
  m.def(
      "cite_articles_zh", [](const std::string& text) { return cite_articles_zh(text); }, "text"_a,
      "\"Art. 16(5)\" → \"第十六条第（五）项\" in any text (the Chinese citation of the measures).");
  m.def(
      "directory_valid_to",
      [](const model& mdl, std::int32_t as_of, int valid_months) {
        try {
          return directory_valid_to(mdl, civil_date(as_of), valid_months).days();
        } catch (const std::invalid_argument& e) {
          throw py::value_error(e.what());
        }
      },
      "model"_a, "as_of"_a, "valid_months"_a,
      "The last day (days since 1970-01-01) a grade published at as_of is valid: as_of + valid_months months - 1 day, "
      "never past the model's effective_to (include/embedrating/directory.hpp). ValueError when valid_months < 1.");
  m.def(
      "directory_page_html",
      [](const std::vector<std::string>& ids, const std::vector<std::string>& names, const std::vector<std::string>& districts,
         const std::vector<std::string>& modes, const std::vector<int>& grades, const std::vector<std::int32_t>& valid_to,
         const py::dict& meta, const std::string& lang) {
        const std::size_t n = ids.size();
        if (names.size() != n || districts.size() != n || modes.size() != n || grades.size() != n || valid_to.size() != n)
          throw py::value_error("directory_page_html: the columns differ in length");
        if (lang != "en" && lang != "zh") throw py::value_error("lang must be \"en\" or \"zh\", got \"" + lang + "\"");
        std::vector<directory_entry> entries(n);
        for (std::size_t i = 0; i < n; ++i) {
          if (grades[i] < 1 || grades[i] > 5)
            throw py::value_error("directory_page_html: operator \"" + ids[i] + "\" has grade level " + std::to_string(grades[i]) +
                                  "; the directory lists 1A … 5A (levels 1-5)");
          entries[i] = {ids[i], names[i], districts[i], modes[i], grade_from_level(grades[i]), civil_date(valid_to[i])};
        }
        auto text = [&](const char* key) {
          if (!meta.contains(key)) throw py::value_error(std::string("directory_page_html: meta has no \"") + key + "\"");
          const py::object v = meta[key];
          return v.is_none() ? std::string() : py::str(v).cast<std::string>();
        };
        directory_provenance p;
        p.as_of = civil_date(meta["as_of"].cast<std::int32_t>());
        p.valid_to = civil_date(meta["valid_to"].cast<std::int32_t>());
        p.model_id = text("model_id");
        p.model_version = text("model_version");
        p.model_label = text("model_label");
        p.model_fingerprint = text("model_fingerprint");
        p.input_hash = text("input_hash");
        p.library_version = text("library_version");
        py::gil_scoped_release nogil;
        return directory_page_html(std::move(entries), p, lang == "zh" ? language::zh : language::en);
      },
      "operator_ids"_a, "names"_a, "districts"_a, "modes"_a, "grades"_a, "valid_to"_a, "meta"_a, "lang"_a,
      "The grade directory page (include/embedrating/directory.hpp; the CLI's rate --format html): columns of the graded "
      "operators (grade levels 1-5, valid_to as days since 1970-01-01, modes as display names) and meta with as_of and "
      "valid_to (days), model_id, model_version, model_label (in the page's language), model_fingerprint, input_hash, "
      "library_version.");
}

}  // namespace embedrating::python
