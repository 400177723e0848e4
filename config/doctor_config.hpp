#pragma once
// The "doctor" section: what `ai doctor` compares with (cli/cmd_doctor.cpp, core/doctor): the agent CLI versions
// each output adapter is tested with, the disk and WAL thresholds, the bounds of its calls, and the systemd unit
// it asks about. Nothing in the daemon reads it. The initial values equal config/defaults.json's.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/doctor/agent_cli_check.hpp"
#include "core/doctor/home_check.hpp"

namespace paios {

struct doctor_config {
  doctor::version_lock tested_versions;  // program name -> version patterns ("2.1.197", "2.1.x")
  std::int64_t version_timeout_ms = 10000;  // one `PROGRAM --version`
  doctor::home_limits limits;               // disk, WAL; the spool's limit is alerts.spool_max_bytes
  std::int64_t smoke_timeout_ms = 60000;    // one --smoke task (its timeout_ms)
  std::string systemd_unit = "paiosd.service";
};

// `doc` is the validated merged document: the spool limit comes from its alerts section.
doctor_config read_doctor_config(const nlohmann::json& doc);
// Checks beyond the schema: doctor.disk_error_mb must not exceed doctor.disk_warning_mb.
void check_doctor_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
