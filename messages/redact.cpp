#include "messages/redact.hpp"

#include <array>

#include <nlohmann/json.hpp>

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

// ASCII classes by hand: the <cctype> functions consult the locale for every byte.
constexpr bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
constexpr bool word_char(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '/';
}

bool looks_like_token(std::string_view w) {
  for (auto p : kTokenPrefixes)
    if (w.size() >= p.size() + 12 && w.substr(0, p.size()) == p) return true;
  if (w.size() > 20 && w.substr(0, 3) == "eyJ" && w.find('.') != std::string_view::npos) return true;  // a JWT
  if (w.size() < 32 || w.find('/') != std::string_view::npos) return false;  // paths and URLs are not secrets
  int digits = 0, letters = 0;
  for (unsigned char c : w) {
    digits += is_digit(c) ? 1 : 0;
    letters += is_alpha(c) ? 1 : 0;
  }
  return digits >= 4 && letters >= 4;
}

bool is_secret_key(std::string_view key) {
  std::string k;
  for (unsigned char c : key) k.push_back(c == '-' ? '_' : static_cast<char>(is_alpha(c) ? c | 0x20 : c));
  for (auto s : kSecretKeys)
    if (k.size() >= s.size() && k.compare(k.size() - s.size(), s.size(), s) == 0) return true;  // db_password too
  return false;
}

}  // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  bool redact_next_value = false;  // after "password=" or "Authorization: Bearer"
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!word_char(c)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    auto start = i;
    while (i < text.size() && word_char(static_cast<unsigned char>(text[i]))) ++i;
    auto word = text.substr(start, i - start);
    // A key: the word followed by optional quote and space, then ':' or '='.
    auto j = i;
    while (j < text.size() && (text[j] == '"' || text[j] == '\'' || text[j] == ' ')) ++j;
    bool is_key = j < text.size() && (text[j] == ':' || text[j] == '=');
    if (redact_next_value && !(word == "Bearer" || word == "bearer" || word == "Basic" || word == "basic")) {
      out += kRedacted;
      redact_next_value = false;
      continue;
    }
    if (looks_like_token(word)) {
      out += kRedacted;
      continue;
    }
    out += word;
    if (is_key && is_secret_key(word)) redact_next_value = true;
    else if (!(word == "Bearer" || word == "bearer" || word == "Basic" || word == "basic")) redact_next_value = false;
    if (word == "Bearer" || word == "bearer") redact_next_value = true;
  }
  return out;
}

namespace {

// Whether the text names a secret-bearing key anywhere (lower case, '-' as '_'): cheap, and false for
// almost every event, which then keeps its text as it is.
bool mentions_secret_key(std::string_view text) {
  std::string lower(text.size(), ' ');
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    lower[i] = c == '-' ? '_' : static_cast<char>(is_alpha(c) ? c | 0x20 : c);
  }
  for (auto k : kSecretKeys)
    if (lower.find(k) != std::string::npos) return true;
  return false;
}

void redact_value(nlohmann::json& v) {
  if (v.is_string()) {
    v = redact(v.get_ref<const std::string&>());
  } else if (v.is_object()) {
    for (auto& [key, child] : v.items()) {
      if (is_secret_key(key) && !child.is_null()) child = kRedacted;
      else redact_value(child);
    }
  } else if (v.is_array()) {
    for (auto& child : v) redact_value(child);
  }
}

}  // namespace

std::string redact_json(std::string_view text) {
  auto plain = redact(text);
  if (plain == text && !mentions_secret_key(text)) return plain;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return plain;
  redact_value(doc);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
    if (is_space(c)) {
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
