// `ai backup [DIR]`, `ai backup --list` and `ai restore DIR` (docs/backup.md). With paiosd running, a backup is
// taken by the daemon (backup.create: each store copied while it writes); with it down, `ai` takes it itself,
// holding PAIOS_HOME's daemon lock so that no daemon starts meanwhile. A restore runs only with the daemon down,
// under the same lock.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "config/home.hpp"
#include "core/backup/backup_restore.hpp"
#include "core/backup/backup_ring.hpp"
#include "core/backup/backup_take.hpp"
#include "messages/ids.hpp"

namespace fs = std::filesystem;

namespace paios::cli {
namespace {

// As long as the daemon's bridge waits for its backup (bridges/zmq/zmq_bridge.cpp, kBackupTimeout), and a little
// more, so the daemon's own answer arrives first.
constexpr int kBackupReplyTimeoutMs = 610000;

std::string sizes(const nlohmann::json& manifest) {
  std::uint64_t bytes = 0;
  for (const auto& f : manifest["files"]) bytes += f.value("size", std::uint64_t{0});
  return std::to_string(manifest["files"].size()) + " files, " + std::to_string(bytes) + " bytes";
}

std::string render_backup(const nlohmann::json& reply) {
  return "backup in " + reply.value("dir", std::string{}) + ": " + sizes(reply["manifest"]) + "\n";
}

int list(const options& opt, const paios_home& home) {
  auto entries = list_backups(home.root);
  if (opt.json_out) {
    auto out = nlohmann::json::array();
    for (const auto& b : entries) out.push_back({{"dir", b.dir.string()}, {"bytes", b.bytes}, {"manifest", manifest_json(b.manifest)}});
    std::cout << nlohmann::json{{"backups", out}}.dump() << "\n";
    return kExitOk;
  }
  if (entries.empty()) {
    std::cout << "no backups in " << backups_dir(home.root).string() << "\n";
    return kExitOk;
  }
  table t({"CREATED", "ORIGIN", "FILES", "BYTES", "VERSION", "DIR"});
  for (const auto& b : entries)
    t.add({utc_timestamp(b.manifest.created_ms), b.manifest.origin, std::to_string(b.manifest.files.size()),
           std::to_string(b.bytes), b.manifest.paiosd_version, b.dir.string()});
  std::cout << t.str(terminal_width());
  return kExitOk;
}

// The daemon is down and PAIOS_HOME's lock is ours: `ai` copies the stores itself.
int take_here(const options& opt, const paios_home& home, const fs::path& dest) {
  const auto now = now_ms();
  backup_request req{home.root, dest.empty() ? default_backup_dir(home.root, now) : dest, PAIOS_VERSION, "manual", now};
  auto taken = take_backup(req);
  if (!taken) {
    std::cerr << error_prefix(opt) << taken.message() << "\n";
    return kExitError;
  }
  nlohmann::json reply{{"type", "backup"}, {"dir", req.dest.string()}, {"manifest", manifest_json(*taken)}, {"pruned", nlohmann::json::array()}};
  std::cout << (opt.json_out ? reply.dump() + "\n" : render_backup(reply));
  return kExitOk;
}

}  // namespace

run_fn define_backup(CLI::App& sub, options&) {
  struct args {
    std::string dir;
    bool list = false;
  };
  auto a = std::make_shared<args>();
  sub.add_option("dir", a->dir, "the backup's folder: new or empty (default: PAIOS_HOME/backups/<UTC time>)");
  sub.add_flag("--list", a->list, "the backups under PAIOS_HOME/backups, oldest first");
  return [a](const options& opt) {
    const auto home = resolve_home(opt.home);
    if (a->list) return list(opt, home);
    const fs::path dest = a->dir.empty() ? fs::path{} : fs::absolute(a->dir).lexically_normal();
    std::string held_by;
    if (!fs::exists(home.root)) {
      std::cerr << error_prefix(opt) << "PAIOS_HOME " << home.root.string() << " does not exist: nothing to back up\n";
      return kExitError;
    }
    if (auto err = prepare_home(home); !err.empty()) {
      std::cerr << error_prefix(opt) << err << "\n";
      return kExitError;
    }
    if (auto lock = daemon_lock::acquire(home, held_by)) return take_here(opt, home, dest);
    // A daemon holds the lock: it takes the backup, while it runs.
    auto req = request("backup.create");
    if (!dest.empty()) req["dir"] = dest.string();
    return show(opt, req, render_backup, kBackupReplyTimeoutMs);
  };
}

run_fn define_restore(CLI::App& sub, options&) {
  struct args {
    std::string dir;
    bool yes = false;
  };
  auto a = std::make_shared<args>();
  sub.add_option("dir", a->dir, "the backup's folder (with its manifest.json)")->required();
  sub.add_flag("--yes", a->yes, "do not ask before replacing PAIOS_HOME's stores, config.json and spool");
  return [a](const options& opt) {
    const auto home = resolve_home(opt.home);
    const fs::path dir = fs::absolute(a->dir).lexically_normal();
    if (auto err = prepare_home(home); !err.empty()) {
      std::cerr << error_prefix(opt) << err << "\n";
      return kExitError;
    }
    std::string held_by;
    auto lock = daemon_lock::acquire(home, held_by);
    if (!lock) {
      std::cerr << error_prefix(opt) << held_by << ": stop it before restoring; nothing was changed\n";
      return kExitError;
    }
    auto checked = verify_backup(dir);
    if (!checked) {
      std::cerr << error_prefix(opt) << "the backup does not check out; nothing was changed: " << checked.message() << "\n";
      return kExitError;
    }
    if (!a->yes) {
      std::cerr << "Replace the stores, config.json and spool of " << home.root.string() << " with the backup of "
                << utc_timestamp(checked->created_ms) << " (" << checked->files.size()
                << " files)? The current ones are kept under " << backups_dir(home.root).string()
                << "/pre-restore-<time>. [y/N] ";
      std::string answer;
      if (!std::getline(std::cin, answer) || (answer != "y" && answer != "yes")) {
        std::cerr << error_prefix(opt) << "not confirmed (--yes skips the question); nothing was changed\n";
        return kExitError;
      }
    }
    auto restored = restore_backup(home.root, dir, now_ms());
    if (!restored) {
      std::cerr << error_prefix(opt) << restored.message() << "\n";
      return kExitError;
    }
    nlohmann::json reply{{"type", "restored"}, {"dir", dir.string()}, {"aside", restored->aside.string()},
                         {"manifest", manifest_json(restored->manifest)}};
    if (opt.json_out) std::cout << reply.dump() << "\n";
    else
      std::cout << "restored " << sizes(reply["manifest"]) << " from " << dir.string() << "; the replaced files are in "
                << restored->aside.string() << "\n";
    return kExitOk;
  };
}

}  // namespace paios::cli
