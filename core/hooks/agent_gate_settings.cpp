#include "core/hooks/agent_gate_settings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace paios {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

// Gemini CLI's own test (bundle: checkPosixStatsSecurity): owned by root, no write bit for group or others.
std::string insecure_because(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return p.string() + " cannot be read";
  if (st.st_uid != 0) return p.string() + " is not owned by root";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return p.string() + " is writable by its group or by others";
  return {};
}

}  // namespace

ojson codex_hook_group(const std::string& command, std::int64_t timeout_s) {
  return ojson{{"matcher", "*"},
               {"hooks", ojson::array({ojson{{"type", "command"}, {"command", command}, {"timeout", timeout_s}}})}};
}

std::vector<std::string> codex_gate_arguments(const std::string& command, std::int64_t timeout_s) {
  // -c takes TOML; a JSON string is a TOML basic string (the same escapes), so dump() quotes the command.
  auto group = "[{matcher=\"*\",hooks=[{type=\"command\",command=" + nlohmann::json(command).dump() +
               ",timeout=" + std::to_string(timeout_s) + "}]}]";
  return {"--enable", "hooks", "--dangerously-bypass-hook-trust", "-c", "hooks.PreToolUse=" + group};
}

ojson gemini_hook_group(const std::string& command, std::int64_t timeout_ms) {
  return ojson{{"matcher", ".*"},
               {"hooks", ojson::array({ojson{{"type", "command"}, {"name", "paios-gate"}, {"command", command},
                                             {"timeout", timeout_ms}}})}};
}

expected<std::string> write_gemini_gate_settings(const std::string& path, const std::string& command,
                                                 std::int64_t timeout_ms) {
  const fs::path file = fs::absolute(path).lexically_normal();
  for (auto dir = file.parent_path();; dir = dir.parent_path()) {
    if (auto why = insecure_because(dir); !why.empty())
      return status{errc::brain_unavailable,
                    "Gemini CLI reads a hook only from a settings file in folders that root owns and no one else "
                    "may write, and " + why};
    if (dir == dir.root_path()) break;
  }
  ojson settings{{"hooksConfig", {{"enabled", true}}},
                 {"hooks", {{"BeforeTool", ojson::array({gemini_hook_group(command, timeout_ms)})}}}};
  const auto text = settings.dump(2) + "\n";
  const auto tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return status{errc::brain_unavailable, "cannot write " + tmp + ": " + std::strerror(errno)};
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fchmod(fd, 0644);  // the umask must not leave it group-writable, nor may an older file's mode stay
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return status{errc::brain_unavailable, "cannot write " + file.string()};
  }
  if (auto why = insecure_because(file); !why.empty())
    return status{errc::brain_unavailable, "Gemini CLI would skip its settings file: " + why};
  return file.string();
}

}  // namespace paios
