// `ai alerts`: the open alerts (with --all the resolved ones too), and `ai alerts ack ID` (docs/alerts.md).
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {

run_fn define_alerts(CLI::App& sub, options&) {
  struct args {
    bool all = false;
    int limit = 100;
    std::int64_t id = 0;
  };
  auto a = std::make_shared<args>();
  sub.add_flag("--all", a->all, "the resolved alerts too");
  sub.add_option("--limit", a->limit, "at most this many, newest first")->check(CLI::Range(1, 1000));
  auto* ack = sub.add_subcommand("ack", "acknowledge an alert: it is told no more (one about a lasting condition "
                                        "stays open until the condition clears)");
  ack->add_option("id", a->id, "the alert's id, as `ai alerts` lists it")->required()->check(CLI::PositiveNumber);
  return [a, ack](const options& opt) {
    if (*ack) return show(opt, request("alerts.ack", {{"alert_id", a->id}}), render_alert_acked);
    return show(opt, request("alerts.list", {{"all", a->all}, {"limit", a->limit}}), render_alerts);
  };
}

}  // namespace paios::cli
