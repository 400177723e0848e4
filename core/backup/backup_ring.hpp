#pragma once
// The backups kept under PAIOS_HOME/backups: listing them (`ai backup --list`) and retention (backup.keep): the
// oldest scheduled backups beyond the newest `keep` are removed. A backup a person took (origin "manual") and the
// pre-restore folders are never removed by retention.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/backup/backup_manifest.hpp"
#include "messages/error.hpp"

namespace paios {

struct backup_entry {
  std::filesystem::path dir;
  backup_manifest manifest;
  std::uint64_t bytes = 0;  // the files' sizes, summed
};

// Every folder of PAIOS_HOME/backups with a readable manifest, oldest first.
std::vector<backup_entry> list_backups(const std::filesystem::path& home);

// Removes the oldest scheduled backups until `keep` remain: the folders removed, or store_failed naming the one
// that could not be.
expected<std::vector<std::filesystem::path>> prune_backups(const std::filesystem::path& home, std::int64_t keep);

}  // namespace paios
