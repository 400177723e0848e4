// The configuration: any JSON a user writes is a configuration or errors; never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 0;
  auto r = paios::config_from_json(j);
  if (!r.config && r.errors.empty()) __builtin_trap();  // refused without saying why
  return 0;
}
