#pragma once
// A consistent copy of a live SQLite database, and the check that a copy is sound. The copy goes through
// SQLite's online backup API on a read connection of its own: one backup step holds one read transaction, so
// under WAL the copy is the database as of one commit while its owner goes on writing (the owner is never
// blocked; it needs no part in it). The copy is left in rollback-journal mode (no -wal or -shm beside it), so
// that it is one self-contained file that can be checksummed, opened read-only, and put back in place; the
// store that opens it again switches it to WAL.
#include <cstdint>
#include <filesystem>

#include "messages/error.hpp"

namespace paios {

// Copies the database `from` (which must exist: it is never created) into the new file `to`; returns the
// copy's `PRAGMA user_version` (its schema version). Fails with store_failed "FILE: why" naming the file.
expected<std::int64_t> snapshot_database(const std::filesystem::path& from, const std::filesystem::path& to);

// How much of a database a check reads: `full` is `PRAGMA integrity_check` (every index against its table too: a
// restore's check), `quick` is `PRAGMA quick_check` (pages, records and constraints, in time linear in the file:
// `ai doctor`'s).
enum class integrity_depth { full, quick };

// Opens `file` read-only and runs the check of `depth`: ok, or store_failed "FILE: " and SQLite's first findings
// (a file that is not a database says so).
status check_database_integrity(const std::filesystem::path& file, integrity_depth depth = integrity_depth::full);

}  // namespace paios
