#include "core/backup/backup_take.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "core/hooks/hook_spool.hpp"
#include "core/kb/sha256.hpp"
#include "core/sqlite/sqlite_snapshot.hpp"

namespace fs = std::filesystem;

namespace paios {
namespace {

status io_failed(const std::string& what, const fs::path& path, const std::string& why) {
  return {errc::store_failed, "cannot " + what + " " + path.string() + ": " + why};
}

// The folder must be new or empty: a backup never mixes with other files.
status claim_dest(const fs::path& dest) {
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    if (!fs::is_directory(dest, ec)) return {errc::bad_request, dest.string() + " exists and is not a folder"};
    if (!fs::is_empty(dest, ec)) return {errc::bad_request, dest.string() + " exists and is not empty"};
  }
  fs::create_directories(dest / "data", ec);
  if (ec) return io_failed("create", dest / "data", ec.message());
  fs::permissions(dest, fs::perms::owner_all, ec);  // task history and configuration: its owner's only
  return {};
}

// Adds `rel` (already in the backup) to the manifest with its size and checksum.
status describe(const fs::path& dest, const std::string& rel, bool database, std::int64_t user_version,
                backup_manifest& m) {
  const auto file = dest / rel;
  if (auto s = sync_path(file); !s) return s;
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return io_failed("read", file, ec.message());
  auto sum = sha256_file_hex(file);
  if (!sum) return sum.error();
  m.files.push_back({rel, size, *sum, database, user_version});
  return {};
}

status copy_plain(const fs::path& home, const fs::path& dest, const std::string& rel, backup_manifest& m) {
  std::error_code ec;
  fs::create_directories((dest / rel).parent_path(), ec);
  fs::copy_file(home / rel, dest / rel, ec);
  if (ec) return io_failed("copy", home / rel, ec.message());
  return describe(dest, rel, false, 0, m);
}

status copy_databases(const backup_request& req, backup_manifest& m) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(req.home / "data", ec))
    if (entry.is_regular_file() && entry.path().extension() == ".sqlite") names.push_back(entry.path().filename());
  if (ec && ec != std::errc::no_such_file_or_directory) return io_failed("list", req.home / "data", ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const std::string rel = "data/" + name;
    auto version = snapshot_database(req.home / rel, req.dest / rel);
    if (!version) return version.error();
    if (auto s = describe(req.dest, rel, true, *version, m); !s) return s;
  }
  return {};
}

// The spool's files, under its lock: `ai hook` appends and the daemon replays only while holding it.
status copy_spool(const backup_request& req, backup_manifest& m) {
  hook_spool spool{req.home / "spool"};
  std::error_code ec;
  if (!fs::is_directory(spool.dir, ec)) return {};
  int lock = ::open(spool.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return io_failed("open", spool.lock_file(), std::strerror(errno));
  while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {}
  status result;
  std::vector<std::string> rels;
  for (const auto& entry : fs::recursive_directory_iterator(spool.dir, ec))
    if (entry.is_regular_file() && entry.path() != spool.lock_file())
      rels.push_back(fs::relative(entry.path(), req.home).string());
  if (ec) result = io_failed("list", spool.dir, ec.message());
  std::sort(rels.begin(), rels.end());
  for (const auto& rel : rels)
    if (result) result = copy_plain(req.home, req.dest, rel, m);
  ::close(lock);  // releases the flock
  return result;
}

}  // namespace

fs::path backups_dir(const fs::path& home) { return home / "backups"; }

fs::path default_backup_dir(const fs::path& home, std::int64_t now_ms, const std::string& prefix) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  const std::string name = prefix + buf;
  fs::path dir = backups_dir(home) / name;
  std::error_code ec;
  for (int n = 2; fs::exists(dir, ec); ++n) dir = backups_dir(home) / (name + "." + std::to_string(n));
  return dir;
}

status sync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_failed("open", path, std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_failed("sync", path, std::strerror(err));
  return {};
}

expected<backup_manifest> take_backup(const backup_request& req) {
  std::error_code ec;
  const bool existed = fs::exists(req.dest, ec);
  if (auto s = claim_dest(req.dest); !s) return s;
  backup_manifest m;
  m.paiosd_version = req.version;
  m.created_ms = req.now_ms;
  m.origin = req.origin;
  status s = copy_databases(req, m);
  if (s && fs::exists(req.home / "config.json", ec)) s = copy_plain(req.home, req.dest, "config.json", m);
  if (s) s = copy_spool(req, m);
  if (s) s = write_manifest(req.dest, m);
  if (s) s = sync_path(req.dest);
  if (s) return m;
  // Nothing half-done stays: the folder goes (or, if it was there empty before, its contents).
  if (!existed) {
    fs::remove_all(req.dest, ec);
  } else {
    for (const auto& entry : fs::directory_iterator(req.dest, ec)) fs::remove_all(entry.path(), ec);
  }
  return s;
}

}  // namespace paios
