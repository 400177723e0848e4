#include "config/live_keys.hpp"

#include <algorithm>
#include <cstring>

namespace paios {

const std::vector<live_rule>& live_rules() {
  static const std::vector<live_rule> rules = {
      {"log.level", live_apply::log_level, "", "the daemon's log level is set at once"},
      {"notify", live_apply::restart_actor, "notifier", "the notifier starts again with it"},
      {"alerts", live_apply::restart_actor, "alerts",
       "the alerts actor starts again with it (the alerts themselves are kept in alerts.sqlite)"},
      {"autonomy", live_apply::autonomy_gate, "",
       "the autonomy gate remakes its policy (learned rules, grants and pending approvals are kept)"},
      {"autonomy.approval_timeout_ms", live_apply::restart_daemon, "",
       "the hook handler's and the bridge's waits are derived from it at start"},
      {"autonomy.session_asked_max", live_apply::restart_daemon, "",
       "the gate's table of calls asked in sessions is sized at start"},
      {"scheduler", live_apply::restart_actor, "scheduler",
       "the scheduler starts again with it (a job run in flight is recorded as interrupted)"},
      {"backup", live_apply::restart_actor, "scheduler",
       "the scheduler starts again with the backup job (a run in flight is recorded as interrupted)"},
      {"watchers", live_apply::restart_actor, "watchers",
       "the watchers start again with it and scan their folders (what was done is not done again)"},
      {"config", live_apply::client_only, "", "read by ai config apply at each use"},
  };
  return rules;
}

const live_rule* live_rule_for(const std::string& key) {
  const live_rule* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& r : live_rules()) {
    const std::size_t n = std::strlen(r.key);
    const bool covers = key.compare(0, n, r.key) == 0 && (key.size() == n || key[n] == '.');
    if (covers && n >= best_len) {
      best = &r;
      best_len = n;
    }
  }
  return best;
}

bool is_live(const std::string& key) {
  const auto* r = live_rule_for(key);
  return r && r->apply != live_apply::restart_daemon;
}

reload_plan plan_reload(const std::vector<key_change>& changes) {
  reload_plan plan;
  for (const auto& c : changes) {
    const auto* r = live_rule_for(c.key);
    if (!r || r->apply == live_apply::restart_daemon) {
      plan.restart.push_back(c.key);
      continue;
    }
    plan.live.push_back(c.key);
    switch (r->apply) {
      case live_apply::log_level: plan.log_level = true; break;
      case live_apply::autonomy_gate: plan.autonomy = true; break;
      case live_apply::restart_actor:
        if (std::find(plan.actors.begin(), plan.actors.end(), r->actor) == plan.actors.end())
          plan.actors.push_back(r->actor);
        break;
      case live_apply::client_only:
      case live_apply::restart_daemon: break;
    }
  }
  return plan;
}

}  // namespace paios
