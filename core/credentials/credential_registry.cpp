#include "core/credentials/credential_registry.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/credentials/token_expiry.hpp"
#include "core/kb/sha256.hpp"

namespace paios {
namespace {

using nlohmann::json;

constexpr std::int64_t kDayMs = 86400000;
// A secret file is a key or a token: anything larger is not one, and is not read into memory.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string program_name(const std::string& program) { return std::filesystem::path{program}.filename().string(); }

// The agents' login files: the program whose brains use it, the variable that moves its folder, the folder
// under $HOME otherwise, and the file's name in it.
struct agent_login {
  const char* program;
  const char* dir_variable;
  const char* home_dir;
  const char* file;
  const char* name;
};
constexpr agent_login kAgentLogins[] = {
    {"claude", "CLAUDE_CONFIG_DIR", ".claude", ".credentials.json", "claude-login"},
    {"codex", "CODEX_HOME", ".codex", "auth.json", "codex-login"},
};

std::string env_of(const brain_credential_source& b, const std::string& key) {
  for (const auto& [k, v] : b.env)
    if (k == key) return v;
  return {};
}

// Adds `e`, or merges it into an entry of the same kind and place: the first one (declared before discovered)
// keeps its name and date, and gains the other's users.
void add_entry(std::vector<credential_entry>& out, credential_entry e) {
  for (auto& have : out) {
    if (have.kind != e.kind || have.where != e.where) continue;
    for (auto& u : e.used_by)
      if (std::find(have.used_by.begin(), have.used_by.end(), u) == have.used_by.end()) have.used_by.push_back(u);
    return;
  }
  out.push_back(std::move(e));
}

std::string fingerprint(const std::string& value) { return sha256_hex(value).substr(0, 8); }

std::string trim(std::string s) {
  const auto ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws) == std::string::npos ? s.size() : s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

// The file's text, or why not.
std::optional<std::string> read_small_file(const std::filesystem::path& p, std::string& why) {
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) {
    why = "no such file";
    return std::nullopt;
  }
  const auto size = std::filesystem::file_size(p, ec);
  if (ec) {
    why = "not a readable file";
    return std::nullopt;
  }
  if (size > kMaxFileBytes) {
    why = "larger than 1 MiB: not a key or token file";
    return std::nullopt;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    why = "cannot be read (permissions?)";
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::int64_t mtime_ms(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::string utc_date(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Floor division: an expiry 1 ms past is day -1, not day 0.
std::int64_t whole_days(std::int64_t ms) { return ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs); }

void take_expiry(credential_status& s, std::optional<std::int64_t> ms, const std::string& source) {
  if (!ms) return;
  if (!s.expires_ms || *ms < *s.expires_ms) {
    s.expires_ms = ms;
    s.expiry_source = source;
  }
}

// Reads the value the entry names into `value` (and what the value says about its own expiry into `s`).
void read_value(const credential_entry& e, const env_lookup& env, credential_status& s, std::string& value) {
  switch (e.kind) {
    case credential_kind::brain_env:
      value = e.config_value;
      if (value.empty()) s.note = "empty in the configuration";
      break;
    case credential_kind::env:
      if (auto v = env(e.where)) value = *v;
      if (value.empty()) s.note = "not set in paiosd's environment";
      break;
    case credential_kind::file:
      if (auto text = read_small_file(e.where, s.note)) {
        value = trim(*text);
        if (value.empty()) s.note = "the file is empty";
      }
      break;
    case credential_kind::oauth_token_file: {
      auto text = read_small_file(e.where, s.note);
      if (!text) break;
      const auto doc = json::parse(*text, nullptr, false);
      if (!doc.is_object()) {
        s.note = "not a JSON object";
        break;
      }
      auto view = read_token_file(doc, mtime_ms(e.where));
      value = std::move(view.token);
      if (value.empty()) s.note = "no token in it";
      s.refreshable = view.refreshable;
      take_expiry(s, view.expires_ms, view.expiry_source);
      return;
    }
  }
  take_expiry(s, jwt_expiry_ms(value), "jwt exp");  // a bare JWT in a variable or a file says its expiry too
}

}  // namespace

const char* to_string(credential_kind k) {
  switch (k) {
    case credential_kind::env: return "env";
    case credential_kind::file: return "file";
    case credential_kind::oauth_token_file: return "oauth_token_file";
    case credential_kind::brain_env: return "brain_env";
  }
  return "?";
}

std::optional<credential_kind> credential_kind_from(const std::string& text) {
  if (text == "env") return credential_kind::env;
  if (text == "file") return credential_kind::file;
  if (text == "oauth_token_file") return credential_kind::oauth_token_file;
  return std::nullopt;
}

bool looks_like_secret(const std::string& v) {
  return ends_with(v, "_API_KEY") || ends_with(v, "_TOKEN") || ends_with(v, "_SECRET");
}

std::vector<credential_entry> credential_entries(const credential_sources& src) {
  std::vector<credential_entry> out;
  for (auto e : src.declared) {
    e.declared = true;
    add_entry(out, std::move(e));
  }
  for (const auto& b : src.brains) {
    for (const auto& [key, value] : b.env)
      if (looks_like_secret(key)) {
        credential_entry e{b.name + "." + key, credential_kind::brain_env, "brains." + b.name + ".env." + key, "",
                           {b.name}};
        e.config_value = value;
        add_entry(out, std::move(e));
      }
    for (const auto& login : kAgentLogins) {
      if (program_name(b.program) != login.program) continue;
      const auto moved = env_of(b, login.dir_variable);
      if (moved.empty() && src.home.empty()) continue;
      const auto file = (moved.empty() ? src.home / login.home_dir : std::filesystem::path{moved}) / login.file;
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) continue;  // the agent may log in otherwise
      add_entry(out, {login.name, credential_kind::oauth_token_file, file.string(), "", {b.name}});
    }
  }
  return out;
}

credential_status inspect_credential(const credential_entry& e, const env_lookup& env, std::int64_t now_ms,
                                     int warn_days) {
  credential_status s;
  s.entry = e;
  std::string value;
  read_value(e, env, s, value);
  s.present = !value.empty();
  if (s.present) s.fingerprint = fingerprint(value);
  if (!e.expires.empty()) take_expiry(s, parse_utc_time_ms(e.expires), "declared");
  if (s.expires_ms) s.days_left = whole_days(*s.expires_ms - now_ms);
  if (!s.present) s.state = "missing";
  else if (s.expires_ms && *s.expires_ms <= now_ms) s.state = s.refreshable ? "refreshable" : "expired";
  // A token its agent renews (Claude Code's lasts hours) is not about to lapse: only one that cannot be renewed is.
  else if (s.expires_ms && !s.refreshable && *s.expires_ms - now_ms <= std::int64_t{warn_days} * kDayMs)
    s.state = "expiring";
  else s.state = "ok";
  return s;
}

std::vector<credential_status> inspect_credentials(const credential_sources& sources, const env_lookup& env,
                                                   std::int64_t now_ms, int warn_days) {
  std::vector<credential_status> out;
  for (const auto& e : credential_entries(sources)) {
    auto s = inspect_credential(e, env, now_ms, warn_days);
    s.in_use = e.used_by.empty() || std::any_of(e.used_by.begin(), e.used_by.end(), [&](const std::string& u) {
                 return std::any_of(sources.brains.begin(), sources.brains.end(),
                                    [&](const brain_credential_source& b) { return b.name == u; });
               });
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> process_env(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string{v};
  return std::nullopt;
}

json to_json(const credential_status& s) {
  json j{{"name", s.entry.name},         {"kind", to_string(s.entry.kind)}, {"where", s.entry.where},
         {"used_by", s.entry.used_by},   {"declared", s.entry.declared},    {"present", s.present},
         {"refreshable", s.refreshable}, {"state", s.state},
         {"in_use", s.in_use}};
  if (!s.fingerprint.empty()) j["fingerprint"] = s.fingerprint;
  if (s.expires_ms) {
    j["expires_ms"] = *s.expires_ms;
    j["expires"] = utc_date(*s.expires_ms);
    j["expiry_source"] = s.expiry_source;
  }
  if (s.days_left) j["days_left"] = *s.days_left;
  if (!s.note.empty()) j["note"] = s.note;
  return j;
}

std::string describe(const credential_status& s) {
  std::string out = s.entry.name + " (" + to_string(s.entry.kind) + " " + s.entry.where + ")";
  if (s.state == "missing") return out + " is missing: " + s.note;
  if (!s.expires_ms) return out + " is present, with no readable expiry";
  const auto date = utc_date(*s.expires_ms).substr(0, 10);
  const auto days = *s.days_left;
  if (s.state == "expired") return out + " expired " + std::to_string(-days) + " day(s) ago (" + date + ")";
  if (s.state == "refreshable") return out + " holds an expired token its agent renews at its next run (" + date + ")";
  return out + " expires in " + std::to_string(days) + " day(s) (" + date + ", " + s.expiry_source + ")";
}

}  // namespace paios
