#pragma once
/// \file detail/atomic_file.hpp
/// One way to replace a file safely, used by model::save, review_aggregator::save and the CLI.
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace embedrating::detail {

/// Writes `bytes` to `path` atomically: into a temporary file beside it (`path.tmp.<pid>`), which
/// is flushed to disk (fsync) and renamed over `path`. On failure the temporary file is removed and
/// the previous `path` is left as it was. Returns an empty string on success, else what failed,
/// e.g. "cannot create the temporary file: No such file or directory".
std::string write_file_atomically(const std::string& path, std::string_view bytes);

/// The same for output written piece by piece: `produce` writes into a buffered stream on the
/// temporary file (memory stays bounded whatever the output's size). An exception from `produce`
/// removes the temporary file and propagates.
std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce);

}  // namespace embedrating::detail
