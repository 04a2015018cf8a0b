// Fuzz target: AHP on a matrix written as text — rows of numbers or fractions p/q separated by
// spaces or commas, one row per line (tests/fuzz/seeds/ahp/). Every method, group AHP over the
// matrix and its transpose-reciprocal, and the consistency measures: every failure must be an
// embedrating::error, every result finite with weights summing to 1.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <embedrating/weights.hpp>

namespace {

bool parse(const std::string& text, Eigen::MatrixXd& out) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<double> row;
    std::string cell;
    std::istringstream cells(line);
    while (cells >> cell) {
      const auto slash = cell.find('/');
      char* end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      if (slash != std::string::npos) {
        const double q = std::strtod(cell.c_str() + slash + 1, &end);
        v = v / q;
      }
      row.push_back(v);
      if (row.size() > 16) return false;
    }
    if (!row.empty()) rows.push_back(row);
    if (rows.size() > 16) return false;
  }
  out.resize(static_cast<Eigen::Index>(rows.size()), rows.empty() ? 0 : static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != rows[0].size()) return false;
    for (std::size_t j = 0; j < rows[i].size(); ++j) out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  Eigen::MatrixXd a;
  if (!parse(std::string(reinterpret_cast<const char*>(data), size), a)) return 0;
  for (auto method : {embedrating::weights::ahp_method::eigen, embedrating::weights::ahp_method::rgmm, embedrating::weights::ahp_method::colmean}) {
    try {
      embedrating::weights::ahp_options o;
      o.method = method;
      const auto r = embedrating::weights::ahp(a, o);
      if (!(std::abs(r.weights.sum() - 1.0) < 1e-9) || !r.weights.allFinite()) std::abort();
    } catch (const embedrating::error&) {
    }
  }
  try {
    const Eigen::MatrixXd b = a.transpose().cwiseInverse();
    (void)embedrating::weights::group_ahp({a, b});
  } catch (const embedrating::error&) {
  }
  return 0;
}
