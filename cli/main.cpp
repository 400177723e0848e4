// ai: the PAIOS command-line client. Submits tasks to paiosd and streams the answers; shows status, tasks
// and history. It speaks only the wire protocol (docs/protocol.md) and never links the actor runtime.
//
// Exit codes: 0 success; 1 the daemon answered with an error (the task failed, was cancelled or timed out,
// or the request was refused); 2 usage error; 3 paiosd is not running or stopped answering; 130 interrupted
// with Ctrl-C (the task was cancelled).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>
#include <tuple>

#include <CLI/CLI.hpp>

#include "bridges/mcp/stdio_server.hpp"
#include "cli/hook.hpp"
#include "cli/hooks_install.hpp"
#include "cli/mcp_install.hpp"
#include "cli/render.hpp"
#include "client/wire_client.hpp"
#include "config/home.hpp"
#include "core/content/convert.hpp"
#include "core/http/http_client.hpp"

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr int kExitInterrupted = 130;

constexpr int kReplyTimeoutMs = 5000;    // a request with a single reply
constexpr int kQuietCheckMs = 5000;      // on a silent stream, check that the daemon is still there

std::atomic<bool> interrupted{false};

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct options {
  std::optional<std::string> home;
  bool json_out = false;
  bool verbose = false;
  std::string brain;
  std::int64_t timeout_s = 0;
  std::vector<std::string> prompt;
  std::vector<std::string> attach;
};

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
  auto ext = path.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& [e, m] : types)
    if (e == ext) return m;
  return {};
}

// Attachments as the protocol takes them: absolute paths (the agent reads them there) with a MIME type.
std::optional<json> attachments_of(const options& opt) {
  json out = json::array();
  for (const auto& f : opt.attach) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(f, ec);
    if (ec || !std::filesystem::is_regular_file(abs, ec)) {
      std::cerr << "ai: cannot attach " << f << ": no such file\n";
      return std::nullopt;
    }
    out.push_back({{"name", abs.string()}, {"mime", mime_of(abs.string())}});
  }
  return out;
}

std::string endpoint_of(const paios::paios_home& home) {
  if (const char* e = std::getenv("PAIOS_ENDPOINT"); e && *e) return e;
  return home.endpoint();
}

std::unique_ptr<paios::wire_client> connect_or_explain(const options& opt) {
  auto home = paios::resolve_home(opt.home);
  paios::unreachable why;
  auto c = paios::wire_client::connect(endpoint_of(home), why);
  if (!c) std::cerr << "ai: " << paios::unreachable_message(home.root.string(), why);
  return c;
}

json request(const char* op) { return json{{"v", 1}, {"op", op}, {"id", "1"}}; }

// One request, one reply. Prints the daemon's error, or returns the reply.
std::optional<json> call(const options& opt, json req, int& exit_code) {
  auto c = connect_or_explain(opt);
  if (!c) {
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  std::string error;
  if (!c->send(req)) {
    std::cerr << "ai: cannot send to paiosd\n";
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  auto reply = c->receive(kReplyTimeoutMs, error);
  if (!reply) {
    std::cerr << "ai: paiosd did not answer within " << kReplyTimeoutMs << " ms" << (error.empty() ? "" : ": " + error)
              << "\n";
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  if (reply->value("type", "") == "error") {
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else std::cerr << "ai: " << reply->value("code", "error") << ": " << reply->value("message", "") << "\n";
    exit_code = kExitError;
    return std::nullopt;
  }
  exit_code = kExitOk;
  return reply;
}

// One request whose reply is printed: as JSON with --json, else as `render` shows it to a person.
int show(const options& opt, const json& req, std::string (*render)(const json&)) {
  int code = kExitOk;
  auto reply = call(opt, req, code);
  if (!reply) return code;
  std::cout << (opt.json_out ? reply->dump() + "\n" : render(*reply));
  return kExitOk;
}


std::string read_stdin() {
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  return ss.str();
}

// ---- ai kb ----------------------------------------------------------------------------------------------

struct kb_options {
  std::vector<std::string> inputs;  // files, folders, or "-" for stdin
  std::string kind, project, title;
  std::vector<std::string> tags;
  std::string query;
  int k = 5;
  int limit = 20;
  std::string id;
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
bool kb_add_one(paios::wire_client& c, const options& opt, const kb_options& k, const paios::converted& doc,
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
  auto head = s.substr(0, 8);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
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
  auto type = content_type.substr(0, content_type.find(';'));
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
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
std::optional<paios::converted> fetch_url(const std::string& url, std::string& source, std::string& error) {
  paios::http_request req;
  req.url = url;
  req.max_redirects = kFetchRedirects;
  req.timeout_ms = kFetchTimeoutMs;
  req.max_body_bytes = kFetchMaxBytes;
  req.headers = {"Accept: text/html, text/markdown, text/plain, application/pdf, "
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document, */*;q=0.5"};
  auto r = paios::http_send(req);
  source = paios::redact_url(r.effective_url.empty() ? url : r.effective_url);
  if (!r.responded) {
    error = r.error;
    return std::nullopt;
  }
  if (r.status < 200 || r.status > 299) {
    error = "GET " + source + ": the server answered HTTP " + status_words(r.status) + "; nothing was added";
    return std::nullopt;
  }
  std::string why;
  // No name: the title falls back to the URL below, not to its last path segment.
  auto doc = paios::convert_content(r.body, url_kind_hint(r.header("content-type"), source), "", why);
  if (!doc) {
    error = source + ": " + why;
    return std::nullopt;
  }
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
    std::string error;
    // What the article is said to come from: the file, the URL that answered, or nothing for stdin.
    std::string source = where == from::stdin_ ? std::string{} : name;
    std::optional<paios::converted> doc;
    if (where == from::stdin_) doc = paios::convert_content(read_stdin(), "", "stdin", error);
    else if (where == from::url) doc = fetch_url(name, source, error);
    else doc = paios::convert_file(name, error);
    const auto shown_as = where == from::stdin_ ? std::string{"stdin"} : source;
    if (!doc) {
      if (progress) std::cerr << "\n";
      std::cerr << "ai kb add: " << error << "\n";
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

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Submits and streams: chunks to stdout as they come, or (--json) one event per line.
int submit(const options& opt) {
  std::string prompt = opt.prompt.size() == 1 && opt.prompt[0] == "-" ? read_stdin() : join(opt.prompt);
  if (prompt.empty()) {
    std::cerr << "ai: the prompt is empty\n";
    return kExitUsage;
  }
  auto attachments = attachments_of(opt);
  if (!attachments) return kExitUsage;
  auto c = connect_or_explain(opt);
  if (!c) return kExitUnreachable;
  auto req = request("task.submit");
  req["prompt"] = std::move(prompt);
  if (!attachments->empty()) req["attachments"] = std::move(*attachments);
  if (!opt.brain.empty()) req["brain"] = opt.brain;
  if (opt.timeout_s > 0) req["timeout_ms"] = opt.timeout_s * 1000;
  c->send(req);

  std::string task_id;
  std::string shown;  // the answer text printed so far
  bool ends_with_newline = true, cancel_sent = false, checking = false;
  auto last_heard = std::chrono::steady_clock::now();
  for (;;) {
    if (interrupted && !task_id.empty() && !cancel_sent) {
      c->send(json{{"v", 1}, {"op", "task.cancel"}, {"id", "cancel"}, {"task_id", task_id}});
      cancel_sent = true;
    }
    std::string error;
    auto reply = c->receive(200, error);
    auto now = std::chrono::steady_clock::now();
    if (!reply) {
      if (!error.empty() && error != "Interrupted system call") {
        std::cerr << "ai: " << error << "\n";
        return kExitUnreachable;
      }
      auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard).count();
      if (interrupted && (task_id.empty() || quiet > 3000)) return kExitInterrupted;
      if (quiet > kQuietCheckMs && !checking) {
        // A silent stream: ask about the task itself. If the daemon restarted a part of itself meanwhile,
        // the stream may be gone while the task finished; the stored record then says how.
        if (task_id.empty()) c->send(json{{"v", 1}, {"op", "ping"}, {"id", "alive"}});
        else c->send(json{{"v", 1}, {"op", "task.get"}, {"id", "alive"}, {"task_id", task_id}});
        checking = true;
      } else if (checking && quiet > kQuietCheckMs + 3000) {
        std::cerr << "ai: paiosd stopped answering" << (task_id.empty() ? "" : "; the task is " + task_id) << "\n";
        return kExitUnreachable;
      }
      continue;
    }
    last_heard = now;
    checking = false;
    auto type = reply->value("type", "");
    auto id = reply->value("id", "");
    if (id == "cancel") continue;
    if (id == "alive") {
      if (type != "task") continue;
      const auto& t = (*reply)["task"];
      auto state = t.value("state", "");
      if (state == "queued" || state == "running") continue;
      // Finished while its stream was lost: report it from the record.
      json terminal = state == "succeeded"
                          ? json{{"type", "result"}, {"task_id", task_id}, {"state", state}, {"brain", t.value("brain", "")},
                                 {"text", t.value("text", "")}}
                          : json{{"type", "error"}, {"task_id", task_id}, {"state", state},
                                 {"code", t.value("error", json::object()).value("code", "failed")},
                                 {"message", t.value("error", json::object()).value("message", "")}};
      reply = std::move(terminal);
      type = reply->value("type", "");
    }
    if (opt.json_out) {
      std::cout << reply->dump() << "\n" << std::flush;
    }
    if (type == "accepted") {
      task_id = reply->value("task_id", "");
    } else if (type == "routed") {
      if (opt.verbose && !opt.json_out)
        std::cerr << "[" << task_id << "] routed to " << reply->value("brain", "?") << " ("
                  << reply->value("reason", "") << ")\n";
    } else if (type == "chunk") {
      if (!opt.json_out) {
        auto text = reply->value("text", "");
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        shown += text;
        if (!text.empty()) ends_with_newline = text.back() == '\n';
      }
    } else if (type == "result") {
      if (!opt.json_out) {
        // What the chunks did not show (all of it when the brain does not stream, the rest when the stream
        // was cut and the answer came from the stored record).
        auto text = reply->value("text", "");
        if (text.size() > shown.size() && text.compare(0, shown.size(), shown) == 0) {
          std::fwrite(text.data() + shown.size(), 1, text.size() - shown.size(), stdout);
          ends_with_newline = text.back() == '\n';
        }
        if (!ends_with_newline) std::fputc('\n', stdout);
        if (opt.verbose)
          std::cerr << "[" << task_id << "] " << reply->value("state", "") << " by " << reply->value("brain", "")
                    << " in " << reply->value("duration_ms", 0) << " ms\n";
      }
      return kExitOk;
    } else if (type == "error") {
      if (!opt.json_out) {
        if (!shown.empty() && !ends_with_newline) std::fputc('\n', stdout);
        std::cerr << "ai: " << reply->value("code", "error") << ": " << reply->value("message", "")
                  << (task_id.empty() ? "" : " (task " + task_id + ")") << "\n";
      }
      return interrupted ? kExitInterrupted : kExitError;
    }
  }
}

void on_sigint(int) { interrupted = true; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ai: ask the PAIOS mesh.\n  ai \"prompt\"          stream an answer\n  ai - < file.txt       prompt from stdin\n"
               "  ai -- status          a prompt that is also a command name"};
  app.fallthrough();
  options opt;
  app.add_option("--home", opt.home, "PAIOS_HOME (default: $PAIOS_HOME, else ~/.paios)");
  app.add_flag("--json", opt.json_out, "print one JSON object per line");
  app.add_flag("-v,--verbose", opt.verbose, "say on stderr which brain answered, and how long it took");
  app.add_option("--brain", opt.brain, "the brain to ask (default: the router's choice)");
  app.add_option("--timeout", opt.timeout_s, "give the brain at most this many seconds");
  const char* attach_help = "a file for the task (repeatable): its path goes to the agent, its type to the router";
  app.add_option("--attach", opt.attach, attach_help)->allow_extra_args(false);
  app.add_option("prompt", opt.prompt, "the prompt; '-' reads it from stdin");

  auto* ping = app.add_subcommand("ping", "check that paiosd answers");
  auto* status = app.add_subcommand("status", "the daemon, its brains and its actor tree");
  auto* tasks = app.add_subcommand("tasks", "recent tasks, newest first");
  int limit = 20;
  std::string state;
  tasks->add_option("--limit", limit, "how many")->check(CLI::Range(1, 1000));
  tasks->add_option("--state", state, "only tasks in this state (queued, running, succeeded, failed, ...)");
  auto* task = app.add_subcommand("task", "one task: its state, its history and its answer");
  std::string task_id;
  task->add_option("id", task_id, "the task id")->required();
  auto* route = app.add_subcommand("route", "show which brain would take a prompt, and why, without running it");
  std::vector<std::string> route_text;
  route->add_option("text", route_text, "the prompt")->required();
  route->add_option("--attach", opt.attach, attach_help)->allow_extra_args(false);
  auto* routes = app.add_subcommand("routes", "recent routing decisions: category, brain, the brains tried");
  routes->add_option("--limit", limit, "how many")->check(CLI::Range(1, 1000));
  auto* weights = app.add_subcommand("weights", "the router's rule weight adjustments");
  auto* weights_set = weights->add_subcommand("set", "set a rule's weight factor (1 restores it, 0 silences it)");
  std::string rule, note;
  double factor = 1;
  weights_set->add_option("rule", rule, "the rule id (as `ai route` shows it)")->required();
  weights_set->add_option("factor", factor, "multiplies the rule's weight, from 0 to 10")->required()->check(CLI::Range(0.0, 10.0));
  weights_set->add_option("--note", note, "why (kept with the factor)");
  auto* cancel = app.add_subcommand("cancel", "cancel a task");
  cancel->add_option("id", task_id, "the task id")->required();
  auto* obs = app.add_subcommand("obs", "events of every operation, newest first (filters combine)");
  struct {
    std::string trace, category, action, status, since, until, before;
    int min_score = 0, max_score = 0, limit = 50;
  } q;
  obs->add_option("--trace", q.trace, "one trace id (32 hex digits)");
  obs->add_option("--category", q.category, "task, route, brain, bridge, breaker, supervisor, config, hook, ...");
  obs->add_option("--action", q.action, "e.g. run, classify, call, task.submit");
  obs->add_option("--status", q.status, "ok, or an error code");
  obs->add_option("--since", q.since, "90s, 15m, 2h, 3d (ago), unix ms, or 2026-11-29T06:00[Z]");
  obs->add_option("--until", q.until, "as --since");
  obs->add_option("--min-score", q.min_score, "only traces scored at least this")->check(CLI::Range(1, 5));
  obs->add_option("--max-score", q.max_score, "only traces scored at most this")->check(CLI::Range(1, 5));
  obs->add_option("--limit", q.limit, "how many")->check(CLI::Range(1, 10000));
  obs->add_option("--before", q.before, "the next page: events older than this event id (e-N)");
  auto* trace = app.add_subcommand("trace", "one trace as a tree of spans, with timings");
  std::string trace_id;
  trace->add_option("id", trace_id, "the trace id (32 hex digits, as ai --json shows it)")->required();
  auto* score = app.add_subcommand("score", "give a task (or its routing decision) a quality score from 1 to 5");
  int score_value = 0;
  std::string score_note;
  score->add_option("id", task_id, "the task id")->required();
  score->add_option("score", score_value, "1 (bad) to 5 (excellent)")->required()->check(CLI::Range(1, 5));
  score->add_option("--note", score_note, "why");

  auto* kb = app.add_subcommand("kb", "the knowledge base: add documents, search them, read and remove them");
  kb->require_subcommand(1);
  kb_options kbo;
  auto* kb_add_cmd =
      kb->add_subcommand("add", "add files, folders (recursively), web pages (http:// or https:// URLs) or - (stdin) to "
                                "the knowledge base");
  kb_add_cmd->add_option("inputs", kbo.inputs, "files, folders, URLs, or - for stdin")->required();
  kb_add_cmd->add_option("--kind", kbo.kind, "document (default), learning, decision or note");
  kb_add_cmd->add_option("--project", kbo.project, "the project it belongs to");
  kb_add_cmd->add_option("--title", kbo.title, "the title (default: from the document)");
  kb_add_cmd->add_option("--tag", kbo.tags, "a tag (repeatable)");
  auto* kb_search_cmd = kb->add_subcommand("search", "the passages that best answer a query, with their sources");
  kb_search_cmd->add_option("query", kbo.query, "what to look for")->required();
  kb_search_cmd->add_option("--k", kbo.k, "how many results")->check(CLI::Range(1, 100));
  kb_search_cmd->add_option("--kind", kbo.kind, "only articles of this kind");
  kb_search_cmd->add_option("--project", kbo.project, "only articles of this project");
  auto* kb_get_cmd = kb->add_subcommand("get", "one article, whole");
  kb_get_cmd->add_option("id", kbo.id, "the article id (kb-...)")->required();
  auto* kb_rm_cmd = kb->add_subcommand("rm", "remove an article");
  kb_rm_cmd->add_option("id", kbo.id, "the article id (kb-...)")->required();
  auto* kb_list_cmd = kb->add_subcommand("list", "the newest articles");
  kb_list_cmd->add_option("--limit", kbo.limit, "how many")->check(CLI::Range(1, 1000));
  kb_list_cmd->add_option("--kind", kbo.kind, "only articles of this kind");
  auto* kb_stats_cmd = kb->add_subcommand("stats", "the size of the knowledge base and its embedding model");

  // Claude Code hooks (cli/hook.hpp, cli/hooks_install.hpp).
  auto* hook = app.add_subcommand("hook", "a Claude Code hook: the hook's JSON on stdin, the answer for Claude Code on "
                                          "stdout;\nalways exits 0 (a daemon that is down or slow gets the event from the spool)");
  hook->allow_extras();
  std::string hook_event;
  std::optional<std::int64_t> hook_deadline;
  hook->add_option("event", hook_event, "SessionStart, post-tool-use, ... (default: the input's hook_event_name)");
  hook->add_option("--deadline-ms", hook_deadline, "wait at most this long for paiosd (default: hooks.deadline_ms, 150)");
  auto* hooks_cmd = app.add_subcommand("hooks", "Claude Code hooks: install them");
  hooks_cmd->require_subcommand(1);
  paios::hooks_install_options hio;
  auto* hooks_install_cmd = hooks_cmd->add_subcommand(
      "install", "merge the PAIOS hooks into Claude Code's settings.json (backed up first; idempotent)");
  auto* hio_project = hooks_install_cmd->add_option("--project", hio.project, "DIR/.claude/settings.json (default: the current folder)");
  hooks_install_cmd->add_flag("--user", hio.user, "~/.claude/settings.json")->excludes(hio_project);
  hooks_install_cmd->add_flag("--dry-run", hio.dry_run, "show the change as a diff, write nothing");

  auto* mcp = app.add_subcommand("mcp", "serve the PAIOS tools to an MCP client on stdin/stdout (docs/mcp.md);\n"
                                        "Claude Code:  claude mcp add paios -- ai mcp");
  std::size_t mcp_page_size = 100;
  mcp->add_option("--page-size", mcp_page_size, "tools per tools/list page")->check(CLI::Range(1, 1000));
  paios::mcp_install_options mio;
  auto* mcp_install_cmd = mcp->add_subcommand(
      "install", "register `ai mcp` with an agent as the MCP server \"paios\" (cli/mcp_install.hpp; backed up; idempotent)");
  mcp_install_cmd->add_option("agent", mio.agent, "claude, codex or gemini")->required()->check(CLI::IsMember({"claude", "codex", "gemini"}));
  auto* mio_project = mcp_install_cmd->add_option("--project", mio.project, "claude: DIR/.mcp.json (the default scope, in the current folder); gemini: DIR/.gemini/settings.json");
  mcp_install_cmd->add_flag("--user", mio.user, "claude: ~/.claude.json; gemini: ~/.gemini/settings.json (its default); codex: always ~/.codex/config.toml")->excludes(mio_project);
  mcp_install_cmd->add_flag("--print", mio.print, "print the registration (and the `claude mcp add` command), write nothing");
  mcp_install_cmd->add_flag("--dry-run", mio.dry_run, "show the change as a diff, write nothing");

  auto* jobs = app.add_subcommand("jobs", "scheduled jobs: next run and last outcome; run one now; a job's history");
  std::string job_name;
  int jobs_limit = 20;
  auto* jobs_run = jobs->add_subcommand("run", "run a job now (refused while it runs, unless it allows overlap)");
  jobs_run->add_option("name", job_name, "the job")->required();
  auto* jobs_history = jobs->add_subcommand("history", "a job's runs, newest first: outcome, time, trace");
  jobs_history->add_option("name", job_name, "the job")->required();
  jobs_history->add_option("--limit", jobs_limit, "how many")->check(CLI::Range(1, 1000));

  auto* watch = app.add_subcommand("watch", "watched folders: what arrives is classified and acted on (images described "
                                            "into the knowledge base, documents ingested, media notified)");
  std::string watch_dir;
  std::vector<std::string> watch_classes;
  auto* watch_list = watch->add_subcommand("list", "the watched folders and their counts (the default)");
  auto* watch_add = watch->add_subcommand("add", "watch a folder (kept by the daemon; the configuration file is not "
                                                 "touched)");
  watch_add->add_option("dir", watch_dir, "the folder (need not exist yet)")->required();
  watch_add->add_option("--class", watch_classes, "act only on these classes (the rest are recorded): image, "
                                                  "document, media, code, archive, other")
      ->check(CLI::IsMember({"image", "document", "media", "code", "archive", "other"}));
  auto* watch_rm = watch->add_subcommand("rm", "stop watching a folder added with `ai watch add`");
  watch_rm->add_option("dir", watch_dir, "the folder")->required();
  (void)watch_list;

  auto* pipeline = app.add_subcommand("pipeline", "pipelines: the configured ones; run one; its runs, steps and outputs; "
                                                  "resume a failed or interrupted run");
  std::string pipeline_name, pipeline_input, pipeline_run_id;
  int pipeline_limit = 20;
  bool pipeline_wait = false;
  auto* pipeline_run = pipeline->add_subcommand("run", "start a run (it goes on in the daemon; --wait follows it to its end)");
  pipeline_run->add_option("name", pipeline_name, "the pipeline")->required();
  pipeline_run->add_option("--input", pipeline_input, "the run's input: JSON (a text that is not JSON is taken as a string)");
  pipeline_run->add_flag("--wait", pipeline_wait, "wait for the end and show the run; exit 1 unless it succeeded");
  auto* pipeline_runs = pipeline->add_subcommand("runs", "runs, newest first: state, time, each step's state");
  pipeline_runs->add_option("name", pipeline_name, "only this pipeline's runs");
  pipeline_runs->add_option("--limit", pipeline_limit, "how many")->check(CLI::Range(1, 1000));
  auto* pipeline_show = pipeline->add_subcommand("show", "one run: its steps with their outputs and errors");
  pipeline_show->add_option("run", pipeline_run_id, "the run's id")->required();
  auto* pipeline_resume = pipeline->add_subcommand("resume", "go on with a failed, timed out or interrupted run from the step that stopped it");
  pipeline_resume->add_option("run", pipeline_run_id, "the run's id")->required();
  pipeline_resume->add_flag("--wait", pipeline_wait, "wait for the end and show the run; exit 1 unless it succeeded");
  auto* pipeline_cancel = pipeline->add_subcommand("cancel", "stop a run that is going (its step is stopped; resume goes on from it)");
  pipeline_cancel->add_option("run", pipeline_run_id, "the run's id")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (*hook) return kExitOk;  // a hook never fails Claude Code's session
    auto code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  int code = kExitOk;
  if (*hook) {
    auto home = paios::resolve_home(opt.home);
    return paios::run_hook({home.root.string(), endpoint_of(home), hook_event, hook_deadline});
  }
  // The PAIOS_HOME an installed hook or MCP server must name: none when it is the default one.
  auto named_home = [&]() -> std::string {
    if (opt.home) return paios::resolve_home(opt.home).root.string();
    if (const char* h = std::getenv("PAIOS_HOME"); h && *h) return paios::resolve_home().root.string();
    return {};
  };
  if (*hooks_cmd) {
    hio.home = named_home();
    return paios::hooks_install(hio, std::cout, std::cerr) == 0 ? kExitOk : kExitError;
  }
  if (*mcp_install_cmd) {
    mio.home = named_home();
    const int rc = paios::mcp_install(mio, std::cout, std::cerr);
    return rc == 0 ? kExitOk : rc == 2 ? kExitUsage : kExitError;
  }
  if (*mcp) {
    auto home = paios::resolve_home(opt.home);
    return paios::mcp::serve_stdio({home.root.string(), endpoint_of(home), mcp_page_size, opt.verbose});
  }
  if (*ping) {
    auto start = std::chrono::steady_clock::now();
    auto reply = call(opt, request("ping"), code);
    if (!reply) return code;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else std::cout << "pong from paiosd " << reply->value("version", "") << " in " << us / 1000.0 << " ms\n";
    return kExitOk;
  }
  if (*status) {
    auto reply = call(opt, request("status"), code);
    if (!reply) return code;
    std::cout << (opt.json_out ? reply->dump(2) : paios::render_status(*reply)) << "\n";
    return kExitOk;
  }
  if (*tasks) {
    auto req = request("task.list");
    req["limit"] = limit;
    if (!state.empty()) req["state"] = state;
    auto reply = call(opt, req, code);
    if (!reply) return code;
    std::cout << (opt.json_out ? reply->dump() : paios::render_tasks(*reply));
    return kExitOk;
  }
  if (*route) {
    auto attachments = attachments_of(opt);
    if (!attachments) return kExitUsage;
    auto req = request("route.classify");
    req["prompt"] = join(route_text);
    if (!attachments->empty()) req["attachments"] = std::move(*attachments);
    if (!opt.brain.empty()) req["brain"] = opt.brain;
    return show(opt, req, paios::render_route);
  }
  if (*routes) {
    auto req = request("route.list");
    req["limit"] = limit;
    return show(opt, req, paios::render_routes);
  }
  if (*weights) {
    auto req = request(*weights_set ? "route.adjust" : "route.weights");
    if (*weights_set) {
      req["rule"] = rule;
      req["factor"] = factor;
      req["note"] = note.empty() ? std::string{"set with ai weights set"} : note;
    }
    auto reply = call(opt, req, code);
    if (!reply) return code;
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else if (*weights_set) std::cout << "rule " << rule << ": weight factor " << factor << "\n";
    else std::cout << paios::render_weights(*reply);
    return kExitOk;
  }
  if (*obs) {
    auto req = request("obs.query");
    if (!q.trace.empty()) req["trace_id"] = q.trace;
    if (!q.category.empty()) req["category"] = q.category;
    if (!q.action.empty()) req["action"] = q.action;
    if (!q.status.empty()) req["status"] = q.status;
    if (!q.before.empty()) req["before"] = q.before;
    if (q.min_score) req["min_score"] = q.min_score;
    if (q.max_score) req["max_score"] = q.max_score;
    req["limit"] = q.limit;
    for (auto [flag, text, key] : {std::tuple{"--since", &q.since, "since_ms"}, std::tuple{"--until", &q.until, "until_ms"}}) {
      if (text->empty()) continue;
      std::string error;
      auto ms = paios::parse_time_arg(*text, wall_ms(), error);
      if (!ms) {
        std::cerr << "ai obs: " << flag << ": " << error << "\n";
        return kExitUsage;
      }
      req[key] = *ms;
    }
    return show(opt, req, paios::render_events);
  }
  if (*trace) {
    auto req = request("obs.trace");
    req["trace_id"] = trace_id;
    return show(opt, req, paios::render_trace);
  }
  if (*score) {
    auto req = request("obs.score");
    req["task_id"] = task_id;
    req["score"] = score_value;
    if (!score_note.empty()) req["note"] = score_note;
    auto reply = call(opt, req, code);
    if (!reply) return code;
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else std::cout << task_id << ": scored " << score_value << (score_note.empty() ? "" : " (" + score_note + ")") << "\n";
    return kExitOk;
  }
  if (*kb) {
    if (*kb_add_cmd) return kb_add(opt, kbo);
    if (*kb_search_cmd) {
      auto req = request("kb.search");
      req["query"] = kbo.query;
      req["k"] = kbo.k;
      if (!kbo.kind.empty()) req["kind"] = kbo.kind;
      if (!kbo.project.empty()) req["project"] = kbo.project;
      return show(opt, req, paios::render_kb_results);
    }
    if (*kb_get_cmd || *kb_rm_cmd) {
      auto req = request(*kb_get_cmd ? "kb.get" : "kb.rm");
      req["article_id"] = kbo.id;
      return show(opt, req, *kb_get_cmd ? paios::render_kb_article : paios::render_kb_removed);
    }
    if (*kb_list_cmd) {
      auto req = request("kb.list");
      req["limit"] = kbo.limit;
      if (!kbo.kind.empty()) req["kind"] = kbo.kind;
      return show(opt, req, paios::render_kb_list);
    }
    if (*kb_stats_cmd) return show(opt, request("kb.stats"), paios::render_kb_stats);
  }
  if (*jobs) {
    auto req = request(*jobs_run ? "jobs.run" : *jobs_history ? "jobs.history" : "jobs.list");
    if (*jobs_run || *jobs_history) req["name"] = job_name;
    if (*jobs_history) req["limit"] = jobs_limit;
    return show(opt, req, *jobs_run ? paios::render_job_started : *jobs_history ? paios::render_job_history : paios::render_jobs);
  }
  if (*watch) {
    if (*watch_add || *watch_rm) {
      std::error_code ec;
      auto abs = std::filesystem::absolute(watch_dir, ec);
      auto req = request(*watch_add ? "watch.add" : "watch.rm");
      req["path"] = ec ? watch_dir : abs.lexically_normal().string();
      if (*watch_add && !watch_classes.empty()) req["classes"] = watch_classes;
      return show(opt, req, *watch_add ? paios::render_watch_added : paios::render_watch_removed);
    }
    return show(opt, request("watch.list"), paios::render_watch_list);
  }
  if (*pipeline) {
    if (*pipeline_runs) {
      auto req = request("pipeline.runs");
      if (!pipeline_name.empty()) req["name"] = pipeline_name;
      req["limit"] = pipeline_limit;
      return show(opt, req, paios::render_pipeline_runs);
    }
    if (*pipeline_show) {
      auto req = request("pipeline.get");
      req["run_id"] = pipeline_run_id;
      return show(opt, req, paios::render_pipeline_run);
    }
    if (*pipeline_cancel) {
      auto req = request("pipeline.cancel");
      req["run_id"] = pipeline_run_id;
      return show(opt, req, paios::render_pipeline_cancel);
    }
    if (!*pipeline_run && !*pipeline_resume) return show(opt, request("pipeline.list"), paios::render_pipelines);
    auto req = request(*pipeline_run ? "pipeline.run" : "pipeline.resume");
    if (*pipeline_run) {
      req["name"] = pipeline_name;
      if (!pipeline_input.empty()) {
        auto input = json::parse(pipeline_input, nullptr, false);
        req["input"] = input.is_discarded() ? json(pipeline_input) : input;
      }
    } else {
      req["run_id"] = pipeline_run_id;
    }
    if (!pipeline_wait) return show(opt, req, *pipeline_run ? paios::render_pipeline_started : paios::render_pipeline_resumed);
    auto started = call(opt, req, code);
    if (!started) return code;
    if (!opt.json_out)
      std::cout << (*pipeline_run ? paios::render_pipeline_started(*started) : paios::render_pipeline_resumed(*started))
                << std::flush;
    // Follows the run's record until it ends: the run goes on in the daemon whatever happens to this client.
    auto get = request("pipeline.get");
    get["run_id"] = started->value("run_id", "");
    for (;;) {
      auto run = call(opt, get, code);
      if (!run) return code;
      const auto state = (*run)["run"].value("state", "");
      if (state != "running") {
        std::cout << (opt.json_out ? run->dump() + "\n" : paios::render_pipeline_run(*run));
        return state == "ok" ? kExitOk : kExitError;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  if (*task || *cancel) {
    auto req = request(*task ? "task.get" : "task.cancel");
    req["task_id"] = task_id;
    auto reply = call(opt, req, code);
    if (!reply) return code;
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else std::cout << (*task ? paios::render_task(*reply) : paios::render_cancel(*reply));
    return kExitOk;
  }
  if (opt.prompt.empty()) {
    std::cerr << app.help();
    return kExitUsage;
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr);  // no SA_RESTART: the wait returns, and the task is cancelled
  return submit(opt);
}
