#pragma once
// The "watchers" section: the folders the watchers watch (actors/watcher) and what each class of file that
// arrives leads to. Apart from config.hpp so that the watcher and its tests need only these structs. The
// initial values equal config/defaults.json and schema.json's defaults.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/watch/file_class.hpp"

namespace paios {

// What a file of a class leads to:
//   describe  a task on the vision brain, whose answer is ingested into the KB with the file as source (images)
//   ingest    its text goes into the KB (documents; code and other text files when configured so)
//   notify    a notification offering capture; nothing else is done with the file
//   record    only recorded (state.sqlite and an event)
enum class watch_action { describe, ingest, notify, record };

std::string_view watch_action_name(watch_action a);
bool parse_watch_action(std::string_view name, watch_action& out);

inline constexpr std::size_t kFileClasses = 6;  // file_class's values, in order

struct watch_folder {
  std::string path;                 // absolute; "~/" expanded
  std::vector<file_class> classes;  // the classes acted on; files of other classes are recorded only; empty: all
  std::string source = "config";    // "config" (the user's file) or "added" (`ai watch add`, kept in the store)
};

struct watcher_config {
  std::vector<watch_folder> folders;
  std::array<watch_action, kFileClasses> actions{watch_action::describe, watch_action::ingest, watch_action::notify,
                                                  watch_action::record,   watch_action::record, watch_action::record};
  std::string vision_brain;         // "" = routed (the router's vision category, from the image attachment)
  std::string describe_prompt;      // the describe task's prompt; {path} and {name} are replaced
  std::int64_t describe_timeout_ms = 300000;
  int max_in_flight = 4;            // describe tasks and ingests under way at once, per folder
  std::int64_t settle_ms = 2000;    // a file written without a close is complete when its size held this long
  std::int64_t max_hash_mb = 512;   // larger files are known by size and modification time, not by a content hash
  int max_attempts = 3;             // a failed action is tried again at later scans, up to this many times in all
};

watch_action action_for(const watcher_config& c, file_class cls);
// A folder path as configured or given to `ai watch add`: "~/" becomes $HOME, the path is made absolute and
// normal (no trailing slash). Empty when it cannot be (no HOME for "~").
std::string normal_folder_path(const std::string& path);

watcher_config read_watcher_config(const nlohmann::json& section);
// Checks beyond the schema (which says which action suits which class), each error "watchers.<path>: message":
// a vision brain that is not configured, a relative folder path, a folder given twice.
void check_watcher_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
