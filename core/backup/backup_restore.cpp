#include "core/backup/backup_restore.hpp"

#include <string>
#include <vector>

#include "core/backup/backup_take.hpp"
#include "core/kb/sha256.hpp"
#include "core/sqlite/sqlite_snapshot.hpp"

namespace fs = std::filesystem;

namespace paios {
namespace {

// Where the backup's files are copied before anything is replaced: inside PAIOS_HOME, so that putting each in
// place is a rename on one file system.
fs::path staging_dir(const fs::path& home) { return home / "restore.staging"; }

status wrong(const fs::path& file, const std::string& why) { return {errc::bad_request, file.string() + ": " + why}; }

status verify_file(const fs::path& dir, const backup_file& f) {
  const auto file = dir / f.path;
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return wrong(file, "listed in the manifest but cannot be read: " + ec.message());
  if (size != f.size)
    return wrong(file, "is " + std::to_string(size) + " bytes, the manifest says " + std::to_string(f.size));
  auto sum = sha256_file_hex(file);
  if (!sum) return sum.error();
  if (*sum != f.sha256) return wrong(file, "its SHA-256 differs from the manifest's: the file is damaged");
  if (f.database) {
    if (auto s = check_database_integrity(file); !s) return {errc::bad_request, s.message()};
  }
  return {};
}

// Copies every file of the backup into the staging folder, fsync'd; on failure removes it.
status stage(const fs::path& home, const fs::path& dir, const backup_manifest& m) {
  std::error_code ec;
  fs::remove_all(staging_dir(home), ec);  // what an interrupted restore left
  for (const auto& f : m.files) {
    const fs::path target = staging_dir(home) / f.path;
    fs::create_directories(target.parent_path(), ec);
    if (!ec) fs::copy_file(dir / f.path, target, ec);
    status s = ec ? status{errc::store_failed, "cannot copy " + (dir / f.path).string() + " to " + target.string() +
                                                   ": " + ec.message()}
                  : sync_path(target);
    if (!s) {
      fs::remove_all(staging_dir(home), ec);
      return s;
    }
  }
  return {};
}

// Moves what the backup replaces into `aside`: every file of data/ (the stores, their logs, the task journal and
// the vector index made from them), config.json and the spool.
status move_aside(const fs::path& home, const fs::path& aside) {
  std::error_code ec;
  fs::create_directories(aside / "data", ec);
  if (ec) return {errc::store_failed, "cannot create " + aside.string() + ": " + ec.message()};
  std::vector<std::pair<fs::path, fs::path>> moves;
  for (const auto& entry : fs::directory_iterator(home / "data", ec)) {
    moves.push_back({entry.path(), aside / "data" / entry.path().filename()});
  }
  if (fs::exists(home / "config.json", ec)) moves.push_back({home / "config.json", aside / "config.json"});
  if (fs::exists(home / "spool", ec)) moves.push_back({home / "spool", aside / "spool"});
  for (const auto& [from, to] : moves) {
    fs::rename(from, to, ec);
    if (ec) return {errc::store_failed, "cannot move " + from.string() + " aside to " + to.string() + ": " + ec.message()};
  }
  return {};
}

}  // namespace

expected<backup_manifest> verify_backup(const fs::path& dir) {
  auto m = read_manifest(dir);
  if (!m) return m.error();
  for (const auto& f : m->files)
    if (auto s = verify_file(dir, f); !s) return s;
  return m;
}

expected<restore_report> restore_backup(const fs::path& home, const fs::path& dir, std::int64_t now_ms) {
  auto m = verify_backup(dir);
  if (!m) return m.error();
  if (auto s = stage(home, dir, *m); !s) return s;
  restore_report report{*m, default_backup_dir(home, now_ms, "pre-restore-")};
  if (auto s = move_aside(home, report.aside); !s) return s;
  std::error_code ec;
  for (const auto& f : m->files) {
    fs::create_directories((home / f.path).parent_path(), ec);
    fs::rename(staging_dir(home) / f.path, home / f.path, ec);
    if (ec) return status{errc::store_failed, "cannot put " + (home / f.path).string() + " in place: " + ec.message()};
  }
  fs::remove_all(staging_dir(home), ec);
  fs::create_directories(home / "data", ec);
  for (const auto& folder : {home, home / "data", home / "spool"})
    if (fs::exists(folder, ec)) (void)sync_path(folder);
  return report;
}

}  // namespace paios
