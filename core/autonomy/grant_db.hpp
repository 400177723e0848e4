#pragma once
// grant_db: the approvals a person gave beyond one call (`ai approve ID --session` or `--project`), kept in
// PAIOS_HOME/data/approvals.sqlite so that a restarted daemon still honours them. A grant is bound to what was
// approved (approval_key: tool, command or path, cwd; and the content of the project's scripts it runs,
// script_binding.hpp) and to its scope's value: the session's id, or the project (the cwd). Not thread-safe: one
// owner (the autonomy actor). Errors are store_failed naming the file.
// Schema versions (PRAGMA user_version, grant_db_schema): 0, the first (no scripts); 1, grants and patterns with
// `scripts`. A file of version 0 is migrated at open (its rows bound to no script); one of a newer version is
// refused (core/sqlite/migrations.hpp).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/sqlite/sqlite_db.hpp"
#include "messages/error.hpp"

namespace paios {
struct sqlite_schema;
}

namespace paios::autonomy {

// approvals.sqlite's schema as numbered migrations (core/sqlite/migrations.hpp), the newest last.
const sqlite_schema& grant_db_schema();

// One row of the grants table.
struct grant {
  std::string key;         // approval_key of the call approved
  std::string scope;       // "session" or "project"
  std::string scope_value; // the session id, or the project folder
  std::string approval;    // the id of the approval that granted it
  std::int64_t time_ms = 0;
  std::string scripts;     // scripts_text() of the scripts the call ran when approved ("" for none)
};

// One pattern's count of approvals since its last denial (learning.hpp), and its rule once promoted.
struct pattern_count {
  std::string key;          // learn_pattern::key
  std::string rule_json;    // the rule it becomes (rule_spec as config JSON)
  std::int64_t approvals = 0;
  bool promoted = false;
  std::string scripts;      // scripts_text() of the scripts those approvals (and the promotion) were given for
};

class grant_db {
 public:
  static expected<std::unique_ptr<grant_db>> open(const std::filesystem::path& file);
  // Records a grant; granting the same call again in the same scope replaces it (its scripts now).
  status add(const grant& g);
  std::vector<grant> all();  // at start: the actor keeps them in memory
  status put(const pattern_count& p);
  std::vector<pattern_count> patterns();
 private:
  grant_db() = default;
  // Runs one statement with its parameters bound by `bind`: ok, or store_failed naming the file.
  status write(std::string_view sql, const std::function<void(sqlite_stmt&)>& bind);
  std::filesystem::path file_;
  std::unique_ptr<sqlite_db> db_;
};

}  // namespace paios::autonomy
