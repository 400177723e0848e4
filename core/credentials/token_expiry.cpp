#include "core/credentials/token_expiry.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

namespace paios {
namespace {

using nlohmann::json;

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// A timestamp field: a number of seconds, or of milliseconds when it is too large to be seconds (1e11 s is the
// year 5138, 1e11 ms is 1973), or an ISO 8601 text.
std::optional<std::int64_t> timestamp_ms(const json& v) {
  if (v.is_number()) {
    const auto n = v.get<double>();
    if (n <= 0) return std::nullopt;
    return static_cast<std::int64_t>(n >= 1e11 ? n : n * 1000);
  }
  if (v.is_string()) return parse_utc_time_ms(v.get<std::string>());
  return std::nullopt;
}

std::string string_field(const json& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = o.find(k); it != o.end() && it->is_string() && !it->get<std::string>().empty()) return *it;
  return {};
}

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int number(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;  // no whole byte ends there
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::optional<json> jwt_claims(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  const auto header = base64url_decode(token.substr(0, first));
  const auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!header || !payload) return std::nullopt;
  if (!json::parse(*header, nullptr, false).is_object()) return std::nullopt;
  auto claims = json::parse(*payload, nullptr, false);
  if (!claims.is_object()) return std::nullopt;
  return claims;
}

std::optional<std::int64_t> jwt_expiry_ms(std::string_view token) {
  const auto claims = jwt_claims(token);
  if (!claims) return std::nullopt;
  const auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number()) return std::nullopt;
  return static_cast<std::int64_t>(exp->get<double>() * 1000);  // exp is always in seconds (RFC 7519 §4.1.4)
}

std::optional<std::int64_t> parse_utc_time_ms(std::string_view s) {
  // YYYY-MM-DD, then optionally THH:MM:SS, optionally .fraction, then Z.
  if (!digits(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = number(s, 0, 4) - 1900;
  tm.tm_mon = number(s, 5, 2) - 1;
  tm.tm_mday = number(s, 8, 2);
  std::int64_t ms = 0;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2) || s.size() < 19 || s[13] != ':' || !digits(s, 14, 2) ||
        s[16] != ':' || !digits(s, 17, 2))
      return std::nullopt;
    tm.tm_hour = number(s, 11, 2);
    tm.tm_min = number(s, 14, 2);
    tm.tm_sec = number(s, 17, 2);
    std::size_t at = 19;
    if (at < s.size() && s[at] == '.') {
      std::size_t n = 0;
      while (digits(s, at + 1 + n, 1)) ++n;
      if (n == 0) return std::nullopt;
      if (n >= 3) ms = number(s, at + 1, 3);
      else ms = number(s, at + 1, n) * (n == 1 ? 100 : 10);
      at += 1 + n;
    }
    if (at + 1 != s.size() || s[at] != 'Z') return std::nullopt;
  }
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  const int day = tm.tm_mday;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1) || tm.tm_mday != day) return std::nullopt;  // 2026-02-30 rolls over: refused
  return static_cast<std::int64_t>(t) * 1000 + ms;
}

token_file_view read_token_file(const json& doc, std::int64_t mtime_ms) {
  token_file_view v;
  if (!doc.is_object()) return v;
  const json* tokens = &doc;
  for (const char* nested : {"claudeAiOauth", "tokens"})
    if (auto it = doc.find(nested); it != doc.end() && it->is_object()) tokens = &*it;
  const auto access = string_field(*tokens, {"accessToken", "access_token"});
  const auto id = string_field(*tokens, {"idToken", "id_token"});
  v.token = !access.empty() ? access : !id.empty() ? id : string_field(doc, {"OPENAI_API_KEY", "api_key", "apiKey"});
  v.refreshable = !string_field(*tokens, {"refreshToken", "refresh_token"}).empty();
  for (const char* key : {"expiresAt", "expires_at"}) {
    if (auto it = tokens->find(key); it != tokens->end())
      if (auto ms = timestamp_ms(*it)) {
        v.expires_ms = ms;
        v.expiry_source = key;
        return v;
      }
  }
  if (auto it = tokens->find("expires_in"); it != tokens->end() && it->is_number() && mtime_ms > 0) {
    v.expires_ms = mtime_ms + static_cast<std::int64_t>(it->get<double>() * 1000);
    v.expiry_source = "expires_in + mtime";
    return v;
  }
  for (const auto& t : {access, id})
    if (auto ms = jwt_expiry_ms(t)) {
      v.expires_ms = ms;
      v.expiry_source = "jwt exp";
      return v;
    }
  return v;
}

}  // namespace paios
