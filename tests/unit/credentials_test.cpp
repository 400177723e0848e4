// The credentials registry (core/credentials): reading an expiry from real base64url JWTs built here, from token
// responses and the agents' login files, and from declared dates; discovery on a temporary HOME holding fake
// login files of Claude Code and Codex CLI; the states and days left; and that no value ever leaves the registry
// (to_json and describe give a name, a place and a fingerprint, never the secret).
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/credentials/credential_registry.hpp"
#include "core/credentials/token_expiry.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using nlohmann::json;

namespace {

constexpr std::int64_t kDay = 86400000;
constexpr std::int64_t kNow = 1'800'000'000'000;  // 2027-01-15, a fixed clock

std::string jwt(const json& claims) { return paios::test::test_jwt(claims); }

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

env_lookup no_env = [](const std::string&) { return std::optional<std::string>{}; };

credential_status inspect(const credential_entry& e, const env_lookup& env = no_env, int warn_days = 7) {
  return inspect_credential(e, env, kNow, warn_days);
}

// The value must appear nowhere in what the registry hands out.
void expect_no_value(const credential_status& s, const std::string& value) {
  EXPECT_EQ(to_json(s).dump().find(value), std::string::npos) << to_json(s).dump();
  EXPECT_EQ(describe(s).find(value), std::string::npos) << describe(s);
}

}  // namespace

TEST(TokenExpiry, Base64urlDecodesWithAndWithoutPaddingAndRefusesOtherAlphabets) {
  EXPECT_EQ(base64url_decode("aGVsbG8"), "hello");
  EXPECT_EQ(base64url_decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64url_decode("-_-_"), "\xfb\xff\xbf");  // the - and _ of base64url (62 and 63)
  EXPECT_FALSE(base64url_decode("a+/b"));  // standard base64's characters are not base64url's
  EXPECT_FALSE(base64url_decode("abcde"));  // 5 characters end in no whole byte
}

TEST(TokenExpiry, AJwtSaysItsExpFromItsPayload) {
  const auto token = jwt({{"sub", "user"}, {"exp", 1'900'000'000}, {"iat", 1'800'000'000}});
  EXPECT_EQ(jwt_expiry_ms(token), std::int64_t{1'900'000'000} * 1000);
  auto claims = jwt_claims(token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->value("sub", ""), "user");
  EXPECT_FALSE(jwt_expiry_ms(jwt({{"sub", "no exp"}})));
  EXPECT_FALSE(jwt_expiry_ms(jwt({{"exp", "tomorrow"}})));
  EXPECT_FALSE(jwt_expiry_ms("sk-plainapikey"));
  EXPECT_FALSE(jwt_expiry_ms("a.b"));
  EXPECT_FALSE(jwt_expiry_ms("bm90IGpzb24.eyJleHAiOjF9.sig"));  // header "not json", payload {"exp":1}
  EXPECT_FALSE(jwt_expiry_ms(token + ".extra"));
}

TEST(TokenExpiry, DeclaredDatesAreUtcDaysOrTimes) {
  EXPECT_EQ(parse_utc_time_ms("1970-01-02"), kDay);
  EXPECT_EQ(parse_utc_time_ms("2027-01-15T08:00:00Z"), kNow);
  EXPECT_EQ(parse_utc_time_ms("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_FALSE(parse_utc_time_ms("2026-02-30"));
  EXPECT_FALSE(parse_utc_time_ms("2026-13-01"));
  EXPECT_FALSE(parse_utc_time_ms("2026-12-31T08:00:00+02:00"));
  EXPECT_FALSE(parse_utc_time_ms("31/12/2026"));
  EXPECT_FALSE(parse_utc_time_ms("2026-12-31T08:00"));
}

TEST(TokenExpiry, TokenFilesOfEachShape) {
  // Claude Code's ~/.claude/.credentials.json: expiresAt in milliseconds, with a refresh token.
  auto claude = read_token_file(
      {{"claudeAiOauth", {{"accessToken", "sk-ant-oat01-x"}, {"refreshToken", "sk-ant-ort01-y"}, {"expiresAt", kNow + 3600000}}}}, 0);
  EXPECT_EQ(claude.token, "sk-ant-oat01-x");
  EXPECT_TRUE(claude.refreshable);
  EXPECT_EQ(claude.expires_ms, kNow + 3600000);
  EXPECT_EQ(claude.expiry_source, "expiresAt");
  // Codex CLI's ~/.codex/auth.json: JWTs, the access token's exp.
  const auto access = jwt({{"exp", kNow / 1000 + 5 * 86400}});
  auto codex = read_token_file({{"OPENAI_API_KEY", nullptr},
                                {"tokens", {{"id_token", jwt({{"exp", kNow / 1000 + 3600}})}, {"access_token", access}}}}, 0);
  EXPECT_EQ(codex.token, access);
  EXPECT_FALSE(codex.refreshable);
  EXPECT_EQ(codex.expires_ms, kNow + 5 * kDay);
  EXPECT_EQ(codex.expiry_source, "jwt exp");
  // Codex logged in with an API key: a token without expiry.
  auto key = read_token_file({{"OPENAI_API_KEY", "sk-proj-abc"}, {"tokens", nullptr}}, 0);
  EXPECT_EQ(key.token, "sk-proj-abc");
  EXPECT_FALSE(key.expires_ms);
  // An OAuth token response: expires_in seconds after the file was written.
  auto response = read_token_file({{"access_token", "opaque"}, {"token_type", "Bearer"}, {"expires_in", 3600}}, kNow);
  EXPECT_EQ(response.expires_ms, kNow + 3600000);
  EXPECT_EQ(response.expiry_source, "expires_in + mtime");
  // expires_at in seconds, or as a text.
  EXPECT_EQ(read_token_file({{"access_token", "t"}, {"expires_at", 1'900'000'000}}, 0).expires_ms,
            std::int64_t{1'900'000'000'000});
  EXPECT_EQ(read_token_file({{"access_token", "t"}, {"expires_at", "1970-01-02"}}, 0).expires_ms, kDay);
  EXPECT_TRUE(read_token_file(json::array(), 0).token.empty());
}

TEST(CredentialRegistry, StatesAndDaysLeftFromTheExpiry) {
  paios::test::temp_dir dir;
  const std::string secret = jwt({{"exp", (kNow + 3 * kDay + 1000) / 1000}});
  write(dir.path() / "token.jwt", secret + "\n");
  auto s = inspect({"svc", credential_kind::file, (dir.path() / "token.jwt").string()});
  EXPECT_TRUE(s.present);
  EXPECT_EQ(s.state, "expiring");
  EXPECT_EQ(s.days_left, 3);
  EXPECT_EQ(s.expiry_source, "jwt exp");
  EXPECT_EQ(s.fingerprint.size(), 8u);
  EXPECT_TRUE(s.needs_attention());
  expect_no_value(s, secret);
  // Further than the warning: ok. A warning of 2 days does not reach it.
  EXPECT_EQ(inspect({"svc", credential_kind::file, (dir.path() / "token.jwt").string()}, no_env, 2).state, "ok");

  // Expired: negative days.
  write(dir.path() / "old.jwt", jwt({{"exp", (kNow - 2 * kDay) / 1000}}));
  auto old = inspect({"old", credential_kind::file, (dir.path() / "old.jwt").string()});
  EXPECT_EQ(old.state, "expired");
  EXPECT_EQ(old.days_left, -2);
  EXPECT_NE(describe(old).find("expired 2 day(s) ago"), std::string::npos) << describe(old);

  // A declared date counts when it is earlier than what the value says, and alone for an opaque key.
  credential_entry declared{"api", credential_kind::env, "SERVICE_API_KEY", "2027-01-20"};
  auto env = [](const std::string& name) {
    return name == "SERVICE_API_KEY" ? std::optional<std::string>{"sk-opaque-value-123"} : std::nullopt;
  };
  auto d = inspect(declared, env);
  EXPECT_EQ(d.state, "expiring");
  EXPECT_EQ(d.expiry_source, "declared");
  EXPECT_EQ(d.days_left, 4);  // 2027-01-20 00:00 is 4 days and some hours after the clock
  expect_no_value(d, "sk-opaque-value-123");
  EXPECT_EQ(inspect({"api", credential_kind::env, "SERVICE_API_KEY"}, env).state, "ok");

  // Missing: an unset variable, an absent file, a file that is not JSON, a token file with no token in it.
  auto unset = inspect({"gone", credential_kind::env, "NOT_SET_API_KEY"});
  EXPECT_EQ(unset.state, "missing");
  EXPECT_EQ(unset.note, "not set in paiosd's environment");
  EXPECT_EQ(inspect({"nofile", credential_kind::file, (dir.path() / "absent").string()}).note, "no such file");
  write(dir.path() / "bad.json", "not json");
  EXPECT_EQ(inspect({"bad", credential_kind::oauth_token_file, (dir.path() / "bad.json").string()}).note, "not a JSON object");
  write(dir.path() / "empty.json", "{\"token_type\": \"Bearer\"}");
  EXPECT_EQ(inspect({"empty", credential_kind::oauth_token_file, (dir.path() / "empty.json").string()}).state, "missing");
}

TEST(CredentialRegistry, ATokenItsAgentRenewsIsNotAFinding) {
  paios::test::temp_dir dir;
  const auto file = dir.path() / "creds.json";
  write(file, json{{"claudeAiOauth", {{"accessToken", "at-1"}, {"refreshToken", "rt-1"}, {"expiresAt", kNow - 3600000}}}}.dump());
  auto s = inspect({"login", credential_kind::oauth_token_file, file.string()});
  EXPECT_EQ(s.state, "refreshable");
  EXPECT_FALSE(s.needs_attention());
  write(file, json{{"claudeAiOauth", {{"accessToken", "at-1"}, {"refreshToken", "rt-1"}, {"expiresAt", kNow + 3600000}}}}.dump());
  EXPECT_EQ(inspect({"login", credential_kind::oauth_token_file, file.string()}).state, "ok");
}

TEST(CredentialRegistry, DiscoveryOnATemporaryHome) {
  paios::test::temp_dir home;
  const std::string claude_token = "sk-ant-oat01-claude-secret-value";
  const std::string codex_token = jwt({{"exp", (kNow + 3 * kDay) / 1000}, {"email", "someone@example.com"}});
  write(home.path() / ".claude" / ".credentials.json",
        json{{"claudeAiOauth", {{"accessToken", claude_token}, {"refreshToken", "sk-ant-ort01-r"}, {"expiresAt", kNow + 8 * 3600000}}}}.dump());
  write(home.path() / "elsewhere" / "auth.json", json{{"OPENAI_API_KEY", nullptr}, {"tokens", {{"access_token", codex_token}}}}.dump());

  credential_sources src;
  src.home = home.path();
  src.brains = {{"claude", "/usr/local/bin/claude", {{"ANTHROPIC_API_KEY", "sk-ant-api03-config-secret"}, {"LANG", "C"}}},
                {"codex", "codex", {{"CODEX_HOME", (home.path() / "elsewhere").string()}, {"GITHUB_TOKEN", ""}}},
                {"gemini", "gemini", {}}};  // no login file of its own kind is looked for
  src.declared = {{"codex-main", credential_kind::oauth_token_file, (home.path() / "elsewhere" / "auth.json").string(),
                   "", {"ops"}}};
  auto all = inspect_credentials(src, no_env, kNow, 7);
  std::map<std::string, credential_status> by_name;
  for (auto& s : all) by_name[s.entry.name] = s;
  ASSERT_EQ(by_name.size(), 4u) << [&] { std::string n; for (auto& s : all) n += s.entry.name + " "; return n; }();

  // The declared entry names the Codex login: one entry, the declared name, both users.
  ASSERT_TRUE(by_name.count("codex-main"));
  const auto& codex = by_name["codex-main"];
  EXPECT_TRUE(codex.entry.declared);
  EXPECT_EQ(codex.entry.used_by, (std::vector<std::string>{"ops", "codex"}));
  EXPECT_EQ(codex.state, "expiring");
  EXPECT_EQ(codex.days_left, 3);

  ASSERT_TRUE(by_name.count("claude-login"));
  EXPECT_EQ(by_name["claude-login"].entry.where, (home.path() / ".claude" / ".credentials.json").string());
  EXPECT_EQ(by_name["claude-login"].state, "ok");  // hours left, but Claude Code renews it
  EXPECT_TRUE(by_name["claude-login"].refreshable);

  ASSERT_TRUE(by_name.count("claude.ANTHROPIC_API_KEY"));
  EXPECT_EQ(by_name["claude.ANTHROPIC_API_KEY"].entry.where, "brains.claude.env.ANTHROPIC_API_KEY");
  EXPECT_EQ(by_name["claude.ANTHROPIC_API_KEY"].state, "ok");
  ASSERT_TRUE(by_name.count("codex.GITHUB_TOKEN"));
  EXPECT_EQ(by_name["codex.GITHUB_TOKEN"].state, "missing");  // empty in the configuration
  EXPECT_FALSE(by_name.count("claude.LANG"));

  // No value anywhere in what the registry hands out.
  for (const auto& s : all)
    for (const auto& secret : {claude_token, codex_token, std::string{"sk-ant-api03-config-secret"}, std::string{"sk-ant-ort01-r"}})
      expect_no_value(s, secret);

  // Without the login files, nothing is discovered for them: the agents may log in otherwise.
  std::filesystem::remove_all(home.path() / ".claude");
  src.declared.clear();
  std::filesystem::remove_all(home.path() / "elsewhere");
  for (const auto& e : credential_entries(src)) EXPECT_EQ(e.kind, credential_kind::brain_env) << e.name;
}

TEST(CredentialRegistry, SecretLookingNames) {
  for (const char* yes : {"ANTHROPIC_API_KEY", "GITHUB_TOKEN", "CLIENT_SECRET"}) EXPECT_TRUE(looks_like_secret(yes)) << yes;
  for (const char* no : {"API_KEY_FILE", "LANG", "TOKENIZERS_PARALLELISM", "_TOKEN"}) EXPECT_FALSE(looks_like_secret(no)) << no;
}
