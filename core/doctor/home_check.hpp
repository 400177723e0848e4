#pragma once
// The checks of PAIOS_HOME's files that need no daemon: free disk, each database's PRAGMA quick_check (opened
// read-only: a running daemon goes on writing), each database's WAL size, and the hooks' spool. The databases are
// found as core/backup finds them: every *.sqlite under PAIOS_HOME/data.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/doctor/finding.hpp"

namespace paios::doctor {

struct home_limits {
  std::int64_t disk_warning_mb = 1024;  // less free disk than this under PAIOS_HOME is a warning
  std::int64_t disk_error_mb = 100;     // less than this is an error
  std::int64_t wal_warning_mb = 256;    // a database's WAL larger than this is a warning
  std::int64_t spool_max_bytes = 100 << 20;  // a spool larger than this is a warning (alerts.spool_max_bytes)
};

// Free disk for PAIOS_HOME (statvfs of the home, or of its nearest existing parent when it is not made yet).
finding check_disk(const std::filesystem::path& home, const home_limits& limits);

// One quick_check finding per database under `data_dir` ("data/state.sqlite": ok, or an error with SQLite's first
// findings), then one WAL finding per database whose -wal file exceeds the limit. No database at all is one ok
// finding ("nothing stored yet").
std::vector<finding> check_databases(const std::filesystem::path& data_dir, const home_limits& limits);

// The runbook of the store that owns the database file `name` ("state.sqlite" -> state-store.md).
const char* runbook_of_database(const std::string& name);

// The hooks' spool (PAIOS_HOME/spool, core/hooks/hook_spool): events that waited for the daemon. Empty is ok;
// events waiting while the daemon does not answer, or a spool over the limit, are warnings.
finding check_spool(const std::filesystem::path& spool_dir, const home_limits& limits, bool daemon_answers);

}  // namespace paios::doctor
