#include "core/hooks/hook_spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace paios {
namespace {

status os_error(const std::string& what, const std::filesystem::path& p) {
  return {errc::store_failed, what + " " + p.string() + ": " + std::strerror(errno)};
}

// An exclusive flock on the lock file, released (with the descriptor) when it goes.
class spool_lock {
 public:
  explicit spool_lock(const std::filesystem::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      error_ = os_error("cannot open", file);
      return;
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      error_ = os_error("cannot lock", file);
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  ~spool_lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool held() const { return fd_ >= 0; }
  // Why it is not held.
  const status& error() const { return error_; }

 private:
  int fd_ = -1;
  status error_;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool read_all(const std::filesystem::path& p, std::string& out) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  char buf[65536];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

void sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

status hook_spool::append(std::string_view line) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  spool_lock lock(lock_file());
  if (!lock.held()) return lock.error();
  int fd = ::open(file().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return os_error("cannot open", file());
  std::string data{line};
  data += '\n';
  status result;
  if (!write_all(fd, data) || ::fsync(fd) != 0) result = os_error("cannot write", file());
  ::close(fd);
  return result;
}

expected<std::vector<std::string>> hook_spool::take() const {
  std::vector<std::string> lines;
  std::string text;
  {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return lines;
    spool_lock lock(lock_file());
    if (!lock.held()) return lock.error();
    struct stat st {};
    if (::stat(file().c_str(), &st) == 0) {
      struct stat rs {};
      if (::stat(replay_file().c_str(), &rs) != 0) {
        // Nothing left from an earlier replay: the spool becomes the replay file in one step.
        if (::rename(file().c_str(), replay_file().c_str()) != 0) return os_error("cannot move", file());
      } else {
        std::string more;
        if (!read_all(file(), more)) return os_error("cannot read", file());
        int fd = ::open(replay_file().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0 || !write_all(fd, more) || ::fsync(fd) != 0) {
          auto failed = os_error("cannot append to", replay_file());
          if (fd >= 0) ::close(fd);
          return failed;
        }
        ::close(fd);
        ::unlink(file().c_str());
      }
      sync_dir(dir);
    }
  }
  if (!read_all(replay_file(), text)) return os_error("cannot read", replay_file());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) lines.emplace_back(text, pos, nl - pos);
    pos = nl + 1;
  }
  return lines;
}

status hook_spool::finish() const {
  spool_lock lock(lock_file());
  if (!lock.held()) return lock.error();
  if (::unlink(replay_file().c_str()) != 0 && errno != ENOENT) return os_error("cannot remove", replay_file());
  sync_dir(dir);
  return {};
}

bool hook_spool::pending() const {
  struct stat st {};
  if (::stat(file().c_str(), &st) == 0 && st.st_size > 0) return true;
  return ::stat(replay_file().c_str(), &st) == 0 && st.st_size > 0;
}

}  // namespace paios
