// paiosd: the PAIOS mesh daemon. Loads and validates the configuration, takes PAIOS_HOME's lock, starts the
// actor tree of daemon/actor_tree.hpp, on SIGHUP reloads the configuration file (actors/config: the live keys
// applied, an invalid file refused and the running configuration kept), and on SIGTERM/SIGINT shuts down in order: stop accepting, drain
// in-flight tasks up to tasks.drain_timeout_ms, stop the tree in reverse order (brains terminate their child
// processes, the store commits), exit. A watchdog bounds the whole shutdown.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include "actors/config/config_reloader.hpp"
#include "actors/dispatcher/dispatcher.hpp"
#include "actors/names.hpp"
#include "config/checked_config.hpp"
#include "config/config.hpp"
#include "config/home.hpp"
#include "core/obs/event_sink.hpp"
#include "core/process/process_containment.hpp"
#include "core/routing/classifier.hpp"
#include "daemon/actor_tree.hpp"
#include "daemon/logging.hpp"
#include "daemon/migrate_command.hpp"
#include "daemon/run_marker.hpp"
#include "daemon/sd_notify.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace {

constexpr const char* kVersion = PAIOS_VERSION;  // the project's version (CMakeLists.txt)

// Exit codes (docs/runbooks/daemon.md, which tells what to do about each).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;   // the actor tree gave up (restart intensity exceeded at the root)
constexpr int kExitConfig = 2;    // invalid configuration or arguments (PAIOS_CGROUP_ROOT included)
constexpr int kExitHome = 3;      // PAIOS_HOME unusable, or another daemon holds its lock

void print_errors(const std::string& source, const std::vector<std::string>& errors) {
  std::cerr << "paiosd: invalid configuration in " << source << ":\n";
  for (const auto& e : errors) std::cerr << "  " << e << "\n";
}

// The configuration, and the router built from it: a rule that does not compile is a configuration error.
struct loaded {
  paios::daemon_config config;
  std::shared_ptr<paios::classifier> router;
};

std::optional<loaded> load(const std::optional<std::filesystem::path>& file) {
  auto source = file ? file->string() : std::string{"the built-in defaults"};
  auto result = paios::check_config(file);
  if (!result.config) {
    print_errors(source, result.errors);
    return std::nullopt;
  }
  return loaded{std::move(*result.config), std::move(result.router)};
}

// PAIOS_HOME made ready (mode 0700) and its daemon lock taken: the lock, or null with why printed.
std::unique_ptr<paios::daemon_lock> claim_home(const paios::paios_home& home) {
  if (auto err = paios::prepare_home(home); !err.empty()) {
    std::cerr << "paiosd: " << err << "\n";
    return nullptr;
  }
  std::string lock_error;
  auto lock = paios::daemon_lock::acquire(home, lock_error);
  if (!lock) std::cerr << "paiosd: " << lock_error << "\n";
  return lock;
}

// Each step answers bool; a step that does not answer in time is logged and the next one runs anyway.
int orderly_shutdown(caf::scoped_actor& self, const caf::actor& root, const paios::daemon_config& cfg) {
  using namespace std::chrono;
  auto& reg = self->system().registry();
  auto step = [&](const char* what, const auto& target, milliseconds timeout, auto... xs) {
    if (!target) return;
    self->request(target, timeout, xs...)
        .receive([](bool) {},
                 [&](caf::error& e) { spdlog::warn("shutdown: {} did not finish: {}", what, caf::to_string(e)); });
  };
  step("the bridge", reg.get<caf::actor>(paios::bridge_name::value), seconds(2), paios::drain_atom::value);
  step("the drain of tasks in flight", reg.get<paios::dispatcher_actor>(paios::dispatch_name::value),
       milliseconds(cfg.tasks.drain_timeout_ms + 5000), paios::drain_atom::value,
       std::int64_t{cfg.tasks.drain_timeout_ms});
  step("the actor tree", root, seconds(60), paios::stop_atom::value);
  return kExitOk;
}

// The actors' worker threads: one per core, two to four (the busy actors with blocking work, the event store and
// the bridge's I/O, have threads of their own). Work sharing instead of CAF's default, work stealing: an idle
// stealing worker polls its queue (100 spins, then 500 naps of 50 µs) before it sleeps, and four of them on two
// cores spent CPU on every task that no task used and woke 400 times a second when the daemon was idle; a
// sharing worker sleeps on a condition variable until a message comes (docs/benchmarks.md, issue 26).
void configure_scheduler(caf::actor_system_config& cfg) {
  const unsigned cores = std::thread::hardware_concurrency();
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(std::clamp(cores, 2u, 4u)));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"paiosd: the PAIOS mesh daemon"};
  std::optional<std::string> home_flag;
  std::optional<std::string> config_flag;
  std::optional<std::string> check_file;
  app.add_option("--home", home_flag, "PAIOS_HOME (default: $PAIOS_HOME, else ~/.paios)");
  app.add_option("--config", config_flag, "configuration file (default: PAIOS_HOME/config.json if it exists)");
  app.add_option("--check-config", check_file, "validate FILE against the schema and exit (0: valid, 2: invalid)");
  bool migrate = false;
  bool dry_run = false;
  auto* migrate_flag = app.add_flag("--migrate", migrate,
                                    "bring every store under PAIOS_HOME/data to this build's schema (each after an "
                                    "online copy into data/pre-migrate/) and exit; paiosd must not be running");
  app.add_flag("--dry-run", dry_run, "with --migrate: list each store's schema and the migrations that would run; "
                                     "change nothing")
      ->needs(migrate_flag);
  app.set_version_flag("--version", kVersion);
  CLI11_PARSE(app, argc, argv);

  if (check_file) {
    if (!load(std::filesystem::path{*check_file})) return kExitConfig;
    std::cout << *check_file << ": valid\n";
    return kExitOk;
  }

  auto home = paios::resolve_home(home_flag);
  umask(077);  // what paiosd writes (stores, their copies, logs) is the user's alone
  // Read-only: the listing needs neither the lock nor the configuration (a running daemon's files can be read).
  if (migrate && dry_run) return paios::migrate_stores(home, true, std::cout, std::cerr);
  if (migrate) {
    auto lock = claim_home(home);  // no daemon may run on the files while they change
    return lock ? paios::migrate_stores(home, false, std::cout, std::cerr) : kExitHome;
  }
  std::optional<std::filesystem::path> config_file;
  if (config_flag) config_file = *config_flag;
  else if (std::filesystem::exists(home.config_file())) config_file = home.config_file();
  auto loaded_config = load(config_file);
  if (!loaded_config) return kExitConfig;
  auto* cfg = &loaded_config->config;

  // One malloc arena: glibc's default of eight per core keeps freed memory in each arena the actor threads
  // touched, which shows as resident growth under load (docs/benchmarks.md); the throughput cost is nil here.
  mallopt(M_ARENA_MAX, 1);
  // Blocks of 64 KiB and more (the event queue's buffers, a large prompt or answer) are mapped on their own
  // and unmapped when freed. glibc's default threshold rises after such a block is freed, and the next ones
  // then come from the heap, where they pin whatever small blocks land after them: 5 MB of resident growth
  // on a busy daemon (docs/benchmarks.md).
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  auto lock = claim_home(home);
  if (!lock) return kExitHome;
  if (auto err = paios::setup_logging(home.log_file(), cfg->log.level, cfg->log.max_file_bytes, cfg->log.max_files);
      !err.empty())
    spdlog::warn("logging to stderr only: {}", err);
  // A store file of a newer schema (a newer paiosd ran here, then this older one was put back) is refused before
  // any actor opens a store: nothing is written to it, and the message says what to do.
  auto schemas = paios::check_store_schemas(home);
  if (!schemas) {
    spdlog::critical("{}", schemas.message());
    std::cerr << "paiosd: " << schemas.message() << "\n";
    return kExitHome;
  }
  for (const auto& plan : *schemas)
    if (plan.exists && !plan.pending.empty())
      spdlog::info("{} has schema {}; its store migrates it to {} as it opens it, after a copy into {}", plan.file.string(),
                   plan.from, plan.to, (plan.file.parent_path() / "pre-migrate").string());
  // Under the lock: the marker is this home's, and only one daemon reads and writes it.
  const auto unclean_exit = paios::take_run_marker(home.run_marker(), getpid(), paios::now_ms());
  if (!unclean_exit.empty()) spdlog::warn("the previous paiosd did not stop in order ({})", unclean_exit);

  // Signals are taken by one thread with sigwait: block them before any other thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Every agent call's process tree is contained; what a daemon killed before us left is ended first.
  // After the signal mask (the reaper thread must not take SIGTERM), before the actor system's threads.
  paios::containment_config containment{home.root, home.containment_record(), std::nullopt};
  if (const char* root = std::getenv("PAIOS_CGROUP_ROOT"); root && *root) containment.cgroup_root = root;
  auto contained = paios::configure_containment(containment);
  if (!contained.error) {
    std::cerr << "paiosd: " << contained.error.message() << "\n";
    return kExitConfig;
  }
  spdlog::info("agent calls are contained by {}; {} process(es) left by an earlier daemon were ended",
               contained.boundary, contained.swept);

  // SQLite's memory statistics take a global lock on every allocation, in both stores' threads; nothing reads them.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  auto started = paios::now_ms();
  // Every component's events go to this queue; the obs_store actor writes it to observability.sqlite. It
  // outlives the actor system, so that a restarted store finds what was queued before.
  auto events = std::make_shared<paios::event_sink>(cfg->obs.queue_capacity, cfg->obs.batch);
  paios::install_event_sink(events.get());
  caf::actor_system_config sys_cfg;
  paios::register_message_types(sys_cfg);
  configure_scheduler(sys_cfg);
  int exit_code = kExitOk;
  {
    caf::actor_system sys{sys_cfg};
    const char* faults = std::getenv("PAIOS_FAULT_INJECTION");
    bool fault_injection = faults && std::string{faults} == "1";
    if (fault_injection) spdlog::warn("PAIOS_FAULT_INJECTION=1: debug.fault can end any actor of the tree");
    auto current = std::make_shared<paios::shared_config>(*cfg);
    auto root = paios::spawn_supervisor(
        sys, paios::daemon_tree({*cfg, home, started, kVersion, fault_injection, loaded_config->router, events,
                                 unclean_exit, current, config_file.value_or(home.config_file()),
                                 config_flag.has_value()}));
    sys.registry().put(paios::root_name::value, root);
    spdlog::info("paiosd {} started (pid {}) on {} in {} ms", kVersion, getpid(), home.root.string(),
                 paios::now_ms() - started);
    {
      nlohmann::json brains = nlohmann::json::array();
      for (auto& b : cfg->brains) brains.push_back(b.name);
      auto now = paios::now_us();
      paios::emit_span("config", "load", paios::new_trace(), 0, 0, started * 1000, now, "ok",
                       nlohmann::json{{"file", config_file ? config_file->string() : std::string{}},
                                      {"brains", brains},
                                      {"default_brain", cfg->tasks.default_brain},
                                      {"pid", getpid()},
                                      {"version", kVersion},
                                      // the daily report counts starts after a crash by this (core/report)
                                      {"previous_exit", unclean_exit.empty() ? "clean" : "unclean"}}
                           .dump());
    }

    caf::scoped_actor self{sys};
    self->monitor(root);
    caf::actor main_handle = self;
    std::atomic<bool> stopping{false};
    std::thread signal_thread([&] {
      int sig = 0;
      while (sigwait(&signals, &sig) == 0) {
        if (sig == SIGHUP) {
          // The reloader logs, and leaves an event of, what it applied or why it refused the file.
          spdlog::info("SIGHUP: reloading the configuration");
          if (auto reloader = sys.registry().get<paios::config_actor>(paios::config_name::value))
            caf::anon_send(reloader, paios::reload_atom::value, std::string{"SIGHUP"});
          else
            spdlog::warn("SIGHUP: the configuration's reloader is not running; nothing reloaded");
          continue;
        }
        if (stopping.exchange(true)) {
          spdlog::warn("second signal: exiting now");
          _exit(kExitFailure);
        }
        spdlog::info("{}: shutting down", strsignal(sig));
        caf::anon_send(main_handle, paios::drain_atom::value);
        // The watchdog: whatever happens below, the process ends within this bound.
        auto bound = std::chrono::milliseconds(cfg->tasks.drain_timeout_ms) + std::chrono::seconds(20);
        std::this_thread::sleep_for(bound);
        spdlog::error("shutdown took longer than {} ms: exiting", bound.count());
        _exit(kExitFailure);
      }
    });
    signal_thread.detach();

    // systemd (Type=notify): READY once the root supervisor answers, then WATCHDOG at half of WatchdogSec while it
    // still answers. A root that stops answering (its mailbox stuck, the scheduler threads gone) misses the
    // pings, and systemd restarts the daemon.
    auto root_answers = [&] {
      bool answered = false;
      self->request(root, std::chrono::seconds(5), paios::status_atom::value)
          .receive([&](const std::string&) { answered = true; }, [](caf::error&) {});
      return answered;
    };
    if (root_answers()) paios::sd_notify("READY=1\nSTATUS=running");
    const auto watchdog = paios::sd_watchdog_interval();
    bool running = true;
    auto on_drain = [&](paios::drain_atom) {
      paios::sd_notify("STOPPING=1");
      exit_code = orderly_shutdown(self, root, *cfg);
      running = false;
    };
    auto on_down = [&](caf::down_msg& dm) {
      spdlog::critical("the actor tree stopped: {}", caf::to_string(dm.reason));
      exit_code = kExitFailure;
      running = false;
    };
    while (running) {
      if (watchdog.count() == 0) {
        self->receive(on_drain, on_down);
        continue;
      }
      self->receive(on_drain, on_down, caf::after(watchdog) >> [&] {
        if (root_answers()) paios::sd_notify("WATCHDOG=1");
        else spdlog::warn("watchdog: the actor tree did not answer; systemd is not told it is alive");
      });
    }
    for (auto name : paios::well_known_names) sys.registry().erase(name);
    caf::anon_send_exit(root, caf::exit_reason::kill);
  }
  paios::install_event_sink(nullptr);
  if (auto left = events->depth(); left > 0) spdlog::warn("{} events were not written at exit", left);
  // Only an orderly stop clears the marker: a tree that gave up (exit 1) is a failure the next start reports.
  if (exit_code == kExitOk) paios::clear_run_marker(home.run_marker());
  spdlog::info("paiosd stopped (exit {})", exit_code);
  spdlog::shutdown();
  return exit_code;
}
