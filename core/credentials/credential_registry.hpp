#pragma once
// credential_registry: the credentials the mesh uses, and the state of each (docs/runbooks/credentials.md).
//
// Entries come from the configuration (`credentials`: declared by a person, with an optional expiry date) and
// from discovery, which needs no configuration:
//   - a brain's env key that looks like a secret (*_API_KEY, *_TOKEN, *_SECRET): its value is in the config;
//   - Claude Code's login ($CLAUDE_CONFIG_DIR or ~/.claude, .credentials.json) for the brains that run `claude`;
//   - Codex CLI's login ($CODEX_HOME or ~/.codex, auth.json) for the brains that run `codex`.
// A discovered login file is listed only when it is there: an agent may log in otherwise (an API key, the
// system keychain), so its absence is no finding. A declared entry of the same kind and place replaces a
// discovered one (its name, its date, its used_by added).
//
// Inspecting an entry reads its value to say whether it is there and when it expires, and keeps of the value only
// a fingerprint (the first 8 hex digits of its SHA-256), so that a person can tell two values apart without
// either being shown. No function here returns, logs or serializes a value. Pure apart from reading the named
// files and environment variables; thread-safe.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

// Where a credential lives.
enum class credential_kind {
  env,               // an environment variable of paiosd
  file,              // a file holding the secret (a key, or a JWT)
  oauth_token_file,  // a JSON token response or an agent's login file (token_expiry.hpp: read_token_file)
  brain_env,         // a key of a brain's `env` in the configuration (discovered only)
};

const char* to_string(credential_kind k);
std::optional<credential_kind> credential_kind_from(const std::string& text);  // env | file | oauth_token_file

struct credential_entry {
  credential_entry() = default;
  credential_entry(std::string name, credential_kind kind, std::string where, std::string expires = {},
                   std::vector<std::string> used_by = {})
      : name(std::move(name)), kind(kind), where(std::move(where)), expires(std::move(expires)), used_by(std::move(used_by)) {}

  std::string name;
  credential_kind kind = credential_kind::env;
  std::string where;                  // the variable's name, the file's path, or brains.NAME.env.KEY
  std::string expires;                // a declared date (token_expiry.hpp: parse_utc_time_ms), "" for none
  std::vector<std::string> used_by;   // brains (or "kb"); empty: the whole mesh
  bool declared = false;              // from the configuration, not discovered
  // brain_env only: the value as the configuration holds it. Read by inspect(), never shown.
  std::string config_value;
};

// What discovery looks at.
struct brain_credential_source {
  std::string name;                                       // the brain
  std::string program;                                    // its command's first word ("claude", "/usr/bin/codex")
  std::vector<std::pair<std::string, std::string>> env;   // its configured env
};

struct credential_sources {
  std::vector<credential_entry> declared;  // the `credentials` configuration key
  std::vector<brain_credential_source> brains;  // the enabled brains
  std::filesystem::path home;              // the user's home ($HOME) where the agents keep their logins
};

// True for a variable name that holds a secret by convention: *_API_KEY, *_TOKEN, *_SECRET (upper case).
bool looks_like_secret(const std::string& variable);

// The declared entries, then the discovered ones (login files only when present), each place once.
std::vector<credential_entry> credential_entries(const credential_sources& sources);

// One entry's state at `now_ms`.
struct credential_status {
  credential_entry entry;
  bool present = false;
  std::string fingerprint;             // sha256 of the value, first 8 hex digits; "" when missing
  std::optional<std::int64_t> expires_ms;
  std::string expiry_source;           // "jwt exp", "expiresAt", "expires_in + mtime", "declared", ...
  bool refreshable = false;            // a refresh token is stored with it: its agent renews it
  std::string note;                    // why it is missing or unreadable ("no such file", "not JSON"), else ""
  // ok | expiring (within warn_days) | expired | missing | refreshable (expired, but its agent renews it)
  std::string state;
  std::optional<std::int64_t> days_left;  // whole days to the expiry, negative once past
  // Used by the mesh as it runs: false for a declared entry whose used_by names only brains that are disabled.
  bool in_use = true;

  // In use, and expired, expiring or missing: what `ai status` warns about and the alerts actor raises.
  bool needs_attention() const {
    return in_use && (state == "expired" || state == "expiring" || state == "missing");
  }
};

// Reads the value (`getenv` for kind env: a test passes its own) and decides the state; `warn_days` is how
// close an expiry makes it "expiring". The earlier of a readable expiry and a declared date counts.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
credential_status inspect_credential(const credential_entry& e, const env_lookup& env, std::int64_t now_ms,
                                     int warn_days);

// Every entry of `sources`, inspected, with in_use set from the brains of `sources` (the enabled ones).
std::vector<credential_status> inspect_credentials(const credential_sources& sources, const env_lookup& env,
                                                   std::int64_t now_ms, int warn_days);

// The process's environment, for env_lookup.
std::optional<std::string> process_env(const std::string& name);

// {name, kind, where, used_by, declared, present, fingerprint?, expires_ms?, expires?, expiry_source?,
// days_left?, refreshable, state, in_use, note?}: never the value.
nlohmann::json to_json(const credential_status& s);

// One line for a person: "claude-login (file ~/.claude/.credentials.json) expires in 3 days (2026-12-10)".
std::string describe(const credential_status& s);

}  // namespace paios
