#include "messages/watch_file.hpp"

#include <nlohmann/json.hpp>

namespace paios {

void to_json(nlohmann::json& j, const watch_file_row& r) {
  j = {{"path", r.path},         {"folder", r.folder},   {"sha256", r.sha256},     {"size", r.size},
       {"mtime_ns", r.mtime_ns}, {"class", r.cls},       {"action", r.action},     {"outcome", r.outcome},
       {"attempts", r.attempts}, {"detail", r.detail},   {"trace_id", r.trace_id}, {"updated_ms", r.updated_ms}};
}

void from_json(const nlohmann::json& j, watch_file_row& r) {
  r.path = j.value("path", "");
  r.folder = j.value("folder", "");
  r.sha256 = j.value("sha256", "");
  r.size = j.value("size", std::uintmax_t{0});
  r.mtime_ns = j.value("mtime_ns", std::int64_t{0});
  r.cls = j.value("class", "");
  r.action = j.value("action", "");
  r.outcome = j.value("outcome", "");
  r.attempts = j.value("attempts", 0);
  r.detail = j.value("detail", "");
  r.trace_id = j.value("trace_id", "");
  r.updated_ms = j.value("updated_ms", std::int64_t{0});
}

}  // namespace paios
