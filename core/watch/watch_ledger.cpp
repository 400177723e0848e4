#include "core/watch/watch_ledger.hpp"

namespace paios {

const ledger_entry* watch_ledger::find(const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

watch_ledger::verdict watch_ledger::look(const std::string& path, std::uintmax_t size, std::int64_t mtime_ns) const {
  const auto* e = find(path);
  if (!e || e->size != size || e->mtime_ns != mtime_ns) return verdict::hash;
  return final(*e) || e->this_run ? verdict::skip : verdict::retry;
}

watch_ledger::content watch_ledger::after_hash(const std::string& path, const std::string& sha256, std::uintmax_t size,
                                               std::int64_t mtime_ns) {
  auto it = files_.find(path);
  if (it == files_.end() || it->second.sha256 != sha256) return content::fresh;
  it->second.size = size;
  it->second.mtime_ns = mtime_ns;
  return final(it->second) || it->second.this_run ? content::done : content::retry;
}

ledger_entry& watch_ledger::start(const std::string& path, const std::string& sha256, std::uintmax_t size,
                                  std::int64_t mtime_ns) {
  auto& e = files_[path];
  if (e.sha256 != sha256) e.attempts = 0;  // new content: a fresh count
  e.sha256 = sha256;
  e.size = size;
  e.mtime_ns = mtime_ns;
  e.outcome = "pending";
  e.this_run = true;
  ++e.attempts;
  return e;
}

const ledger_entry& watch_ledger::finish(const std::string& path, bool ok) {
  auto& e = files_[path];
  e.outcome = ok ? "ok" : "failed";
  return e;
}

}  // namespace paios
