#pragma once
/// \file detail/atomic_file.hpp
/// How files are written and read: model::save, review_aggregator::save, the CLI's outputs, and
/// the bounded reads of model files and review archives.
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace embedrating::detail {

/// Writes `bytes` to `path` atomically: into the temporary file `path.tmp` beside it (created
/// without following a symbolic link, locked with flock so concurrent savers of one path take
/// turns), flushed to disk (fsync), renamed over `path`, and the directory flushed. The file's
/// permissions are kept when it existed. A symbolic link is followed: its target is replaced and
/// the link stays. Only regular files are replaced: a directory, FIFO, device or socket at `path`
/// is refused ("is a FIFO, not a regular file"). A crash at any point leaves either the previous
/// file or the new one, never a mix; a `path.tmp` left by a killed save is reused by the next
/// save, and legacy `path.tmp.<pid>` files of processes that no longer exist are removed. Returns
/// an empty string on success, else what failed, e.g. "cannot create the temporary file
/// /x/y.tmp: No such file or directory".
std::string write_file_atomically(const std::string& path, std::string_view bytes);

/// The same for output written piece by piece: `produce` writes into a buffered stream on the
/// temporary file (memory stays bounded whatever the output's size). An exception from `produce`
/// removes the temporary file and propagates.
std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce);

/// For command-line outputs (`-o FILE`): a character device (/dev/null, a terminal), a FIFO, or a
/// file named through /dev/ or /proc/ (`/dev/stdout` redirected to a file) is written through,
/// appending, as a shell redirection would; anything else goes through write_file_atomically (so
/// directories and sockets are refused). Returns "" or what failed.
std::string write_output_file(const std::string& path, std::string_view bytes);
std::string write_output_file(const std::string& path, const std::function<void(std::ostream&)>& produce);

/// Reads a whole file of at most `max_bytes` into `out`: directories are refused ("is a
/// directory, not a file"), a regular file larger than the limit is refused before anything is
/// read, and pipes and devices are read in chunks and refused as soon as they pass the limit (so
/// /dev/zero costs at most `max_bytes`). Returns "" or what failed, e.g. "larger than the
/// 4194304-byte limit".
std::string read_file_bounded(const std::string& path, std::size_t max_bytes, std::string& out);

}  // namespace embedrating::detail
