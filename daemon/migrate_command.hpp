#pragma once
// `paiosd --migrate [--dry-run]` and the schema check every start makes before the actor tree opens a store
// (docs/architecture.md, "Schema versions and migrations"; docs/runbooks/daemon.md).
#include <ostream>
#include <vector>

#include "config/home.hpp"
#include "core/sqlite/migrations.hpp"
#include "messages/error.hpp"

namespace paios {

// Every store file under PAIOS_HOME/data read on a read-only connection (nothing is written or created): where
// each stands, or the first one of a newer schema than this build knows ("FILE has schema 7; this paiosd knows up
// to 5: upgrade paiosd or restore a backup"), or one that cannot be read.
expected<std::vector<migration_plan>> check_store_schemas(const paios_home& home);

// Lists, per store file, its schema version, this build's, and the migrations that would run; with `dry_run`
// false, runs them (each store after an online copy into data/pre-migrate/, core/sqlite/migrations.hpp). The
// caller holds PAIOS_HOME's daemon lock for a run. Writes the listing to `out`, failures to `err`; returns the
// process's exit status: 0, 1 (a migration failed: the file is at the schema before it), or 3 (a file of a newer
// schema, or one that cannot be read: nothing was changed in it).
int migrate_stores(const paios_home& home, bool dry_run, std::ostream& out, std::ostream& err);

}  // namespace paios
