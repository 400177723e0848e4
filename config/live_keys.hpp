#pragma once
// live_keys: which configuration keys paiosd applies while it runs (`ai config apply`, `config.reload`, SIGHUP)
// and which need a restart. The one table of it: the daemon's reload (actors/config) acts on it, `ai config
// diff|apply` prints it, and docs/config.md ("Changing the configuration") describes it; a unit test keeps the
// two in step.
//
// A key is live when the longest entry that is a prefix of it (whole dotted parts) says so; a key no entry covers
// needs a restart. Each live entry names how it is applied: in place by the actor that owns it, or by restarting
// that actor (a child of the root supervisor) with the new configuration.
#include <string>
#include <vector>

#include "config/config_diff.hpp"

namespace paios {

enum class live_apply {
  restart_daemon,  // not live: takes effect at the next start of paiosd
  log_level,       // the daemon sets its log level at once
  autonomy_gate,   // the autonomy gate remakes its policy in place (pending approvals and grants are kept)
  restart_actor,   // the root supervisor restarts `actor`, which starts with the new configuration
  client_only,     // read by `ai` at each use: nothing for the daemon to do
};

struct live_rule {
  const char* key;    // a dotted key or section
  live_apply apply;
  const char* actor;  // restart_actor: the root's child (as `ai status` names it); else ""
  const char* why;    // how the change takes effect, or why it needs a restart
};

// The table, most general entries first.
const std::vector<live_rule>& live_rules();

// The entry that decides `key` (the longest prefix); nullptr when none does (a restart is needed).
const live_rule* live_rule_for(const std::string& key);
bool is_live(const std::string& key);

// A change split by the table: the keys applied live and those that wait for a restart, each in key order, and
// the actors to restart (in the root's start order is the caller's business; here in table order, once each).
struct reload_plan {
  std::vector<std::string> live;
  std::vector<std::string> restart;
  bool log_level = false;
  bool autonomy = false;
  std::vector<std::string> actors;
};
reload_plan plan_reload(const std::vector<key_change>& changes);

}  // namespace paios
