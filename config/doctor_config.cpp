#include "config/doctor_config.hpp"

#include <nlohmann/json.hpp>

namespace paios {

doctor_config read_doctor_config(const nlohmann::json& doc) {
  const auto& d = doc.at("doctor");
  doctor_config c;
  for (const auto& [program, versions] : d.at("tested_versions").items())
    c.tested_versions[program] = versions.get<std::vector<std::string>>();
  c.version_timeout_ms = d.at("version_timeout_ms").get<std::int64_t>();
  c.limits.disk_warning_mb = d.at("disk_warning_mb").get<std::int64_t>();
  c.limits.disk_error_mb = d.at("disk_error_mb").get<std::int64_t>();
  c.limits.wal_warning_mb = d.at("wal_warning_mb").get<std::int64_t>();
  c.limits.spool_max_bytes = doc.at("alerts").at("spool_max_bytes").get<std::int64_t>();
  c.smoke_timeout_ms = d.at("smoke_timeout_ms").get<std::int64_t>();
  c.systemd_unit = d.at("systemd_unit").get<std::string>();
  return c;
}

void check_doctor_config(const nlohmann::json& doc, std::vector<std::string>& errors) {
  if (!doc.contains("doctor") || !doc["doctor"].is_object()) return;
  const auto& d = doc["doctor"];
  if (!d.contains("disk_warning_mb") || !d.contains("disk_error_mb") || !d["disk_warning_mb"].is_number_integer() ||
      !d["disk_error_mb"].is_number_integer())
    return;
  if (d["disk_error_mb"].get<std::int64_t>() > d["disk_warning_mb"].get<std::int64_t>())
    errors.push_back("doctor.disk_error_mb: must be at most doctor.disk_warning_mb (" + d["disk_warning_mb"].dump() +
                     "; got " + d["disk_error_mb"].dump() + ")");
}

}  // namespace paios
