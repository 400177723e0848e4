#pragma once
// Secrets never leave in a log record, an event or a routing decision: redact() replaces what looks like one.
//   - token-shaped words: known prefixes (sk-, ghp_, github_pat_, xoxb-, AKIA, AIza, glpat-, ...), JWTs, and
//     long runs of letters and digits that mix both (32 characters or more);
//   - the value after a secret-bearing key: password=..., "api_key": "...", Authorization: Bearer ...
// Each becomes "[REDACTED]". Cheap enough for every routing decision (one pass, no regex engine).
#include <string>
#include <string_view>

namespace paios {

std::string redact(std::string_view text);

// A JSON document's text with its secrets replaced: the whole value of a secret-bearing key, whatever its
// type ({"token": 123}, {"api_key": "two words"}), and token-shaped strings anywhere. Valid JSON stays
// valid; text that is not JSON is redacted as text. An event's data goes through this before it is stored.
std::string redact_json(std::string_view text);
// The same, for a hot path: writes the redacted text into `out` and returns true, or returns false (and
// leaves `out` alone) when the text has nothing to redact.
bool redact_json_into(std::string_view text, std::string& out);

// The first `max_chars` bytes of the text (cut at a UTF-8 boundary), redacted, whitespace runs folded to one
// space, with "…" when cut: what a decision log or a list shows of a prompt.
std::string redacted_summary(std::string_view text, std::size_t max_chars = 160);

}  // namespace paios
