#pragma once
// A path as a tool call means it: `~` and `~/x` are the session's home (passed in, never read from the
// environment), `$HOME`/`${HOME}` likewise, a relative path is taken from the session's cwd, and `.`/`..` and
// the symlinks of its existing prefix are resolved (std::filesystem::weakly_canonical). Promises: the result is
// absolute and has no trailing slash (except "/"); it never throws; a path it cannot read stays lexical.
#include <string>
#include <string_view>

namespace paios::autonomy {

std::string resolve_path(std::string_view path, std::string_view cwd, std::string_view home);

// True when `path` is `dir` or inside it (both resolved).
bool path_within(std::string_view path, std::string_view dir);

}  // namespace paios::autonomy
