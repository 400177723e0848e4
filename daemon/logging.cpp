#include "daemon/logging.hpp"

#include <cstdlib>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace paios {

std::string setup_logging(const std::filesystem::path& log_file, const std::string& level, std::size_t max_file_bytes,
                          int max_files) {
  // Color only on a terminal (spdlog's automatic mode), and never with NO_COLOR set to anything but "" (no-color.org).
  const char* no_color = std::getenv("NO_COLOR");
  const auto colors = no_color && *no_color ? spdlog::color_mode::never : spdlog::color_mode::automatic;
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>(colors)};
  std::string error;
  try {
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(log_file.string(),
                                                                           max_file_bytes, max_files));
  } catch (const spdlog::spdlog_ex& e) {
    error = e.what();
  }
  auto logger = std::make_shared<spdlog::logger>("paiosd", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return error;
}

}  // namespace paios
