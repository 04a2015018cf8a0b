// embedrating_rating_service — the production pattern of a supervision platform, linked only to
// embedrating::embedrating:
//
//   1. load a model (immutable, shareable) and the operator table;
//   2. resume from the last checkpoint of the review aggregator, if there is one;
//   3. consume review events as a stream (a file, or standard input), one CSV line at a time;
//   4. checkpoint the aggregator every N events or T seconds with an atomic save (a crash — even
//      SIGKILL in the middle of a save — leaves the previous checkpoint readable);
//   5. re-rate on demand — an in-band line `#rate YYYY-MM-DD`, or SIGUSR1 (at --as-of) — and at
//      the end of the stream, writing the grades with the model fingerprint, as_of and input hash.
//
// Resuming never counts an event twice: the checkpoint holds the number of events consumed
// (review_aggregator::events_seen(): every data line is added exactly once, accepted or rejected),
// and a restarted service skips that many event lines of the stream. The producer of the stream
// replays it from its beginning (or from an offset it keeps; the service prints where it resumes).
// Repeated (review_id, revision) pairs change nothing anyway, so a replay cannot distort grades.
//
//   embedrating_rating_service --operators ops.csv [--facilities f.csv] [--model m.toml]
//       --state state.eragg [--events events.csv | -] [--every N] [--seconds T]
//       [--as-of YYYY-MM-DD] [--ratings grades.csv]
//   embedrating_rating_service --operators ops.csv --state state.eragg --check   (load, report, exit)
//
// Log lines on stderr: "resume …", "checkpoint begin N", "checkpoint done N", "rated …", "done …".
// Exit status: 0 done, 1 bad model/data/state, 2 bad command line, 3 a file cannot be read/written.
#include <embedrating/embedrating.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace er = embedrating;

namespace {

volatile std::sig_atomic_t rate_requested = 0;
volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_usr1(int) { rate_requested = 1; }
extern "C" void on_term(int) { stop_requested = 1; }

struct options {
  std::string model, operators, facilities, state, events = "-", ratings, as_of;
  std::uint64_t every = 50000;
  double seconds = 60.0;
  bool check = false;  ///< only load the checkpoint and say what it holds
};

struct usage_error {
  std::string what;
};

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw usage_error{a + " needs a value"};
      return argv[++i];
    };
    auto whole = [&](const std::string& v) {
      if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos || std::stoull(v) == 0)
        throw usage_error{a + ": \"" + v + "\" is not a whole number > 0"};
      return std::stoull(v);
    };
    if (a == "--model") o.model = value();
    else if (a == "--operators") o.operators = value();
    else if (a == "--facilities") o.facilities = value();
    else if (a == "--state") o.state = value();
    else if (a == "--events") o.events = value();
    else if (a == "--ratings") o.ratings = value();
    else if (a == "--as-of") o.as_of = value();
    else if (a == "--every") o.every = whole(value());
    else if (a == "--seconds") o.seconds = static_cast<double>(whole(value()));
    else if (a == "--check") o.check = true;
    else throw usage_error{"unknown option " + a};
  }
  if (o.operators.empty() || o.state.empty()) throw usage_error{"--operators and --state are required"};
  if (!o.as_of.empty() && !er::parse_date(o.as_of)) throw usage_error{"--as-of: \"" + o.as_of + "\" is not a date YYYY-MM-DD"};
  return o;
}

/// One CSV line (RFC 4180 quoting, no line breaks inside fields).
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t k = 0; k < line.size(); ++k) {
    const char c = line[k];
    if (quoted) {
      if (c == '"' && k + 1 < line.size() && line[k + 1] == '"') out.back() += '"', ++k;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

int level_of(const std::string& x) {
  if (x.size() == 1 && x[0] >= '1' && x[0] <= '5') return x[0] - '0';
  if (x == "good") return 5;
  if (x == "bad") return 1;
  return 0;  // rejected by the aggregator as bad_level
}

/// Writes a file atomically: a temporary file beside it, fsync, rename.
bool write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t k = ::write(fd, text.data() + done, text.size() - done);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) break;
    done += static_cast<std::size_t>(k);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

class service {
 public:
  explicit service(const options& o)
      : o_(o),
        model_(o.model.empty() ? er::model::default_model() : er::model::load(o.model)),
        operators_(er::read_operators_csv(o.operators, model_)) {
    if (!o.facilities.empty()) operators_.set_facilities(er::read_facilities_csv(o.facilities, model_, operators_));
    if (::access(o.state.c_str(), F_OK) == 0) {
      agg_.emplace(er::review_aggregator::load(o.state));
      if (agg_->operator_ids() != operators_.operator_ids())
        throw er::data_error("the checkpoint " + o.state + " was built for another operator list");
      if (const std::string d = er::review_settings_difference(agg_->settings(), model_.spec().reviews); !d.empty())
        throw er::data_error("the checkpoint " + o.state + " was built under other review settings (" + d + ")");
    } else {
      agg_.emplace(model_, operators_);
    }
    // one service per checkpoint: a ratings temporary left by a killed write is ours to remove
    // (checkpoint temporaries are reused by the next save: review_aggregator::save)
    if (!o.ratings.empty() && !o.check) ::unlink((o.ratings + ".tmp").c_str());
    std::cerr << "resume at event " << agg_->events_seen() << " (" << agg_->records_kept() << " reviews kept)\n";
  }

  /// Consumes the stream; returns when it ends or SIGTERM/SIGINT asks to stop.
  void run(std::istream& in, const std::string& source) {
    std::string line;
    std::uint64_t physical = 0;
    std::map<std::string, std::size_t> col;
    const std::uint64_t skip = agg_->events_seen();
    std::uint64_t seen = 0;  // event lines of this stream so far
    last_checkpoint_ = std::chrono::steady_clock::now();
    since_checkpoint_ = 0;
    while (!stop_requested && std::getline(in, line)) {
      ++physical;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (physical == 1) {  // the header
        const auto names = split_csv_line(line);
        for (std::size_t k = 0; k < names.size(); ++k) col[names[k]] = k;
        for (const char* need : {"review_id", "operator_id", "reviewer_id", "time", "level"})
          if (!col.count(need)) throw er::data_error(source + ":1: missing required column " + std::string(need));
        continue;
      }
      if (line[0] == '#') {  // in-band commands, e.g. "#rate 2025-12-31"
        if (line.rfind("#rate ", 0) == 0 && seen >= skip) {
          const auto when = er::parse_date(line.substr(6));
          if (when) rate_and_write(*when);
          else std::cerr << source << ":" << physical << ": \"" << line << "\" is not #rate YYYY-MM-DD\n";
        }
        continue;
      }
      if (seen++ < skip) continue;  // consumed before the last checkpoint
      add_line(line, col, source + ":" + std::to_string(physical));
      if (++since_checkpoint_ >= o_.every || seconds_since_checkpoint() >= o_.seconds) checkpoint();
      if (rate_requested) {
        rate_requested = 0;
        if (!o_.as_of.empty()) rate_and_write(*er::parse_date(o_.as_of));
      }
    }
    checkpoint();
    if (!stop_requested && !o_.as_of.empty()) rate_and_write(*er::parse_date(o_.as_of));
    std::cerr << "done: " << agg_->events_seen() << " events, " << agg_->records_kept() << " reviews kept, "
              << agg_->rejects().total() << " rejected\n";
  }

 private:
  void add_line(const std::string& line, const std::map<std::string, std::size_t>& col, const std::string& where) {
    const std::vector<std::string> f = split_csv_line(line);
    auto cell = [&](const char* name) {
      const auto it = col.find(name);
      return it == col.end() || it->second >= f.size() ? std::string() : f[it->second];
    };
    er::review_event e;
    e.review_id = cell("review_id");
    e.operator_id = cell("operator_id");
    e.reviewer_id = cell("reviewer_id");
    const std::string rev = cell("revision");
    if (!rev.empty()) {
      // a bad revision makes the event a reject with its own kind (the aggregator checks 0..65534)
      e.revision = rev.size() <= 5 && rev.find_first_not_of("0123456789") == std::string::npos
                       ? static_cast<std::uint32_t>(std::stoul(rev))
                       : 0xFFFFFFFFu;
    }
    e.time = er::parse_review_time(cell("time")).value_or(er::no_time);
    e.level = level_of(cell("level"));
    const std::string st = cell("status");
    e.status = st == "void" ? er::review_status::voided : st == "pending" ? er::review_status::pending : er::review_status::valid;
    e.rectified_at = er::parse_review_time(cell("rectified_at")).value_or(er::no_time);
    e.followed_up_at = er::parse_review_time(cell("followed_up_at")).value_or(er::no_time);
    e.service_record_id = cell("service_record_id");
    agg_->add(e, where);  // exactly one add per event line: events_seen() is the stream offset
  }

  double seconds_since_checkpoint() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint_).count();
  }

  void checkpoint() {
    std::cerr << "checkpoint begin " << agg_->events_seen() << std::endl;
    agg_->save(o_.state);  // atomic: temporary file, fsync, rename
    std::cerr << "checkpoint done " << agg_->events_seen() << std::endl;
    last_checkpoint_ = std::chrono::steady_clock::now();
    since_checkpoint_ = 0;
  }

  void rate_and_write(er::civil_date as_of) {
    er::dataset d = operators_;
    agg_->summary(as_of).apply_to(d);
    const er::ratings r = er::rate(model_, d, as_of);
    std::ostringstream csv;
    csv << "operator_id,status,total,grade,terminate,as_of,model_id,model_fingerprint,input_hash\n";
    for (std::size_t i = 0; i < r.size(); ++i)
      csv << r.operator_ids[i] << ',' << er::to_string(r.status[i]) << ',' << static_cast<double>(r.total_centi[i]) / 100.0
          << ',' << er::to_string(r.final_grade[i]) << ',' << int(r.terminate[i]) << ',' << er::to_string(as_of) << ','
          << model_.info().id << ',' << model_.fingerprint() << ',' << r.input_hash << '\n';
    if (o_.ratings.empty()) std::cout << csv.str() << std::flush;
    else if (!write_atomically(o_.ratings, csv.str())) throw std::runtime_error("cannot write " + o_.ratings + ": " + std::strerror(errno));
    std::cerr << "rated " << r.size() << " operators as of " << er::to_string(as_of) << " (input hash " << r.input_hash.substr(0, 16)
              << "…)\n";
  }

  options o_;
  er::model model_;
  er::dataset operators_;
  std::optional<er::review_aggregator> agg_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::uint64_t since_checkpoint_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    o = parse_args(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "rating_service: " << e.what << "\n";
    return 2;
  }
  std::signal(SIGUSR1, on_usr1);
  std::signal(SIGTERM, on_term);
  std::signal(SIGINT, on_term);
  try {
    service s(o);
    if (o.check) return 0;  // the constructor loaded and reported the checkpoint
    if (o.events == "-") {
      s.run(std::cin, "<stdin>");
    } else {
      std::ifstream in(o.events, std::ios::binary);
      if (!in) {
        std::cerr << "rating_service: cannot read " << o.events << ": " << std::strerror(errno) << "\n";
        return 3;
      }
      s.run(in, o.events);
    }
  } catch (const er::archive_error& e) {
    std::cerr << "rating_service: " << e.what() << "\n";
    return 3;
  } catch (const er::error& e) {
    std::cerr << "rating_service: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rating_service: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
