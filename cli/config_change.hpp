#pragma once
// config_change: `ai config diff|apply|rollback` (cli/cmd_config_change.cpp). A proposed file is checked exactly as
// paiosd checks its own (config/checked_config.hpp) before anything is said about it or written; what it changes
// is told twice: against config.json as written, and in the effective configuration, each effective key marked
// live or needing a restart by config/live_keys.hpp.
#include <cstddef>
#include <string>

#include "cli/command.hpp"

namespace paios::cli {

// What FILE would change. 0, or 2 (every mistake named on stderr) when FILE is not valid.
int config_diff(const options& opt, const std::string& file);

// FILE becomes config.json: checked, the current file kept in the history ring, FILE's bytes written atomically,
// and paiosd told to reload (config.reload); a daemon that is not running reads it at its next start. With
// `dry_run` nothing is written and paiosd is not asked. 0, 2 when FILE is not valid, 1 when it could not be
// written or the daemon refused it.
int config_apply(const options& opt, const std::string& file, bool dry_run);

// The n-th previous file of the history ring (1: the newest) applied as config_apply does.
int config_rollback(const options& opt, std::size_t n, bool dry_run);

}  // namespace paios::cli
