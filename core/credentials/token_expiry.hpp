#pragma once
// token_expiry: when a token stops working, read from the token itself or from what was stored with it. No
// signature is checked: the question is only "when", and the agent that uses the token checks the rest.
//   - a JWT (header.payload.signature, each base64url): its payload's `exp` claim (seconds since the epoch);
//   - a token response or an agent's login file (a JSON object): `expiresAt`/`expires_at` (epoch seconds or
//     milliseconds, or an ISO 8601 text), else `expires_in` seconds after the file was written (its mtime), else
//     the exp of a JWT access or id token in it;
//   - a declared date: "YYYY-MM-DD" (the start of that day, UTC) or "YYYY-MM-DDTHH:MM:SSZ".
// Every function here is pure: the caller reads the file and passes the time.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace paios {

// base64url (RFC 4648 §5) with or without its '=' padding; nullopt on a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

// A JWT's payload claims; nullopt when `token` is not three dot-separated base64url parts whose first two are
// JSON objects.
std::optional<nlohmann::json> jwt_claims(std::string_view token);

// A JWT's expiry in epoch milliseconds; nullopt when it is no JWT or carries no numeric exp.
std::optional<std::int64_t> jwt_expiry_ms(std::string_view token);

// "2026-12-31" or "2026-12-31T08:00:00Z" (fractions of a second allowed) in epoch milliseconds; nullopt for
// anything else (no time zone other than Z: a declared date is a calendar day, not a local time).
std::optional<std::int64_t> parse_utc_time_ms(std::string_view text);

// The tokens of one login or token-response file, found where the usual writers put them: top level (an
// OAuth token response), under "claudeAiOauth" (Claude Code's ~/.claude/.credentials.json) or under "tokens"
// (Codex CLI's ~/.codex/auth.json), whose top-level OPENAI_API_KEY counts as a token of its own.
struct token_file_view {
  std::string token;            // the access token (else the id token, else an API key); "" when there is none
  bool refreshable = false;     // a refresh token is stored beside it: the agent renews the access token itself
  std::optional<std::int64_t> expires_ms;
  std::string expiry_source;    // which field said so: "expiresAt", "expires_in + mtime", "jwt exp", ...
};

// `doc` is the file's JSON, `mtime_ms` when the file was last written (for expires_in).
token_file_view read_token_file(const nlohmann::json& doc, std::int64_t mtime_ms);

}  // namespace paios
