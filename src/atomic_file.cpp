#include "embedrating/detail/atomic_file.hpp"
#include "embedrating/io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

namespace embedrating::detail {

std::string write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto failed = [&](const char* what) {
    const std::string why = std::string(what) + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  };
  if (fd < 0) return failed("cannot create the temporary file");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t k = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (k < 0) {
      if (errno == EINTR) continue;
      const std::string why = failed("cannot write");
      ::close(fd);
      return why;
    }
    done += static_cast<std::size_t>(k);
  }
  if (::fsync(fd) != 0) {
    const std::string why = failed("cannot flush");
    ::close(fd);
    return why;
  }
  if (::close(fd) != 0) return failed("cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("cannot rename the temporary file into place");
  return {};
}

std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto failed = [&](const std::string& what) {
    const std::string why = what + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  };
  {
    std::ofstream out;
    const std::unique_ptr<char[]> buffer(new char[std::size_t{1} << 20]);
    out.rdbuf()->pubsetbuf(buffer.get(), std::streamsize{1} << 20);
    out.open(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return failed("cannot create the temporary file");
    try {
      produce(out);
    } catch (...) {
      out.close();
      ::unlink(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) return failed("cannot write");
    out.close();
    if (out.fail()) return failed("cannot close");
  }
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return failed("cannot reopen the temporary file");
  if (::fsync(fd) != 0) {
    const std::string why = failed("cannot flush");
    ::close(fd);
    return why;
  }
  if (::close(fd) != 0) return failed("cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("cannot rename the temporary file into place");
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

}  // namespace embedrating
