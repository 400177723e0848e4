#include "cli/command.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "client/wire_client.hpp"
#include "config/home.hpp"
#include "messages/text.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

// The MIME type the router weighs, from the file name (the router also weighs the extension itself).
std::string mime_of(const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> types = {
      {"png", "image/png"},       {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},   {"gif", "image/gif"},
      {"webp", "image/webp"},     {"heic", "image/heic"},     {"bmp", "image/bmp"},     {"tiff", "image/tiff"},
      {"svg", "image/svg+xml"},   {"pdf", "application/pdf"}, {"csv", "text/csv"},      {"md", "text/markdown"},
      {"txt", "text/plain"},      {"json", "application/json"}, {"html", "text/html"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}};
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos) return {};
  const auto ext = lower_ascii(std::string_view{path}.substr(dot + 1));
  for (auto& [e, m] : types)
    if (e == ext) return m;
  return {};
}

}  // namespace

std::optional<json> attachments_of(const options& opt) {
  json out = json::array();
  for (const auto& f : opt.attach) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(f, ec);
    if (ec || !std::filesystem::is_regular_file(abs, ec)) {
      std::cerr << error_prefix(opt) << "cannot attach " << f << ": no such file\n";
      return std::nullopt;
    }
    out.push_back({{"name", abs.string()}, {"mime", mime_of(abs.string())}});
  }
  return out;
}

std::string error_prefix(const options& opt) {
  return opt.command.empty() ? std::string{"ai: "} : "ai " + opt.command + ": ";
}

std::string endpoint_of(const paios_home& home) {
  if (const char* e = std::getenv("PAIOS_ENDPOINT"); e && *e) return e;
  return home.endpoint();
}

std::string named_home(const options& opt) {
  if (opt.home) return resolve_home(opt.home).root.string();
  if (const char* h = std::getenv("PAIOS_HOME"); h && *h) return resolve_home().root.string();
  return {};
}

std::unique_ptr<wire_client> connect_or_explain(const options& opt) {
  auto home = resolve_home(opt.home);
  unreachable why;
  auto c = wire_client::connect(endpoint_of(home), why);
  if (!c) std::cerr << error_prefix(opt) << unreachable_message(home.root.string(), why);
  return c;
}

json request(const char* op, const json& fields) {
  json req{{"v", 1}, {"op", op}, {"id", "1"}};
  req.update(fields);
  return req;
}

std::optional<json> call(const options& opt, json req, int& exit_code, int timeout_ms) {
  auto c = connect_or_explain(opt);
  if (!c) {
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  std::string error;
  if (!c->send(req)) {
    std::cerr << error_prefix(opt) << "cannot send to paiosd\n";
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  auto reply = c->receive(timeout_ms, error);
  if (!reply) {
    std::cerr << error_prefix(opt) << "paiosd did not answer within " << timeout_ms << " ms" << (error.empty() ? "" : ": " + error)
              << "\n";
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  if (reply->value("type", "") == "error") {
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else std::cerr << error_prefix(opt) << reply->value("code", "error") << ": " << reply->value("message", "") << "\n";
    exit_code = kExitError;
    return std::nullopt;
  }
  exit_code = kExitOk;
  return reply;
}

int show(const options& opt, const json& req, const render_fn& render, int timeout_ms) {
  int code = kExitOk;
  auto reply = call(opt, req, code, timeout_ms);
  if (!reply) return code;
  std::cout << (opt.json_out ? reply->dump() + "\n" : render(*reply));
  return kExitOk;
}

std::string read_stdin() {
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  return ss.str();
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace paios::cli
