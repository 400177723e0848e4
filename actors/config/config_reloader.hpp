#pragma once
// config_reloader: reads the configuration file again while paiosd runs (`config.reload`, `ai config apply`,
// SIGHUP) and applies what can change live (config/live_keys.hpp, the one table of it); the other changed keys are
// named as needing a restart.
//
// Receives                                  Replies
//   (reload_atom, string origin)            (code, message, body): origin says who asked ("wire", "SIGHUP"), for
//                                           the log and the event. The file is checked as at start
//                                           (config/checked_config.hpp); an invalid one changes nothing:
//                                           bad_request naming every mistake, an error in the log, an event
//                                           (category config, action reload, status failed) and a notification.
//                                           A valid one: body {file, applied: [key...], restart: [key...],
//                                           restarted: [actor...]}: the changed keys (config/config_diff.hpp)
//                                           against the configuration last accepted, split by the table; the live
//                                           ones applied before the reply (the log level set, the autonomy gate's
//                                           policy remade, the actors named restarted by the root supervisor
//                                           with the new configuration). An event (config reload ok) says so.
//                                           A reload while one is applied is refused with overloaded.
//   (status_atom)                           string JSON {reloads, failed, last_ms, last_error}
// Owns: the configuration last accepted (config/shared_config.hpp, shared with the start functions of the actors
// whose keys are live, so that one restarted later starts with it too). It keeps nothing else: a restart of this
// actor finds the shared configuration as it was.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <caf/typed_actor.hpp>

#include "config/shared_config.hpp"
#include "messages/caf_types.hpp"

namespace paios {

using config_actor = caf::typed_actor<
    caf::replies_to<reload_atom, std::string>::with<std::string, std::string, std::string>,
    caf::replies_to<status_atom>::with<std::string>>;

struct config_reloader_options {
  std::filesystem::path file;  // the file paiosd reads: --config, else PAIOS_HOME/config.json
  bool file_named = false;     // --config: the file must exist; else a missing file means the defaults alone
  std::shared_ptr<shared_config> current;
};

config_actor spawn_config_reloader(caf::actor_system& sys, config_reloader_options opts);

}  // namespace paios
