#include "daemon/run_marker.hpp"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

namespace paios {

std::string take_run_marker(const std::filesystem::path& marker, int pid, std::int64_t started_ms) {
  std::string left;
  if (std::ifstream in{marker}) {
    std::stringstream ss;
    ss << in.rdbuf();
    left = ss.str();
    while (!left.empty() && (left.back() == '\n' || left.back() == ' ')) left.pop_back();
    if (left.empty()) left = "an empty run marker";  // written but cut short: still a run that did not end in order
  }
  std::ofstream out{marker, std::ios::trunc};
  out << "pid " << pid << ", started at " << started_ms << " ms\n";
  if (!out) spdlog::warn("cannot write {}: an unclean exit of this run will not be noticed at the next start", marker.string());
  return left;
}

void clear_run_marker(const std::filesystem::path& marker) {
  std::error_code ec;
  std::filesystem::remove(marker, ec);
}

}  // namespace paios
