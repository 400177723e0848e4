#include "cli/config_history.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/config_file.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;

bool is_ring_file(const fs::path& p) {
  const auto name = p.filename().string();
  return name.size() > 12 && name.rfind("config-", 0) == 0 && p.extension() == ".json";
}

// config-<13 digits of unix ms>.json: the names sort as the times do (13 digits last until the year 2286).
fs::path name_for(const fs::path& dir, std::int64_t ms) {
  char name[48];
  std::snprintf(name, sizeof name, "config-%013lld.json", static_cast<long long>(ms));
  return dir / name;
}

}  // namespace

std::vector<fs::path> config_history(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && is_ring_file(it->path())) out.push_back(it->path());
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return a.filename() > b.filename(); });
  return out;
}

bool keep_in_config_history(const fs::path& dir, const std::string& text, std::size_t keep, fs::path& kept,
                            std::string& error) {
  // Two applies within one millisecond: the later takes the next free name, so that the order holds.
  auto ms = now_ms();
  const auto existing = config_history(dir);
  if (!existing.empty()) {
    long long newest = 0;
    std::sscanf(existing.front().filename().c_str(), "config-%lld.json", &newest);
    ms = std::max<std::int64_t>(ms, newest + 1);
  }
  kept = name_for(dir, ms);
  if (!write_file_atomically(kept, text, 0600, error)) return false;
  auto ring = config_history(dir);
  std::error_code ec;
  for (std::size_t i = std::max<std::size_t>(keep, 1); i < ring.size(); ++i) fs::remove(ring[i], ec);
  return true;
}

}  // namespace paios
