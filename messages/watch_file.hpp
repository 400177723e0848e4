#pragma once
// A watched file's latest content and what was done with it: the row of state.sqlite's watch_files, and the
// JSON text a folder watcher and the state store exchange for it (core/watch/watch_ledger.hpp).
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct watch_file_row {
  std::string path, folder, sha256;
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string cls, action, outcome;  // class and action names; outcome "pending", "ok" or "failed"
  int attempts = 0;
  std::string detail, trace_id;      // what came of it (an article id, an error); the trace of its handling
  std::int64_t updated_ms = 0;
};

// {path, folder, sha256, size, mtime_ns, class, action, outcome, attempts, detail, trace_id, updated_ms}; a
// member missing from the JSON reads as its default.
void to_json(nlohmann::json& j, const watch_file_row& r);
void from_json(const nlohmann::json& j, watch_file_row& r);

}  // namespace paios
