#include "core/backup/backup_ring.hpp"

#include <algorithm>

#include "core/backup/backup_take.hpp"

namespace fs = std::filesystem;

namespace paios {

std::vector<backup_entry> list_backups(const fs::path& home) {
  std::vector<backup_entry> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(backups_dir(home), ec)) {
    if (!entry.is_directory()) continue;
    auto m = read_manifest(entry.path());
    if (!m) continue;  // not a backup (a pre-restore folder) or one being written
    backup_entry b{entry.path(), std::move(*m)};
    for (const auto& f : b.manifest.files) b.bytes += f.size;
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const backup_entry& a, const backup_entry& b) {
    return a.manifest.created_ms != b.manifest.created_ms ? a.manifest.created_ms < b.manifest.created_ms : a.dir < b.dir;
  });
  return out;
}

expected<std::vector<fs::path>> prune_backups(const fs::path& home, std::int64_t keep) {
  std::vector<fs::path> scheduled;
  for (const auto& b : list_backups(home))
    if (b.manifest.origin == "scheduled") scheduled.push_back(b.dir);
  std::vector<fs::path> removed;
  const auto excess = static_cast<std::int64_t>(scheduled.size()) - std::max<std::int64_t>(keep, 0);
  for (std::int64_t i = 0; i < excess; ++i) {
    std::error_code ec;
    fs::remove_all(scheduled[static_cast<std::size_t>(i)], ec);
    if (ec) return status{errc::store_failed, "cannot remove " + scheduled[static_cast<std::size_t>(i)].string() + ": " + ec.message()};
    removed.push_back(scheduled[static_cast<std::size_t>(i)]);
  }
  return removed;
}

}  // namespace paios
