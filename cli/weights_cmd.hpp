#pragma once
/// \file weights_cmd.hpp
/// `embedrating weights ahp|entropy|critic|std-dev|cv` (issue 11), registered from cli.cpp with
/// one object: construct it on the CLI11 app before parsing, then run it when parsed().
#include <iosfwd>
#include <memory>

namespace CLI {
class App;
}

namespace embedrating::cli {

class weights_command {
 public:
  /// Adds the `weights` subcommand and its own subcommands to `app`.
  explicit weights_command(CLI::App& app);
  ~weights_command();
  weights_command(const weights_command&) = delete;
  weights_command& operator=(const weights_command&) = delete;

  /// True when the command line chose `weights …`.
  bool parsed() const;
  /// Runs it: results to `out`, errors to `err`; returns the exit status (cli.hpp).
  int run(std::ostream& out, std::ostream& err) const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace embedrating::cli
