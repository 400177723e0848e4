// hook_bench: `ai hook post-tool-use` wall time, process start to exit, side by side with the minimal C ZeroMQ
// client (bench/min_client.c: one ping) and the same hook written in Python with pyzmq (bench/hook_pyzmq.py),
// interleaved round by round so that a noisy machine moves all three; with paiosd up, then with it down (the
// hook then spools, fsync included). The same for `ai hook pre-tool-use` (the autonomy gate, issue 18): a safe
// call (paiosd's gate answers allow; down, `ai` checks the built-in never rules itself and leaves the call to the
// agent) and a never one (denied by the gate; down, by `ai`'s own check). Each answer is checked once before the
// timed rounds. Figures in docs/benchmarks.md, "Hooks" and "Autonomy policy". Run by bench/hook_bench.sh.
//
//   hook_bench BUILD_DIR SOURCE_DIR [N]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

// Runs argv with stdin from `in` (or /dev/null), stdout and stderr to /dev/null; the wall time in µs, or -1.
// `out`: a file for its stdout (else /dev/null).
double run_us(const std::vector<std::string>& argv, const std::string& in, const std::vector<std::string>& env,
              int* status_out = nullptr, const std::string& out = "") {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.empty() ? "/dev/null" : in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.empty() ? "/dev/null" : out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  auto start = clk::now();
  pid_t pid;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data()) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  auto us = std::chrono::duration<double, std::micro>(clk::now() - start).count();
  posix_spawn_file_actions_destroy(&fa);
  if (status_out) *status_out = status;
  return us;
}

struct stats {
  double p50, p90, p99, mean;
};

stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))] / 1000.0; };
  double sum = 0;
  for (double x : v) sum += x;
  return {at(0.5), at(0.9), at(0.99), sum / v.size() / 1000.0};
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs the hook once and checks that its answer holds `expect` ("" : that it prints nothing); false otherwise.
bool answers(const std::vector<std::string>& argv, const std::string& in, const std::vector<std::string>& env,
             const fs::path& out, const std::string& expect, const char* what) {
  run_us(argv, in, env, nullptr, out.string());
  auto got = read_file(out);
  bool ok = expect.empty() ? got.find_first_not_of(" \n") == std::string::npos : got.find(expect) != std::string::npos;
  if (!ok) std::fprintf(stderr, "hook_bench: %s: expected %s, got: %s\n", what, expect.empty() ? "no output" : expect.c_str(), got.c_str());
  return ok;
}

void row(const char* name, const stats& s) {
  std::printf("| %-44s | %8.2f | %8.2f | %8.2f | %8.2f |\n", name, s.p50, s.p90, s.p99, s.mean);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: hook_bench BUILD_DIR SOURCE_DIR [N]\n");
    return 2;
  }
  const fs::path build = argv[1], source = argv[2];
  const int n = argc > 3 ? std::atoi(argv[3]) : 200;
  const auto paiosd = (build / "daemon/paiosd").string(), ai = (build / "cli/ai").string(),
             min_client = (build / "bench/min_client").string();
  const auto py = (source / "bench/hook_pyzmq.py").string();
  const auto payload = (source / "tests/data/hooks/post_tool_use_bash.json").string();
  const auto pre_safe = (source / "tests/data/hooks/pre_tool_use.json").string();  // grep -rn ... src/
  char tmpl[] = "/tmp/paios-hook-bench-XXXXXX";
  const fs::path home = mkdtemp(tmpl);
  const auto pre_never = (home / "pre_tool_use_never.json").string();
  std::ofstream(pre_never) << R"({"session_id":"bench","cwd":"/home/dev/mesh-demo","hook_event_name":"PreToolUse",)"
                              R"("tool_name":"Bash","tool_input":{"command":"cd /tmp && sudo rm -fr ~"},"tool_use_id":"t1"})";
  const auto answer = home / "answer.json";
  const std::vector<std::string> pre{ai, "hook", "pre-tool-use"};
  std::ofstream(home / "config.json") << R"({"obs": {"http": {"endpoint": ""}}})";
  const std::string endpoint = "ipc://" + (home / "run/paiosd.sock").string();
  const std::vector<std::string> env{"PAIOS_HOME=" + home.string()};

  pid_t daemon;
  {
    std::vector<std::string> a{paiosd, "--home", home.string()};
    std::vector<char*> args;
    for (auto& s : a) args.push_back(s.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, (home / "paiosd.stderr").c_str(), O_WRONLY | O_CREAT, 0600);
    if (posix_spawn(&daemon, paiosd.c_str(), &fa, nullptr, args.data(), environ) != 0) return 1;
  }
  int status = 1;
  for (int i = 0; i < 200 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    run_us({min_client, endpoint}, "", {}, &status);
  }
  // Warm the page cache and the daemon's knowledge base.
  for (int i = 0; i < 10; ++i) {
    run_us({ai, "hook", "post-tool-use"}, payload, env);
    run_us({"/usr/bin/python3", py, "post-tool-use"}, payload, env);
    run_us({min_client, endpoint}, "", {});
  }
  if (!answers(pre, pre_safe, env, answer, "\"allow\"", "pre-tool-use, safe, daemon up") ||
      !answers(pre, pre_never, env, answer, "\"deny\"", "pre-tool-use, never, daemon up"))
    return 1;
  std::vector<double> c_up, ai_up, py_up, ai_down, py_down, safe_up, never_up, safe_down, never_down, c_pre;
  for (int i = 0; i < n; ++i) {
    c_up.push_back(run_us({min_client, endpoint}, "", {}));
    ai_up.push_back(run_us({ai, "hook", "post-tool-use"}, payload, env));
    py_up.push_back(run_us({"/usr/bin/python3", py, "post-tool-use"}, payload, env));
  }
  for (int i = 0; i < n; ++i) {
    c_pre.push_back(run_us({min_client, endpoint}, "", {}));
    safe_up.push_back(run_us(pre, pre_safe, env));
    never_up.push_back(run_us(pre, pre_never, env));
  }
  auto count_spooled = [&home] {
    std::size_t lines = 0;
    std::ifstream in(home / "spool/hooks.jsonl");
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  };
  const std::size_t spooled_up = count_spooled();
  kill(daemon, SIGTERM);
  waitpid(daemon, nullptr, 0);
  for (int i = 0; i < n; ++i) {
    ai_down.push_back(run_us({ai, "hook", "post-tool-use"}, payload, env));
    py_down.push_back(run_us({"/usr/bin/python3", py, "post-tool-use"}, payload, env));
  }
  const std::size_t spooled = count_spooled() - spooled_up;
  if (!answers(pre, pre_safe, env, answer, "", "pre-tool-use, safe, daemon down") ||
      !answers(pre, pre_never, env, answer, "\"deny\"", "pre-tool-use, never, daemon down"))
    return 1;
  for (int i = 0; i < n; ++i) {
    safe_down.push_back(run_us(pre, pre_safe, env));
    never_down.push_back(run_us(pre, pre_never, env));
  }
  std::printf("hook_bench: %d rounds, interleaved; wall time from spawn to exit, in ms\n\n", n);
  std::printf("| %-44s | %8s | %8s | %8s | %8s |\n", "measure", "p50", "p90", "p99", "mean");
  std::printf("|---|---|---|---|---|\n");
  auto c = summarize(c_up), a = summarize(ai_up), p = summarize(py_up), ad = summarize(ai_down), pd = summarize(py_down);
  row("min_client ping (C, daemon up)", c);
  row("ai hook post-tool-use (daemon up)", a);
  row("hook_pyzmq.py post-tool-use (daemon up)", p);
  row("ai hook post-tool-use (daemon down, spooled)", ad);
  row("hook_pyzmq.py post-tool-use (daemon down)", pd);
  auto cp = summarize(c_pre), su = summarize(safe_up), nu = summarize(never_up), sd = summarize(safe_down),
       nd = summarize(never_down);
  row("min_client ping (C, daemon up, PreToolUse rounds)", cp);
  row("ai hook pre-tool-use, safe: allow (daemon up)", su);
  row("ai hook pre-tool-use, never: deny (daemon up)", nu);
  row("ai hook pre-tool-use, safe: no answer (down)", sd);
  row("ai hook pre-tool-use, never: deny (down)", nd);
  std::printf("\nai hook / C client (p50): %.2fx   python / ai hook (p50): %.1fx   daemon down p99: %.2f ms\n",
              a.p50 / c.p50, p.p50 / a.p50, ad.p99);
  std::printf("pre-tool-use / C client (p50): safe %.2fx, never %.2fx (daemon up); safe %.2fx, never %.2fx (down)\n",
              su.p50 / cp.p50, nu.p50 / cp.p50, sd.p50 / cp.p50, nd.p50 / cp.p50);
  std::printf("spooled while the daemon was down: %zu of %d hooks; while it was up: %zu (slower than the deadline)\n",
              spooled, 2 * n, spooled_up);
  std::error_code ec;
  fs::remove_all(home, ec);
  return 0;
}
