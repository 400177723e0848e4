// mcp_bench: `ai mcp` under load (docs/benchmarks.md, "MCP server"). Starts paiosd in a temporary PAIOS_HOME
// with the knowledge base of tests/data/kb/corpus, and one `ai mcp` process with pipes, as an MCP client would.
//   round trip   tools/call of kb_search and of router_classify, one at a time, each interleaved with the same
//                bus operation sent straight to paiosd over a DEALER (the floor: what the MCP layer adds is the
//                difference); p50 and p99.
//   soak         consecutive tools/calls through the one process (a mix: router_classify, kb_search,
//                task_submit on the echo brain with a progress token, task_status), checking every answer;
//                the server's resident memory after the warm-up and at the end, and the daemon's.
//
//   mcp_bench [--calls N (default 100000)] [--round-trips N (default 5000)] [--quick]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.h>

#include "tests/support/mcp_child.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;
using paios::test::mcp_child;

namespace {

double us_since(clock_type::time_point t0) { return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count(); }

struct percentiles {
  double p50 = 0, p99 = 0;
};
percentiles summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return {};
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]};
}

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// User + system CPU time of a process, in microseconds.
double cpu_us(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return (utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int run(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct daemon_under_test {
  fs::path home;
  pid_t pid = -1;
  std::string ai = std::string(PAIOS_BINARY_DIR) + "/cli/ai";

  daemon_under_test() {
    char templ[] = "/tmp/paios-mcp-bench-XXXXXX";
    home = mkdtemp(templ);
    json config = {{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
                   {"obs", {{"http", {{"endpoint", ""}}}}}};
    std::ofstream(home / "config.json") << config.dump();
    pid = fork();
    if (pid == 0) {
      int fd = open((home / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 2);
      execl(PAIOS_BINARY_DIR "/daemon/paiosd", "paiosd", "--home", home.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      if (run({ai, "--home", home.string(), "ping"}) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "paiosd did not start\n");
    std::exit(1);
  }
  ~daemon_under_test() {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    fs::remove_all(home);
  }
  std::string endpoint() const { return "ipc://" + (home / "run" / "paiosd.sock").string(); }
};

// The floor: the same bus operation, straight to paiosd.
class dealer {
 public:
  explicit dealer(const std::string& endpoint) : ctx_(zmq_ctx_new()), s_(zmq_socket(ctx_, ZMQ_DEALER)) {
    int zero = 0;
    zmq_setsockopt(s_, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(s_, endpoint.c_str());
  }
  ~dealer() {
    zmq_close(s_);
    zmq_ctx_term(ctx_);
  }
  json call(const json& req) {
    auto frame = req.dump();
    zmq_send(s_, frame.data(), frame.size(), 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, s_, 0);
    auto data = static_cast<const char*>(zmq_msg_data(&m));
    auto j = json::parse(data, data + zmq_msg_size(&m));
    zmq_msg_close(&m);
    return j;
  }

 private:
  void* ctx_;
  void* s_;
};

const char* kQueries[] = {"promote the standby replica", "zeromq high water mark", "sourdough starter feeding",
                          "git bisect a regression", "systemd user timer backup", "flamegraph perf record"};
const char* kPrompt = "review this function for race conditions and suggest a fix";

int fail(const std::string& what, const json& got, const mcp_child& m) {
  std::fprintf(stderr, "FAILED: %s\n  got: %s\n  ai mcp stderr: %s\n", what.c_str(), got.dump().substr(0, 400).c_str(),
               m.err().substr(0, 2000).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  long calls = 100000, round_trips = 5000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") calls = 10000, round_trips = 500;
    else if (a == "--calls" && i + 1 < argc) calls = std::atol(argv[++i]);
    else if (a == "--round-trips" && i + 1 < argc) round_trips = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "usage: mcp_bench [--calls N] [--round-trips N] [--quick]\n");
      return 2;
    }
  }
  daemon_under_test d;
  if (run({d.ai, "--home", d.home.string(), "kb", "add", std::string(PAIOS_SOURCE_DIR) + "/tests/data/kb/corpus"}) != 0) {
    std::fprintf(stderr, "ai kb add failed\n");
    return 1;
  }
  mcp_child m{{d.ai, "--home", d.home.string(), "mcp"}};
  auto init = m.request(0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()},
                                          {"clientInfo", {{"name", "mcp_bench"}, {"version", "1"}}}});
  if (!init.contains("result")) return fail("initialize", init, m);
  m.notify("notifications/initialized");
  std::printf("ai mcp pid %d, paiosd pid %d; RSS at start: ai mcp %.1f MB\n", m.pid(), d.pid, rss_kb(m.pid()) / 1024.0);

  // ---- round trips --------------------------------------------------------------------------------------
  dealer direct{d.endpoint()};
  long id = 1;
  for (const char* tool : {"kb_search", "router_classify"}) {
    const bool search = std::string{tool} == "kb_search";
    std::vector<double> via_mcp, floor;
    double cpu = 0;
    for (long i = -200; i < round_trips; ++i) {  // 200 warm-up calls
      json args = search ? json{{"query", kQueries[(i + 200) % 6]}, {"k", 5}} : json{{"prompt", kPrompt}};
      json bus = args;
      bus["v"] = 1;
      bus["op"] = search ? "kb.search" : "route.classify";
      bus["id"] = "b";
      // The two alternate which goes first, so that neither profits from the other's warm caches.
      for (int order = 0; order < 2; ++order) {
        if ((order == 0) == (i % 2 == 0)) {
          const double cpu0 = cpu_us(m.pid());
          auto t0 = clock_type::now();
          auto r = m.request(id++, "tools/call", {{"name", tool}, {"arguments", args}});
          const double us = us_since(t0);
          if (r["result"].value("isError", true)) return fail(tool, r, m);
          if (i >= 0) {
            via_mcp.push_back(us);
            cpu += cpu_us(m.pid()) - cpu0;
          }
        } else {
          auto t0 = clock_type::now();
          auto b = direct.call(bus);
          const double us = us_since(t0);
          if (b.value("type", "") == "error") return fail(std::string{tool} + " (direct)", b, m);
          if (i >= 0) floor.push_back(us);
        }
      }
    }
    auto a = summarize(via_mcp), f = summarize(floor);
    std::printf("| tools/call %s round trip (%ld calls) | p50 %.0f µs, p99 %.0f µs | bus op direct: p50 %.0f µs, p99 %.0f µs | +%.0f µs p50; ai mcp CPU %.0f µs a call |\n",
                tool, round_trips, a.p50, a.p99, f.p50, f.p99, a.p50 - f.p50, cpu / static_cast<double>(round_trips));
  }

  // ---- soak ---------------------------------------------------------------------------------------------
  const long warmup = std::min(calls / 10, 10000L);
  long rss_warm = 0, rss_max = 0, daemon_warm = 0;
  std::string task_id;
  auto t_start = clock_type::now();
  for (long i = 0; i < calls; ++i) {
    json params;
    const int kind = static_cast<int>(i % 10);
    if (kind < 4) params = {{"name", "router_classify"}, {"arguments", {{"prompt", kPrompt}}}};
    else if (kind < 7) params = {{"name", "kb_search"}, {"arguments", {{"query", kQueries[i % 6]}, {"k", 3}}}};
    else if (kind < 9)
      params = {{"name", "task_submit"}, {"arguments", {{"prompt", "soak " + std::to_string(i)}, {"brain", "echo"}}},
                {"_meta", {{"progressToken", i}}}};
    else params = {{"name", "task_status"}, {"arguments", {{"task_id", task_id}}}};
    std::vector<json> notes;
    auto r = m.request(id++, "tools/call", params, &notes);
    if (!r.contains("result") || r["result"].value("isError", true)) return fail("call " + std::to_string(i), r, m);
    if (kind == 7 || kind == 8) {
      task_id = r["result"]["structuredContent"].value("task_id", "");
      if (notes.size() < 2) return fail("progress of call " + std::to_string(i), r, m);
    }
    if (i + 1 == warmup) {
      rss_warm = rss_kb(m.pid());
      daemon_warm = rss_kb(d.pid);
    }
    if ((i + 1) % 10000 == 0) {
      auto now = rss_kb(m.pid());
      rss_max = std::max(rss_max, now);
      std::printf("  %7ld calls: ai mcp RSS %.2f MB, paiosd RSS %.1f MB, %.0f calls/s\n", i + 1, now / 1024.0,
                  rss_kb(d.pid) / 1024.0, (i + 1) / (us_since(t_start) / 1e6));
      std::fflush(stdout);
    }
  }
  const double secs = us_since(t_start) / 1e6;
  const long rss_end = rss_kb(m.pid());
  std::printf("| soak: %ld consecutive tools/calls through one ai mcp | %.0f s, %.0f calls/s, no error |\n", calls, secs,
              calls / secs);
  std::printf("| ai mcp RSS after %ld warm-up calls / at the end | %.2f MB / %.2f MB (growth %+ld KiB; max seen %.2f MB) |\n",
              warmup, rss_warm / 1024.0, rss_end / 1024.0, rss_end - rss_warm, rss_max / 1024.0);
  std::printf("| paiosd RSS after the warm-up / at the end | %.1f MB / %.1f MB |\n", daemon_warm / 1024.0,
              rss_kb(d.pid) / 1024.0);
  m.close_stdin();
  const int code = m.wait(std::chrono::milliseconds(10000));
  std::printf("ai mcp exit code at the end of its input: %d\n", code);
  return code == 0 ? 0 : 1;
}
