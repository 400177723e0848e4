#pragma once
// Helpers for tests that start real programs: temporary directories, the built binaries, a real paiosd in a
// temporary PAIOS_HOME, the `ai` client, and a raw protocol client (a ZeroMQ DEALER, as any outside client).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios::test {

// A fresh directory under /tmp, removed (recursively) when the object goes.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An executable shell script `dir/name` (mode 0700) running `body` under /bin/sh: a fake program for PATH.
std::filesystem::path write_script(const std::filesystem::path& dir, const std::string& name, const std::string& body);

std::filesystem::path source_dir();  // the repository root
std::filesystem::path binary_dir();  // the CMake build directory
std::filesystem::path fake_agent(const std::string& name);  // tests/fake_agents/<name>
std::filesystem::path paiosd_path();
std::filesystem::path ai_path();

struct run_result {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion with extra environment variables and optional stdin.
run_result run_program(const std::vector<std::string>& argv,
                       const std::vector<std::pair<std::string, std::string>>& env = {},
                       const std::string& stdin_data = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Starts a program on its own (stdin from /dev/null, stdout and stderr into the files named, with this process's
// environment) and returns its pid, or -1 when it could not start. The caller waits for it.
pid_t spawn_to_files(const std::vector<std::string>& argv, const std::filesystem::path& out,
                     const std::filesystem::path& err);

// The JSON objects of output printed one per line (`ai --json`); a line that is not JSON is skipped.
std::vector<nlohmann::json> json_lines(const std::string& out);

// A raw protocol client: one DEALER socket, JSON frames.
class wire_peer {
 public:
  explicit wire_peer(const std::string& endpoint);
  ~wire_peer();
  wire_peer(const wire_peer&) = delete;
  wire_peer& operator=(const wire_peer&) = delete;

  void send(const nlohmann::json& request);
  void send_frames(const std::vector<std::string>& frames);  // any shape, for malformed-input tests
  std::optional<nlohmann::json> receive(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends a request and collects replies until a terminal one (result, error, or any non-streaming reply).
  std::vector<nlohmann::json> exchange(const nlohmann::json& request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  void* ctx_;
  void* socket_;
};

// A real paiosd on a temporary PAIOS_HOME. The configuration is written to PAIOS_HOME/config.json.
// Unless a test configures "router" itself, every task that names no brain is routed to tasks.default_brain
// (threshold 1: no category is ever confident enough, and the default category's chain is that brain), so
// that a test never reaches a real agent CLI that happens to be installed on the machine.
class daemon_process {
 public:
  explicit daemon_process(const nlohmann::json& config = nlohmann::json::object());
  ~daemon_process();  // SIGKILL if still running
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  // Starts paiosd and waits until it answers ping; throws with its stderr, and where each of its threads waits,
  // if it does not. The deadline is generous: a sanitizer build on a loaded 2-core machine starts slowly.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends `sig` and waits for the exit; returns the exit code (128 + signal if killed). A daemon that has
  // already exited gives its exit code.
  int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void kill9();
  bool running();

  pid_t pid() const { return pid_; }
  const std::filesystem::path& home() const { return home_.path(); }
  std::string endpoint() const;
  std::string events_endpoint() const;
  std::string log() const;  // paiosd's stderr so far
  void write_config(const nlohmann::json& config);
  // An environment variable for the daemon, from the next start() on.
  void set_env(const std::string& key, const std::string& value) { env_.emplace_back(key, value); }
  // Agent processes started by this daemon (or left behind by it), found by the PAIOS_TEST_TAG the
  // harness gives the daemon's environment, which its children inherit.
  std::vector<pid_t> agents() const;
  // Whether one of them runs `program` (its command line names it), waiting up to `within`. Use this to wait for
  // an agent to start: a child caught between fork and exec is still a copy of paiosd, and its /proc entry is
  // briefly unreadable, so "agents() is not empty" can hold and then not.
  bool agent_runs(const std::string& program, std::chrono::milliseconds within = std::chrono::seconds(5)) const;
  // Whether every agent process has ended, waiting up to `within`: the wait after a cancel, a timeout or a stop.
  bool agents_gone(std::chrono::milliseconds within = std::chrono::seconds(10)) const;

  // Runs `ai --home <home> args...`.
  run_result ai(const std::vector<std::string>& args, const std::string& stdin_data = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  temp_dir home_;
  pid_t pid_ = -1;
  std::filesystem::path stderr_file_;
  std::vector<std::pair<std::string, std::string>> env_;
  int exit_code_ = -1;  // of a daemon that exited on its own
};

// Processes whose parent is `parent` (from /proc).
std::vector<pid_t> children_of(pid_t parent);
// Live (not zombie) processes whose environment holds exactly `entry` ("KEY=value").
std::vector<pid_t> processes_with_env(const std::string& entry);
// Live (not zombie) processes whose command line (its arguments joined by spaces) contains `fragment`.
std::vector<pid_t> processes_with_cmdline(const std::string& fragment);

// A request of the wire protocol (docs/protocol.md): `fields` with v 1, the op and an id.
inline nlohmann::json bus_request(const char* op, nlohmann::json fields = nlohmann::json::object(), const char* id = "k") {
  fields["v"] = 1;
  fields["op"] = op;
  fields["id"] = id;
  return fields;
}

// Calls `read` until `done` holds for what it returned or `within` has passed, pausing `every` between calls;
// returns the last value read. The tests' waits for a record or a status to reach a state.
template <class Read, class Done,
          class = std::enable_if_t<std::is_invocable_r_v<bool, Done&, const std::invoke_result_t<Read&>&>>>
auto poll_until(Read read, Done done, std::chrono::milliseconds within,
                std::chrono::milliseconds every = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  auto value = read();
  while (!done(value) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(every);
    value = read();
  }
  return value;
}

// The same for a condition: calls `holds` until it returns true or `within` has passed; returns whether it held.
template <class Holds>
bool poll_until(Holds holds, std::chrono::milliseconds within,
                std::chrono::milliseconds every = std::chrono::milliseconds(100)) {
  return poll_until(holds, [](bool held) { return held; }, within, every);
}

// Waits until `file` holds a first line (one a program the daemon ran writes); returns it, or "" when none came
// within `within`.
std::string first_line_of(const std::filesystem::path& file, std::chrono::milliseconds within = std::chrono::seconds(10));

// The system clock in milliseconds since the epoch, as the daemon reports its deadlines (a breaker's
// open_until_ms, a job's next_due_ms).
std::int64_t wall_clock_ms();
// Waits until the system clock has passed `epoch_ms`: for a test that needs a deadline the daemon reported
// to be behind it, however long the machine took to get here.
void wait_past_wall_clock(std::int64_t epoch_ms);

// Sends one request to the daemon on a new peer and returns its last reply (an empty object when none came).
// `v` and `id` are added when the request has none.
nlohmann::json request(const daemon_process& d, nlohmann::json req);

}  // namespace paios::test
