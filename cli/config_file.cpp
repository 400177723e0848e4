#include "cli/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "messages/ids.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : p.string();
}

bool read_text_file(const fs::path& file, std::string& out, std::string& error) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot read " + file.string() + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool replace_file(const fs::path& file, const std::string& text, std::string& backup, std::string& error) {
  backup.clear();
  std::error_code ec;
  mode_t mode = 0644;
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
    backup = file.string() + ".paios-backup-" + std::to_string(now_ms());
    fs::copy_file(file, backup, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      error = "cannot back up " + file.string() + ": " + ec.message();
      backup.clear();
      return false;
    }
  }
  return write_file_atomically(file, text, mode, error);
}

bool write_file_atomically(const fs::path& file, const std::string& text, unsigned mode, std::string& error) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) {
    error = "cannot create " + file.parent_path().string() + ": " + ec.message();
    return false;
  }
  const auto tmp = file.string() + ".paios-tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  bool ok = fd >= 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    error = "cannot write " + file.string() + ": " + std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

text_edit json_object_edit(std::function<bool(nlohmann::ordered_json&, std::string&)> change) {
  return [change = std::move(change)](const std::string& before, bool, std::string& after, std::string& error) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    if (before.find_first_not_of(" \t\r\n") != std::string::npos) {
      object = nlohmann::ordered_json::parse(before, nullptr, false);
      if (object.is_discarded() || !object.is_object()) {
        error = "it is not a JSON object";
        return edit_result::refused;
      }
    }
    const auto old = object;
    if (!change(object, error)) return edit_result::refused;
    after = object.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";  // any path may be in it
    return object == old && !before.empty() ? edit_result::unchanged : edit_result::changed;
  };
}

bool edit_file(const fs::path& file, bool dry_run, const text_edit& edit, file_edit& result, std::string& error) {
  result = {};
  std::string before, after;
  std::error_code ec;
  const bool exists = fs::exists(file, ec);
  if (exists && !read_text_file(file, before, error)) return false;
  std::string why;
  switch (edit(before, exists, after, why)) {
    case edit_result::refused:
      error = file.string() + ": " + why + "; left as it is";
      return false;
    case edit_result::unchanged:
      return true;
    case edit_result::changed:
      break;
  }
  if (exists && after == before) return true;
  result.changed = true;
  if (dry_run) {
    result.diff = unified_diff(before, after, exists ? file.string() : "/dev/null", file.string());
    return true;
  }
  if (!replace_file(file, after, result.backup, error)) {
    error += "; nothing changed";
    return false;
  }
  return true;
}

int install_edit(const fs::path& file, bool dry_run, const text_edit& edit, const install_words& words,
                 std::ostream& out, std::ostream& err) {
  file_edit done;
  std::string error;
  if (!edit_file(file, dry_run, edit, done, error)) {
    err << words.command << ": " << error << "\n";
    return 1;
  }
  if (!done.changed) {
    out << words.already << " " << file.string() << "; nothing changed\n";
  } else if (dry_run) {
    out << done.diff;
  } else {
    out << words.done << " " << file.string() << " (" << words.detail << ")";
    if (!done.backup.empty()) out << "; the previous file is " << done.backup;
    out << "\n";
  }
  return 0;
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

}  // namespace paios
