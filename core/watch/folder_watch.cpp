#include "core/watch/folder_watch.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace paios {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_ONLYDIR | IN_EXCL_UNLINK;

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

bool folder_watch::ignored_name(const std::string& name) {
  if (name.empty() || name[0] == '.') return true;
  for (std::string_view tail : {".part", ".crdownload", ".download", ".tmp", "~"})
    if (ends_with(name, tail)) return true;
  return false;
}

folder_watch::folder_watch(fs::path dir, folder_watch_options options) : dir_(std::move(dir)), options_(options) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) problem_ = {errc::internal, std::string{"inotify: "} + std::strerror(errno)};
  else try_watch();
}

folder_watch::~folder_watch() {
  if (fd_ >= 0) ::close(fd_);
}

bool folder_watch::try_watch() {
  if (fd_ < 0 || wd_ >= 0) return false;
  last_check_ = clock::now();
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    problem_ = fs::exists(dir_, ec) ? status{errc::bad_request, dir_.string() + " is not a folder"}
                                    : status{errc::not_found, dir_.string() + " does not exist (watched once it does)"};
    return false;
  }
  wd_ = inotify_add_watch(fd_, dir_.c_str(), kMask);
  if (wd_ < 0) {
    problem_ = errno == ENOSPC ? status{errc::overloaded, "inotify's watch limit is reached (fs.inotify.max_user_watches)"}
                               : status{errc::internal, "cannot watch " + dir_.string() + ": " + std::strerror(errno)};
    return false;
  }
  problem_ = {};
  pending_.clear();
  return true;
}

std::vector<fs::path> folder_watch::poll(int timeout_ms, bool& rescan) {
  rescan = false;
  std::vector<fs::path> out;
  if (fd_ < 0) return out;
  if (wd_ < 0 && clock::now() - last_check_ >= std::chrono::milliseconds(options_.recheck_ms) && try_watch())
    rescan = true;  // (re)appeared: whatever is in it arrived unseen
  // Wake up in time for a pending file to settle, and to look for a missing folder.
  int wait = timeout_ms;
  if (!pending_.empty()) wait = std::min<int>(wait, static_cast<int>(options_.settle_ms / 4 + 1));
  if (wd_ < 0) wait = std::min<int>(wait, static_cast<int>(options_.recheck_ms));
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, std::max(wait, 0)) > 0) {
    alignas(inotify_event) std::array<char, 64 * 1024> buf;
    for (;;) {
      const auto n = ::read(fd_, buf.data(), buf.size());
      if (n <= 0) break;
      for (std::size_t off = 0; off < static_cast<std::size_t>(n);) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf.data() + off);
        off += sizeof(inotify_event) + e->len;
        if (e->mask & IN_Q_OVERFLOW) {
          rescan = true;
          continue;
        }
        if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          if (e->wd == wd_) {
            if (!(e->mask & IN_IGNORED)) inotify_rm_watch(fd_, wd_);
            wd_ = -1;
            pending_.clear();
            problem_ = {errc::not_found, dir_.string() + " was removed (watched again once it is back)"};
            last_check_ = clock::now();
          }
          continue;
        }
        if (e->wd != wd_ || e->len == 0 || (e->mask & IN_ISDIR)) continue;
        const std::string name = e->name;
        if (ignored_name(name)) continue;
        if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
          pending_.erase(name);
          out.push_back(dir_ / name);
        } else if (e->mask & (IN_CREATE | IN_MODIFY)) {
          std::error_code ec;
          auto& f = pending_[name];
          f.size = fs::file_size(dir_ / name, ec);
          f.changed = clock::now();
        }
      }
    }
  }
  settle(out);
  // One report per file per call, however many closes it saw.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void folder_watch::settle(std::vector<fs::path>& out) {
  const auto now = clock::now();
  const auto hold = std::chrono::milliseconds(options_.settle_ms);
  for (auto it = pending_.begin(); it != pending_.end();) {
    std::error_code ec;
    const auto path = dir_ / it->first;
    if (!fs::is_regular_file(path, ec)) {  // gone, or not a file (a fifo, a socket)
      it = pending_.erase(it);
      continue;
    }
    const auto size = fs::file_size(path, ec);
    if (size != it->second.size) {
      it->second = {size, now};
      ++it;
    } else if (now - it->second.changed >= hold) {
      out.push_back(path);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<fs::path> folder_watch::scan() {
  std::vector<fs::path> files;
  std::error_code ec;
  const auto now = clock::now();
  const auto file_now = fs::file_time_type::clock::now();
  const auto hold = std::chrono::milliseconds(options_.settle_ms);
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    const auto name = it->path().filename().string();
    if (!it->is_regular_file(fec) || ignored_name(name) || pending_.count(name)) continue;
    const auto mtime = it->last_write_time(fec);
    if (!fec && file_now - mtime < hold) {  // maybe still being written: followed until it settles or closes
      pending_[name] = {it->file_size(fec), now};
      continue;
    }
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace paios
