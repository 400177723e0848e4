#include "core/autonomy/path_resolve.hpp"

#include <filesystem>
#include <system_error>

namespace paios::autonomy {
namespace fs = std::filesystem;

namespace {

std::string expand_home(std::string_view path, std::string_view home) {
  for (std::string_view var : {"${HOME}", "$HOME", "~"}) {
    if (path.substr(0, var.size()) != var) continue;
    auto rest = path.substr(var.size());
    if (rest.empty() || rest.front() == '/') return std::string(home) + std::string(rest);
  }
  return std::string(path);
}

}  // namespace

std::string resolve_path(std::string_view path, std::string_view cwd, std::string_view home) {
  fs::path p = expand_home(path, home);
  if (p.is_relative()) p = fs::path(std::string(cwd)) / p;
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(p, ec);
  // weakly_canonical normalizes only what follows the existing prefix: normalize the whole once more.
  std::string out = (ec ? p : canonical).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "/" : out;
}

bool path_within(std::string_view path, std::string_view dir) {
  if (dir == "/") return !path.empty() && path.front() == '/';
  if (path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

}  // namespace paios::autonomy
