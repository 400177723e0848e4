#pragma once
// What every `ai` subcommand shares: the options given before it, the exit codes, and one request to paiosd
// and its reply (docs/protocol.md). Each command group (cli/cmd_*.cpp) defines its subcommands through the
// same two steps: `define` adds the arguments to the parser and returns the `run` that acts on them once the
// command line is parsed (cli/main.cpp holds the table of them).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace paios {
class wire_client;
struct paios_home;
}  // namespace paios

namespace paios::cli {

// The exit codes every command keeps (cli/main.cpp's header comment says when each is used).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr int kExitInterrupted = 130;

constexpr int kReplyTimeoutMs = 5000;  // a request with a single reply

// The options of `ai` itself, given before the subcommand or the prompt.
struct options {
  std::optional<std::string> home;
  bool json_out = false;
  bool verbose = false;
  std::string brain;
  std::int64_t timeout_s = 0;
  std::vector<std::string> prompt;
  std::vector<std::string> attach;
  std::string command;  // the subcommand's words ("kb search"; "" for a prompt): what an error names
};

// What an error of the command begins with: "ai kb search: ", or "ai: " for a prompt.
std::string error_prefix(const options& opt);

// `ai --attach` and `ai route --attach` say the same.
constexpr const char* kAttachHelp = "a file for the task (repeatable): its path goes to the agent, its type to the router";

// Runs a parsed subcommand; returns the exit code.
using run_fn = std::function<int(const options&)>;
// Adds a subcommand's arguments to `sub` (binding any of `opt` it shares) and returns what runs it. The values
// parse into state that the returned function owns.
using define_fn = run_fn (*)(CLI::App& sub, options& opt);

// The daemon's request endpoint: $PAIOS_ENDPOINT, else the home's.
std::string endpoint_of(const paios_home& home);
// The PAIOS_HOME an installed hook or MCP server must name: "" when it is the default one.
std::string named_home(const options& opt);
// A connection to paiosd, or nullptr after saying on stderr that it is not running.
std::unique_ptr<wire_client> connect_or_explain(const options& opt);

// A request of operation `op` with the protocol's envelope and the members of `fields`.
nlohmann::json request(const char* op, const nlohmann::json& fields = nlohmann::json::object());
// One request, one reply. Prints the daemon's error, or returns the reply; `exit_code` says how it went.
std::optional<nlohmann::json> call(const options& opt, nlohmann::json req, int& exit_code,
                                  int timeout_ms = kReplyTimeoutMs);
// What a person reads of a reply.
using render_fn = std::function<std::string(const nlohmann::json& reply)>;
// One request whose reply is printed: as JSON with --json, else as `render` shows it to a person.
int show(const options& opt, const nlohmann::json& req, const render_fn& render, int timeout_ms = kReplyTimeoutMs);

std::string read_stdin();
// Words joined by single spaces: a prompt given as several arguments.
std::string join(const std::vector<std::string>& words);
// Attachments as the protocol takes them: absolute paths (the agent reads them there) with a MIME type.
// nullopt, after saying which on stderr, when a file does not exist.
std::optional<nlohmann::json> attachments_of(const options& opt);

}  // namespace paios::cli
