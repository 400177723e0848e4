#pragma once
// A path as a tool call means it: `~` and `~/x` are the session's home (passed in, never read from the
// environment), `$HOME`/`${HOME}` likewise, a relative path is taken from the session's cwd, and `.`/`..` and
// the symlinks of its existing prefix are resolved (std::filesystem::weakly_canonical). Promises: the result is
// absolute and has no trailing slash (except "/"); it never throws; a path it cannot read stays lexical.
#include <string>
#include <string_view>
#include <unordered_map>

namespace paios::autonomy {

std::string resolve_path(std::string_view path, std::string_view cwd, std::string_view home);

// resolve_path for many paths of one call: what it learns about folders (their resolved form, whether they
// exist) is remembered, so that a path in a folder seen before costs one lstat instead of a stat per component.
// The same results as resolve_path; not for sharing between threads.
class path_resolver {
 public:
  explicit path_resolver(std::string home) : home_(std::move(home)) {}
  std::string resolve(std::string_view path, std::string_view cwd);

 private:
  struct folder {
    std::string resolved;
    bool exists = false;
  };
  // `path`: absolute, plain components only (no ., .., //, trailing /).
  const folder& resolve_folder(const std::string& path);

  std::string home_;
  std::unordered_map<std::string, folder> folders_;
};

// True when `path` is `dir` or inside it (both resolved).
bool path_within(std::string_view path, std::string_view dir);

}  // namespace paios::autonomy
