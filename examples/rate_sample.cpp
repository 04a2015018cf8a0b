// Rates the example operators shipped in data/examples/ with the default model and prints a table,
// the grade distribution and one explanation in English and Chinese. Usage: embedrating_example [operators.csv] [as_of]
#include <cstdio>
#include <iostream>

#include <embedrating/embedrating.hpp>

int main(int argc, char** argv) {
  namespace er = embedrating;
  try {
    const std::string data = argc > 1 ? argv[1] : er::data_directory() + "/examples/operators.csv";
    const std::string when = argc > 2 ? argv[2] : "2025-12-31";
    const auto as_of = er::parse_date(when);
    if (!as_of) {
      std::cerr << "as_of: \"" << when << "\" is not a date YYYY-MM-DD\n";
      return 2;
    }
    const er::model model = er::model::default_model();
    const er::dataset operators = er::read_operators_csv(data, model);
    const er::ratings r = er::rate(model, operators, *as_of);

    std::printf("model %s %s  fingerprint %.16s…  as of %s\n", model.info().id.c_str(), model.info().version.c_str(),
                model.fingerprint().c_str(), er::to_string(*as_of).c_str());
    std::printf("%-10s %-11s %8s %-9s %-9s %s\n", "operator", "status", "total", "by score", "final", "rules fired");
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string fired;
      for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k)
        fired += (fired.empty() ? "" : ", ") + model.spec().rules[r.fired[k].rule].id;
      std::printf("%-10s %-11s %8.2f %-9s %-9s %s\n", r.operator_ids[i].c_str(), er::to_string(r.status[i]), r.total(i),
                  std::string(er::to_string(r.grade_by_score[i])).c_str(), std::string(er::to_string(r.final_grade[i])).c_str(),
                  fired.c_str());
    }
    const auto dist = r.distribution();
    std::printf("\ndistribution:");
    for (int l = 5; l >= 0; --l) std::printf("  %s %zu", std::string(er::to_string(er::grade_from_level(l))).c_str(), dist.by_grade[l]);
    std::printf("  not graded %zu\n", dist.not_graded);
    for (const auto& w : r.run_warnings) std::printf("warning: %s\n", w.c_str());
    // Explain the first operator held below its grade by score (a cap, a history limit or a
    // downgrade), else the first one: what it has, which rules fired, what it would take to rise.
    std::size_t shown = 0;
    for (std::size_t i = 0; i < r.size(); ++i)
      if (r.status[i] == er::operator_status::active && r.final_grade[i] < r.grade_by_score[i] && !r.terminate[i]) {
        shown = i;
        break;
      }
    std::printf("\n%s", r.explain(shown).c_str());
    std::printf("\n%s", r.explain(shown, er::language::zh).c_str());
    return 0;
  } catch (const er::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
