// Atomic writes, outputs and bounded reads (see detail/atomic_file.hpp).
#include "embedrating/detail/atomic_file.hpp"
#include "embedrating/io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <streambuf>

namespace embedrating::detail {

namespace {

std::string errno_text() { return std::strerror(errno); }

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  return "not a regular file";
}

class fd_guard {
 public:
  explicit fd_guard(int fd = -1) : fd_(fd) {}
  ~fd_guard() { reset(); }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t k = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (k < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(k);
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

/// The regular file a write to `path` replaces: `path` itself, or the target of a symbolic link.
/// Empty `why` on success.
std::string resolve_target(const std::string& path, std::string& target, struct stat& st, bool& exists) {
  struct stat lst {};
  exists = false;
  target = path;
  if (::lstat(path.c_str(), &lst) != 0) {
    if (errno == ENOENT) return {};
    return "cannot inspect: " + errno_text();
  }
  if (S_ISLNK(lst.st_mode)) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) return "is a symbolic link whose target cannot be resolved: " + errno_text();
    target = real.get();
    if (::stat(target.c_str(), &lst) != 0) return "cannot inspect the link's target " + target + ": " + errno_text();
  }
  if (!S_ISREG(lst.st_mode))
    return std::string("is ") + kind_of(lst.st_mode) + ", not a regular file (only regular files are replaced)";
  st = lst;
  exists = true;
  return {};
}

/// Removes `<name>.tmp.<pid>` files (written by earlier versions) whose process is gone.
void remove_legacy_temporaries(const std::string& target) {
  const std::string dir = directory_of(target);
  const auto slash = target.rfind('/');
  const std::string prefix = (slash == std::string::npos ? target : target.substr(slash + 1)) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(digits.c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) ::unlink((dir + "/" + name).c_str());
  }
  ::closedir(d);
}


/// An output stream buffer over a file descriptor (1 MiB buffer); `failed()` after a write error.
class fd_streambuf : public std::streambuf {
 public:
  explicit fd_streambuf(int fd) : fd_(fd), buf_(new char[size]) { setp(buf_.get(), buf_.get() + size); }
  bool failed() const { return failed_; }
  int sync() override { return flush_buffer() ? 0 : -1; }

 protected:
  int_type overflow(int_type c) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }

 private:
  static constexpr std::size_t size = std::size_t{1} << 20;
  bool flush_buffer() {
    const std::size_t n = static_cast<std::size_t>(pptr() - pbase());
    if (n != 0 && !failed_ && !write_all(fd_, std::string_view(pbase(), n))) failed_ = true;
    setp(buf_.get(), buf_.get() + size);
    return !failed_;
  }
  int fd_;
  std::unique_ptr<char[]> buf_;
  bool failed_ = false;
};

/// The atomic replacement of `path`; `body(fd)` writes the content and returns false (errno set) on failure.
template <class Body>
std::string replace_atomically(const std::string& path, Body&& body) {
  std::string target;
  struct stat st {};
  bool exists = false;
  if (std::string why = resolve_target(path, target, st, exists); !why.empty()) return why;
  const std::string tmp = target + ".tmp";

  // Open and lock the temporary file; a file that was renamed into place while we waited for
  // the lock is not ours to reuse: open again.
  fd_guard fd;
  for (;;) {
    fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644));
    if (fd.get() < 0) return "cannot create the temporary file " + tmp + ": " + errno_text();
    struct stat ts {};
    if (::fstat(fd.get(), &ts) != 0) return "cannot inspect the temporary file " + tmp + ": " + errno_text();
    if (!S_ISREG(ts.st_mode)) return "the temporary file " + tmp + " is " + kind_of(ts.st_mode) + ", not a regular file";
    int r;
    do r = ::flock(fd.get(), LOCK_EX);
    while (r != 0 && errno == EINTR);
    if (r != 0) return "cannot lock the temporary file " + tmp + ": " + errno_text();
    struct stat now {};
    if (::stat(tmp.c_str(), &now) == 0 && now.st_dev == ts.st_dev && now.st_ino == ts.st_ino) break;
    // another saver renamed it into place while we waited: every round some saver finishes, so
    // trying again always ends
  }
  auto failed = [&](const std::string& what) {
    const std::string why = what + ": " + errno_text();
    ::unlink(tmp.c_str());  // still ours: we hold its lock
    return why;
  };
  if (::ftruncate(fd.get(), 0) != 0) return failed("cannot truncate the temporary file " + tmp);
  if (exists) (void)::fchmod(fd.get(), st.st_mode & 07777);
  try {
    if (!body(fd.get())) return failed("cannot write " + tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fsync(fd.get()) != 0) return failed("cannot flush " + tmp);
  if (::rename(tmp.c_str(), target.c_str()) != 0) return failed("cannot rename the temporary file into place");
  // the rename itself is durable once the directory is flushed
  fd_guard dir(::open(directory_of(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) (void)::fsync(dir.get());
  if (::close(fd.release()) != 0) return "cannot close " + target + ": " + errno_text();
  remove_legacy_temporaries(target);
  return {};
}

}  // namespace

std::string write_file_atomically(const std::string& path, std::string_view bytes) {
  return replace_atomically(path, [&](int fd) { return write_all(fd, bytes); });
}

std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  return replace_atomically(path, [&](int fd) {
    fd_streambuf buf(fd);
    std::ostream out(&buf);
    produce(out);
    out.flush();
    return !buf.failed() && static_cast<bool>(out);
  });
}

namespace {

/// Whether an output path names something to write into rather than replace: /dev/stdout,
/// /dev/fd/N and /proc/self/fd/N name an open file of this process, and character devices and
/// FIFOs are not files to replace either. Such an output is written at its end.
bool writes_in_place(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  const bool descriptor = path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0;
  return S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || (descriptor && S_ISREG(st.st_mode));
}

std::string write_in_place(const std::string& path, const std::function<bool(int)>& write) {
  fd_guard fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd.get() < 0) return "cannot open: " + errno_text();
  if (!write(fd.get())) return "cannot write: " + errno_text();
  if (::close(fd.release()) != 0) return "cannot close: " + errno_text();
  return {};
}

}  // namespace

std::string write_output_file(const std::string& path, std::string_view bytes) {
  if (!writes_in_place(path)) return write_file_atomically(path, bytes);
  return write_in_place(path, [&](int fd) { return write_all(fd, bytes); });
}

std::string write_output_file(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  if (!writes_in_place(path)) return write_file_atomically(path, produce);
  return write_in_place(path, [&](int fd) {
    fd_streambuf buf(fd);
    std::ostream out(&buf);
    produce(out);
    out.flush();
    return !buf.failed() && static_cast<bool>(out);
  });
}

std::string read_file_bounded(const std::string& path, std::size_t max_bytes, std::string& out) {
  out.clear();
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return "cannot open: " + errno_text();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return "cannot inspect: " + errno_text();
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  const std::string limit = "larger than the " + std::to_string(max_bytes) + "-byte limit";
  if (S_ISREG(st.st_mode)) {
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return limit + " (" + std::to_string(st.st_size) + " bytes)";
    out.reserve(static_cast<std::size_t>(st.st_size));
  }
  std::string chunk(std::size_t{1} << 16, '\0');
  for (;;) {
    const ssize_t k = ::read(fd.get(), chunk.data(), chunk.size());
    if (k < 0) {
      if (errno == EINTR) continue;
      return "cannot read: " + errno_text();
    }
    if (k == 0) break;
    if (out.size() + static_cast<std::size_t>(k) > max_bytes) {
      out.clear();
      return limit;
    }
    out.append(chunk.data(), static_cast<std::size_t>(k));
  }
  return {};
}

}  // namespace embedrating::detail

namespace embedrating {

std::string write_file_atomically(const std::string& path, std::string_view bytes) {
  return detail::write_file_atomically(path, bytes);
}

std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  return detail::write_file_atomically(path, produce);
}

std::string write_output_file(const std::string& path, std::string_view bytes) { return detail::write_output_file(path, bytes); }

std::string read_file_bounded(const std::string& path, std::size_t max_bytes, std::string& out) {
  return detail::read_file_bounded(path, max_bytes, out);
}

std::string write_output_file(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  return detail::write_output_file(path, produce);
}

}  // namespace embedrating
