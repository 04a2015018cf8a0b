#pragma once
// Runs the CLI in-process, as `embedrating ARGS...` would from a shell, capturing its exit status,
// standard output and standard error.
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace embedrating::test_support {

struct cli_result {
  int status;
  std::string out, err;
};

inline cli_result run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "embedrating");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status = embedrating::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

}  // namespace embedrating::test_support
