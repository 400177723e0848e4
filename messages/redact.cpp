#include "messages/redact.hpp"

#include <array>

#include <nlohmann/json.hpp>

#include "messages/text.hpp"

namespace paios {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";

constexpr std::array<std::string_view, 14> kTokenPrefixes = {
    "sk-", "sk_live_", "rk_live_", "ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "xoxb-", "xoxp-", "glpat-",
    "AKIA", "AIza", "hf_"};

// Keys whose value is a secret, compared in lower case with '-' read as '_'.
constexpr std::array<std::string_view, 12> kSecretKeys = {
    "password", "passwd", "secret", "token", "api_key", "apikey", "access_key", "secret_key", "private_key",
    "client_secret", "auth_token", "authorization"};

// ASCII classes (messages/text.hpp): the <cctype> functions consult the locale for every byte.
constexpr bool is_word_char(char c) {
  return is_ascii_alnum(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '/';
}

// The same, as a table: every byte of every event's data goes through it.
struct word_table {
  bool yes[256] = {};
  constexpr word_table() {
    for (int c = 0; c < 256; ++c) yes[c] = is_word_char(static_cast<char>(c));
  }
};
constexpr word_table kWordChars;
inline bool word_char(char c) { return kWordChars.yes[static_cast<unsigned char>(c)]; }

// The shortest word a token prefix can start: the shortest prefix and 12 more characters.
constexpr std::size_t shortest_prefixed_token() {
  std::size_t n = kTokenPrefixes[0].size();
  for (auto p : kTokenPrefixes) n = p.size() < n ? p.size() : n;
  return n + 12;
}
constexpr std::size_t kShortestToken = shortest_prefixed_token();

bool looks_like_token(std::string_view w) {
  if (w.size() < kShortestToken) return false;
  for (auto p : kTokenPrefixes)
    if (p[0] == w[0] && w.size() >= p.size() + 12 && w.substr(0, p.size()) == p) return true;
  if (w.size() > 20 && w.substr(0, 3) == "eyJ" && w.find('.') != std::string_view::npos) return true;  // a JWT
  if (w.size() < 32 || w.find('/') != std::string_view::npos) return false;  // paths and URLs are not secrets
  int digits = 0, letters = 0;
  for (char c : w) {
    digits += is_ascii_digit(c) ? 1 : 0;
    letters += is_ascii_alpha(c) ? 1 : 0;
  }
  return digits >= 4 && letters >= 4;
}

constexpr bool secret_key_ends_in(std::string_view letters) {
  for (auto k : kSecretKeys)
    if (letters.find(k.back()) == std::string_view::npos) return false;
  return true;
}
static_assert(secret_key_ends_in("dnty"), "is_secret_key's quick test must know every secret key's last letter");

bool is_secret_key(std::string_view key) {
  auto fold = [](char c) { return c == '-' ? '_' : lower_ascii(c); };
  if (key.empty()) return false;
  // Every secret key ends in d, n, t or y: most words are out at their last letter.
  if (auto last = fold(key.back()); last != 'd' && last != 'n' && last != 't' && last != 'y') return false;
  for (auto s : kSecretKeys) {  // the key ends with one: db_password too
    if (key.size() < s.size()) continue;
    auto tail = key.substr(key.size() - s.size());
    std::size_t k = 0;
    while (k < s.size() && fold(tail[k]) == s[k]) ++k;
    if (k == s.size()) return true;
  }
  return false;
}

}  // namespace

namespace {

// Writes `text` with its secrets replaced into `out` and returns true; returns false and leaves `out` alone
// when there is nothing to replace (almost every text): nothing is copied then.
bool redact_into(std::string_view text, std::string& out) {
  bool changed = false;
  std::size_t copied = 0;  // text before this offset is in `out` already
  auto replace = [&](std::size_t start, std::size_t end) {
    if (!changed) {
      out.clear();
      out.reserve(text.size());
      changed = true;
    }
    out.append(text.substr(copied, start - copied));
    out += kRedacted;
    copied = end;
  };
  std::size_t i = 0;
  bool redact_next_value = false;  // after "password=" or "Authorization: Bearer"
  while (i < text.size()) {
    if (!word_char(text[i])) {
      ++i;
      continue;
    }
    auto start = i;
    while (i < text.size() && word_char(text[i])) ++i;
    auto word = text.substr(start, i - start);
    const bool scheme = word == "Bearer" || word == "bearer" || word == "Basic" || word == "basic";
    if (redact_next_value && !scheme) {
      replace(start, i);
      redact_next_value = false;
      continue;
    }
    if (looks_like_token(word)) {
      replace(start, i);
      continue;
    }
    // A key: the word followed by optional quote and space, then ':' or '='.
    auto j = i;
    while (j < text.size() && (text[j] == '"' || text[j] == '\'' || text[j] == ' ')) ++j;
    bool is_key = j < text.size() && (text[j] == ':' || text[j] == '=');
    if (is_key && is_secret_key(word)) redact_next_value = true;
    else if (!scheme) redact_next_value = false;
    if (word == "Bearer" || word == "bearer") redact_next_value = true;
  }
  if (changed) out.append(text.substr(copied));
  return changed;
}

}  // namespace

std::string redact(std::string_view text) {
  std::string out;
  return redact_into(text, out) ? out : std::string{text};
}

namespace {

// Whether a JSON text has a member whose key is secret-bearing ({"api_key": 42}): false for almost every
// event, which then keeps its text as it is. Reads the keys in place: the strings followed by ':'.
bool has_secret_member(std::string_view text) {
  std::size_t i = 0;
  while ((i = text.find('"', i)) != std::string_view::npos) {
    auto start = ++i;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    if (i >= text.size()) return false;
    auto key = text.substr(start, i - start);
    ++i;
    auto j = i;
    while (j < text.size() && is_ascii_space(static_cast<unsigned char>(text[j]))) ++j;
    if (j < text.size() && text[j] == ':' && is_secret_key(key)) return true;
  }
  return false;
}

// A member that names something by its id ("session_id": "7c9e6f1a-2b4d-...", "id", "tool_use_id", "uuid") or by
// its content's digest ("sha256"):
// the key says the value is an identifier, which is what a reader of the events searches by, though a UUID or
// a long hex id has the shape of a token. Only the key's word decides; the value must still look like an id
// (letters, digits, '-' and '_', at most 64), so prose or a key=value pair under such a key is still read.
bool is_identifier_member(std::string_view key, const nlohmann::json& value) {
  auto ends_with = [](std::string_view s, std::string_view tail) {
    return s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail;
  };
  const std::string k = lower_ascii(key);
  // A content digest ("sha256": the watchers' files, the knowledge base's articles) names content the same way.
  const bool digest_key = k == "sha256" || k == "sha1" || k == "hash" || ends_with(k, "_sha256") || ends_with(k, "_hash");
  const bool id_key = k == "id" || k == "uuid" || ends_with(k, "_id") || ends_with(k, "uuid") || ends_with(key, "Id") ||
                      digest_key;
  if (!id_key || !value.is_string()) return false;
  const auto& s = value.get_ref<const std::string&>();
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!is_ascii_alnum(c) && c != '-' && c != '_') return false;
  return true;
}

void redact_value(nlohmann::json& v) {
  if (v.is_string()) {
    v = redact(v.get_ref<const std::string&>());
  } else if (v.is_object()) {
    for (auto& [key, child] : v.items()) {
      if (is_secret_key(key) && !child.is_null()) child = kRedacted;
      else if (!is_identifier_member(key, child)) redact_value(child);
    }
  } else if (v.is_array()) {
    for (auto& child : v) redact_value(child);
  }
}

}  // namespace

bool redact_json_into(std::string_view text, std::string& out) {
  std::string plain;
  const bool changed = redact_into(text, plain);
  if (!changed && !has_secret_member(text)) return false;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    if (changed) out = std::move(plain);
    return changed;
  }
  redact_value(doc);
  out = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return true;
}

std::string redact_json(std::string_view text) {
  std::string out;
  return redact_json_into(text, out) ? out : std::string{text};
}

std::string redacted_summary(std::string_view text, std::size_t max_chars) {
  bool cut = text.size() > max_chars;
  if (cut) {
    auto n = max_chars;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
    text = text.substr(0, n);
  }
  std::string folded;
  folded.reserve(text.size());
  for (unsigned char c : text) {
    if (is_ascii_space(c)) {
      if (!folded.empty() && folded.back() != ' ') folded.push_back(' ');
    } else {
      folded.push_back(static_cast<char>(c));
    }
  }
  while (!folded.empty() && folded.back() == ' ') folded.pop_back();
  auto out = redact(folded);
  if (cut) out += "…";
  return out;
}

}  // namespace paios
