// Writes and reads of whole files (include/embedrating/detail/atomic_file.hpp): special files are
// never replaced, temporaries never pile up, symbolic links keep pointing where they pointed,
// concurrent savers take turns, reads are bounded (issue 15).
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <embedrating/detail/atomic_file.hpp>
#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>

#include "temp_dir.hpp"
#include "test_files.hpp"

namespace {

using embedrating::test_support::read_text;
using embedrating::test_support::read_text_if_present;
using embedrating::test_support::write_text;

using namespace embedrating;
using embedrating::test_support::temp_dir;
namespace fs = std::filesystem;

std::vector<std::string> names_in(const temp_dir& d) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(d.path())) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AtomicFile, ReplacesARegularFileAndLeavesNoTemporary) {
  const temp_dir d;
  const std::string f = d.file("out.csv");
  EXPECT_EQ(detail::write_file_atomically(f, "one"), "");
  ::chmod(f.c_str(), 0600);
  EXPECT_EQ(detail::write_file_atomically(f, "two"), "");
  EXPECT_EQ(read_text(f), "two");
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // permissions kept
  EXPECT_EQ(names_in(d), std::vector<std::string>{"out.csv"});
}

TEST(AtomicFile, RefusesAFifoADirectoryAndASocketPath) {
  const temp_dir d;
  const std::string fifo = d.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(detail::write_file_atomically(fifo, "x"), "is a FIFO, not a regular file (only regular files are replaced)");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));  // regression: a regular file was renamed over it
  EXPECT_EQ(detail::write_file_atomically(d.path().string(), "x"), "is a directory, not a regular file (only regular files are replaced)");
  EXPECT_EQ(names_in(d), std::vector<std::string>{"pipe"});
}

TEST(AtomicFile, NeverReplacesACharacterDevice) {
  // regression: run as root, `-o /dev/null` turned /dev/null into a regular file
  EXPECT_EQ(detail::write_file_atomically("/dev/null", "x"), "is a character device, not a regular file (only regular files are replaced)");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // outputs write through to a character device, as a shell redirection would
  EXPECT_EQ(detail::write_output_file("/dev/null", "discarded"), "");
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(AtomicFile, OutputsWriteThroughAFifo) {
  const temp_dir d;
  const std::string fifo = d.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_text(fifo); });
  EXPECT_EQ(detail::write_output_file(fifo, "through the pipe"), "");
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(AtomicFile, OutputsThroughDevStdoutRedirectedToAFileKeepTheFile) {
  // `embedrating rate -o /dev/stdout > out.csv`: the file behind the descriptor is written, not
  // replaced by a new one (which the shell's descriptor would no longer see)
  const temp_dir d;
  const std::string f = d.file("out.csv");
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  struct stat before {};
  ASSERT_EQ(::fstat(fd, &before), 0);
  EXPECT_EQ(detail::write_output_file("/proc/self/fd/" + std::to_string(fd), "grades\n"), "");
  struct stat after {};
  ASSERT_EQ(::stat(f.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(read_text(f), "grades\n");
  ::close(fd);
}

TEST(AtomicFile, StreamedOutputsWriteInPlaceLikeByteOutputs) {
  // the streamed form (large CSV outputs) takes the same in-place path as the bytes form: through
  // a FIFO, and into the file behind /proc/self/fd/N without replacing it
  const temp_dir d;
  const std::string fifo = d.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_text(fifo); });
  EXPECT_EQ(detail::write_output_file(fifo, [](std::ostream& o) { o << "streamed " << 42; }), "");
  reader.join();
  EXPECT_EQ(got, "streamed 42");

  const std::string f = d.file("out.csv");
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  struct stat before {};
  ASSERT_EQ(::fstat(fd, &before), 0);
  EXPECT_EQ(detail::write_output_file("/proc/self/fd/" + std::to_string(fd), [](std::ostream& o) { o << "a\n"; }), "");
  EXPECT_EQ(detail::write_output_file("/proc/self/fd/" + std::to_string(fd), [](std::ostream& o) { o << "b\n"; }), "");
  struct stat after {};
  ASSERT_EQ(::stat(f.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(read_text(f), "a\nb\n");
  ::close(fd);
}

TEST(AtomicFile, FollowsASymbolicLinkAndKeepsIt) {
  const temp_dir d;
  const std::string target = d.file("real.eragg"), link = d.file("current.eragg");
  EXPECT_EQ(detail::write_file_atomically(target, "old"), "");
  fs::create_symlink(target, link);
  EXPECT_EQ(detail::write_file_atomically(link, "new"), "");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(read_text(target), "new");
  fs::create_symlink(d.file("nowhere"), d.file("dangling"));
  EXPECT_NE(detail::write_file_atomically(d.file("dangling"), "x").find("is a symbolic link whose target cannot be resolved"), std::string::npos);
}

TEST(AtomicFile, ReusesTheTemporaryOfAKilledSaveAndRemovesLegacyOnes) {
  const temp_dir d;
  const std::string f = d.file("state.eragg");
  // what a save killed half-way leaves: a partial temporary (new scheme) and, from older
  // versions, `<name>.tmp.<pid>` of processes that no longer exist
  { std::ofstream(f + ".tmp") << std::string(1 << 20, 'x'); }
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ::waitpid(dead, nullptr, 0);
  { std::ofstream(f + ".tmp." + std::to_string(dead)) << "stale"; }
  { std::ofstream(f + ".tmp." + std::to_string(::getpid())) << "a live process's"; }
  EXPECT_EQ(detail::write_file_atomically(f, "state"), "");
  EXPECT_EQ(read_text(f), "state");
  EXPECT_EQ(names_in(d), (std::vector<std::string>{"state.eragg", "state.eragg.tmp." + std::to_string(::getpid())}));
}

TEST(AtomicFile, RefusesAPlantedTemporaryThatIsNotARegularFile) {
  const temp_dir d;
  const std::string f = d.file("state.eragg");
  fs::create_symlink("/etc/passwd", f + ".tmp");  // never written through
  EXPECT_NE(detail::write_file_atomically(f, "x").find("cannot create the temporary file"), std::string::npos);
  fs::remove(f + ".tmp");
  ASSERT_EQ(::mkfifo((f + ".tmp").c_str(), 0600), 0);
  // opened without blocking: no reader gives ENXIO ("cannot create"), a reader "is a FIFO"
  const std::string why = detail::write_file_atomically(f, "x");
  EXPECT_TRUE(why.find("cannot create the temporary file") != std::string::npos || why.find("is a FIFO") != std::string::npos) << why;
  EXPECT_FALSE(std::ifstream(f).good());
}

TEST(AtomicFile, ConcurrentSaversOfOnePathTakeTurns) {
  // eight threads save eight different contents to one path 50 times each: every read sees one
  // whole content, and no temporary remains
  const temp_dir d;
  const std::string f = d.file("shared.txt");
  std::vector<std::thread> threads;
  std::vector<std::string> contents;
  for (int k = 0; k < 8; ++k) contents.push_back(std::string(10000 + 100 * static_cast<std::size_t>(k), static_cast<char>('a' + k)));
  std::atomic<int> failures{0};
  std::mutex why_lock;
  std::string why;
  for (int k = 0; k < 8; ++k)
    threads.emplace_back([&, k] {
      for (int i = 0; i < 50; ++i) {
        const std::string w = detail::write_file_atomically(f, contents[static_cast<std::size_t>(k)]);
        if (!w.empty()) {
          ++failures;
          const std::lock_guard<std::mutex> g(why_lock);
          why = w;
        }
      }
    });
  for (int i = 0; i < 200; ++i) {
    const std::string now = read_text_if_present(f);
    if (!now.empty()) {
      EXPECT_NE(std::find(contents.begin(), contents.end(), now), contents.end());
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << why;
  EXPECT_EQ(names_in(d), std::vector<std::string>{"shared.txt"});
}

TEST(AtomicFile, BoundedReads) {
  const temp_dir d;
  std::string out;
  EXPECT_EQ(detail::read_file_bounded(d.path().string(), 100, out), "is a directory, not a file");
  EXPECT_EQ(detail::read_file_bounded("/dev/zero", 1000, out), "larger than the 1000-byte limit");
  EXPECT_TRUE(out.empty());
  { std::ofstream(d.file("f")) << std::string(2000, 'x'); }
  EXPECT_EQ(detail::read_file_bounded(d.file("f"), 1000, out), "larger than the 1000-byte limit (2000 bytes)");
  EXPECT_EQ(detail::read_file_bounded(d.file("f"), 2000, out), "");
  EXPECT_EQ(out.size(), 2000u);
  EXPECT_NE(detail::read_file_bounded(d.file("missing"), 10, out).find("cannot open: No such file"), std::string::npos);
}

TEST(AtomicFile, LibrarySavesRefuseSpecialFiles) {
  const temp_dir d;
  const std::string fifo = d.file("state.eragg");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const review_aggregator agg({"A"});
  try {
    agg.save(fifo);
    ADD_FAILURE() << "saved onto a FIFO";
  } catch (const archive_error& e) {
    EXPECT_EQ(std::string(e.what()), fifo + ": is a FIFO, not a regular file (only regular files are replaced)");
  }
  try {
    review_aggregator::load(d.path().string());
    ADD_FAILURE() << "loaded a directory";
  } catch (const archive_error& e) {
    EXPECT_EQ(std::string(e.what()), d.path().string() + ": is a directory, not a file");
  }
  try {
    review_aggregator::load("/dev/zero");
    ADD_FAILURE() << "loaded /dev/zero";
  } catch (const archive_error& e) {
    // refused after its 64-byte header, not read up to the 4 GiB limit
    EXPECT_EQ(std::string(e.what()), "/dev/zero: not a review archive (wrong magic bytes)");
  }
}

}  // namespace
