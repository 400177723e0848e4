// `ai logs [-f] [--component X] [-n N]`: paiosd's log, read from the files it writes (PAIOS_HOME/logs: paiosd.log and
// its rotated files, config/home.hpp), so that it works whether or not the daemon runs. The last N lines of the
// named components, oldest first; -f then prints what the daemon adds, across its rotations, until Ctrl-C.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "config/home.hpp"

namespace paios::cli {
namespace {

namespace fs = std::filesystem;

// How often -f looks at the file: a line shows within this much of being written.
constexpr auto kFollowPoll = std::chrono::milliseconds(200);

struct logs_args {
  bool follow = false;
  std::vector<std::string> components;
  int lines = 50;
};

// The component that wrote a line: the first word of its message, before a colon or a space. The daemon's lines
// read "2026-12-07T16:19:07.123 info dispatcher: task ..." (daemon/logging.cpp's pattern), and every component
// starts its messages with its name ("brain claude: ...", "kb_store: ...").
std::string component_of(const std::string& line) {
  auto time_end = line.find(' ');
  if (time_end == std::string::npos) return {};
  auto level_end = line.find(' ', time_end + 1);
  if (level_end == std::string::npos) return {};
  auto start = level_end + 1;
  return line.substr(start, line.find_first_of(" :", start) - start);
}

bool wanted(const logs_args& a, const std::string& line) {
  return a.components.empty() ||
         std::find(a.components.begin(), a.components.end(), component_of(line)) != a.components.end();
}

// The rotated log files, oldest first: from the highest number down.
std::vector<fs::path> rotated_log_files(const paios_home& home) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (int n = 1; fs::exists(home.rotated_log_file(n), ec); ++n) out.insert(out.begin(), home.rotated_log_file(n));
  return out;
}

// A file being followed: what is new since the last look, whole lines only.
class log_follower {
 public:
  explicit log_follower(fs::path file) : file_(std::move(file)) {}
  ~log_follower() {
    if (fd_ >= 0) close(fd_);
  }
  log_follower(const log_follower&) = delete;
  log_follower& operator=(const log_follower&) = delete;

  // The whole lines written since the last call. When the daemon rotated the file meanwhile, the rest of the
  // old one comes first, then the new one from its start.
  std::vector<std::string> new_lines() {
    std::vector<std::string> out;
    drain(out);
    if (reopen_if_rotated()) drain(out);
    return out;
  }

 private:
  // True when the file now at the path is another one (rotated, or created since): it is open from its start.
  bool reopen_if_rotated() {
    struct stat now {};
    if (stat(file_.c_str(), &now) != 0) return false;
    struct stat open_one {};
    if (fd_ >= 0 && fstat(fd_, &open_one) == 0 && open_one.st_ino == now.st_ino && open_one.st_dev == now.st_dev) {
      // The same file, truncated under us: read it again from its start.
      if (now.st_size < lseek(fd_, 0, SEEK_CUR)) lseek(fd_, 0, SEEK_SET);
      return false;
    }
    if (fd_ >= 0) close(fd_);
    fd_ = open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    partial_.clear();
    return fd_ >= 0;
  }

  void drain(std::vector<std::string>& out) {
    if (fd_ < 0) return;
    char buf[65536];
    for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;) partial_.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
      out.push_back(partial_.substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
  }

  fs::path file_;
  int fd_ = -1;
  std::string partial_;  // a line the daemon has not finished writing
};

int show_logs(const options& opt, const logs_args& a) {
  const auto home = resolve_home(opt.home);
  std::error_code ec;
  if (!fs::exists(home.log_file(), ec) && !a.follow) {
    std::cerr << "ai logs: no log at " << home.log_file().string()
              << " (paiosd has not run with this home, or could not write there)\n";
    return kExitError;
  }
  std::deque<std::string> last;
  auto keep = [&](const std::string& line) {
    if (!wanted(a, line)) return;
    last.push_back(line);
    if (last.size() > static_cast<std::size_t>(a.lines)) last.pop_front();
  };
  for (const auto& f : rotated_log_files(home)) {
    std::ifstream in{f};
    for (std::string line; std::getline(in, line);) keep(line);
  }
  // The current file through the follower that -f goes on with: no line is read twice, and none is missed.
  log_follower follower{home.log_file()};
  for (const auto& line : follower.new_lines()) keep(line);
  for (const auto& line : last) std::cout << line << "\n";
  std::cout.flush();
  if (!a.follow) return kExitOk;
  for (;;) {
    std::this_thread::sleep_for(kFollowPoll);
    bool any = false;
    for (const auto& line : follower.new_lines())
      if (wanted(a, line)) {
        std::cout << line << "\n";
        any = true;
      }
    if (any) std::cout.flush();
    if (!std::cout) return kExitOk;  // the reader went away
  }
}

}  // namespace

run_fn define_logs(CLI::App& sub, options&) {
  auto a = std::make_shared<logs_args>();
  sub.add_flag("-f,--follow", a->follow, "then print what paiosd adds, as it writes it (until Ctrl-C)");
  sub.add_option("--component", a->components,
                 "only the lines of this component (repeatable): dispatcher, brain, router, kb_store, hooks, ...")
      ->allow_extra_args(false);
  sub.add_option("-n,--lines", a->lines, "how many of the last lines")->check(CLI::Range(0, 1000000));
  return [a](const options& opt) { return show_logs(opt, *a); };
}

}  // namespace paios::cli
