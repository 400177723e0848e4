// The watchers' own work, without the daemon (docs/benchmarks.md, "Watchers"): how long after a writer closes a
// file folder_watch reports it (p50, p99), and a flood of 10,000 files worked through (reported, classified by
// libmagic, hashed) in files/s, with resident memory before and after.
//   watch_bench [--files N]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/kb/sha256.hpp"
#include "core/watch/file_class.hpp"
#include "core/watch/folder_watch.hpp"

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

long rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void write_file(const fs::path& p, const std::string& text) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (::write(fd, text.data(), text.size()) < 0) std::perror("write");
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int flood = 10000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--files" && i + 1 < argc) flood = std::stoi(argv[++i]);
    else {
      std::fprintf(stderr, "watch_bench: unknown argument '%s' (--files N)\n", a.c_str());
      return 2;
    }
  }
  const auto root = fs::temp_directory_path() / ("paios-watch-bench-" + std::to_string(getpid()));
  fs::create_directories(root / "latency");
  fs::create_directories(root / "flood");

  // Latency: one file at a time, 5 ms apart; the time from close() to the report.
  {
    paios::folder_watch w(root / "latency");
    constexpr int kFiles = 500;
    std::mutex m;
    std::map<std::string, clock_type::time_point> closed;
    std::vector<double> ms;
    std::atomic<bool> done{false};
    std::thread writer([&] {
      for (int i = 0; i < kFiles; ++i) {
        const auto name = "note" + std::to_string(i) + ".md";
        write_file(root / "latency" / name, "# note\n\nsome text " + std::to_string(i) + "\n");
        {
          std::lock_guard lock(m);
          closed[name] = clock_type::now();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      done = true;
    });
    std::size_t seen = 0;
    const auto until = clock_type::now() + std::chrono::seconds(60);
    while (seen < static_cast<std::size_t>(kFiles) && clock_type::now() < until) {
      bool rescan = false;
      for (auto& p : w.poll(100, rescan)) {
        const auto now = clock_type::now();
        std::lock_guard lock(m);
        auto it = closed.find(p.filename().string());
        if (it != closed.end()) ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
        ++seen;
      }
    }
    writer.join();
    std::printf("| close_write to report (%d files, 5 ms apart) | p50 %.3f ms, p99 %.3f ms | %zu reported |\n", kFiles,
                pct(ms, 0.5), pct(ms, 0.99), seen);
  }

  // Flood: written as fast as one thread can; each reported file is classified and hashed, as a watcher does.
  {
    const long rss_before = rss_kb();
    paios::folder_watch w(root / "flood");
    paios::file_classifier classify;
    const auto start = clock_type::now();
    std::thread writer([&] {
      for (int i = 0; i < flood; ++i)
        write_file(root / "flood" / ("f" + std::to_string(i) + ".txt"), "file number " + std::to_string(i) + "\n");
    });
    std::set<std::string> done;
    int rescans = 0;
    std::size_t classified = 0;
    auto work = [&](const fs::path& p) {
      if (!done.insert(p.filename().string()).second) return;
      classified += classify.classify(p).cls == paios::file_class::document;
      (void)paios::sha256_file_hex(p);
    };
    const auto until = clock_type::now() + std::chrono::seconds(120);
    while (done.size() < static_cast<std::size_t>(flood) && clock_type::now() < until) {
      bool rescan = false;
      for (auto& p : w.poll(100, rescan)) work(p);
      if (rescan) {
        ++rescans;
        for (auto& p : w.scan()) work(p);
      }
    }
    writer.join();
    const double s = std::chrono::duration<double>(clock_type::now() - start).count();
    const long rss_after = rss_kb();
    std::printf("| flood of %d files: reported, classified, hashed | %.0f files/s (%.2f s; %zu documents; %d rescans after a "
                "queue overflow) | RSS %.1f MB before, %.1f MB after |\n",
                flood, static_cast<double>(done.size()) / s, s, classified, rescans, rss_before / 1024.0, rss_after / 1024.0);
    if (done.size() != static_cast<std::size_t>(flood)) std::fprintf(stderr, "only %zu of %d files seen\n", done.size(), flood);
  }
  fs::remove_all(root);
  return 0;
}
