#pragma once
/// \file calibrate_cmd.hpp
/// `embedrating calibrate` (fit a model to a benchmark of agreed grades, cross-validate, write the
/// fitted model and an HTML report) and `embedrating model diff A B` (issue 12), registered from
/// cli.cpp with one object: construct it on the CLI11 app before parsing, then run it when parsed().
#include <iosfwd>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace embedrating {
namespace calibrate {
struct cv_result;
}

namespace cli {

class calibrate_command {
 public:
  /// Adds the `calibrate` and `model` subcommands to `app`.
  explicit calibrate_command(CLI::App& app);
  ~calibrate_command();
  calibrate_command(const calibrate_command&) = delete;
  calibrate_command& operator=(const calibrate_command&) = delete;

  /// True when the command line chose `calibrate` or `model …`.
  bool parsed() const;
  /// Runs it: results to `out`, errors to `err`; returns the exit status (cli.hpp).
  int run(std::ostream& out, std::ostream& err) const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

/// The calibration report as a self-contained HTML page (what `calibrate --report` writes).
std::string calibration_report_html(const calibrate::cv_result& cv, const std::string& benchmark_file, const std::string& as_of);

}  // namespace cli
}  // namespace embedrating
