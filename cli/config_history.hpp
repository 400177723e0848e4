#pragma once
// config_history: the ring of config.json files `ai config apply` and `ai config rollback` replaced
// (PAIOS_HOME/config.history/, config.history_keep of them). Each is kept byte for byte as it was, named
// config-<unix ms>.json so that names sort in the order they were replaced.
//
// Promises: a file enters the ring whole (written atomically, as config_file.hpp writes) or not at all; pruning
// removes the oldest first and never the one just kept; every failure is an error naming the file and the cause.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace paios {

// The ring's files, newest first.
std::vector<std::filesystem::path> config_history(const std::filesystem::path& dir);

// Keeps `text` (the file being replaced) as the newest of the ring, then removes the oldest beyond `keep`.
// `kept` gets the new file's path. False with `error` set when it could not be written.
bool keep_in_config_history(const std::filesystem::path& dir, const std::string& text, std::size_t keep,
                            std::filesystem::path& kept, std::string& error);

}  // namespace paios
