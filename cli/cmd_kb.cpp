// `ai kb`: the knowledge base. `add` converts files, folders, web pages and stdin on this side
// (core/content/convert) and sends each as one kb.add; search, get, rm, list and stats are one request each.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "client/wire_client.hpp"
#include "core/content/convert.hpp"
#include "core/content/envelope.hpp"
#include "core/http/http_client.hpp"
#include "messages/text.hpp"

namespace paios::cli {
namespace {

using nlohmann::json;

struct kb_options {
  std::vector<std::string> inputs;  // files, folders, or "-" for stdin
  std::string kind, project, title;
  std::vector<std::string> tags;
  std::string query;
  int k = 5;
  int limit = 20;
  std::string id;
  bool raw = false;  // kb get: the content in its envelope, as agents get it
};

constexpr int kKbAddTimeoutMs = 120000;  // a large article is embedded before the daemon answers

// Every file an input names: itself, or a folder's files (recursively, hidden ones skipped), in name order.
std::vector<std::filesystem::path> files_of(const std::string& input, std::string& error) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::error_code ec;
  fs::path p = fs::absolute(input, ec);
  if (ec || !fs::exists(p, ec)) {
    error = input + ": no such file or folder";
    return out;
  }
  if (!fs::is_directory(p, ec)) return {p};
  for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One kb.add on an open connection; prints what became of it. False when it failed.
bool kb_add_one(wire_client& c, const options& opt, const kb_options& k, const converted& doc,
                const std::string& source, const std::string& shown_as) {
  json req = request("kb.add");
  req["content"] = doc.text;
  req["title"] = k.title.empty() ? doc.title : k.title;
  req["source"] = source;
  req["format"] = doc.kind;
  if (!k.kind.empty()) req["kind"] = k.kind;
  if (!k.project.empty()) req["project"] = k.project;
  if (!k.tags.empty()) req["tags"] = k.tags;
  std::string error;
  if (!c.send(req)) {
    std::cerr << "ai kb add: cannot send to paiosd\n";
    return false;
  }
  auto reply = c.receive(kKbAddTimeoutMs, error);
  if (!reply) {
    std::cerr << "ai kb add: " << shown_as << ": paiosd did not answer" << (error.empty() ? "" : ": " + error) << "\n";
    return false;
  }
  if (opt.json_out) std::cout << reply->dump() << "\n";
  if (reply->value("type", "") == "error") {
    std::cerr << "ai kb add: " << shown_as << ": " << reply->value("code", "error") << ": " << reply->value("message", "") << "\n";
    return false;
  }
  if (!opt.json_out) {
    auto id = reply->value("article_id", "");
    if (!reply->value("added", false)) std::cout << "unchanged " << id << "  " << shown_as << "\n";
    else
      std::cout << (reply->value("replaced", "").empty() ? "added     " : "updated   ") << id << "  " << shown_as << " ("
                << reply->value("chunks", 0) << " chunks)\n";
    auto flags = reply->value("flags", json::array());
    if (!flags.empty()) std::cout << "          flagged: " << flags.dump() << " (text that reads like instructions to a model)\n";
  }
  return true;
}

bool is_url(const std::string& s) {
  const auto head = lower_ascii(std::string_view{s}.substr(0, 8));
  return head.rfind("http://", 0) == 0 || head.rfind("https://", 0) == 0;
}

std::string status_words(long status) {
  static const std::pair<long, const char*> reasons[] = {
      {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
      {406, "Not Acceptable"}, {408, "Request Timeout"}, {410, "Gone"}, {429, "Too Many Requests"},
      {451, "Unavailable For Legal Reasons"}, {500, "Internal Server Error"}, {502, "Bad Gateway"},
      {503, "Service Unavailable"}, {504, "Gateway Timeout"}};
  for (auto& [code, words] : reasons)
    if (code == status) return std::to_string(status) + " " + words;
  return std::to_string(status);
}

// The converter's hint: the Content-Type, unless it says little (text/plain, octet-stream, none) and the URL's
// path has an extension (".md" served as text/plain is Markdown).
std::string url_kind_hint(const std::string& content_type, const std::string& url) {
  auto type = lower_ascii(std::string_view{content_type}.substr(0, content_type.find(';')));
  type.erase(0, type.find_first_not_of(" \t"));
  type.erase(type.find_last_not_of(" \t") + 1);
  const bool vague = type.empty() || type == "text/plain" || type == "application/octet-stream" ||
                     type == "binary/octet-stream";
  const auto start = url.find("://") == std::string::npos ? 0 : url.find("://") + 3;
  auto path = url.substr(0, url.find_first_of("?#", start));
  const auto slash = path.find('/', start);
  path = slash == std::string::npos ? std::string{} : path.substr(slash);
  const auto base = path.substr(path.find_last_of('/') + 1);
  const auto dot = base.find_last_of('.');
  if (vague && dot != std::string::npos && dot > 0 && dot + 1 < base.size()) return base.substr(dot + 1);
  return content_type;
}

constexpr int kFetchRedirects = 5;
constexpr std::int64_t kFetchTimeoutMs = 30000;
constexpr std::size_t kFetchMaxBytes = 20u << 20;

// GET, converted as a file would be. `source` becomes the URL that answered (after redirects, without a
// user:password part); the title is the document's own (HTML <title> or first <h1>, Markdown's heading, a
// text's first line), else that URL.
// Fails with timeout when the request timed out, bad_request when the URL could not be fetched otherwise or
// answered other than 2xx (not_found for 404 and 410), or what the conversion failed with. ai prints the
// message only.
expected<converted> fetch_url(const std::string& url, std::string& source) {
  http_request req;
  req.url = url;
  req.max_redirects = kFetchRedirects;
  req.timeout_ms = kFetchTimeoutMs;
  req.max_body_bytes = kFetchMaxBytes;
  req.headers = {"Accept: text/html, text/markdown, text/plain, application/pdf, "
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document, */*;q=0.5"};
  auto r = http_send(req);
  source = redact_url(r.effective_url.empty() ? url : r.effective_url);
  if (!r.responded()) return status{r.error.code() == errc::timeout ? errc::timeout : errc::bad_request, r.error.message()};
  if (r.status < 200 || r.status > 299)
    return status{r.status == 404 || r.status == 410 ? errc::not_found : errc::bad_request,
                  "GET " + source + ": the server answered HTTP " + status_words(r.status) + "; nothing was added"};
  // No name: the title falls back to the URL below, not to its last path segment.
  auto doc = convert_content(r.body, url_kind_hint(r.header("content-type"), source), "");
  if (!doc) return status{doc.code(), source + ": " + doc.message()};
  if (doc->title.empty()) doc->title = source;
  return doc;
}

int kb_add(const options& opt, const kb_options& k) {
  enum class from { file, stdin_, url };
  struct input {
    std::string name;  // a path, "-" or a URL
    from where;
  };
  std::vector<input> todo;
  bool failed = false;
  for (const auto& in : k.inputs) {
    if (in == "-") {
      todo.push_back({"-", from::stdin_});
      continue;
    }
    if (is_url(in)) {
      todo.push_back({in, from::url});
      continue;
    }
    std::string error;
    auto files = files_of(in, error);
    if (!error.empty()) {
      std::cerr << "ai kb add: " << error << "\n";
      failed = true;
    }
    for (auto& f : files) todo.push_back({f.string(), from::file});
  }
  if (todo.empty()) return failed ? kExitError : kExitUsage;
  auto c = connect_or_explain(opt);
  if (!c) return kExitUnreachable;
  const bool progress = todo.size() > 1 && isatty(STDERR_FILENO) && !opt.json_out;
  std::size_t n = 0;
  for (auto& [name, where] : todo) {
    ++n;
    if (progress)
      std::cerr << "\r[" << n << "/" << todo.size() << "] "
                << (where == from::url ? name : std::filesystem::path(name).filename().string()) << "\x1b[K" << std::flush;
    // What the article is said to come from: the file, the URL that answered, or nothing for stdin.
    std::string source = where == from::stdin_ ? std::string{} : name;
    auto doc = where == from::stdin_ ? convert_content(read_stdin(), "", "stdin")
               : where == from::url  ? fetch_url(name, source)
                                     : convert_file(name);
    const auto shown_as = where == from::stdin_ ? std::string{"stdin"} : source;
    if (!doc) {
      if (progress) std::cerr << "\n";
      std::cerr << "ai kb add: " << doc.message() << "\n";
      failed = true;
      continue;
    }
    if (doc->text.find_first_not_of(" \t\r\n") == std::string::npos) {
      std::cerr << "ai kb add: " << shown_as << ": no text in it; skipped\n";
      continue;
    }
    if (progress) std::cerr << "\r\x1b[K" << std::flush;
    failed = !kb_add_one(*c, opt, k, *doc, source, shown_as) || failed;
  }
  return failed ? kExitError : kExitOk;
}

// An article as a person reads it: the content without the envelope meant for agents (core/content/envelope.hpp),
// which names where the text came from, as the article's "source" line does too.
std::string render_kb_text(const json& reply) {
  auto shown = reply;
  auto& content = shown["article"]["content"];
  if (content.is_string())
    if (auto inner = unwrap_outside(content.get<std::string>())) content = *inner;
  return render_kb_article(shown);
}

}  // namespace

run_fn define_kb(CLI::App& sub, options&) {
  sub.require_subcommand(1);
  auto kbo = std::make_shared<kb_options>();
  auto* kb_add_cmd =
      sub.add_subcommand("add", "add files, folders (recursively), web pages (http:// or https:// URLs) or - (stdin) to "
                                "the knowledge base");
  kb_add_cmd->add_option("inputs", kbo->inputs, "files, folders, URLs, or - for stdin")->required();
  kb_add_cmd->add_option("--kind", kbo->kind, "document (default), learning, decision, note or report");
  kb_add_cmd->add_option("--project", kbo->project, "the project it belongs to");
  kb_add_cmd->add_option("--title", kbo->title, "the title (default: from the document)");
  kb_add_cmd->add_option("--tag", kbo->tags, "a tag (repeatable)");
  auto* kb_search_cmd = sub.add_subcommand("search", "the passages that best answer a query, with their sources");
  kb_search_cmd->add_option("query", kbo->query, "what to look for")->required();
  kb_search_cmd->add_option("--k", kbo->k, "how many results")->check(CLI::Range(1, 100));
  kb_search_cmd->add_option("--kind", kbo->kind, "only articles of this kind");
  kb_search_cmd->add_option("--project", kbo->project, "only articles of this project");
  auto* kb_get_cmd = sub.add_subcommand("get", "one article, whole");
  kb_get_cmd->add_option("id", kbo->id, "the article id (kb-...)")->required();
  kb_get_cmd->add_flag("--raw", kbo->raw, "the content as stored: in the envelope that marks it as outside data for agents");
  auto* kb_rm_cmd = sub.add_subcommand("rm", "remove an article");
  kb_rm_cmd->add_option("id", kbo->id, "the article id (kb-...)")->required();
  auto* kb_list_cmd = sub.add_subcommand("list", "the newest articles");
  kb_list_cmd->add_option("--limit", kbo->limit, "how many")->check(CLI::Range(1, 1000));
  kb_list_cmd->add_option("--kind", kbo->kind, "only articles of this kind");
  sub.add_subcommand("stats", "the size of the knowledge base and its embedding model");
  return [=](const options& opt) {
    const auto& k = *kbo;
    if (*kb_add_cmd) return kb_add(opt, k);
    if (*kb_search_cmd) {
      auto req = request("kb.search", {{"query", k.query}, {"k", k.k}});
      if (!k.kind.empty()) req["kind"] = k.kind;
      if (!k.project.empty()) req["project"] = k.project;
      return show(opt, req, render_kb_results);
    }
    if (*kb_get_cmd) return show(opt, request("kb.get", {{"article_id", k.id}}), k.raw ? render_kb_article : render_kb_text);
    if (*kb_rm_cmd) return show(opt, request("kb.rm", {{"article_id", k.id}}), render_kb_removed);
    if (*kb_list_cmd) {
      auto req = request("kb.list", {{"limit", k.limit}});
      if (!k.kind.empty()) req["kind"] = k.kind;
      return show(opt, req, render_kb_list);
    }
    // stats, the one left: `kb` requires one subcommand.
    return show(opt, request("kb.stats"), render_kb_stats);
  };
}

}  // namespace paios::cli
