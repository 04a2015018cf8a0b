#pragma once
/// \file sensitivity_cmd.hpp
/// `embedrating sensitivity [oat|near-line]` and `embedrating compare MODEL_A MODEL_B` (issue 13),
/// registered from cli.cpp with one object: construct it on the CLI11 app before parsing, then
/// run it when parsed().
#include <iosfwd>
#include <memory>

namespace CLI {
class App;
}

namespace embedrating::cli {

class sensitivity_command {
 public:
  /// Adds the `sensitivity` (with `oat` and `near-line`) and `compare` subcommands to `app`.
  explicit sensitivity_command(CLI::App& app);
  ~sensitivity_command();
  sensitivity_command(const sensitivity_command&) = delete;
  sensitivity_command& operator=(const sensitivity_command&) = delete;

  /// True when the command line chose `sensitivity …` or `compare …`.
  bool parsed() const;
  /// Runs it: results to `out`, errors (and progress, when `err` is a terminal) to `err`;
  /// returns the exit status (cli.hpp).
  int run(std::ostream& out, std::ostream& err) const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace embedrating::cli
