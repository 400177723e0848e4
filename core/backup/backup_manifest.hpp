#pragma once
// manifest.json: what a backup of PAIOS_HOME holds (docs/backup.md). Each file by its path relative to the
// backup's folder (and to PAIOS_HOME, where it is put back), its size and SHA-256; a database also by its schema
// version (PRAGMA user_version). Written last, so a folder with a manifest is a finished backup.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/error.hpp"

namespace paios {

struct backup_file {
  std::string path;               // relative: "data/state.sqlite", "config.json", "spool/hooks.jsonl"
  std::uint64_t size = 0;
  std::string sha256;             // 64 lower-case hex digits
  bool database = false;          // an SQLite file: integrity_check'ed before a restore
  std::int64_t user_version = 0;  // a database's schema version
};

struct backup_manifest {
  static constexpr int current_format = 1;
  int format = current_format;
  std::string paiosd_version;     // the version of the program that took it
  std::int64_t created_ms = 0;
  std::string origin;             // "manual" (ai backup) or "scheduled" (backup.schedule; only these are pruned)
  std::vector<backup_file> files;
};

constexpr const char* kManifestName = "manifest.json";

nlohmann::json manifest_json(const backup_manifest& m);
// Writes DIR/manifest.json (through a temporary file and a rename, fsync'd): ok, or store_failed naming the file.
status write_manifest(const std::filesystem::path& dir, const backup_manifest& m);
// Reads DIR/manifest.json: the manifest, or bad_request naming the file and what is wrong with it (missing,
// not JSON, a field missing, a path that leaves the folder).
expected<backup_manifest> read_manifest(const std::filesystem::path& dir);

// "2026-12-07T20:11:41Z"
std::string utc_timestamp(std::int64_t ms);

}  // namespace paios
