#pragma once
// The "credentials" section: the credentials a person declares (core/credentials, docs/runbooks/credentials.md),
// each {name, kind: env | file | oauth_token_file, env (kind env) or path (the others), expires?, used_by?}.
// The ones the mesh uses without being told are discovered at each check, not listed here.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/credentials/credential_registry.hpp"

namespace paios {

// The declared entries of the valid merged document; a path "~/x" is the daemon's $HOME/x.
std::vector<credential_entry> read_credentials_config(const nlohmann::json& doc);
// Beyond the schema, each error "credentials.I.field: message": a name used twice, env or path missing for the
// kind (or given for the other), a relative path, an expires that is no date, a used_by that names no brain.
void check_credentials_config(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
