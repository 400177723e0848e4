#pragma once
// PAIOS_HOME: the one directory the daemon owns (default ~/.paios), created 0700:
//   config.json   the user's configuration (read by paiosd; `ai autonomy set` adds pins to it)
//   config.history/  the config.json files `ai config apply` and `rollback` replaced (a ring)
//   run/          paiosd.sock (requests), events.sock (event stream), paiosd.lock (holds the daemon's pid),
//                 containment (the cgroup that holds the agents' calls, when one does)
//   logs/         paiosd.log, rotated
//   data/         state.sqlite
// Shared by paiosd and the `ai` client, so both agree on where the daemon listens.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace paios {

struct paios_home {
  std::filesystem::path root;

  std::filesystem::path run_dir() const { return root / "run"; }
  std::filesystem::path logs_dir() const { return root / "logs"; }
  // The daemon's log, and its n-th rotated file (n >= 1, older as n grows), named as spdlog's rotating file sink
  // names them: paiosd.log, paiosd.1.log, paiosd.2.log, ...
  std::filesystem::path log_file() const { return logs_dir() / "paiosd.log"; }
  std::filesystem::path rotated_log_file(int n) const { return logs_dir() / ("paiosd." + std::to_string(n) + ".log"); }
  std::filesystem::path data_dir() const { return root / "data"; }
  std::filesystem::path config_file() const { return root / "config.json"; }
  // The previous config.json files `ai config apply` replaced, newest last (config.history_keep of them).
  std::filesystem::path config_history_dir() const { return root / "config.history"; }
  std::filesystem::path lock_file() const { return run_dir() / "paiosd.lock"; }
  std::filesystem::path containment_record() const { return run_dir() / "containment"; }
  // Present while a daemon runs; left behind by one that did not stop in order (daemon/run_marker.hpp).
  std::filesystem::path run_marker() const { return run_dir() / "paiosd.running"; }
  // The hooks' spool: events that waited for the daemon (core/hooks/hook_spool).
  std::filesystem::path spool_dir() const { return root / "spool"; }
  std::string endpoint() const { return "ipc://" + (run_dir() / "paiosd.sock").string(); }
  std::string events_endpoint() const { return "ipc://" + (run_dir() / "events.sock").string(); }
};

// `flag` if given, else $PAIOS_HOME, else $HOME/.paios. Relative paths are made absolute.
paios_home resolve_home(const std::optional<std::string>& flag = std::nullopt);

// Creates the home and its parts with mode 0700; returns "" or what failed.
std::string prepare_home(const paios_home& home);

// An exclusive lock on run/paiosd.lock, held for the daemon's life; the file holds the owner's pid.
class daemon_lock {
 public:
  // nullptr when another process holds it; `error` then names that process when it can.
  static std::unique_ptr<daemon_lock> acquire(const paios_home& home, std::string& error);
  ~daemon_lock();

 private:
  daemon_lock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

}  // namespace paios
