#pragma once
// Taking a backup of PAIOS_HOME (docs/backup.md): every SQLite store under data/ copied with the online backup
// API (core/sqlite/sqlite_snapshot.hpp: consistent while the daemon writes), config.json, and the hook spool
// (copied under the spool's lock, so no half-appended line), then manifest.json. Runtime-free: the daemon runs it
// on a thread of its own (actors/backup), `ai` runs it itself when the daemon is down.
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/backup/backup_manifest.hpp"
#include "messages/error.hpp"

namespace paios {

struct backup_request {
  std::filesystem::path home;   // PAIOS_HOME
  std::filesystem::path dest;   // must not exist, or be an empty folder
  std::string version;          // the taking program's version, for the manifest
  std::string origin = "manual";
  std::int64_t now_ms = 0;
};

// PAIOS_HOME/backups: where backups go by default and where `ai backup --list` and retention look.
std::filesystem::path backups_dir(const std::filesystem::path& home);
// A new folder under backups_dir named by `prefix` and the UTC time ("20261207T201141Z",
// "pre-restore-20261207T201141Z"; ".2", ".3", ... when that name is taken).
std::filesystem::path default_backup_dir(const std::filesystem::path& home, std::int64_t now_ms,
                                         const std::string& prefix = "");

// Takes the backup into `dest`: its manifest, or the error (bad_request "DEST exists and is not empty";
// store_failed naming the file that could not be copied). A failed backup leaves no partial folder behind.
expected<backup_manifest> take_backup(const backup_request& req);

// fsyncs a file or folder: ok, or store_failed naming it.
status sync_path(const std::filesystem::path& path);

}  // namespace paios
