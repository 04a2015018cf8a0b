// A downstream program: rates the shipped example operators with the default model and checks the
// result. Usage: consumer [expected data_directory()]. Exit code 0 = all checks passed.
#include <cstdint>
#include <cstdio>
#include <string>

#include <embedrating/embedrating.hpp>

int main(int argc, char** argv) {
  namespace er = embedrating;
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) std::fprintf(stderr, "FAILED: %s\n", what);
    failures += ok ? 0 : 1;
  };
  try {
    const std::string data = er::data_directory();
    std::printf("embedrating %s, data directory %s\n", er::version_string, data.c_str());
    if (argc > 1) check(data == argv[1], "data_directory() is the expected directory");
    const er::model model = er::model::default_model();
    const er::ratings r = er::rate(model, er::read_operators_csv(data + "/examples/operators.csv", model),
                                   *er::parse_date("2025-12-31"));
    const std::int64_t i = r.find("WH-001");
    check(i >= 0 && r.final_grade[static_cast<std::size_t>(i)] == er::grade::a5, "WH-001 is rated 5A");
    check(model.fingerprint().size() == 64, "the fingerprint is a hex SHA-256");
    check(r.rating_model && r.rating_model->fingerprint() == er::model::default_model().fingerprint(),
          "the ratings carry the default model's fingerprint");
    check(r.library_version == er::version_string, "the library and its headers have the same version");
    std::printf("%zu operators rated with %s %s, fingerprint %s\n", r.size(), model.info().id.c_str(),
                model.info().version.c_str(), model.fingerprint().c_str());
  } catch (const er::error& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
