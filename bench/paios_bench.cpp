// paios_bench: the benchmark driver of the foundation. Starts real processes (a bare ZeroMQ echo server, a
// paiosd in a temporary PAIOS_HOME, `ai`, bench/min_client) and measures each target of docs/benchmarks.md
// in one run next to its floor. Prints a Markdown table; bench/run.sh records it with the machine.
//
//   paios_bench [--quick]            everything (quick: fewer iterations, for a smoke run)
//   paios_bench echo-server ENDPOINT (internal) the bare ROUTER echo used as the floor
//   paios_bench load ENDPOINT N       N tasks to the echo brain of a running daemon, 512 outstanding (profiling)
//   paios_bench latency ENDPOINT N    N tasks to the echo brain one at a time: submit → result p50, p99, p99.9, max
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.h>

namespace fs = std::filesystem;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

double us_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
}

struct stats {
  double p50 = 0, p99 = 0, mean = 0;
};

stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  stats s;
  if (v.empty()) return s;
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return s;
}

int echo_server(const char* endpoint) {
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, ZMQ_ROUTER);
  if (zmq_bind(s, endpoint) != 0) return 1;
  for (;;) {
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, s, 0) < 0) break;
    zmq_msg_recv(&body, s, 0);
    zmq_msg_send(&id, s, ZMQ_SNDMORE);
    zmq_msg_send(&body, s, 0);
  }
  return 0;
}

class dealer {
 public:
  explicit dealer(const std::string& endpoint) : ctx_(zmq_ctx_new()), s_(zmq_socket(ctx_, ZMQ_DEALER)) {
    int zero = 0, hwm = 0;
    zmq_setsockopt(s_, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s_, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s_, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_connect(s_, endpoint.c_str());
  }
  ~dealer() {
    zmq_close(s_);
    zmq_ctx_term(ctx_);
  }
  void send(const std::string& frame) { zmq_send(s_, frame.data(), frame.size(), 0); }
  std::string recv(int timeout_ms = 10000) {
    zmq_pollitem_t item{s_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) != 1) return {};
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, s_, 0);
    std::string out(static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m));
    zmq_msg_close(&m);
    return out;
  }

 private:
  void* ctx_;
  void* s_;
};

std::vector<double> round_trips(const std::string& endpoint, int n) {
  dealer d{endpoint};
  const std::string ping = R"({"v":1,"op":"ping","id":"b"})";
  for (int i = 0; i < 200; ++i) {  // warm-up, and wait for the connection
    d.send(ping);
    d.recv();
  }
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto t0 = clock_type::now();
    d.send(ping);
    d.recv();
    v.push_back(us_since(t0));
  }
  return v;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& stderr_file = "/dev/null") {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

double run_wall_us(const std::vector<std::string>& args) {
  auto t0 = clock_type::now();
  pid_t pid = spawn(args);
  int status;
  waitpid(pid, &status, 0);
  return us_since(t0);
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

struct daemon_under_test {
  fs::path home;
  pid_t pid = -1;
  std::string endpoint;

  explicit daemon_under_test(const json& config) {
    char templ[] = "/tmp/paios-bench-XXXXXX";
    home = mkdtemp(templ);
    std::ofstream(home / "config.json") << config.dump();
    endpoint = "ipc://" + (home / "run" / "paiosd.sock").string();
    pid = spawn({std::string(PAIOS_BINARY_DIR) + "/daemon/paiosd", "--home", home.string()},
                (home / "stderr.log").string());
    for (int i = 0; i < 500 && !fs::exists(home / "run" / "paiosd.sock"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    dealer d{endpoint};
    d.send(R"({"v":1,"op":"ping"})");
    d.recv(10000);
  }
  ~daemon_under_test() {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    fs::remove_all(home);
  }
};

std::string submit_frame(const std::string& prompt, const std::string& brain, bool stream) {
  return json{{"v", 1}, {"op", "task.submit"}, {"prompt", prompt}, {"brain", brain}, {"stream", stream}}.dump();
}

bool is_terminal(const std::string& frame) {
  return frame.find("\"type\":\"result\"") != std::string::npos || frame.find("\"type\":\"error\"") != std::string::npos;
}

std::vector<double> submit_latency(const std::string& endpoint, const std::string& brain, const std::string& prompt,
                                   int n) {
  dealer d{endpoint};
  auto frame = submit_frame(prompt, brain, true);
  std::vector<double> v;
  for (int i = 0; i < n + 50; ++i) {
    auto t0 = clock_type::now();
    d.send(frame);
    for (;;) {
      auto r = d.recv();
      if (r.empty() || is_terminal(r)) break;
    }
    if (i >= 50) v.push_back(us_since(t0));
  }
  return v;
}

// Keeps `window` tasks outstanding until `total` have finished; returns tasks per second.
double throughput(const std::string& endpoint, int total, int window, bool stream) {
  dealer d{endpoint};
  auto frame = submit_frame("throughput", "echo", stream);
  int sent = 0, done = 0;
  auto t0 = clock_type::now();
  while (sent < window && sent < total) {
    d.send(frame);
    ++sent;
  }
  while (done < total) {
    auto r = d.recv();
    if (r.empty()) break;
    if (!is_terminal(r)) continue;
    ++done;
    if (sent < total) {
      d.send(frame);
      ++sent;
    }
  }
  return done / (us_since(t0) / 1e6);
}

std::vector<double> direct_child_us(const std::string& prompt, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) break;
    auto t0 = clock_type::now();
    pid_t pid = fork();
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execl("/bin/cat", "cat", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    [[maybe_unused]] auto w = write(in[1], prompt.data(), prompt.size());
    close(in[1]);
    char buf[4096];
    while (read(out[0], buf, sizeof buf) > 0) {
    }
    close(out[0]);
    waitpid(pid, nullptr, 0);
    v.push_back(us_since(t0));
  }
  return v;
}

void row(const char* what, const std::string& measured, const std::string& floor, const std::string& target,
         bool ok) {
  std::printf("| %s | %s | %s | %s | %s |\n", what, measured.c_str(), floor.c_str(), target.c_str(), ok ? "met" : "NOT met");
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "echo-server") return echo_server(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "load") {  // for profiling a daemon started by hand
    std::printf("%.0f tasks/s\n", throughput(argv[2], std::atoi(argv[3]), 512, false));
    return 0;
  }
  if (argc == 4 && std::string(argv[1]) == "latency") {
    auto v = submit_latency(argv[2], "echo", "hello mesh", std::max(1, std::atoi(argv[3])));
    auto s = summarize(v);
    std::sort(v.begin(), v.end());
    std::printf("%.0f %.0f %.0f %.0f µs: p50 p99 p99.9 max\n", s.p50, s.p99, v[v.size() * 999 / 1000], v.back());
    return 0;
  }
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int rtt_n = quick ? 2000 : 20000;
  const int tasks_total = quick ? 10000 : 100000;
  const std::string self = fs::canonical("/proc/self/exe").string();
  const std::string bin = PAIOS_BINARY_DIR;

  std::printf("| measure | PAIOS | floor / baseline (same run) | target | |\n|---|---|---|---|---|\n");

  // 1. Round trip: bare ROUTER echo vs ping through paiosd, interleaved so both see the same machine state.
  char templ[] = "/tmp/paios-floor-XXXXXX";
  fs::path floor_dir = mkdtemp(templ);
  std::string floor_ep = "ipc://" + (floor_dir / "echo.sock").string();
  pid_t echo = spawn({self, "echo-server", floor_ep});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  json config{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
              {"router", {{"threshold", 1}, {"chains", {{"chat", {"echo"}}}}}},
              {"brains", {{"cat", {{"kind", "process"}, {"command", {"/bin/cat"}}, {"format", "text"}}}}},
              {"log", {{"level", "warn"}}}};
  daemon_under_test d{config};
  long idle_rss = rss_kb(d.pid);
  std::vector<double> floor_v, ping_v;
  for (int round = 0; round < 5; ++round) {
    auto f = round_trips(floor_ep, rtt_n / 5);
    auto p = round_trips(d.endpoint, rtt_n / 5);
    floor_v.insert(floor_v.end(), f.begin(), f.end());
    ping_v.insert(ping_v.end(), p.begin(), p.end());
  }
  auto fs_ = summarize(floor_v), ps = summarize(ping_v);
  row("ping round trip p50 (ipc)", fmt("%.1f µs", ps.p50), fmt("%.1f µs bare ROUTER echo", fs_.p50), "≤ 1.3× floor",
      ps.p50 <= 1.3 * fs_.p50);
  kill(echo, SIGKILL);
  waitpid(echo, nullptr, 0);
  fs::remove_all(floor_dir);

  // 2. Submit to result through the echo brain.
  auto sl = summarize(submit_latency(d.endpoint, "echo", "hello mesh", quick ? 2000 : 10000));
  row("submit → result, echo brain, p50", fmt("%.0f µs", sl.p50), fmt("p99 %.0f µs", sl.p99), "p50 < 1 ms",
      sl.p50 < 1000);

  // 3. Sustained throughput, then memory.
  double tps = throughput(d.endpoint, tasks_total, 512, false);
  double tps_stream = throughput(d.endpoint, tasks_total / 4, 512, true);
  row("sustained tasks/s, echo brain (no chunks)", fmt("%.0f", tps), fmt("%.0f with streamed chunks", tps_stream),
      "≥ 20,000/s", tps >= 20000);
  long after_rss = rss_kb(d.pid);
  row("daemon RSS idle", fmt("%.1f MB", idle_rss / 1024.0), "", "< 30 MB", idle_rss < 30 * 1024);
  row(("RSS growth after " + std::to_string(tasks_total + tasks_total / 4) + " tasks").c_str(),
      fmt("%.1f MB", (after_rss - idle_rss) / 1024.0), fmt("%.1f MB total", after_rss / 1024.0), "< 5 MB",
      after_rss - idle_rss < 5 * 1024);
  // A leak grows with every task; a cache or an arena fills once. Another round tells them apart.
  throughput(d.endpoint, tasks_total, 512, false);
  long again_rss = rss_kb(d.pid);
  row(("RSS growth over " + std::to_string(tasks_total) + " more tasks").c_str(),
      fmt("%.1f MB", (again_rss - after_rss) / 1024.0), fmt("%.1f MB total", again_rss / 1024.0), "no leak (≈ 0)",
      again_rss - after_rss < 1024);

  // 4. Subprocess brain overhead: /bin/cat through paiosd vs the same fork+exec+pipe done directly.
  std::string prompt(4096, 'p');
  auto via = summarize(submit_latency(d.endpoint, "cat", prompt, quick ? 100 : 500));
  auto direct = summarize(direct_child_us(prompt, quick ? 100 : 500));
  row("subprocess brain overhead (p50)", fmt("%.2f ms", (via.p50 - direct.p50) / 1000),
      fmt("child alone %.2f ms", direct.p50 / 1000), "< 5 ms", via.p50 - direct.p50 < 5000);

  // 5. `ai ping` wall time vs the minimal C client, interleaved.
  std::vector<double> ai_v, c_v;
  for (int i = 0; i < (quick ? 50 : 300); ++i) {
    ai_v.push_back(run_wall_us(std::vector<std::string>{bin + "/cli/ai", "--home", d.home.string(), "ping"}));
    c_v.push_back(run_wall_us(std::vector<std::string>{bin + "/bench/min_client", d.endpoint}));
  }
  auto as = summarize(ai_v), cs = summarize(c_v);
  row("`ai ping` wall time p50", fmt("%.2f ms", as.p50 / 1000), fmt("%.2f ms minimal C client", cs.p50 / 1000),
      "≤ 1.5× C client", as.p50 <= 1.5 * cs.p50);
  return 0;
}
