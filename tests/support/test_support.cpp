#include "tests/support/test_support.hpp"

#include "core/process/proc_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <zmq.h>

extern char** environ;

namespace paios::test {

temp_dir::temp_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / "paios-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path write_script(const std::filesystem::path& dir, const std::string& name, const std::string& body) {
  const auto file = dir / name;
  std::ofstream{file} << "#!/bin/sh\n" << body << "\n";
  std::filesystem::permissions(file, std::filesystem::perms::owner_all);
  return file;
}

std::filesystem::path source_dir() { return PAIOS_SOURCE_DIR; }
std::filesystem::path binary_dir() { return PAIOS_BINARY_DIR; }
std::filesystem::path fake_agent(const std::string& name) { return source_dir() / "tests" / "fake_agents" / name; }
std::filesystem::path paiosd_path() { return binary_dir() / "daemon" / "paiosd"; }
std::filesystem::path ai_path() { return binary_dir() / "cli" / "ai"; }

namespace {

std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry{*e};
    bool overridden = false;
    for (auto& [k, v] : extra)
      if (entry.rfind(k + "=", 0) == 0) overridden = true;
    if (!overridden) env.push_back(entry);
  }
  for (auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// A program may exit without reading all of its stdin: the write then fails with EPIPE instead of killing the
// test. SIGPIPE is blocked in this thread only (other threads and the programs started keep the default), and one
// the write raised is taken off before it is unblocked.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_signal, before;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &before);
  auto n = write(fd, data, size);
  const int error = errno;
  if (n < 0 && error == EPIPE) {
    timespec now{};
    sigtimedwait(&pipe_signal, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  errno = error;
  return n;
}

}  // namespace

run_result run_program(const std::vector<std::string>& argv_in,
                       const std::vector<std::pair<std::string, std::string>>& env_in, const std::string& stdin_data,
                       std::chrono::milliseconds timeout) {
  auto argv_s = argv_in;
  auto env_s = environment_with(env_in);
  auto argv = c_strings(argv_s);
  auto envp = c_strings(env_s);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  run_result r;
  std::size_t written = 0;
  if (stdin_data.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}, {in[1], POLLOUT, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      auto n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      else (i == 0 ? out_open : err_open) = false;
    }
    if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      auto n = write_without_sigpipe(in[1], stdin_data.data() + written, stdin_data.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 || written == stdin_data.size()) {
        close(in[1]);
        in[1] = -1;
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = decode_status(status);
  return r;
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    auto j = nlohmann::json::parse(out.substr(start, end - start), nullptr, false);
    if (end > start && !j.is_discarded()) lines.push_back(std::move(j));
    start = end + 1;
  }
  return lines;
}

wire_peer::wire_peer(const std::string& endpoint) : ctx_(zmq_ctx_new()), socket_(zmq_socket(ctx_, ZMQ_DEALER)) {
  int zero = 0;
  zmq_setsockopt(socket_, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_connect(socket_, endpoint.c_str()) != 0) throw std::runtime_error("connect " + endpoint);
}

wire_peer::~wire_peer() {
  zmq_close(socket_);
  zmq_ctx_term(ctx_);
}

void wire_peer::send(const nlohmann::json& request) { send_frames({request.dump()}); }

void wire_peer::send_frames(const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i)
    zmq_send(socket_, frames[i].data(), frames[i].size(), i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
}

std::optional<nlohmann::json> wire_peer::receive(std::chrono::milliseconds timeout) {
  zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, static_cast<long>(timeout.count())) <= 0) return std::nullopt;
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  zmq_msg_recv(&msg, socket_, 0);
  auto data = static_cast<const char*>(zmq_msg_data(&msg));
  auto j = nlohmann::json::parse(data, data + zmq_msg_size(&msg), nullptr, false);
  zmq_msg_close(&msg);
  return j;
}

std::vector<nlohmann::json> wire_peer::exchange(const nlohmann::json& request, std::chrono::milliseconds timeout) {
  send(request);
  std::vector<nlohmann::json> replies;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto r = receive(left);
    if (!r) break;
    replies.push_back(*r);
    auto type = r->value("type", "");
    if (type != "accepted" && type != "routed" && type != "chunk") break;
  }
  return replies;
}

daemon_process::daemon_process(const nlohmann::json& config) {
  stderr_file_ = home_.path() / "paiosd.stderr";
  write_config(config);
}

daemon_process::~daemon_process() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void daemon_process::write_config(const nlohmann::json& config) {
  auto c = config;
  if (c.is_object() && !c.contains("router") && c.contains("tasks") && c["tasks"].contains("default_brain"))
    c["router"] = {{"threshold", 1}, {"chains", {{"chat", {c["tasks"]["default_brain"]}}}}};
  // Tests run side by side: no fixed HTTP port unless a test asks for one.
  if (c.is_object() && !(c.contains("obs") && c["obs"].contains("http"))) c["obs"]["http"]["endpoint"] = "";
  std::ofstream(home_.path() / "config.json") << c.dump(2);
}

std::string daemon_process::endpoint() const { return "ipc://" + (home_.path() / "run" / "paiosd.sock").string(); }
std::string daemon_process::events_endpoint() const {
  return "ipc://" + (home_.path() / "run" / "events.sock").string();
}

std::string daemon_process::log() const {
  std::ifstream in(stderr_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Where each thread of `pid` waits in the kernel (/proc/<pid>/task/<tid>/wchan, with its name): what a process
// that does not answer is stuck on.
std::string thread_waits(pid_t pid) {
  std::string out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream comm(task.path() / "comm"), wchan(task.path() / "wchan");
    std::string name, where;
    std::getline(comm, name);
    std::getline(wchan, where);
    out += (out.empty() ? "" : ", ") + task.path().filename().string() + " " + name + ": " + (where.empty() ? "running" : where);
  }
  return out.empty() ? std::string{"(no threads readable)"} : out;
}

}  // namespace

void daemon_process::start(std::chrono::milliseconds timeout) {
  auto exe = paiosd_path().string();
  auto home = home_.path().string();
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 2);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    // The daemon gets the tests' fake agents first on PATH.
    std::string path = "PATH=" + (source_dir() / "tests" / "fake_agents").string() + ":" + std::getenv("PATH");
    putenv(path.data());
    std::string tag = "PAIOS_TEST_TAG=" + home;
    putenv(tag.data());
    for (auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    execl(exe.c_str(), exe.c_str(), "--home", home.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("paiosd exited with " + std::to_string(decode_status(status)) + ": " + log());
    }
    if (std::filesystem::exists(home_.path() / "run" / "paiosd.sock")) {
      wire_peer peer{endpoint()};
      peer.send({{"v", 1}, {"op", "ping"}});
      if (auto r = peer.receive(std::chrono::milliseconds(500)); r && r->value("type", "") == "pong") return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("paiosd did not answer ping in time; its threads wait in: " + thread_waits(pid_) +
                           "\nits log: " + log());
}

int daemon_process::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, sig);
  int status = 0;
  auto reaped = [&] { return waitpid(pid_, &status, WNOHANG) == pid_; };
  if (poll_until(reaped, timeout, std::chrono::milliseconds(10))) {
    pid_ = -1;
    return decode_status(status);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -2;  // did not stop in time
}

void daemon_process::kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::vector<pid_t> daemon_process::agents() const {
  auto all = processes_with_env("PAIOS_TEST_TAG=" + home_.path().string());
  std::vector<pid_t> out;
  for (auto pid : all)
    if (pid != pid_) out.push_back(pid);
  return out;
}

bool daemon_process::agent_runs(const std::string& program, std::chrono::milliseconds within) const {
  auto one_runs_it = [&] {
    for (auto pid : agents()) {
      const auto cmdline = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
      if (cmdline.find(program) != std::string::npos) return true;
    }
    return false;
  };
  return poll_until(one_runs_it, within, std::chrono::milliseconds(20));
}

bool daemon_process::agents_gone(std::chrono::milliseconds within) const {
  return poll_until([&] { return agents().empty(); }, within, std::chrono::milliseconds(20));
}

bool daemon_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_code_ = decode_status(status);  // reaped here: stop() reports it
  pid_ = -1;
  return false;
}

run_result daemon_process::ai(const std::vector<std::string>& args, const std::string& stdin_data,
                              std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{ai_path().string(), "--home", home_.path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, {}, stdin_data, timeout);
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(line.substr(close_paren + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(std::stoi(name));
  }
  return out;
}

namespace {

// Processes whose /proc/<pid>/<file> passes `matches`. A zombie's environ and cmdline read empty, so a test
// that looks for a non-empty pattern finds live processes only.
std::vector<pid_t> processes_whose(const char* file, const std::function<bool(const std::string&)>& matches) {
  std::vector<pid_t> out;
  for (auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // read_proc_file: a process that exits between the listing and the read is an empty text, not an exception.
    if (matches(read_proc_file((entry.path() / file).string())))
      out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace

std::vector<pid_t> processes_with_env(const std::string& wanted) {
  return processes_whose("environ", [&](const std::string& data) {
    for (std::size_t pos = 0; pos < data.size();) {
      auto end = data.find('\0', pos);
      if (end == std::string::npos) end = data.size();
      if (data.compare(pos, end - pos, wanted) == 0) return true;
      pos = end + 1;
    }
    return false;
  });
}

std::vector<pid_t> processes_with_cmdline(const std::string& fragment) {
  return processes_whose("cmdline", [&](std::string cmdline) {
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    return cmdline.find(fragment) != std::string::npos;
  });
}

std::string first_line_of(const std::filesystem::path& file, std::chrono::milliseconds within) {
  auto read = [&] {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
  };
  return poll_until(read, [](const std::string& line) { return !line.empty(); }, within);
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void wait_past_wall_clock(std::int64_t epoch_ms) {
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(epoch_ms + 1)));
}

nlohmann::json request(const daemon_process& d, nlohmann::json req) {
  if (!req.contains("v")) req["v"] = 1;
  if (!req.contains("id")) req["id"] = "t";
  wire_peer peer(d.endpoint());
  auto replies = peer.exchange(req);
  return replies.empty() ? nlohmann::json::object() : replies.back();
}

pid_t spawn_to_files(const std::vector<std::string>& argv_in, const std::filesystem::path& out,
                     const std::filesystem::path& err) {
  auto argv_s = argv_in;
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&files, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&files);
  return pid;
}

}  // namespace paios::test
