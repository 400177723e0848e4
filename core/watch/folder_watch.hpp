#pragma once
// folder_watch: the files that arrive in one folder, each reported once it is complete, on Linux's inotify (the
// interface leaves room for FSEvents on macOS: a caller sees only poll() and scan()). No actor runtime: the
// watcher actor runs it on its own thread.
//
// Promises:
//   - a file is complete when its writer closes it (IN_CLOSE_WRITE), when it is moved in whole (IN_MOVED_TO:
//     a browser's download renamed from .part), or when it was created without either and its size stayed the
//     same for `settle_ms` (a hard link, a writer that never closes);
//   - hidden files (".name") and partial downloads (*.part, *.crdownload, *.download, *.tmp, *~) are never
//     reported; sub-folders are not watched (a watched folder is a drop folder);
//   - the folder need not exist: it is watched once it does, and again after it was deleted and re-created;
//   - when events may have been lost (the kernel's queue overflowed, the folder (re)appeared), poll() says
//     `rescan`, and the caller compares scan() with what it has done: nothing is missed, the caller's records
//     keep anything from being done twice;
//   - memory is bounded by the files still being written (pending), not by how many arrive.
// Not thread-safe: one thread owns it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/error.hpp"

namespace paios {

struct folder_watch_options {
  std::int64_t settle_ms = 2000;   // a created file whose size holds this long is complete
  std::int64_t recheck_ms = 500;   // how often a missing folder is looked for
};

class folder_watch {
 public:
  folder_watch(std::filesystem::path dir, folder_watch_options options = {});
  ~folder_watch();
  folder_watch(const folder_watch&) = delete;
  folder_watch& operator=(const folder_watch&) = delete;

  // Waits at most `timeout_ms` for activity, then returns the files completed since the last call (full paths,
  // each once per completion). `rescan` is set when the caller must look at scan() (see above).
  std::vector<std::filesystem::path> poll(int timeout_ms, bool& rescan);

  // Every complete file of the folder, in name order; empty when the folder is missing. A file still being
  // written (seen created and not yet complete, or changed less than settle_ms ago) is left out and followed
  // instead: poll() reports it once it is complete.
  std::vector<std::filesystem::path> scan();

  const std::filesystem::path& dir() const { return dir_; }
  bool present() const { return wd_ >= 0; }
  // Why the folder is not watched (ok while it is): not_found (missing, removed), bad_request (not a folder),
  // overloaded (inotify's watch limit is reached), internal (inotify failed otherwise).
  const status& problem() const { return problem_; }

  // Whether a name is one folder_watch never reports (hidden, partial download).
  static bool ignored_name(const std::string& name);

 private:
  using clock = std::chrono::steady_clock;
  struct pending_file {
    std::uintmax_t size = 0;
    clock::time_point changed;
  };
  bool try_watch();  // adds the inotify watch when the folder is there; true when it was just added
  void settle(std::vector<std::filesystem::path>& out);

  std::filesystem::path dir_;
  folder_watch_options options_;
  int fd_ = -1;
  int wd_ = -1;
  status problem_;
  clock::time_point last_check_{};
  std::unordered_map<std::string, pending_file> pending_;  // by name: created, not yet closed
};

}  // namespace paios
