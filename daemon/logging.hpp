#pragma once
// The daemon's logs: a rotating file in PAIOS_HOME/logs and stderr, through spdlog's default logger, so
// that every component logs with spdlog::info(...) and the lines say which component and which task.
#include <cstddef>
#include <filesystem>
#include <string>

namespace paios {

// `log_file` is paios_home::log_file() (`ai logs` reads it there). Returns "" or why the log file could not be
// opened (then only stderr is used).
std::string setup_logging(const std::filesystem::path& log_file, const std::string& level, std::size_t max_file_bytes,
                          int max_files);

}  // namespace paios
