#pragma once
// `ai doctor`'s look at the credentials (core/credentials): those in use that are expired, expiring within
// `alerts.credential_warn_days` or missing, one finding each; else one ok finding that counts them. Only names,
// places and dates reach a finding, never a value.
#include <vector>

#include "core/credentials/credential_registry.hpp"
#include "core/doctor/finding.hpp"

namespace paios::doctor {

// expired: error (calls that need it fail now); expiring or missing: warning (an agent may log in otherwise).
std::vector<finding> check_credentials(const std::vector<credential_status>& credentials, int warn_days);

}  // namespace paios::doctor
