#include "core/doctor/home_check.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>

#include "core/hooks/hook_spool.hpp"
#include "core/sqlite/sqlite_snapshot.hpp"

namespace paios::doctor {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMiB = 1 << 20;

std::string mib(std::int64_t bytes) { return std::to_string(bytes / kMiB) + " MiB"; }

// The lines (events) and bytes of one spool file; zeros when it does not exist.
struct spool_size {
  std::int64_t lines = 0;
  std::int64_t bytes = 0;
};

spool_size size_of(const fs::path& file) {
  spool_size s;
  std::ifstream in{file, std::ios::binary};
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    const auto n = in.gcount();
    s.bytes += n;
    s.lines += std::count(buf, buf + n, '\n');
  }
  return s;
}

}  // namespace

finding check_disk(const fs::path& home, const home_limits& limits) {
  finding f{level::ok, "free disk under " + home.string(), "", runbook::daemon};
  fs::path at = home;
  std::error_code ec;
  while (!fs::exists(at, ec) && at.has_parent_path() && at != at.parent_path()) at = at.parent_path();
  struct statvfs st {};
  if (::statvfs(at.c_str(), &st) != 0) {
    f.lvl = level::warning;
    f.found = "cannot read the free space of " + at.string();
    return f;
  }
  const std::int64_t free_bytes = static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
  f.found = mib(free_bytes) + " free";
  if (free_bytes < limits.disk_error_mb * kMiB) f.lvl = level::error;
  else if (free_bytes < limits.disk_warning_mb * kMiB) f.lvl = level::warning;
  if (f.lvl != level::ok)
    f.found += ", under doctor." + std::string{f.lvl == level::error ? "disk_error_mb" : "disk_warning_mb"} + " (" +
               std::to_string(f.lvl == level::error ? limits.disk_error_mb : limits.disk_warning_mb) +
               " MiB): a full disk sends task writes to the journal and stops the stores; free space, or lower "
               "obs.max_mb and prune old backups";
  return f;
}

const char* runbook_of_database(const std::string& name) {
  if (name == "state.sqlite") return runbook::state_store;
  if (name == "observability.sqlite") return runbook::obs_store;
  if (name == "kb.sqlite" || name == "embed_cache.sqlite") return runbook::kb_store;
  if (name == "approvals.sqlite") return runbook::approvals;
  return runbook::daemon;  // alerts.sqlite and any other: the daemon's page covers its files
}

std::vector<finding> check_databases(const fs::path& data_dir, const home_limits& limits) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".sqlite") names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  if (names.empty())
    return {{level::ok, "databases under " + data_dir.string(), "none yet (paiosd makes them at its first start)",
             runbook::daemon}};
  std::vector<finding> out;
  std::vector<finding> wal;
  for (const auto& name : names) {
    const auto file = data_dir / name;
    finding f{level::ok, "database data/" + name, "quick_check ok", runbook_of_database(name)};
    if (auto checked = check_database_integrity(file, integrity_depth::quick); !checked) {
      f.lvl = level::error;
      f.found = checked.message() + "; stop paiosd and restore the file from a backup (ai restore), or follow the "
                                    "runbook's recovery";
    }
    out.push_back(std::move(f));
    const auto log = fs::path{file.string() + "-wal"};
    const auto bytes = fs::exists(log, ec) ? static_cast<std::int64_t>(fs::file_size(log, ec)) : 0;
    if (!ec && bytes > limits.wal_warning_mb * kMiB)
      wal.push_back({level::warning, "WAL data/" + name + "-wal",
                     mib(bytes) + ", over doctor.wal_warning_mb (" + std::to_string(limits.wal_warning_mb) +
                         " MiB): its checkpoints do not keep up, or a reader holds an old snapshot open",
                     runbook_of_database(name)});
  }
  out.insert(out.end(), wal.begin(), wal.end());
  return out;
}

finding check_spool(const fs::path& spool_dir, const home_limits& limits, bool daemon_answers) {
  const hook_spool spool{spool_dir};
  const auto fresh = size_of(spool.file()), replaying = size_of(spool.replay_file());
  const auto lines = fresh.lines + replaying.lines, bytes = fresh.bytes + replaying.bytes;
  finding f{level::ok, "hook spool " + spool_dir.string(), "empty", runbook::spool};
  if (bytes == 0) return f;
  f.found = std::to_string(lines) + " events waiting (" + std::to_string(bytes) + " bytes)";
  if (bytes > limits.spool_max_bytes) {
    f.lvl = level::warning;
    f.found += ", over alerts.spool_max_bytes (" + std::to_string(limits.spool_max_bytes) +
               "): the daemon does not take them; see why in ai logs";
  } else if (!daemon_answers) {
    f.lvl = level::warning;
    f.found += " while paiosd does not answer: it replays them when it starts";
  } else {
    f.found += "; paiosd replays the spool every 30 s";
  }
  return f;
}

}  // namespace paios::doctor
