#include "config/home.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace paios {

paios_home resolve_home(const std::optional<std::string>& flag) {
  std::filesystem::path root;
  if (flag && !flag->empty()) {
    root = *flag;
  } else if (const char* env = std::getenv("PAIOS_HOME"); env && *env) {
    root = env;
  } else {
    const char* home = std::getenv("HOME");
    root = std::filesystem::path(home && *home ? home : "/tmp") / ".paios";
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(root, ec);
  return paios_home{ec ? root : abs.lexically_normal()};
}

std::string prepare_home(const paios_home& home) {
  for (const auto& dir : {home.root, home.run_dir(), home.logs_dir(), home.data_dir()}) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return "cannot create " + dir.string() + ": " + std::strerror(errno);
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return dir.string() + " is not a directory";
    // Sockets and task history live here: nobody else may read them.
    if ((st.st_mode & 077) != 0 && chmod(dir.c_str(), 0700) != 0)
      return "cannot restrict " + dir.string() + " to its owner: " + std::strerror(errno);
  }
  return {};
}

std::unique_ptr<daemon_lock> daemon_lock::acquire(const paios_home& home, std::string& error) {
  auto path = home.lock_file();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot open " + path.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    auto n = pread(fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{"?"};
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    error = "another paiosd (pid " + pid + ") is already running on " + home.root.string();
    close(fd);
    return nullptr;
  }
  auto pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    error = "cannot write " + path.string() + ": " + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<daemon_lock>(new daemon_lock(fd, std::move(path)));
}

daemon_lock::~daemon_lock() {
  // Truncate rather than unlink: unlinking a lock file races with a starting daemon that opened it.
  [[maybe_unused]] auto r = ftruncate(fd_, 0);
  close(fd_);
}

}  // namespace paios
