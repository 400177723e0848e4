#include "messages/error.hpp"

#include <array>

namespace paios {
namespace {
constexpr std::array<std::string_view, 19> kNames = {
    "none",          "bad_frame",  "bad_json",     "bad_request",   "bad_version",       "unknown_op",
    "too_large",     "not_found",  "unknown_brain", "brain_unavailable", "overloaded",   "timeout",
    "cancelled",     "brain_failed", "interrupted", "shutting_down", "store_failed",     "internal",
    "tool_failed",
};
}  // namespace

std::string_view to_string(errc code) {
  auto i = static_cast<std::size_t>(code);
  return i < kNames.size() ? kNames[i] : "internal";
}

std::optional<errc> errc_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == text) return static_cast<errc>(i);
  return std::nullopt;
}

}  // namespace paios
