#include "cli/hooks_install.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "messages/hook_event.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr int kHookTimeoutS = 10;  // Claude Code's limit for one run; the hook itself gives up far sooner

struct wanted {
  const char* event;  // Claude Code's name
  bool matcher;       // tool events take a matcher ("*": every tool); the others take none
};
constexpr wanted kWanted[] = {
    {"SessionStart", false}, {"UserPromptSubmit", false}, {"PostToolUse", true}, {"Stop", false}, {"SessionEnd", false}};

std::string shell_quote(const std::string& s) {
  static const std::regex plain("^[A-Za-z0-9/._+=:,@%-]+$");
  if (!s.empty() && std::regex_match(s, plain)) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

// A command that runs `ai hook`: PAIOS's own, whatever path or home it names.
bool is_ours(const ojson& hook) {
  if (!hook.is_object() || !hook.contains("command") || !hook["command"].is_string()) return false;
  static const std::regex re("^('[^']*/)?(\\S*/)?ai'?(\\s+--home\\s+('[^']*'|\\S+))?\\s+hook(\\s|$)");
  return std::regex_search(hook["command"].get<std::string>(), re);
}

ojson group_for(const wanted& w, const std::string& command) {
  ojson g = ojson::object();
  if (w.matcher) g["matcher"] = "*";
  g["hooks"] = ojson::array({ojson{{"type", "command"}, {"command", command}, {"timeout", kHookTimeoutS}}});
  return g;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : p.string();
}

}  // namespace

std::string hook_command(const std::string& ai_path, const std::string& home, const std::string& kebab_event) {
  std::string cmd = shell_quote(ai_path);
  if (!home.empty()) cmd += " --home " + shell_quote(home);
  return cmd + " hook " + kebab_event;
}

ojson merge_hook_settings(ojson settings, const std::string& ai_path, const std::string& home, std::string& error) {
  if (!settings.is_object()) {
    error = "the settings are not a JSON object";
    return settings;
  }
  auto original = settings;
  if (!settings.contains("hooks")) settings["hooks"] = ojson::object();
  auto& hooks = settings["hooks"];
  if (!hooks.is_object()) {
    error = "\"hooks\" is not an object";
    return original;
  }
  for (const auto& w : kWanted) {
    const auto desired = group_for(w, hook_command(ai_path, home, kebab_hook_event(w.event)));
    if (!hooks.contains(w.event)) hooks[w.event] = ojson::array();
    auto& groups = hooks[w.event];
    if (!groups.is_array()) {
      error = std::string{"\"hooks."} + w.event + "\" is not an array";
      return original;
    }
    bool kept = false;
    ojson merged = ojson::array();
    for (auto group : groups) {
      if (group == desired && !kept) {  // already as wanted, where it stands
        kept = true;
        merged.push_back(std::move(group));
        continue;
      }
      if (!group.is_object() || !group.contains("hooks") || !group["hooks"].is_array()) {
        merged.push_back(std::move(group));
        continue;
      }
      ojson rest = ojson::array();
      for (auto& h : group["hooks"])
        if (!is_ours(h)) rest.push_back(h);
      if (rest.size() == group["hooks"].size()) {
        merged.push_back(std::move(group));
      } else if (!rest.empty()) {  // another tool's hooks shared the group: they stay
        group["hooks"] = std::move(rest);
        merged.push_back(std::move(group));
      }
    }
    if (!kept) merged.push_back(desired);
    groups = std::move(merged);
  }
  return settings;
}

std::string unified_diff(const std::string& a, const std::string& b, const std::string& name_a, const std::string& name_b) {
  if (a == b) return {};
  auto x = lines_of(a), y = lines_of(b);
  const std::size_t n = x.size(), m = y.size();
  // Longest common subsequence (settings files are small).
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct op {
    char kind;  // ' ', '-', '+'
    std::size_t i, j;
  };
  std::vector<op> ops;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] == y[j]) ops.push_back({' ', i++, j++});
    else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push_back({'-', i++, j});
    else ops.push_back({'+', i, j++});
  }
  std::string out = "--- " + name_a + "\n+++ " + name_b + "\n";
  constexpr std::size_t ctx = 3;
  std::size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].kind == ' ') ++k;
    if (k == ops.size()) break;
    std::size_t start = k >= ctx ? k - ctx : 0, end = k;
    // Extend the hunk while changes come within 2*ctx lines of each other.
    for (std::size_t q = k; q < ops.size(); ++q) {
      if (ops[q].kind != ' ') end = q;
      else if (q - end > 2 * ctx) break;
    }
    std::size_t stop = std::min(ops.size(), end + ctx + 1);
    std::size_t a_start = ops[start].i, b_start = ops[start].j, a_len = 0, b_len = 0;
    for (std::size_t q = start; q < stop; ++q) {
      if (ops[q].kind != '+') ++a_len;
      if (ops[q].kind != '-') ++b_len;
    }
    out += "@@ -" + std::to_string(a_len ? a_start + 1 : a_start) + "," + std::to_string(a_len) + " +" +
           std::to_string(b_len ? b_start + 1 : b_start) + "," + std::to_string(b_len) + " @@\n";
    for (std::size_t q = start; q < stop; ++q)
      out += std::string(1, ops[q].kind) + (ops[q].kind == '+' ? y[ops[q].j] : x[ops[q].i]) + "\n";
    k = stop;
  }
  return out;
}

int hooks_install(const hooks_install_options& opt, std::ostream& out, std::ostream& err) {
  fs::path dir;
  if (opt.user) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) {
      err << "ai hooks install: HOME is not set; use --project DIR\n";
      return 1;
    }
    dir = fs::path(home) / ".claude";
  } else {
    std::error_code ec;
    dir = fs::absolute(opt.project.empty() ? fs::path(".") : fs::path(opt.project), ec).lexically_normal() / ".claude";
    auto project = dir.parent_path();
    if (ec || !fs::is_directory(project, ec)) {
      err << "ai hooks install: " << project.string() << " is not a folder\n";
      return 1;
    }
  }
  const auto file = dir / "settings.json";
  const auto ai = opt.ai_path.empty() ? self_exe() : opt.ai_path;
  if (ai.empty() || !fs::path(ai).is_absolute()) {
    err << "ai hooks install: cannot tell where the ai binary is\n";
    return 1;
  }
  std::string before;
  std::error_code ec;
  const bool exists = fs::exists(file, ec);
  if (exists && !read_file(file, before)) {
    err << "ai hooks install: cannot read " << file.string() << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  ojson settings = ojson::object();
  if (exists && before.find_first_not_of(" \t\r\n") != std::string::npos) {
    settings = ojson::parse(before, nullptr, false);
    if (settings.is_discarded() || !settings.is_object()) {
      err << "ai hooks install: " << file.string() << " is not a JSON object; left as it is\n";
      return 1;
    }
  }
  std::string error;
  auto merged = merge_hook_settings(settings, ai, opt.home, error);
  if (!error.empty()) {
    err << "ai hooks install: " << file.string() << ": " << error << "; left as it is\n";
    return 1;
  }
  if (exists && merged == settings) {
    out << "PAIOS hooks are already installed in " << file.string() << "; nothing changed\n";
    return 0;
  }
  const auto after = merged.dump(2) + "\n";
  if (opt.dry_run) {
    out << unified_diff(exists ? before : std::string{}, after, exists ? file.string() : "/dev/null", file.string());
    return 0;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    err << "ai hooks install: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return 1;
  }
  std::string backup;
  mode_t mode = 0644;
  if (exists) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) mode = st.st_mode & 07777;
    backup = file.string() + ".paios-backup-" + std::to_string(now_ms());
    fs::copy_file(file, backup, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      err << "ai hooks install: cannot back up " << file.string() << ": " << ec.message() << "; nothing changed\n";
      return 1;
    }
  }
  const auto tmp = file.string() + ".paios-tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  bool ok = fd >= 0;
  for (std::size_t done = 0; ok && done < after.size();) {
    auto n = ::write(fd, after.data() + done, after.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    err << "ai hooks install: cannot write " << file.string() << ": " << std::strerror(errno) << "; nothing changed\n";
    ::unlink(tmp.c_str());
    return 1;
  }
  out << "PAIOS hooks installed in " << file.string() << " (SessionStart, UserPromptSubmit, PostToolUse, Stop, SessionEnd: "
      << hook_command(ai, opt.home, "EVENT") << ")";
  if (!backup.empty()) out << "; the previous file is " << backup;
  out << "\n";
  return 0;
}

}  // namespace paios
