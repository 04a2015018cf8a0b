#pragma once
/// \file cli.hpp
/// The `embedrating` command-line tool (not installed as a header): `rate`, `explain`, `validate`.
#include <iosfwd>
#include <string>

namespace embedrating::cli {

/// Documented exit statuses (README, `embedrating --help`).
enum exit_status : int {
  ok = 0,             ///< success
  invalid_input = 1,  ///< a model or data problem (validate found problems; unknown operator)
  usage = 2,          ///< bad command line (unknown option, bad value, missing argument)
  io = 3,             ///< an input file cannot be read or an output file cannot be written
  internal = 70,      ///< a bug: an unexpected exception
};

/// A command that cannot go on: the exit status and the message for stderr (every command throws
/// it; each command's runner turns it into its status).
struct failure {
  int status;
  std::string message;
};

/// The shipped sample's documented evaluation date (the default `--as-of` for the sample).
inline constexpr const char* sample_as_of = "2025-12-31";

/// Runs the tool with `argv` (argv[0] is the program name); results go to `out`, errors to `err`.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace embedrating::cli
