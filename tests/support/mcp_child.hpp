#pragma once
// An MCP server as its client sees it: a child process (`ai mcp`) with a pipe on its stdin and one on its
// stdout, one JSON-RPC message per line. Header-only and without GoogleTest, so that the integration tests and
// the soak benchmark (bench/mcp_soak.cpp) drive it the same way.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.hpp"

namespace paios::test {

class mcp_child {
 public:
  using ms = std::chrono::milliseconds;

  // Starts argv[0] with argv; its stderr goes to a temporary file (err() reads it).
  explicit mcp_child(const std::vector<std::string>& argv) {
    char path[] = "/tmp/paios-mcp-stderr-XXXXXX";
    int err = mkostemp(path, O_CLOEXEC);
    if (err < 0) throw std::runtime_error("mkostemp");
    stderr_path_ = path;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe");
    std::vector<std::string> args = argv;
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err, 2);
      execv(cargs[0], cargs.data());
      _exit(127);
    }
    close(err);
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }

  ~mcp_child() {
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    unlink(stderr_path_.c_str());
  }
  mcp_child(const mcp_child&) = delete;
  mcp_child& operator=(const mcp_child&) = delete;

  pid_t pid() const { return pid_; }

  void send_line(const std::string& line) {
    std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = ::write(in_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("the MCP server closed its stdin");
      done += static_cast<std::size_t>(n);
    }
  }
  void send(const nlohmann::json& message) { send_line(message.dump()); }

  // The next line on its stdout, as text; nullopt after `timeout` or at the end of its output.
  std::optional<std::string> read_line(ms timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        auto line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0 || out_ < 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      int r = poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char chunk[65536];
      auto n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) {
        close(out_);
        out_ = -1;
        return std::nullopt;
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // The next message; a line that is not JSON throws (stdout must carry nothing else).
  std::optional<nlohmann::json> read(ms timeout = ms(30000)) {
    auto line = read_line(timeout);
    if (!line) return std::nullopt;
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("not a JSON-RPC message on stdout: " + *line);
    return j;
  }

  // Sends a request and reads until the response with its id; what else arrives meanwhile (notifications,
  // other responses) is appended to `others`. A null json when no response came in time.
  nlohmann::json request(const nlohmann::json& id, const std::string& method, nlohmann::json params = nlohmann::json::object(),
                         std::vector<nlohmann::json>* others = nullptr, ms timeout = ms(30000)) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    return response_to(id, others, timeout);
  }
  nlohmann::json response_to(const nlohmann::json& id, std::vector<nlohmann::json>* others = nullptr, ms timeout = ms(30000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return nullptr;
      auto m = read(left);
      if (!m) return nullptr;
      if (m->contains("id") && (*m)["id"] == id && !m->contains("method")) return *m;
      if (others) others->push_back(std::move(*m));
    }
  }
  // A request id of its own for each call.
  nlohmann::json call_tool(const std::string& name, nlohmann::json arguments = nlohmann::json::object(),
                           std::vector<nlohmann::json>* others = nullptr, ms timeout = ms(30000)) {
    return request(next_id_++, "tools/call", {{"name", name}, {"arguments", std::move(arguments)}}, others, timeout);
  }
  void notify(const std::string& method, nlohmann::json params = nlohmann::json::object()) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }

  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  // The exit code (128 + signal when killed); -1 if it had not exited in time (it is then killed).
  int wait(ms timeout) {
    int status = 0;
    if (!poll_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout, ms(5))) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Resident memory (VmRSS) in KiB.
  long rss_kb() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
  }

  std::string err() const {
    std::ifstream f(stderr_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buf_;
  std::string stderr_path_;
  int next_id_ = 1000;
};

}  // namespace paios::test
