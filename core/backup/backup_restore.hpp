#pragma once
// Checking a backup and putting it back in PAIOS_HOME (docs/backup.md). Nothing is touched before the whole
// backup checks out: every file's size and SHA-256 against the manifest, every database's integrity_check.
// The caller holds PAIOS_HOME's daemon lock (config/home.hpp), so no daemon runs or starts meanwhile.
#include <cstdint>
#include <filesystem>

#include "core/backup/backup_manifest.hpp"
#include "messages/error.hpp"

namespace paios {

// The manifest when every file it lists is there, of its size and checksum, and every database passes
// integrity_check; else bad_request naming the first file that is wrong and how.
expected<backup_manifest> verify_backup(const std::filesystem::path& dir);

struct restore_report {
  backup_manifest manifest;
  std::filesystem::path aside;  // PAIOS_HOME/backups/pre-restore-<UTC time>: the files that were replaced
};

// Verifies `dir`, then copies each of its files beside its place in `home` (a temporary name, fsync'd), moves
// the current data/ files, config.json and spool/ aside, and renames each copy into place (atomic per file).
// A failed verify or copy changes nothing in `home`.
expected<restore_report> restore_backup(const std::filesystem::path& home, const std::filesystem::path& dir,
                                        std::int64_t now_ms);

}  // namespace paios
