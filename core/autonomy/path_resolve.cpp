#include "core/autonomy/path_resolve.hpp"

#include <sys/stat.h>

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

// Absolute, and only plain components: what path_resolver's short way handles (else resolve_path's).
bool is_plain_absolute(std::string_view p) {
  if (p.size() < 2 || p[0] != '/' || p.back() == '/') return false;
  if (p.find("//") != std::string_view::npos || p.find("/./") != std::string_view::npos ||
      p.find("/../") != std::string_view::npos)
    return false;
  auto last = p.substr(p.rfind('/') + 1);
  return last != "." && last != "..";
}

bool is_symlink(const std::string& p, bool& exists) {
  struct stat st {};
  exists = ::lstat(p.c_str(), &st) == 0;
  return exists && S_ISLNK(st.st_mode);
}

// `.` components, doubled and trailing slashes taken out of an absolute path: what they mean does not depend on
// symlinks (`..` does: after a link it leaves the link's target, so it is left to resolve_path).
std::string without_dots(const std::string& p) {
  std::string out;
  out.reserve(p.size());
  std::size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') ++i;
    auto end = std::min(p.find('/', i), p.size());
    std::string_view comp(p.data() + i, end - i);
    if (!comp.empty() && comp != ".") out.append("/").append(comp);
    i = end;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

std::string path_resolver::resolve(std::string_view path, std::string_view cwd) {
  std::string p = expand_home(path, home_);
  if (p.empty() || p[0] != '/') p = std::string(cwd) + "/" + p;
  if (!is_plain_absolute(p)) {
    p = without_dots(p);
    if (p == "/") return p;
    if (!is_plain_absolute(p)) return resolve_path(path, cwd, home_);  // `..` in it
  }
  auto slash = p.rfind('/');
  const folder& parent = resolve_folder(slash == 0 ? "/" : p.substr(0, slash));
  std::string joined = (parent.resolved == "/" ? "" : parent.resolved) + p.substr(slash);
  bool exists = false;
  if (!parent.exists || !is_symlink(joined, exists)) return joined;
  return resolve_path(joined, "/", home_);  // the link and whatever it leads to
}

const path_resolver::folder& path_resolver::resolve_folder(const std::string& path) {
  auto it = folders_.find(path);
  if (it != folders_.end()) return it->second;
  folder f;
  if (path == "/") {
    f = {"/", true};
  } else {
    auto slash = path.rfind('/');
    const folder parent = resolve_folder(slash == 0 ? "/" : path.substr(0, slash));
    f.resolved = (parent.resolved == "/" ? "" : parent.resolved) + path.substr(slash);
    if (parent.exists && is_symlink(f.resolved, f.exists)) {
      f.resolved = resolve_path(f.resolved, "/", home_);
      struct stat st {};
      f.exists = ::stat(f.resolved.c_str(), &st) == 0;
    }
  }
  return folders_.emplace(path, std::move(f)).first->second;
}

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
