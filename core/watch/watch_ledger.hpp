#pragma once
// watch_ledger: what one watcher has done with the files of its folder, by path and content. It is what keeps a
// file from being done twice (a close seen again, a rescan, a restart) and lets a rescan find what arrived unseen.
// The watcher loads it from state.sqlite at start and writes each change there; this class only decides.
//
// A file is known by its path and its content's SHA-256 (or "size:<bytes>:mtime:<ns>" past the hashing limit).
// Deciding costs no I/O beyond the stat the caller did: a file whose size and modification time match its entry
// is not read again.
#include <cstdint>
#include <string>
#include <unordered_map>

namespace paios {

struct ledger_entry {
  std::string sha256;
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string cls, action;  // what it was taken for and what it led to (names)
  std::string outcome;      // "pending" (seen, its action not finished), "ok", "failed"
  int attempts = 0;     // actions started for this content
  bool this_run = false;  // its last action started in this run of the watcher (not loaded from the store)
};

class watch_ledger {
 public:
  explicit watch_ledger(int max_attempts = 3) : max_attempts_(max_attempts) {}

  enum class verdict {
    skip,   // done (or given up) with exactly this file: nothing to do
    hash,   // unknown, or its size or time changed: the caller hashes it and asks `after_hash`
    retry,  // the same file, its action cut by a stop, or failed in an earlier run with attempts left: act again
  };
  // A failure of this run is not retried before the next start: a file reported again unchanged (a touch, a
  // scan) would otherwise be retried at once, in a loop.
  verdict look(const std::string& path, std::uintmax_t size, std::int64_t mtime_ns) const;

  // After hashing: skip when this content is done at this path (a touch, a copy over itself: only its size and
  // time are updated, which the caller records), retry when it is unfinished, else new work.
  enum class content { done, retry, fresh };
  content after_hash(const std::string& path, const std::string& sha256, std::uintmax_t size, std::int64_t mtime_ns);

  // An action starts (attempts + 1, outcome "pending") or ends; returns the entry to record.
  ledger_entry& start(const std::string& path, const std::string& sha256, std::uintmax_t size, std::int64_t mtime_ns);
  const ledger_entry& finish(const std::string& path, bool ok);

  void load(const std::string& path, ledger_entry e) { files_[path] = std::move(e); }
  const ledger_entry* find(const std::string& path) const;
  bool final(const ledger_entry& e) const { return e.outcome == "ok" || (e.outcome == "failed" && e.attempts >= max_attempts_); }
  std::size_t size() const { return files_.size(); }

 private:
  int max_attempts_;
  std::unordered_map<std::string, ledger_entry> files_;
};

}  // namespace paios
