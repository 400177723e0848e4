#pragma once
// The SQLite stores under PAIOS_HOME/data, each file with the schema its store declares: the one list the actor
// tree opens them by and `paiosd --migrate` walks.
#include <filesystem>
#include <string>
#include <vector>

#include "config/home.hpp"
#include "core/sqlite/migrations.hpp"

namespace paios {

struct store_file {
  std::filesystem::path path;   // PAIOS_HOME/data/<name>.sqlite
  const sqlite_schema* schema;  // the store's, static
};

// Every store, in the order the actor tree starts them.
std::vector<store_file> store_files(const paios_home& home);

// The file of the store whose schema this is: PAIOS_HOME/data/<schema.store>.sqlite.
std::filesystem::path store_path(const paios_home& home, const sqlite_schema& schema);

}  // namespace paios
