#include "core/doctor/credentials_check.hpp"

#include <string>

namespace paios::doctor {

std::vector<finding> check_credentials(const std::vector<credential_status>& credentials, int warn_days) {
  std::vector<finding> out;
  for (const auto& c : credentials) {
    if (!c.needs_attention()) continue;
    const level l = c.state == "expired" ? level::error : level::warning;
    out.push_back({l, "credential " + c.entry.name,
                   describe(c) + ". `ai credentials` lists them all; renew it, or declare its new date in `credentials`",
                   runbook::credentials});
  }
  if (out.empty())
    out.push_back({level::ok, "credentials",
                   std::to_string(credentials.size()) + " known, none in use expired, missing or expiring within " +
                       std::to_string(warn_days) + " day(s)",
                   ""});
  return out;
}

}  // namespace paios::doctor
